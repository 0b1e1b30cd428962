import { z } from "zod";
import type { CheckService, RunEvent } from "../../engine/health/check-service.js";
import type { Store } from "../../store/store.js";
import { notFound } from "../errors.js";
import { EventStream } from "../event-stream.js";
import { latestResults } from "../latest-results.js";
import type { ApiRoutes } from "../route.js";
import { checkRunSchema, historyQuery, historySchema, idParams, latestSchema, runListQuery, startRunBody } from "../schemas.js";

const tag = "checks";
const dayMs = 86_400_000;

export function registerCheckRoutes(routes: ApiRoutes, deps: { store: Store; checks: CheckService; streams: Set<EventStream> }): void {
  const { store, checks, streams } = deps;

  routes.add({
    method: "GET",
    url: "/api/checks/latest",
    operationId: "getLatestChecks",
    summary: "The latest verdict of every check and the overall verdict",
    tag,
    access: "viewer",
    responses: { 200: { description: "latest results", schema: latestSchema } },
    handler: () => latestResults(store),
  });

  routes.add({
    method: "GET",
    url: "/api/checks/runs",
    operationId: "listCheckRuns",
    summary: "Check runs, newest first",
    tag,
    access: "viewer",
    query: runListQuery,
    responses: { 200: { description: "runs", schema: z.object({ runs: z.array(checkRunSchema) }) } },
    handler: async ({ query }) => ({
      runs: await store.checkRuns.list({ limit: query.limit, ...(query.before ? { before: query.before } : {}) }),
    }),
  });

  routes.add({
    method: "GET",
    url: "/api/checks/runs/:id",
    operationId: "getCheckRun",
    summary: "One check run with every result and its details",
    tag,
    access: "viewer",
    params: idParams,
    responses: { 200: { description: "the run", schema: checkRunSchema }, 404: { description: "no such run" } },
    handler: async ({ params }) => {
      const run = await store.checkRuns.get(params.id);
      if (!run) throw notFound(`no check run with id "${params.id}"`);
      return run;
    },
  });

  routes.add({
    method: "POST",
    url: "/api/checks/runs",
    operationId: "startCheckRun",
    summary: "Run the checks now (all, or `only` the named ones); follow it at /api/checks/runs/{id}/events",
    tag,
    access: "responder",
    body: startRunBody,
    responses: { 202: { description: "started", schema: z.object({ id: z.string() }) } },
    handler: async ({ body, actor, request, reply }) => {
      const client = request.headers["x-gameops-client"];
      const { id } = checks.start({
        trigger: client === "console" || client === "cli" ? client : "api",
        ...(actor.personId ? { requestedBy: actor.personId } : {}),
        ...(body?.only ? { only: body.only } : {}),
      });
      await store.audit.append({
        actor: actor.name,
        action: "check-run.start",
        subject: `check-run:${id}`,
        details: body?.only ? { only: body.only } : {},
      });
      reply.code(202).header("location", `/api/checks/runs/${id}`);
      return { id };
    },
  });

  routes.add({
    method: "GET",
    url: "/api/checks/runs/:id/events",
    operationId: "followCheckRun",
    summary:
      "Server-sent events of a run: `started` and `finished` per check, then `done` with the stored run (or `failed`). A finished run sends `done` at once.",
    tag,
    access: "viewer",
    params: idParams,
    responses: {
      200: { description: "an event stream that ends with the run", contentType: "text/event-stream" },
      404: { description: "no such run" },
    },
    handler: async ({ params, reply }) => {
      const { id } = params;
      if (!checks.running().includes(id)) {
        const run = await store.checkRuns.get(id);
        if (!run) throw notFound(`no check run with id "${id}"`);
        const stream = new EventStream(reply, streams);
        stream.send("done", { type: "done", run });
        stream.end();
        return;
      }
      const stream = new EventStream(reply, streams);
      const forward = (event: RunEvent) => {
        stream.send(event.type, event);
        if (event.type === "done" || event.type === "failed") stream.end();
      };
      const unsubscribe = checks.subscribe(id, forward);
      if (unsubscribe) {
        stream.onEnd(unsubscribe);
        return;
      }
      // It finished between the two looks; the service stores a run before letting it go.
      const run = await store.checkRuns.get(id);
      forward(run ? { type: "done", run } : { type: "failed", message: `check run "${id}" ended without being stored` });
    },
  });

  routes.add({
    method: "GET",
    url: "/api/checks/history",
    operationId: "getCheckHistory",
    summary: "One point per check per run over the last `days` days, oldest first: the console's chart",
    tag,
    access: "viewer",
    query: historyQuery,
    responses: { 200: { description: "history", schema: historySchema } },
    handler: async ({ query }) => {
      const since = new Date(Date.now() - query.days * dayMs);
      return { since: since.toISOString(), points: await store.checkRuns.history(since) };
    },
  });
}
