import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { FleetTarget } from "../config/load.js";
import { Secret } from "../config/secret.js";

/** `<dataDir>/demo-fleet/fleet.json` (mode 0600): where a running demo fleet's supervisor can be reached. */
export const controlFileName = "fleet.json";

/**
 * The fleet target of a demo fleet that another process on this machine runs with this data
 * directory (`gameops up --demo`), or undefined when there is none or its process is gone.
 */
export function demoFleetTarget(dataDir: string): FleetTarget | undefined {
  let saved: { url?: unknown; token?: unknown; pid?: unknown };
  try {
    saved = JSON.parse(readFileSync(join(dataDir, "demo-fleet", controlFileName), "utf8")) as typeof saved;
  } catch {
    return undefined;
  }
  if (typeof saved.url !== "string" || typeof saved.token !== "string" || typeof saved.pid !== "number") return undefined;
  if (!alive(saved.pid)) return undefined;
  return { kind: "local", url: saved.url, token: new Secret(saved.token) };
}

/** A killed process nobody reaped yet (a zombie) still answers signal 0: read its state too. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
  }
  try {
    // /proc/PID/stat: "PID (comm) STATE …"; the comm may hold spaces and parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true; // no /proc (not Linux): signal 0 is all there is
  }
}
