import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const bin = resolve(import.meta.dirname, "../../bin/gameops.js");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built `gameops` as a user would, in an empty directory, with only the GAMEOPS_*
 * variables given (the developer's own environment must not leak into the test).
 */
export function runCli(args: string[], env: Record<string, string> = {}, cwd = mkdtempSync(join(tmpdir(), "gameops-cli-"))): Promise<CliResult> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("GAMEOPS_")));
  return new Promise((resolvePromise) => {
    execFile(process.execPath, [bin, ...args], { cwd, env: { ...clean, GAMEOPS_DATA: join(cwd, "data"), ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolvePromise({ code, stdout, stderr });
    });
  });
}
