import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { FastifyInstance } from "fastify";
import { ensureAdminToken } from "../../src/api/admin-token.js";
import { buildServer } from "../../src/api/server.js";
import { loadConfig, type Config } from "../../src/config/load.js";
import { createCheckService, type CheckService } from "../../src/engine/health/check-service.js";
import { RunbookExecutor, type StepKindRegistry } from "../../src/engine/runbooks/executor.js";
import { stepKinds } from "../../src/engine/runbooks/steps/index.js";
import { loadCatalog } from "../../src/runbooks/catalog.js";
import { openStore } from "../../src/store/open-store.js";
import type { Role, Store } from "../../src/store/store.js";

export const fixtures = resolve(import.meta.dirname, "../runbooks/fixtures");

export interface RunbookServer {
  dir: string;
  config: Config;
  store: Store;
  checks: CheckService;
  executor: RunbookExecutor;
  app: FastifyInstance;
  adminToken: string;
  /** A person (with titles) and a token of theirs with this role. */
  person(id: string, role: Role, titles?: string[]): Promise<string>;
  close(): Promise<void>;
}

/**
 * What `gameops up` wires, on a fresh SQLite store: the API with the runbook routes, an executor
 * polling for runs (fast, for tests), the catalogue of test/runbooks/fixtures. `kinds` replaces
 * step kinds through the executor's registry (the real ones otherwise).
 */
export async function startRunbookServer(kinds: StepKindRegistry = {}): Promise<RunbookServer> {
  const dir = mkdtempSync(join(tmpdir(), "gameops-runbook-api-"));
  const { config } = loadConfig({ cwd: dir, env: { GAMEOPS_DATA: dir } });
  const store = await openStore({ dataDir: config.dataDir });
  const checks = createCheckService({ config, store });
  const catalog = () => loadCatalog({ builtIn: join(dir, "no-built-ins"), user: fixtures });
  const errors: Error[] = [];
  const executor = new RunbookExecutor({
    store,
    config,
    stepKinds: { ...stepKinds, ...kinds },
    findRunbook: async (name) => catalog().runbooks.get(name),
    pollMs: 100,
    onError: (error) => errors.push(error),
  });
  executor.startPolling();
  const app = buildServer({ config, store, checks, runbooks: { executor, catalog } });
  const adminToken = await ensureAdminToken(store, {});
  if (!adminToken) throw new Error("a fresh store must hand out a bootstrap admin token");
  return {
    dir,
    config,
    store,
    checks,
    executor,
    app,
    adminToken,
    async person(id, role, titles = []) {
      await store.people.upsertPerson({ id, name: id[0]!.toUpperCase() + id.slice(1), titles });
      return (await store.tokens.create({ personId: id, role, label: "test" })).token;
    },
    async close() {
      await app.close();
      await executor.stop();
      await checks.idle();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
      if (errors.length > 0) throw new Error(`the executor reported: ${errors.map((e) => e.message).join("; ")}`);
    },
  };
}
