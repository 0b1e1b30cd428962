import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { lastLines } from "./command.mjs";
import { portIsOpen, waitUntil } from "./probe.mjs";

/**
 * Keeps one of our own daemons running, started detached so that it outlives this script
 * (tests reuse it; the next run finds it). Its pid file, fingerprint and log live in `dir`.
 * It is restarted when its command line or config files changed, or when it stopped answering.
 *
 * Returns "already running", "started" or "restarted (<why>)"; throws with the log's tail when
 * it cannot be made to answer within `timeoutMs`.
 */
export async function ensureDaemon({ name, dir, command, args, files = {}, host, port, answers, timeoutMs = 60_000 }) {
  const pidFile = join(dir, `${name}.pid`);
  const fingerprintFile = join(dir, `${name}.fingerprint`);
  const logFile = join(dir, `${name}.log`);
  for (const [path, content] of Object.entries(files)) {
    if (readQuietly(path) !== content) writeFileSync(path, content);
  }
  const fingerprint = createHash("sha256").update(JSON.stringify({ command, args, files })).digest("hex");

  const running = readPid(pidFile);
  let restartReason;
  if (running !== undefined && isOurs(running, command)) {
    if (readQuietly(fingerprintFile).trim() !== fingerprint) restartReason = "configuration changed";
    // A few seconds of grace: restarting a healthy but busy daemon would break running tests.
    else if (await waitUntil(answers, { timeoutMs: 5_000 })) return "already running";
    else restartReason = "it did not answer";
    await stop(running, name);
  }
  if (await portIsOpen(host, port)) {
    throw new Error(`${host}:${port} is already in use by a process this script did not start (no live pid in ${pidFile}); stop it or free the port`);
  }

  const log = openSync(logFile, "a");
  let child;
  try {
    child = spawn(command, args, { cwd: dir, detached: true, stdio: ["ignore", log, log] });
  } finally {
    closeSync(log);
  }
  let exit;
  child.on("exit", (code, signal) => (exit = code ?? signal));
  const spawnError = await new Promise((resolve) => {
    child.once("spawn", () => resolve(undefined));
    child.once("error", resolve);
  });
  if (spawnError) throw new Error(`cannot start ${command}: ${spawnError.message}`);
  writeFileSync(pidFile, `${child.pid}\n`);
  writeFileSync(fingerprintFile, `${fingerprint}\n`);
  child.unref();

  const ready = await waitUntil(answers, { timeoutMs, stillAlive: () => exit === undefined });
  if (!ready) {
    const what = exit !== undefined ? `exited (${exit}) while starting` : `did not answer on ${host}:${port} within ${Math.round(timeoutMs / 1000)}s`;
    throw new Error(`${command} ${what}; its log ${logFile} ends with:\n${lastLines(readQuietly(logFile))}`);
  }
  return restartReason ? `restarted (${restartReason})` : "started";
}

/** Stops a daemon we started: TERM, then KILL if it has not exited after 30 s. */
export async function stop(pid, name) {
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return;
  }
  if (await waitUntil(async () => !isAlive(pid), { timeoutMs: 30_000, intervalMs: 100 })) return;
  console.log(`${name} (pid ${pid}) ignored SIGTERM for 30s; killing it`);
  process.kill(pid, "SIGKILL");
  await waitUntil(async () => !isAlive(pid), { timeoutMs: 5_000, intervalMs: 100 });
}

/** Alive and not a zombie (a zombie still answers kill(pid, 0)). */
export function isAlive(pid) {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return error.code === "EPERM";
  }
  const stat = readQuietly(`/proc/${pid}/stat`);
  return !/^\d+ \(.*\) Z/.test(stat);
}

/** The pid file may be stale and its pid reused by something else: check the program too. */
function isOurs(pid, command) {
  if (!isAlive(pid)) return false;
  const argv0 = readQuietly(`/proc/${pid}/cmdline`).split("\0")[0];
  return argv0 === command;
}

function readPid(path) {
  const pid = Number.parseInt(readQuietly(path), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function readQuietly(path) {
  try {
    return existsSync(path) ? readFileSync(path, "utf8") : "";
  } catch {
    return "";
  }
}
