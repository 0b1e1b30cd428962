import { spawn, type ChildProcess } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import { OutputTail } from "./output-tail.js";

/** A child process that did not exit 0: the program, how it ended, and the end of what it said on stderr. */
export class ChildFailure extends Error {
  constructor(
    readonly program: string,
    readonly exitCode: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    const how = signal !== null ? `was killed by ${signal}` : exitCode !== null ? `exited with code ${exitCode}` : `could not run (${(options?.cause as Error)?.message})`;
    const said = stderr.trim().split("\n").slice(-3).join(" / ");
    super(`${program} ${how}${said ? `: ${said}` : ""}`, options);
    this.name = "ChildFailure";
  }
}

export interface RunningChild {
  readonly program: string;
  readonly process: ChildProcess;
  /** The child's stdin when started with `stdin: "pipe"`. */
  readonly stdin: Writable | null;
  /** The child's stdout when started with `stdout: "pipe"`. */
  readonly stdout: Readable | null;
  /**
   * Settles once the child has exited and its pipes are closed: resolves on exit code 0, rejects
   * with a ChildFailure otherwise. Already handled, so a caller that stops early and never awaits
   * it does not raise an unhandled rejection.
   */
  readonly done: Promise<void>;
  /** Asks it to stop (SIGTERM); a no-op once it has exited. */
  stop(): void;
}

export interface ChildOptions {
  /** "pipe" for this process to write; or another child's stdout, handed over: the two are connected with no copy through this process. */
  stdin: "pipe" | "ignore" | Readable;
  /** "pipe" for this process to read; or another child's stdin, handed over. */
  stdout: "pipe" | "ignore" | Writable;
  label?: string;
}

/**
 * Starts `program` for a streaming pipeline, a stage of `a | b | c` whose exit code matters
 * (pipefail): the caller wires stdin/stdout and awaits `done`. stderr is kept (its last 8 KB) for
 * the failure message. The argv is visible to every local user in `ps`: never put a secret in it.
 */
export function startChild(program: string, args: readonly string[], options: ChildOptions): RunningChild {
  const label = options.label ?? program;
  const child = spawn(program, args, { stdio: [options.stdin, options.stdout, "pipe"] });
  // A stream handed over is the child's now. Our copy must close: a reader sees EOF only once
  // every writer has closed, and a read end we kept would race the child for its bytes.
  for (const handed of [options.stdin, options.stdout]) if (typeof handed === "object") handed.destroy();
  const stderr = new OutputTail(8 * 1024);
  child.stderr!.on("data", (chunk: Buffer) => stderr.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    child.once("error", (error) => reject(new ChildFailure(label, null, null, "", { cause: error })));
    child.once("close", (code, signal) => {
      if (code === 0) resolve();
      else reject(new ChildFailure(label, code, signal, stderr.text()));
    });
  });
  done.catch(() => undefined);
  // A stdin the child stopped reading fails with EPIPE; that is reported through `done` (its exit) or the pipeline feeding it.
  child.stdin?.on("error", () => undefined);
  return {
    program: label,
    process: child,
    stdin: child.stdin,
    stdout: child.stdout,
    done,
    stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    },
  };
}

/** Runs `program args` to the end and returns its stdout; rejects with a ChildFailure. For short commands like `--version`. */
export async function readOutput(program: string, args: readonly string[]): Promise<string> {
  const child = startChild(program, args, { stdin: "ignore", stdout: "pipe" });
  const chunks: Buffer[] = [];
  child.stdout!.on("data", (chunk: Buffer) => chunks.push(chunk));
  await child.done;
  return Buffer.concat(chunks).toString("utf8");
}
