import { linkSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isAlive } from "./daemon.mjs";

/**
 * One run of the script at a time per machine: two `npm test` in two clones must not both
 * initialise the same MariaDB data directory. A lock left by a killed run (dead pid) is taken over.
 */
export async function withLock(dir, timeoutMs, body) {
  const path = join(dir, "lock");
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  // link() is atomic and fails if the lock exists, so the lock never exists without its pid.
  const mine = `${path}.${process.pid}`;
  writeFileSync(mine, `${process.pid}\n`);
  for (;;) {
    try {
      linkSync(mine, path);
      unlinkSync(mine);
      break;
    } catch (error) {
      if (error.code !== "EEXIST") throw error;
    }
    const holder = Number.parseInt(readQuietly(path), 10);
    if (!Number.isInteger(holder) || !isAlive(holder)) {
      try {
        unlinkSync(path);
      } catch {
        // another waiter removed it first
      }
      continue;
    }
    if (Date.now() >= deadline) {
      unlinkSync(mine);
      throw new Error(`another test-services run (pid ${holder}) still holds ${path} after ${Math.round(timeoutMs / 1000)}s`);
    }
    if (!announced) {
      console.log(`waiting for another test-services run (pid ${holder}) to finish…`);
      announced = true;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  try {
    return await body();
  } finally {
    unlinkSync(path);
  }
}

function readQuietly(path) {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
