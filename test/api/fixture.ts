import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { ensureAdminToken } from "../../src/api/admin-token.js";
import { buildServer } from "../../src/api/server.js";
import { loadConfig, type Config } from "../../src/config/load.js";
import { createCheckService, type CheckService } from "../../src/engine/health/check-service.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/store.js";

export interface Gameops {
  dir: string;
  config: Config;
  store: Store;
  checks: CheckService;
  app: FastifyInstance;
  adminToken: string;
  /** Closes the server, waits for runs in flight, closes the store, removes the data dir. */
  close(): Promise<void>;
}

/** The real thing on a fresh SQLite store in a temporary data dir, configured by environment only. */
export async function startGameops(env: Record<string, string> = {}): Promise<Gameops> {
  const dir = mkdtempSync(join(tmpdir(), "gameops-api-"));
  const { config } = loadConfig({ cwd: dir, env: { GAMEOPS_DATA: dir, ...env } });
  const store = await openStore({ dataDir: config.dataDir });
  const checks = createCheckService({ config, store });
  const app = buildServer({ config, store, checks });
  const adminToken = await ensureAdminToken(store, {});
  if (!adminToken) throw new Error("a fresh store must hand out a bootstrap admin token");
  return {
    dir,
    config,
    store,
    checks,
    app,
    adminToken,
    async close() {
      await app.close();
      await checks.idle();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const services = {
  GAMEOPS_REDIS_URL: "redis://127.0.0.1:6379",
  GAMEOPS_MYSQL_URL: "mysql://root@127.0.0.1:3306/test",
};
