import { spawn } from "node:child_process";

/**
 * Runs a program to completion, bounded in time. Output is kept for error messages; `input`
 * goes to stdin (used for SQL, so that nothing secret is ever in argv).
 */
export function runCommand(file, args, { input, timeoutMs = 60_000, env, cwd } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ["pipe", "pipe", "pipe"], env: env ?? process.env, cwd });
    let output = "";
    const keep = (chunk) => {
      output += chunk;
      // Only the end matters for an error message; apt can print megabytes.
      if (output.length > 64_000) output = output.slice(-32_000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${file}: ${error.code === "ENOENT" ? "not installed" : error.message}`));
    });
    const done = (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output, timedOut: signal === "SIGKILL" && code === null });
    };
    child.on("close", done);
    // A daemon forked by the program may keep our pipes open; its exit is what we wait for.
    child.on("exit", (code, signal) => {
      setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        done(code, signal);
      }, 500).unref();
    });
    child.stdin.on("error", () => {}); // a program that exits before reading stdin is reported by its exit code
    child.stdin.end(input ?? "");
  });
}

/** Like runCommand, but a non-zero exit is an error naming the command and its last output lines. */
export async function runOrFail(what, file, args, options) {
  const result = await runCommand(file, args, options);
  if (result.code !== 0) {
    const why = result.timedOut ? `did not finish within ${Math.round((options?.timeoutMs ?? 60_000) / 1000)}s` : `failed (exit ${result.code ?? result.signal})`;
    throw new Error(`${what} ${why}:\n${lastLines(result.output)}`);
  }
  return result.output;
}

export function lastLines(text, count = 15) {
  return text
    .trimEnd()
    .split("\n")
    .slice(-count)
    .map((line) => `    ${line}`)
    .join("\n");
}
