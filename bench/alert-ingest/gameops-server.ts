// A real `gameops up` (the built bundle, bin/gameops.js) as a child process, for benchmarks that
// measure the server as operators run it. Shared by bench/alert-ingest and bench/escalation-timers.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";

import { BenchError } from "../bench-main.js";

export { BenchError };

export interface GameopsServer {
  url: string;
  pid: number;
  /** Wall clock (ms, sub-ms precision) when the child was spawned and when its banner said it was up. */
  spawnedAt: number;
  readyAt: number;
  /** User + system CPU seconds the server has used so far (Linux /proc). */
  cpuSeconds(): number;
  /** SIGTERM, then waits for the exit: the server drains its timers and closes the store. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL: nothing is drained, nothing is closed — a crash. Resolves once the process is gone. */
  kill9(): Promise<void>;
  /** The tail of its stderr (pino's log lines), for error messages. */
  logTail(lines?: number): string;
}

export interface StartOptions {
  /** bin/gameops.js of the build under test. */
  cli: string;
  /** Holds gameops.yaml. */
  cwd: string;
  dataDir: string;
  adminToken: string;
  /** stderr goes here (appended), not to the bench's terminal. */
  logFile: string;
  /** Node flags for the server, e.g. --cpu-prof. */
  nodeArgs?: string[];
  timeoutMs?: number;
}

/**
 * The bundle next to `cli` must exist. Returns a warning when a source file is newer than it: the
 * figures are then those of the build, not of the sources (run `npm run build`, or --from-source).
 */
export function checkBuild(cli: string, repoRoot: string): string | undefined {
  const bundle = join(dirname(cli), "../dist/bundle/main.js");
  let built: number;
  try {
    built = statSync(bundle).mtimeMs;
  } catch {
    throw new BenchError(`${cli} has no build next to it (${bundle}): run \`npm run build\` first, or pass --from-source`);
  }
  const newest = newestMtime(join(repoRoot, "src"));
  return newest.mtimeMs > built ? `the build is older than ${newest.path}: these figures are the build's (npm run build, or --from-source)` : undefined;
}

function newestMtime(dir: string): { path: string; mtimeMs: number } {
  let newest = { path: dir, mtimeMs: 0 };
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const candidate = entry.isDirectory() ? newestMtime(path) : { path, mtimeMs: statSync(path).mtimeMs };
    if (candidate.mtimeMs > newest.mtimeMs) newest = candidate;
  }
  return newest;
}

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes on this machine. */
export const wallNow = () => performance.timeOrigin + performance.now();

export async function startGameops(options: StartOptions): Promise<GameopsServer> {
  const log = openSync(options.logFile, "a");
  const spawnedAt = wallNow();
  // A clean environment: no GAMEOPS_* of whoever runs the bench (a MySQL URL would add checks, a store URL would swap the store).
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.cli, "up", "--port", "0", "--host", "127.0.0.1"], {
    cwd: options.cwd,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? options.cwd,
      GAMEOPS_DATA: options.dataDir,
      GAMEOPS_ADMIN_TOKEN: options.adminToken,
    },
    stdio: ["ignore", "pipe", log],
  });
  closeSync(log);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const url = await banner(child, exited, options.timeoutMs ?? 30_000, () => tail(options.logFile, 20));
  const readyAt = wallNow();
  const pid = child.pid!;
  return {
    url,
    pid,
    spawnedAt,
    readyAt,
    cpuSeconds: () => cpuSecondsOf(pid),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
    logTail: (lines = 20) => tail(options.logFile, lines),
  };
}

/** Resolves with the server's URL once `gameops up` prints its banner; rejects if it exits first. */
function banner(child: ChildProcess, exited: Promise<{ code: number | null }>, timeoutMs: number, logTail: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new BenchError(`gameops up printed no banner within ${timeoutMs} ms:\n${logTail()}`));
    }, timeoutMs);
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
      const match = /gameops is up: console and API at (\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new BenchError(`gameops up exited (${code}) before it was up:\n${logTail()}`));
    });
  });
}

/** utime + stime of /proc/PID/stat, in clock ticks of 100 Hz (USER_HZ on every Linux build we run). */
function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}
