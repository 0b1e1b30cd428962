import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../config/load.js";

/** `<dataDir>/server.json`: where `gameops up` on this data dir listens, for links the CLI prints. */
const fileName = "server.json";

export function recordServerAddress(dataDir: string, url: string): () => void {
  const path = join(dataDir, fileName);
  writeFileSync(path, JSON.stringify({ url, pid: process.pid }), { mode: 0o600 });
  return () => rmSync(path, { force: true });
}

/** The URL of a `gameops up` running on this data dir, if one is. */
export function runningServerUrl(config: Config): string | undefined {
  try {
    const saved = JSON.parse(readFileSync(join(config.dataDir, fileName), "utf8")) as { url?: unknown; pid?: unknown };
    // A server killed with -9 leaves the file behind: only a live one's address counts.
    if (typeof saved.url === "string" && typeof saved.pid === "number" && (process.kill(saved.pid, 0), true)) return saved.url;
  } catch {
    // no server has run here, or it was removed on shutdown
  }
  return undefined;
}

/** The running server's URL, or the configured address when none has said where it is. */
export function serverUrl(config: Config): string {
  const running = runningServerUrl(config);
  if (running) return running;
  const host = config.server.host.includes(":") ? `[${config.server.host}]` : config.server.host;
  return `http://${host}:${config.server.port}`;
}
