import { execFile } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join } from "node:path";

/**
 * Prometheus' own checker for rule files: `promtool check rules` (syntax, PromQL, templates) and
 * `promtool test rules` (unit tests of alerts against made-up series). gameops does not parse
 * PromQL itself; the promtool of the Prometheus you run is the judge.
 *
 * Each file is run on its own: the exit code then says which file failed, whatever promtool's
 * version prints. Every run has a timeout, and the argv is an array (no shell).
 */

export const missingPromtool = "promtool not found: install the prometheus package (apt-get install prometheus)";

/**
 * Why promtool could not give a verdict (a verdict of "invalid" is a result, not this error):
 * missing, timed out, or killed. `retryable`: a timeout on a busy machine may pass next time.
 */
export class PromtoolError extends Error {
  override name = "PromtoolError";

  constructor(
    message: string,
    readonly reason: "missing" | "timeout" | "failed",
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface PromtoolOptions {
  /** Directories searched for `promtool`, as PATH lists them; process.env.PATH by default. */
  searchPath?: string;
  /** Where to look when PATH has none (cron and systemd give a short PATH). */
  fallbacks?: readonly string[];
  /** Bound of each promtool run; 60 s by default (a test file with long series takes a while). */
  timeoutMs?: number;
}

/** One rule file as `promtool check rules` judged it. */
export interface RuleFileCheck {
  file: string;
  ok: boolean;
  /** Rules found, when it is valid. */
  rules?: number;
  /** promtool's messages, one per line; empty when valid. */
  problems: string[];
}

/** One test file as `promtool test rules` ran it. */
export interface RuleTestRun {
  file: string;
  ok: boolean;
  problems: string[];
}

export interface Promtool {
  /** The program run, e.g. /usr/bin/promtool. */
  readonly program: string;
  version(): Promise<string>;
  checkRules(files: readonly string[]): Promise<RuleFileCheck[]>;
  testRules(files: readonly string[]): Promise<RuleTestRun[]>;
}

const defaultFallbacks = ["/usr/bin/promtool"];
const defaultTimeoutMs = 60_000;
/** promtool's output for one file is small; a bigger one is not promtool talking. */
const maxOutputBytes = 4 * 1024 * 1024;

/** The promtool program: the first on the search path, else a fallback; throws PromtoolError "missing". */
export function findPromtool(options: Pick<PromtoolOptions, "searchPath" | "fallbacks"> = {}): string {
  const searchPath = options.searchPath ?? process.env.PATH ?? "";
  const candidates = [...searchPath.split(delimiter).filter(Boolean).map((dir) => join(dir, "promtool")), ...(options.fallbacks ?? defaultFallbacks)];
  const found = candidates.find(isExecutableFile);
  if (!found) throw new PromtoolError(missingPromtool, "missing", false);
  return found;
}

export function promtool(options: PromtoolOptions = {}): Promtool {
  const program = findPromtool(options);
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  const run = (args: string[]) => runPromtool(program, args, timeoutMs);
  return {
    program,
    async version() {
      const { stdout } = await run(["--version"]);
      // "promtool, version 2.42.0+ds (branch: …)"
      return /version (\S+)/.exec(stdout)?.[1] ?? stdout.split("\n")[0]!.trim();
    },
    // One file after another: a few short runs, and a 2-core machine is not flooded by a long list.
    async checkRules(files) {
      const results: RuleFileCheck[] = [];
      for (const file of files) {
        const { code, stdout, stderr } = await run(["check", "rules", file]);
        const rules = /SUCCESS: (\d+) rules found/.exec(stdout)?.[1];
        results.push(code === 0 ? { file, ok: true, ...(rules !== undefined ? { rules: Number(rules) } : {}), problems: [] } : { file, ok: false, problems: problemsOf(stderr, stdout) });
      }
      return results;
    },
    async testRules(files) {
      const results: RuleTestRun[] = [];
      for (const file of files) {
        const { code, stdout, stderr } = await run(["test", "rules", file]);
        results.push(code === 0 ? { file, ok: true, problems: [] } : { file, ok: false, problems: problemsOf(stderr, stdout) });
      }
      return results;
    },
  };
}

interface Finished {
  code: number;
  stdout: string;
  stderr: string;
}

function runPromtool(program: string, args: string[], timeoutMs: number): Promise<Finished> {
  return new Promise((resolve, reject) => {
    execFile(program, args, { timeout: timeoutMs, maxBuffer: maxOutputBytes, encoding: "utf8" }, (error, stdout, stderr) => {
      if (!error) return resolve({ code: 0, stdout, stderr });
      const failure = error as NodeJS.ErrnoException & { code?: number | string; killed?: boolean; signal?: NodeJS.Signals | null };
      if (failure.code === "ENOENT" || failure.code === "EACCES") return reject(new PromtoolError(`${program}: ${failure.code}; ${missingPromtool}`, "missing", false, { cause: error }));
      if (failure.killed && failure.signal === "SIGTERM") {
        return reject(new PromtoolError(`promtool ${args.join(" ")} gave no answer within ${timeoutMs / 1000} s`, "timeout", true, { cause: error }));
      }
      if (typeof failure.code === "number") return resolve({ code: failure.code, stdout, stderr });
      reject(new PromtoolError(`promtool ${args.join(" ")} failed: ${failure.message}`, "failed", false, { cause: error }));
    });
  });
}

/**
 * promtool's complaint as lines: stderr holds it ("FAILED:" and the errors; a failed test's
 * expected and actual alerts), stdout only "Checking FILE" / "Unit Testing: FILE".
 */
function problemsOf(stderr: string, stdout: string): string[] {
  const lines = `${stderr}\n${stdout}`
    .split("\n")
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== "" && !/^\s*FAILED:$/.test(line) && !/^(Checking |Unit Testing: )/.test(line));
  return lines.length > 0 ? dedent(lines) : ["promtool failed without saying why"];
}

function dedent(lines: string[]): string[] {
  const indent = Math.min(...lines.map((line) => /^ */.exec(line)![0].length));
  return lines.map((line) => line.slice(indent));
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
