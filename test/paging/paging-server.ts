import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { stringify } from "yaml";
import { ensureAdminToken } from "../../src/api/admin-token.js";
import { buildServer } from "../../src/api/server.js";
import { loadConfig, type Config } from "../../src/config/load.js";
import { createCheckService, type CheckService } from "../../src/engine/health/check-service.js";
import { loadLinkKey } from "../../src/engine/paging/action-links.js";
import { IncidentService } from "../../src/engine/incidents/incident-service.js";
import { Paging } from "../../src/engine/paging/paging.js";
import { TimerLoop, type TimerFailure } from "../../src/engine/timer-loop.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/store.js";

export const intakeToken = "intake-token-for-tests-0123456789";

export interface PagingServer {
  dir: string;
  config: Config;
  store: Store;
  paging: Paging;
  incidents: IncidentService;
  app: FastifyInstance;
  adminToken: string;
  timerErrors: TimerFailure[];
  /** JSON request as the admin; `token: null` for none. */
  request(method: "GET" | "POST", url: string, body?: unknown, token?: string | null): Promise<{ status: number; json: any; text: string }>;
  close(): Promise<void>;
}

/**
 * What `gameops up` wires for paging, on a fresh SQLite store: the API, the Paging engine and a
 * timer loop polling fast, and incidents. `paging` (and `incidents`) are sections of gameops.yaml (written to a file and
 * loaded by the real loader, so the config path is tested too).
 */
export async function startPagingServer(paging: Record<string, unknown>, env: Record<string, string> = {}, incidentsSection?: Record<string, unknown>): Promise<PagingServer> {
  const dir = mkdtempSync(join(tmpdir(), "gameops-paging-"));
  writeFileSync(join(dir, "gameops.yaml"), stringify({ paging: { intake: { token: intakeToken }, ...paging }, ...(incidentsSection ? { incidents: incidentsSection } : {}) }));
  const { config } = loadConfig({ cwd: dir, env: { GAMEOPS_DATA: join(dir, "data"), ...env } });
  const store = await openStore({ dataDir: config.dataDir });
  const checks: CheckService = createCheckService({ config, store });
  const publicUrl = () => config.paging.publicUrl ?? "http://gameops.test";
  const engine = new Paging({ store, config, publicUrl, linkKey: loadLinkKey(join(dir, "link.key")), retry: { firstDelayMs: 200, maxDelayMs: 1000 } });
  const timerErrors: TimerFailure[] = [];
  const timers = new TimerLoop({ timers: store.timers, owner: "test", pollIntervalMs: 50, onError: (e) => timerErrors.push(e) });
  engine.register(timers);
  const incidents = new IncidentService({ store, config, paging: engine, publicUrl });
  incidents.register(timers);
  const app = buildServer({ config, store, checks, paging: engine, incidents });
  const adminToken = (await ensureAdminToken(store, {}))!;
  await engine.arm();
  await incidents.arm();
  timers.start();
  return {
    dir,
    config,
    store,
    paging: engine,
    incidents,
    app,
    adminToken,
    timerErrors,
    async request(method, url, body, token = adminToken) {
      const response = await app.inject({
        method,
        url,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { "content-type": "application/json" }) },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      });
      let json: unknown;
      try {
        json = response.json();
      } catch {
        json = undefined;
      }
      return { status: response.statusCode, json, text: response.body };
    },
    async close() {
      await timers.stop();
      await app.close();
      await checks.idle();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Alertmanager's webhook body (version 4) for one group. */
export function alertmanagerPayload(
  alertname: string,
  alerts: { fingerprint: string; status?: "firing" | "resolved"; labels?: Record<string, string>; startsAt?: string }[],
  status: "firing" | "resolved" = "firing",
) {
  return {
    version: "4",
    groupKey: `{}:{alertname="${alertname}"}`,
    truncatedAlerts: 0,
    status,
    receiver: "gameops",
    groupLabels: { alertname },
    commonLabels: { alertname, severity: "critical" },
    commonAnnotations: { summary: `${alertname} fired`, runbook: "server-down" },
    externalURL: "http://alertmanager.test",
    alerts: alerts.map((a) => ({
      status: a.status ?? status,
      labels: { alertname, severity: "critical", ...a.labels },
      annotations: { summary: `${alertname} fired` },
      startsAt: a.startsAt ?? new Date().toISOString(),
      endsAt: "0001-01-01T00:00:00Z",
      generatorURL: "http://prometheus.test/graph",
      fingerprint: a.fingerprint,
    })),
  };
}

/** Polls until `probe` returns something truthy (no timing asserted: the suite's timeout bounds it). */
export async function eventually<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
