import { Worker } from "node:worker_threads";
import type { Game } from "./game.js";
import type { GameLog } from "./game-log.js";

export const faultNames = ["cpu-burn", "memory-growth", "errors", "none"] as const;
export type FaultName = (typeof faultNames)[number];

export interface FaultRequest {
  fault: FaultName;
  durationMs: number;
  /** cpu-burn: in the game loop (the main thread, default) or in a worker thread. */
  thread?: "main" | "worker";
  /** memory-growth: how fast the leak grows; 16 by default. */
  megabytesPerSecond?: number;
  /** errors: how many ERROR lines a second; 20 by default. */
  errorsPerSecond?: number;
}

export interface ActiveFault {
  fault: Exclude<FaultName, "none">;
  until: string;
  thread?: "main" | "worker";
}

/** A ceiling on the drill's leak, so that a forgotten injection cannot take the machine down. */
const maxRetainedBytes = 256 * 1024 * 1024;
const leakChunkBytes = 1024 * 1024;

/** What a leaked object looks like in a heap snapshot: named, so the memory-leak runbook can point at it. */
class LeakedMatchHistory {
  readonly entries: number[];
  constructor(
    readonly match: number,
    elements: number,
  ) {
    this.entries = new Array<number>(elements).fill(match);
  }
}

/**
 * The hot loop of a CPU burn: a short, fixed amount of integer math, so that a profile names it.
 * It is called many times rather than looping for long: V8 then optimizes the function itself
 * instead of replacing it on the stack (OSR), and OSR code made before a profile starts is not
 * known to the profiler — its samples would show as "(program)".
 */
export function burnCpu(iterations: number): number {
  let x = 1;
  for (let i = 0; i < iterations; i++) x = (Math.imul(x, 1103515245) + 12345) >>> 0;
  return x;
}

/**
 * Burns the main thread for `milliseconds`, one burnCpu call per promise reaction: called by V8
 * itself, burnCpu is never inlined into a caller that would take its samples.
 */
function burnFor(milliseconds: number): Promise<void> {
  const end = performance.now() + milliseconds;
  const next = (): Promise<void> | undefined => (performance.now() < end ? Promise.resolve(20_000).then(burnCpu).then(next) : undefined);
  return Promise.resolve().then(next);
}

// Evaluated as a CommonJS script inside the worker: no file to ship beside the bundle.
const workerBurn = `
const { workerData } = require("node:worker_threads");
function burnCpu(until) {
  let x = 1;
  while (Date.now() < until) for (let i = 0; i < 10000; i++) x = (Math.imul(x, 1103515245) + 12345) >>> 0;
  return x;
}
burnCpu(workerData.until);
`;

/** Faults injected for drills: a CPU burn, a memory leak, a burst of errors. */
export class Faults {
  private readonly active = new Map<ActiveFault["fault"], ActiveFault & { untilMs: number; rate: number; carry: number }>();
  private worker: Worker | undefined;
  private readonly leaked: LeakedMatchHistory[] = [];
  private capWarned = false;
  private errorCounter = 0;

  constructor(
    private readonly game: Game,
    private readonly log: GameLog,
  ) {}

  get retainedBytes(): number {
    return this.leaked.length * leakChunkBytes;
  }

  list(): ActiveFault[] {
    return [...this.active.values()].map(({ fault, until, thread }) => ({ fault, until, ...(thread ? { thread } : {}) }));
  }

  inject(request: FaultRequest, now = Date.now()): ActiveFault | undefined {
    if (request.fault === "none") {
      this.stop();
      this.log.write("INFO", "faults cleared: CPU burn stopped, leaked memory released, error burst stopped");
      return undefined;
    }
    const untilMs = now + request.durationMs;
    const until = new Date(untilMs).toISOString();
    const rate =
      request.fault === "memory-growth" ? (request.megabytesPerSecond ?? 16) : request.fault === "errors" ? (request.errorsPerSecond ?? 20) : 0;
    const thread = request.fault === "cpu-burn" ? (request.thread ?? "main") : undefined;
    this.active.set(request.fault, { fault: request.fault, until, untilMs, rate, carry: 0, ...(thread ? { thread } : {}) });
    if (thread === "worker") {
      void this.worker?.terminate();
      this.worker = new Worker(workerBurn, { eval: true, workerData: { until: untilMs } });
      this.worker.unref();
      this.worker.on("error", (error) => this.log.write("WARN", `CPU burn worker failed: ${error.message}`));
    }
    this.log.write("WARN", `fault injected for a drill: ${request.fault}${thread ? ` on the ${thread} thread` : ""}${rate ? ` at ${rate}/s` : ""} until ${until}`);
    return { fault: request.fault, until, ...(thread ? { thread } : {}) };
  }

  /**
   * One game tick's share of each active fault. A main-thread burn is returned as work that the
   * tick awaits (see burnFor).
   */
  onTick(tickMs: number, now = Date.now()): Promise<unknown> | undefined {
    let work: Promise<unknown> | undefined;
    for (const f of this.active.values()) {
      if (now >= f.untilMs) {
        this.active.delete(f.fault);
        this.log.write("INFO", `fault ended: ${f.fault}${f.fault === "memory-growth" ? ` (${this.retainedBytes / leakChunkBytes} MiB still held)` : ""}`);
        continue;
      }
      if (f.fault === "cpu-burn" && f.thread === "main") work = burnFor(tickMs * 0.9);
      if (f.fault === "memory-growth") this.grow(f, tickMs);
      if (f.fault === "errors") {
        f.carry += (f.rate * tickMs) / 1000;
        for (; f.carry >= 1; f.carry--) this.game.error(this.errorMessage());
      }
    }
    return work;
  }

  private grow(f: { rate: number; carry: number }, tickMs: number): void {
    f.carry += (f.rate * tickMs) / 1000;
    for (; f.carry >= 1; f.carry--) {
      if (this.retainedBytes >= maxRetainedBytes) {
        if (!this.capWarned) this.log.write("WARN", `memory-growth stopped at its ceiling of ${maxRetainedBytes / leakChunkBytes} MiB`);
        this.capWarned = true;
        return;
      }
      this.leaked.push(new LeakedMatchHistory(this.leaked.length, leakChunkBytes / 8));
    }
  }

  private errorMessage(): string {
    const n = ++this.errorCounter;
    const match = 4000 + (n % 97);
    const messages = [
      `tick failed in match ${match}: state desync for player-${String(n % 50).padStart(4, "0")} (injected fault)`,
      `database timeout after 5000 ms saving the inventory of player-${String(n % 50).padStart(4, "0")} (injected fault)`,
      `matchmaking queue rejected ticket ${n}: region capacity exceeded (injected fault)`,
    ];
    return messages[n % messages.length]!;
  }

  stop(): void {
    this.active.clear();
    void this.worker?.terminate();
    this.worker = undefined;
    this.leaked.length = 0;
    this.capWarned = false;
  }
}
