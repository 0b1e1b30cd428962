import { spawn } from "node:child_process";
import { stat } from "node:fs/promises";
import { constants } from "node:os";
import type { Config } from "../../../config/load.js";
import type { StepSpec } from "../../../domain/runbooks/schema.js";
import { StepFailure, type RenderedAction, type StepContext, type StepResult } from "../step-kind.js";
import { OutputTail } from "../../../integrations/process/output-tail.js";

/** Each of stdout and stderr keeps its last 64 KiB, as every step's kept output does. */
const maxOutputBytes = 65_536;
/** Lines quoted in the failure message. */
const lastLines = 5;
/** After SIGTERM, how long the process group has before SIGKILL. */
const graceMs = 2000;

type ShellSpec = StepSpec<"shell">;

/** The module is the StepKind (loaded lazily by ./index.ts). */
export const kind = "shell";

interface Command {
  program: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
  /** How the command is named in messages: the program, or `script`. */
  label: string;
}

function commandOf(spec: ShellSpec): Command {
  if (Array.isArray(spec)) return { program: spec[0]!, args: spec.slice(1), env: {}, label: spec[0]! };
  const common = { env: spec.env ?? {}, ...(spec.cwd !== undefined ? { cwd: spec.cwd } : {}) };
  if ("argv" in spec) return { program: spec.argv[0]!, args: spec.argv.slice(1), label: spec.argv[0]!, ...common };
  // Params reach a script as GAMEOPS_PARAM_<NAME> in `env` (the executor puts them there), never in its text.
  return { program: "/bin/sh", args: ["-c", spec.script], label: "script", ...common };
}

/**
 * The environment a step's process starts from. Not gameops' own: that holds the store URL,
 * GAMEOPS_*_PASSWORD(_FILE), the admin token and whatever the person who started the server
 * had exported. A step gets only what it names in `env`, on top of what any program needs to
 * run and read text, so that it sees no credential it did not ask for and behaves the same
 * whoever started gameops. KUBECONFIG points kubectl at the configured cluster.
 */
function baseEnv(config: Config): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin" };
  for (const name of ["HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR"]) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  const kubeconfig = config.targets.kubernetes?.kubeconfig;
  if (kubeconfig) env.KUBECONFIG = kubeconfig;
  return env;
}

/** An argv as a person would type it: quoted where the shell would split or expand it. */
function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Splits a stream into lines for the live log; a line longer than the output bound is cut into pieces. */
class Lines {
  private pending = "";
  constructor(private readonly emit: (line: string) => void) {}

  push(text: string) {
    const parts = (this.pending + text).split("\n");
    this.pending = parts.pop()!;
    for (const line of parts) this.emit(line.replace(/\r$/, ""));
    while (this.pending.length > maxOutputBytes) {
      this.emit(this.pending.slice(0, maxOutputBytes));
      this.pending = this.pending.slice(maxOutputBytes);
    }
  }

  end() {
    if (this.pending) this.emit(this.pending);
    this.pending = "";
  }
}

/** Why the signal fired, in words: the executor aborts with a TimeoutError at the step's timeout. */
function abortReason(signal: AbortSignal): { words: string; timeout: boolean } {
  const name = (signal.reason as { name?: string } | undefined)?.name;
  return name === "TimeoutError" ? { words: "the step timed out", timeout: true } : { words: "the step was cancelled", timeout: false };
}

export function describe(spec: ShellSpec, _config: Config): RenderedAction {
  const command = commandOf(spec);
  const env = Object.keys(command.env).length > 0 ? { env: command.env } : {};
  const cwd = command.cwd !== undefined ? { cwd: command.cwd } : {};
  if (!Array.isArray(spec) && "script" in spec) {
    const lines = spec.script.trim().split("\n");
    return {
      summary: `sh -c: ${lines[0]}${lines.length > 1 ? ` (+${lines.length - 1} more lines)` : ""}`,
      detail: { script: spec.script, ...env, ...cwd },
      destructive: true,
    };
  }
  const argv = [command.program, ...command.args];
  // A program can change anything: destructive unless the step says `destructive: false`.
  return { summary: argv.map(quote).join(" "), detail: { argv, ...env, ...cwd }, destructive: true };
}

export async function execute(spec: ShellSpec, context: StepContext): Promise<StepResult> {
  const command = commandOf(spec);
  if (command.cwd !== undefined) {
    const found = await stat(command.cwd).catch(() => undefined);
    if (!found?.isDirectory()) throw new StepFailure(`working directory ${command.cwd} does not exist`, { retryable: false });
  }
  context.signal.throwIfAborted();

  const stdout = new OutputTail(maxOutputBytes);
  const stderr = new OutputTail(maxOutputBytes);
  const outLines = new Lines((line) => context.log(line));
  const errLines = new Lines((line) => context.log(line));
  // Its own process group (detached), so that a timeout or cancel ends the whole tree it started, not only its shell.
  const child = spawn(command.program, command.args, {
    env: { ...baseEnv(context.config), ...command.env },
    ...(command.cwd !== undefined ? { cwd: command.cwd } : {}),
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const killGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // the group is gone
    }
  };
  let escalation: NodeJS.Timeout | undefined;
  const stop = (signal: NodeJS.Signals) => {
    killGroup(signal);
    escalation ??= setTimeout(() => {
      killGroup("SIGKILL");
      // A process that left the group may still hold the pipes; stop reading them.
      child.stdout!.destroy();
      child.stderr!.destroy();
    }, graceMs);
  };
  const onAbort = () => stop("SIGTERM");
  context.signal.addEventListener("abort", onAbort, { once: true });

  child.stdout!.on("data", (chunk: Buffer) => {
    stdout.push(chunk);
    outLines.push(chunk.toString("utf8"));
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr.push(chunk);
    errLines.push(chunk.toString("utf8"));
  });
  // When the command itself ends, what it left running in its group ends too: a step's
  // processes never outlive the step (a daemon that must stay detaches with setsid).
  child.once("exit", () => stop("SIGTERM"));

  let exitCode: number;
  try {
    exitCode = await new Promise<number>((resolve, reject) => {
      child.once("error", reject);
      child.once("close", (code, signal) => resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0)));
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "not found on PATH" : code === "EACCES" ? "permission denied" : (error as Error).message;
    throw new StepFailure(`cannot run ${command.label}: ${why}`, { retryable: false, cause: error });
  } finally {
    clearTimeout(escalation);
    context.signal.removeEventListener("abort", onAbort);
    outLines.end();
    errLines.end();
  }

  const outputs: Record<string, unknown> = { exitCode, stdout: stdout.text(), stderr: stderr.text() };
  if (stdout.truncated || stderr.truncated) outputs.truncated = true;
  if (context.signal.aborted) {
    const reason = abortReason(context.signal);
    throw new StepFailure(`${command.label} stopped: ${reason.words}; its process group was killed`, { retryable: reason.timeout, exitCode, outputs });
  }
  if (exitCode !== 0) {
    const tail = (stderr.text().trim() || stdout.text().trim()).split("\n").slice(-lastLines);
    const last = tail[0] ? `; last lines:\n${tail.join("\n")}` : "";
    throw new StepFailure(`${command.label} exited with code ${exitCode}${last}`, { retryable: false, exitCode, outputs });
  }
  const text = stdout.text().trim();
  if (!stdout.truncated && /^[[{]/.test(text)) {
    try {
      outputs.json = JSON.parse(text);
    } catch {
      // not JSON after all: stdout stays text
    }
  }
  return { outputs, exitCode };
}
