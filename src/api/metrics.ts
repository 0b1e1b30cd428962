import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";
import { exitCode } from "../domain/checks/verdict.js";
import type { CheckService } from "../engine/health/check-service.js";
import type { Store } from "../store/store.js";
import { latestResults } from "./latest-results.js";

let processRegistry: Registry | undefined;

/**
 * Default metrics describe the process, not a server: collected once per process, because each
 * collection installs its own GC observer and event-loop monitor that are never removed.
 */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export interface ServerMetrics {
  countRequest(labels: { route: string; method: string; status: number }): void;
  render(): Promise<{ contentType: string; body: string }>;
  /** Stops following the check service. */
  close(): void;
}

export function createMetrics(store: Store, checks: CheckService): ServerMetrics {
  const registry = new Registry();
  // Read from the store at scrape time: every replica reports the same latest verdicts, and a
  // restarted server reports them before its first run.
  let scraped: ReturnType<typeof latestResults> | undefined;
  const latest = () => (scraped ??= latestResults(store).finally(() => (scraped = undefined)));
  new Gauge({
    name: "gameops_check_status",
    help: "Latest verdict per check, Nagios convention: 0 ok, 1 warning, 2 critical, 3 unknown (skipped checks are absent).",
    labelNames: ["check"],
    registers: [registry],
    async collect() {
      this.reset();
      for (const { name, result } of (await latest()).checks) {
        if (result && result.status !== "skipped") this.set({ check: name }, exitCode(result.status));
      }
    },
  });
  new Gauge({
    name: "gameops_check_duration_seconds",
    help: "How long the latest run of each check took.",
    labelNames: ["check"],
    registers: [registry],
    async collect() {
      this.reset();
      for (const { name, result } of (await latest()).checks) {
        if (result && result.status !== "skipped") this.set({ check: name }, result.durationMs / 1000);
      }
    },
  });
  new Gauge({
    name: "gameops_pages_open",
    help: "Pages not resolved yet, by status (triggered: nobody has acknowledged).",
    labelNames: ["status"],
    registers: [registry],
    async collect() {
      const counts = await store.pages.openCounts();
      for (const [status, count] of Object.entries(counts)) this.set({ status }, count);
    },
  });
  new Gauge({
    name: "gameops_deliveries_pending",
    help: "Notifications waiting to go out, by channel; one that keeps growing means the channel is failing.",
    labelNames: ["channel"],
    registers: [registry],
    async collect() {
      this.reset();
      for (const [channel, count] of Object.entries(await store.deliveries.pendingCounts())) this.set({ channel }, count);
    },
  });
  const runs = new Counter({
    name: "gameops_check_runs_total",
    help: "Check runs finished by this process, by overall verdict.",
    labelNames: ["status"],
    registers: [registry],
  });
  const requests = new Counter({
    name: "gameops_http_requests_total",
    help: "HTTP requests answered, by route pattern, method and status.",
    labelNames: ["route", "method", "status"],
    registers: [registry],
  });
  const stopFollowing = checks.onRecorded((run) => runs.inc({ status: run.status }));

  return {
    countRequest: ({ route, method, status }) => requests.inc({ route, method, status: String(status) }),
    async render() {
      const merged = Registry.merge([processMetrics(), registry]);
      return { contentType: merged.contentType, body: await merged.metrics() };
    },
    close: stopFollowing,
  };
}
