/**
 * A process that starts a demo fleet and waits to be killed: the orphan test kills it (SIGTERM,
 * SIGINT or SIGKILL) and checks that no game server is left. Prints the servers' pids as one
 * JSON line once they listen.
 */
import { startDemoFleet } from "../../src/demo/fleet.js";

const fleet = await startDemoFleet({ size: 2, dataDir: process.argv[2]!, playerIntervalMs: 0, initialPlayers: 0 });
process.stdout.write(`${JSON.stringify({ pids: fleet.servers().map((s) => s.pid) })}\n`);
setInterval(() => {}, 60_000);
