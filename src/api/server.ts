import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { Config } from "../config/load.js";
import type { CheckService } from "../engine/health/check-service.js";
import { ChecklistService } from "../engine/checklists/checklist-service.js";
import type { IncidentService } from "../engine/incidents/incident-service.js";
import type { Paging } from "../engine/paging/paging.js";
import type { RunbookExecutor } from "../engine/runbooks/executor.js";
import type { Catalog } from "../runbooks/catalog.js";
import type { Store } from "../store/store.js";
import { registerActionLinkPages } from "./action-link-pages.js";
import { registerConsole } from "./console.js";
import { installErrorHandling } from "./errors.js";
import type { EventStream } from "./event-stream.js";
import { createMetrics } from "./metrics.js";
import { buildOpenApi } from "./openapi.js";
import { ApiRoutes } from "./route.js";
import { registerAuditRoutes } from "./routes/audit-routes.js";
import { registerCheckRoutes } from "./routes/check-routes.js";
import { registerBackupRoutes } from "./routes/backup-routes.js";
import { registerChecklistRoutes } from "./routes/checklist-routes.js";
import { registerIncidentRoutes } from "./routes/incident-routes.js";
import { registerPagingRoutes } from "./routes/paging-routes.js";
import { registerRolloutRoutes } from "./routes/rollout-routes.js";
import { registerPeopleRoutes } from "./routes/people-routes.js";
import { registerRunbookRoutes } from "./routes/runbook-routes.js";
import { registerSystemRoutes } from "./routes/system-routes.js";
import { registerTokenRoutes } from "./routes/token-routes.js";
import { packageVersion } from "../package-root.js";

export interface ServerOptions {
  config: Config;
  store: Store;
  checks: CheckService;
  /**
   * The runbook executor and the catalogue it runs from (read on each request, so that a fixed
   * runbook shows without a restart). The runbook routes exist only with them.
   */
  runbooks?: { executor: RunbookExecutor; catalog: () => Catalog };
  /** Paging: the intake webhooks, pages, on-call and windows exist only with it. */
  paging?: Paging;
  /** Incidents: their routes exist only with it. */
  incidents?: IncidentService;
  /** A pino logger; no request logging without one. */
  logger?: FastifyBaseLogger;
}

const version = packageVersion();
/** Signed links and feed URLs carry their token as a path segment: longer than Fastify's 100. */
const maxParamLength = 1000;

/**
 * The HTTP API, /healthz, /metrics, /openapi.json and the console, on one Fastify instance.
 * It does not listen: `gameops up` calls `listen`, tests call `inject`. Closing it ends open
 * event streams; the store and the check service stay the caller's to close.
 */
export function buildServer(options: ServerOptions): FastifyInstance {
  const { config, store, checks } = options;
  const app = (
    options.logger
      ? Fastify({ loggerInstance: options.logger, logController: new QuietRequests(), routerOptions: { maxParamLength } })
      : Fastify({ logger: false, routerOptions: { maxParamLength } })
  ) as FastifyInstance;
  const metrics = createMetrics(store, checks);
  const streams = new Set<EventStream>();
  const routes = new ApiRoutes(app, store, () => config.paging.intake);
  let openApi: Record<string, unknown> | undefined;

  installErrorHandling(app);
  // JSON only: a text body would otherwise reach the schemas as a string and fail less clearly.
  app.removeContentTypeParser("text/plain");
  app.addHook("onSend", async (request, reply) => {
    if (request.url.startsWith("/api/")) reply.header("cache-control", "no-store");
    reply.header("x-content-type-options", "nosniff");
  });
  app.addHook("onResponse", async (request, reply) => {
    // The route pattern, not the URL: ids and unknown paths must not become label values.
    metrics.countRequest({ route: request.routeOptions.url ?? "unmatched", method: request.method, status: reply.statusCode });
  });
  app.addHook("preClose", async () => {
    for (const stream of [...streams]) stream.end();
  });
  app.addHook("onClose", async () => metrics.close());

  registerSystemRoutes(routes, { config, store, metrics, openApi: () => (openApi ??= buildOpenApi(routes.definitions, { version })) });
  registerCheckRoutes(routes, { store, checks, streams });
  registerPeopleRoutes(routes, { store });
  registerTokenRoutes(routes, { store });
  registerAuditRoutes(routes, { store });
  if (options.runbooks) registerRunbookRoutes(routes, { store, streams, ...options.runbooks });
  if (options.paging) {
    registerPagingRoutes(routes, { store, streams, paging: options.paging });
    registerActionLinkPages(app, options.paging);
  }
  if (options.incidents) registerIncidentRoutes(routes, { store, config, streams, incidents: options.incidents });
  if (options.incidents && options.runbooks) registerRolloutRoutes(routes, { store, config, incidents: options.incidents, ...options.runbooks });
  registerChecklistRoutes(routes, { checklists: new ChecklistService({ store, config }) });
  registerBackupRoutes(routes, { store, config });
  registerConsole(app);
  return app;
}

/** Two lines per request would bury what matters (errors, runs): they are logged at debug level. */
class QuietRequests extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ req: request }, "incoming request");
  }

  override requestCompleted(error: Error | null | undefined, _request: FastifyRequest, reply: FastifyReply): void {
    if (error) reply.log.error({ res: reply, err: error, responseTime: reply.elapsedTime }, "request errored");
    else reply.log.debug({ res: reply, responseTime: reply.elapsedTime }, "request completed");
  }
}
