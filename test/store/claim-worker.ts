import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { openStore } from "../../src/store/open-store.js";

/**
 * A second process claiming due timers from the same SQLite file until none are left: proves
 * the claim is serialized across processes (`gameops up` next to a CLI command), not only by
 * the in-process connection mutex. Prints "ready" once the store is open, then the ids as JSON.
 */
export function startClaimWorker(dataDir: string, now: Date): { ready: Promise<void>; claimed: Promise<string[]> } {
  const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), dataDir, now.toISOString()], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  let signalReady: () => void;
  const ready = new Promise<void>((resolve) => (signalReady = resolve));
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    if (stdout.startsWith("ready\n")) signalReady();
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const claimed = once(child, "exit").then(([code]) => {
    if (code !== 0) throw new Error(`claim worker exited with ${String(code)}: ${stderr}`);
    return JSON.parse(stdout.slice("ready\n".length)) as string[];
  });
  // If the worker dies before it is ready, let `ready` settle through `claimed`'s failure.
  return { ready: Promise.race([ready, claimed.then(() => undefined)]), claimed };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [dataDir, now] = process.argv.slice(2) as [string, string];
  const store = await openStore({ dataDir });
  process.stdout.write("ready\n");
  const ids: string[] = [];
  for (;;) {
    const batch = await store.timers.claimDue({ now: new Date(now), owner: `worker-${process.pid}`, leaseMs: 60_000, limit: 3 });
    if (batch.length === 0) break;
    ids.push(...batch.map((timer) => timer.id));
  }
  await store.close();
  process.stdout.write(JSON.stringify(ids));
}
