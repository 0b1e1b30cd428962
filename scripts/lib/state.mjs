import { chmodSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Everything this script starts keeps its config, data, pid file and log here. Outside the
 * repository on purpose: several clones on one machine share one set of test services.
 * test/services.ts reads SERVICES_FILE; keep the two paths in step.
 */
export const STATE_DIR = "/tmp/gameops-test-services";
export const SERVICES_FILE = join(STATE_DIR, "services.json");

export function stateDir() {
  mkdirSync(STATE_DIR, { recursive: true });
  return STATE_DIR;
}

export function serviceDir(name) {
  const dir = join(STATE_DIR, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Write-then-rename, so a test that reads the file while the script runs never sees half of it. */
export function writeFileAtomic(path, content, mode = 0o644) {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, content, { mode });
  chmodSync(temporary, mode);
  renameSync(temporary, path);
}
