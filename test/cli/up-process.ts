import { spawn, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";

const bin = resolve(import.meta.dirname, "../../bin/gameops.js");
const running = new Set<ChildProcess>();

/** For afterEach: stops every `gameops up` a test left running. */
export async function stopAll(): Promise<void> {
  for (const child of running) await stop(child);
}

export interface Up {
  child: ChildProcess;
  url: string;
  adminToken?: string;
  output: () => string;
}

/** Starts `gameops up` on a free port and waits for its banner (bounded by the test timeout). */
export async function startUp(cwd: string, env: Record<string, string> = {}, args: string[] = []): Promise<Up> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("GAMEOPS_")));
  const child = spawn(process.execPath, [bin, "up", "--port", "0", ...args], { cwd, env: { ...clean, GAMEOPS_LOG_LEVEL: "warn", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  await new Promise<void>((resolvePromise, reject) => {
    child.stdout!.on("data", (d) => {
      stdout += d;
      if (/daily check: .*\n/.test(stdout) && (!/Admin token/.test(stdout) || /gmo_\S+\n/.test(stdout))) resolvePromise();
    });
    child.once("exit", (code) => reject(new Error(`gameops up exited with ${code}: ${stderr}`)));
  });
  return {
    child,
    url: /console and API at (\S+)/.exec(stdout)![1]!,
    ...(/(gmo_\S+)/.exec(stdout) ? { adminToken: /(gmo_\S+)/.exec(stdout)![1]! } : {}),
    output: () => stdout + stderr,
  };
}

export async function stop(child: ChildProcess): Promise<number | null> {
  running.delete(child);
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  child.kill("SIGTERM");
  return exited;
}

/** Polls until the predicate holds; the test's own timeout bounds it. */
export async function eventually<T>(probe: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

