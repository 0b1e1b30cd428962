import { Worker } from "node:worker_threads";
import type { RedisTarget } from "../../config/load.js";

export interface LatencySample {
  samplesMs: number[];
  /** True when the time budget ended the sample before the wanted count. */
  cut: boolean;
}

/**
 * Times PINGs from a worker thread of its own. On the main thread every other check (log
 * scans, module loading) queues ahead of each PONG, so the sample measured gameops, not Redis
 * (bench/daily-check saw a p99 of 100+ ms against a local Redis that answers in 0.1 ms).
 * Plain RESP over a socket: the worker must start in milliseconds, not load a client library.
 */
const workerSource = `
const { workerData, parentPort } = require("node:worker_threads");
const { host, port, useTls, username, password, samples, budgetMs } = workerData;
const socket = useTls ? require("node:tls").connect({ host, port, servername: host }) : require("node:net").connect({ host, port });
socket.setNoDelay(true);
const out = [];
let buffer = "";
let waiting;
const finish = (message) => { parentPort.postMessage(message); socket.destroy(); process.exit(0); };
const deadline = Date.now() + budgetMs;
setTimeout(() => finish({ samplesMs: out, cut: true }), budgetMs);
socket.on("error", (error) => finish({ error: error.code || error.message }));
socket.on("data", (chunk) => {
  buffer += chunk.toString("latin1");
  let end;
  while (waiting && (end = buffer.indexOf("\\r\\n")) >= 0) {
    const line = buffer.slice(0, end);
    buffer = buffer.slice(end + 2);
    const answer = waiting;
    waiting = undefined;
    answer(line);
  }
});
const command = (...args) => new Promise((resolve) => {
  waiting = resolve;
  socket.write("*" + args.length + "\\r\\n" + args.map((a) => "$" + Buffer.byteLength(a) + "\\r\\n" + a + "\\r\\n").join(""));
});
socket.once(useTls ? "secureConnect" : "connect", async () => {
  if (password !== undefined) {
    const reply = await command(...(username ? ["AUTH", username, password] : ["AUTH", password]));
    if (!reply.startsWith("+")) return finish({ error: reply.slice(1) });
  }
  // The first round trip pays for lazy set-up on both ends; it is not the server's latency.
  await command("PING");
  while (out.length < samples && Date.now() < deadline) {
    const started = performance.now();
    const reply = await command("PING");
    if (!reply.startsWith("+")) return finish({ error: reply.slice(1) });
    out.push(performance.now() - started);
  }
  finish({ samplesMs: out, cut: out.length < samples });
});
`;

export function sampleLatency(target: RedisTarget, options: { samples: number; budgetMs: number; signal: AbortSignal }): Promise<LatencySample> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerSource, {
      eval: true,
      workerData: {
        host: target.host,
        port: target.port,
        useTls: target.tls,
        username: target.username,
        password: target.password?.reveal(),
        samples: options.samples,
        budgetMs: options.budgetMs,
      },
    });
    const onAbort = () => void worker.terminate();
    options.signal.addEventListener("abort", onAbort, { once: true });
    worker.once("message", (message: LatencySample | { error: string }) => {
      options.signal.removeEventListener("abort", onAbort);
      if ("error" in message) reject(Object.assign(new Error(`latency probe: ${message.error}`), { code: message.error }));
      else resolve(message);
    });
    worker.once("error", (error) => {
      options.signal.removeEventListener("abort", onAbort);
      reject(error);
    });
    worker.once("exit", () => {
      options.signal.removeEventListener("abort", onAbort);
      reject(new Error("latency probe ended without a result"));
    });
  });
}
