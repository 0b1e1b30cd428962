/**
 * The demo game server: one process of the fleet that `gameops up --demo` starts, so that every
 * runbook can run for real on one machine. Node's own modules only.
 *
 *   GAME_ADMIN_TOKEN=… node dist/bundle/demo-game-server.js --port 7101 --id game-1 --region demo --log-file game-1.log
 *
 * The admin token comes from GAME_ADMIN_TOKEN, or with `--supervised` from the first line of
 * stdin — never from argv, which `ps` shows to everyone. A supervised server also exits when its
 * stdin closes: its supervisor is gone, even if it was killed with SIGKILL, and a game server
 * must not outlive it.
 *
 * On start it prints one JSON line to stdout: {"listening":{"host":…,"port":…},"pid":…}.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { Faults } from "./faults.js";
import { defaultMaintenanceMessage, Game, PlayerSimulation, seedOf } from "./game.js";
import { gameHttpHandler } from "./game-http.js";
import { GameLog } from "./game-log.js";
import { CpuWindow, Histogram } from "./game-metrics.js";

const version = "1.0.0";
const tickMs = 50;

function fail(message: string): never {
  process.stderr.write(`game-server: ${message}\n`);
  process.exit(2);
}

function integer(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) fail(`--${name} must be a whole number from ${min} to ${max}, not "${text}"`);
  return value;
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        port: { type: "string", default: "0" },
        host: { type: "string", default: "127.0.0.1" },
        id: { type: "string", default: "game-1" },
        region: { type: "string", default: "demo" },
        seed: { type: "string" },
        "log-file": { type: "string" },
        "player-interval": { type: "string" },
        "initial-players": { type: "string" },
        "max-players": { type: "string" },
        maintenance: { type: "boolean", default: false },
        "maintenance-message": { type: "string" },
        supervised: { type: "boolean", default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    return fail((error as Error).message);
  }
})();

const port = integer("port", values.port, 0, 0, 65535);
const playerIntervalMs = integer("player-interval", values["player-interval"], 1000, 0, 3_600_000);
const initialPlayers = integer("initial-players", values["initial-players"], 5, 0, 10_000);
const maxPlayers = integer("max-players", values["max-players"], 50, 0, 100_000);
const seed = integer("seed", values.seed, seedOf(values.id!), 0, 2 ** 32 - 1);
if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(values.id!)) fail(`--id must be letters, digits, '.', '_' or '-', like game-1, not "${values.id}"`);

/** The first line of stdin; stdin stays open (a supervised server watches it for its end). */
function readFirstLine(): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    const onData = (chunk: Buffer) => {
      text += chunk.toString("utf8");
      const newline = text.indexOf("\n");
      if (newline >= 0) done(text.slice(0, newline));
    };
    const done = (line: string) => {
      process.stdin.off("data", onData);
      process.stdin.off("end", onEnd);
      resolve(line.trim());
    };
    const onEnd = () => done(text);
    process.stdin.on("data", onData);
    process.stdin.on("end", onEnd);
  });
}

const adminToken = values.supervised ? await readFirstLine() : process.env.GAME_ADMIN_TOKEN;
if (!adminToken) fail(values.supervised ? "--supervised: the admin token must be the first line of stdin" : "set GAME_ADMIN_TOKEN (the admin API's bearer token), or run it --supervised");
// Children of this process (none today) must not inherit it.
delete process.env.GAME_ADMIN_TOKEN;

const startedAt = new Date();
const log = new GameLog(values.id!, values["log-file"]);
const game = new Game({
  server: values.id!,
  region: values.region!,
  maxPlayers,
  ...(values.maintenance ? { maintenance: { message: values["maintenance-message"] ?? defaultMaintenanceMessage } } : {}),
  log,
});
const faults = new Faults(game, log);
const ticks = new Histogram();
const cpu = new CpuWindow();
const players = new PlayerSimulation(game, seed);

const server = createServer(gameHttpHandler({ game, faults, log, ticks, cpu, adminToken, region: values.region!, version, startedAt }));
server.on("error", (error) => fail(`cannot listen on ${values.host}:${port}: ${(error as NodeJS.ErrnoException).code ?? error.message}`));
await new Promise<void>((resolve) => server.listen(port, values.host, resolve));
const address = server.address() as AddressInfo;
// First: whoever started us reads this line before any log line that may follow on stdout.
process.stdout.write(`${JSON.stringify({ listening: { host: address.address, port: address.port }, pid: process.pid })}\n`);
log.write("INFO", `game server ${values.id} (region ${values.region}, pid ${process.pid}) listening on ${address.address}:${address.port}${values.maintenance ? ", in maintenance mode" : ""}`);

for (let i = 0; i < initialPlayers; i++) players.join();

// The game loop: everything the game does per frame happens here, so a CPU burn shows as slow ticks.
const loop = setInterval(() => {
  const start = performance.now();
  const done = () => {
    cpu.sample();
    ticks.observe((performance.now() - start) / 1000);
  };
  const work = faults.onTick(tickMs);
  if (work) void work.then(done);
  else done();
}, tickMs);
const simulation = playerIntervalMs > 0 ? setInterval(() => players.turn(), playerIntervalMs) : undefined;

let stopping = false;
async function stop(reason: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  clearInterval(loop);
  clearInterval(simulation);
  faults.stop();
  log.write("INFO", `shutting down (${reason}), ${game.sessions.size} players disconnected`);
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await log.close();
  process.exit(0);
}
process.once("SIGTERM", () => void stop("SIGTERM"));
process.once("SIGINT", () => void stop("SIGINT"));
if (values.supervised) {
  process.stdin.on("end", () => void stop("supervisor gone"));
  process.stdin.on("error", () => void stop("supervisor gone"));
  process.stdin.resume();
  if (process.stdin.readableEnded) void stop("supervisor gone");
}
