import { z } from "zod";
import { isTerminal, runStatuses, type RunStatus } from "../../domain/runbooks/run-state.js";
import { RunbookError } from "../../domain/runbooks/runbook-error.js";
import type { Runbook } from "../../domain/runbooks/schema.js";
import { ParamsError, type ParamValue } from "../../domain/runbooks/validate.js";
import { checkApprover } from "../../engine/runbooks/approvers.js";
import { ApprovalRefused, RunNotFound, RunRefused, type RunbookExecutor } from "../../engine/runbooks/executor.js";
import { catalogListing, type Catalog, type CatalogEntry } from "../../runbooks/catalog.js";
import type { ApprovalRecord, RunbookRun, Store } from "../../store/store.js";
import type { Actor } from "../auth.js";
import { hasRole, throughOf } from "../auth.js";
import { ApiError, notFound } from "../errors.js";
import { EventStream } from "../event-stream.js";
import type { ApiRoutes } from "../route.js";

const tag = "runbooks";

export interface RunbookDeps {
  store: Store;
  executor: RunbookExecutor;
  /** Read on each request: a runbook added to or fixed in the folder shows without a restart. */
  catalog: () => Catalog;
  streams: Set<EventStream>;
}

// ── schemas ──────────────────────────────────────────────────────────────────────────────

const paramValue = z.union([z.string(), z.number(), z.boolean()], { error: "must be a string, a number or true/false" });
const paramsField = z.record(z.string(), paramValue, { error: "must be a mapping of param names to values, like {\"region\": \"eu-1\"}" }).default({});
const paramsBody = z.strictObject({ params: paramsField }).optional();
const nameParams = z.object({ name: z.string().min(1) });
const idParams = z.object({ id: z.string().min(1) });

const message = (max: number) => z.string().trim().min(1, "must not be empty").max(max, `must be at most ${max} characters`);

const approvalBody = z.strictObject({
  step: z.string({ error: "must name the approve step, e.g. \"confirm\"" }).min(1, "must name the approve step, e.g. \"confirm\""),
  decision: z.enum(["approve", "reject"], { error: "must be approve or reject" }),
  comment: message(1000).optional(),
});

const decisionBody = z.strictObject({
  step: z.string({ error: "must name the interrupted step" }).min(1, "must name the interrupted step"),
  choice: z.enum(["retry", "skip", "fail"], { error: "must be retry, skip or fail" }),
});

const statusList = z
  .string()
  .transform((text, ctx) => {
    const names = text.split(",").map((s) => s.trim()).filter(Boolean);
    const wrong = names.filter((n) => !(runStatuses as readonly string[]).includes(n));
    if (wrong.length > 0) {
      ctx.addIssue({ code: "custom", message: `unknown status ${wrong.map((w) => `"${w}"`).join(", ")}; choose from ${runStatuses.join(", ")}` });
      return z.NEVER;
    }
    return names as RunStatus[];
  })
  .describe(`comma-separated: ${runStatuses.join(", ")}`);

const wholeNumber = (min: number, max: number, fallback: number) => {
  const text = `must be a whole number from ${min} to ${max}`;
  return z.coerce.number({ error: text }).int(text).min(min, text).max(max, text).default(fallback);
};

const runListQuery = z.object({
  limit: wholeNumber(1, 200, 20),
  before: z.iso
    .datetime({ offset: true, error: "must be an ISO 8601 time like 2026-01-31T09:00:00.000Z (the createdAt of the oldest run you have)" })
    .optional()
    .describe("runs created before this time: pass the oldest createdAt of the previous page"),
  status: statusList.optional(),
  runbook: z.string().min(1).optional(),
});

const eventsQuery = z.object({
  after: z.coerce
    .number({ error: "must be a whole number (the seq of the last event you have)" })
    .int("must be a whole number (the seq of the last event you have)")
    .min(0, "must be a whole number (the seq of the last event you have)")
    .optional()
    .describe("send the events after this seq; the Last-Event-ID header does the same"),
});

const record = z.record(z.string(), z.unknown());
const runSummarySchema = z.object({
  id: z.string(),
  runbook: z.string(),
  title: z.string(),
  params: record.describe("as given, secret params as <secret>"),
  secretParams: z.array(z.string()).describe("names of the params kept only in the memory of the process that started the run"),
  locks: z.array(z.string()),
  status: z.enum(runStatuses),
  phase: z.enum(["main", "rollback", "finally"]),
  cursor: z.number(),
  outcome: z.enum(["succeeded", "failed", "rolled_back", "cancelled"]).describe("how the run will end once finally has run"),
  failedStep: z.string().optional(),
  error: z.string().optional(),
  startedBy: z.string(),
  through: z.string(),
  parent: record.optional(),
  lease: z.object({ owner: z.string(), until: z.string() }).optional().describe("the executor that holds the run while it executes"),
  heartbeatAt: z.string().optional(),
  waiting: record.optional().describe("what a waiting run waits for"),
  cancelRequested: record.optional(),
  createdAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  updatedAt: z.string(),
  lastEventSeq: z.number(),
});

const forYouSchema = z
  .object({ approve: z.object({ allowed: z.boolean(), reason: z.string().optional() }), reject: z.object({ allowed: z.boolean(), reason: z.string().optional() }) })
  .describe("whether the caller may decide this pending approval, and why not");

const runEventSchema = z.object({ runId: z.string(), seq: z.number(), at: z.string(), type: z.string(), stepId: z.string().optional(), data: record });

const runDetailSchema = z.object({
  run: runSummarySchema.extend({ definition: record.describe("the runbook as it was when the run started") }),
  steps: z.array(record).describe("every attempt of every step, in the order they ran"),
  events: z.array(runEventSchema),
  approvals: z.array(record.and(z.object({ forYou: forYouSchema.optional() }))),
  artifacts: z.array(z.object({ id: z.string(), stepId: z.string(), name: z.string(), contentType: z.string(), size: z.number(), sha256: z.string(), createdAt: z.string() })),
  children: z.array(runSummarySchema),
  waitingOn: z
    .object({ runId: z.string(), status: z.enum(runStatuses), waiting: record.optional(), approval: record.optional() })
    .optional()
    .describe("the run that actually waits (this one, or a sub-runbook's run) and for what"),
});

const paramSpecSchema = z.object({
  type: z.enum(["string", "number", "boolean"]),
  description: z.string().optional(),
  default: paramValue.optional(),
  values: z.array(z.union([z.string(), z.number()])).optional(),
  secret: z.boolean(),
});

const catalogEntrySchema = z.object({
  name: z.string(),
  title: z.string().optional(),
  runtime: z.string().optional(),
  description: z.string().optional(),
  origin: z.enum(["built-in", "user"]),
  overridesBuiltIn: z.boolean(),
  valid: z.boolean(),
  issues: z.array(z.string()).describe("why it cannot be used, each with file:line"),
  params: z.record(z.string(), paramSpecSchema),
  locks: z.array(z.string()),
  steps: z.number().describe("how many main steps"),
});

const planSchema = record.describe("the dry-run plan: every step of steps, rollback and finally rendered, approval gates, locks");

// ── routes ───────────────────────────────────────────────────────────────────────────────

export function registerRunbookRoutes(routes: ApiRoutes, deps: RunbookDeps): void {
  const { store, executor, catalog, streams } = deps;

  routes.add({
    method: "GET",
    url: "/api/runbooks",
    operationId: "listRunbooks",
    summary: "The runbook catalogue: built-in and the team's own, invalid ones with their issues",
    tag,
    access: "viewer",
    responses: { 200: { description: "the catalogue", schema: z.object({ runbooks: z.array(catalogEntrySchema), warnings: z.array(z.string()) }) } },
    handler: async () => {
      const current = catalog();
      return { runbooks: current.entries.map(catalogListing), warnings: current.warnings };
    },
  });

  routes.add({
    method: "GET",
    url: "/api/runbooks/:name",
    operationId: "getRunbook",
    summary: "One runbook: its params, definition, and its plan with the default params (when they are enough)",
    tag,
    access: "viewer",
    params: nameParams,
    responses: {
      200: {
        description: "the runbook",
        schema: catalogEntrySchema.extend({
          definition: record.optional(),
          plan: planSchema.optional(),
          planIssues: z.array(z.string()).optional().describe("why there is no plan with the defaults: the params to give"),
        }),
      },
      404: { description: "no such runbook" },
    },
    handler: async ({ params, actor }) => {
      const entry = entryOf(catalog(), params.name);
      if (!entry.runbook) return { ...catalogListing(entry) };
      try {
        const plan = await executor.plan(entry.runbook, {}, { startedBy: personOf(actor) });
        return { ...catalogListing(entry), definition: entry.runbook, plan };
      } catch (error) {
        if (!(error instanceof ParamsError)) throw error;
        return { ...catalogListing(entry), definition: entry.runbook, planIssues: error.issues };
      }
    },
  });

  routes.add({
    method: "POST",
    url: "/api/runbooks/:name/plan",
    operationId: "planRunbook",
    summary: "The dry-run plan for these params: every rendered command, target and approval gate. Touches nothing.",
    tag,
    access: "viewer",
    params: nameParams,
    body: paramsBody,
    responses: { 200: { description: "the plan", schema: planSchema }, 404: { description: "no such runbook" }, 409: { description: "the runbook is invalid" } },
    handler: async ({ params, body, actor }) => {
      const runbook = usableRunbook(catalog(), params.name);
      return mapped(() => executor.plan(runbook, body?.params ?? {}, { startedBy: personOf(actor) }));
    },
  });

  routes.add({
    method: "POST",
    url: "/api/runbooks/:name/runs",
    operationId: "startRunbookRun",
    summary: "Start a run; the server executes it. Follow it at /api/runs/{id}/events.",
    tag,
    access: "operator",
    params: nameParams,
    body: paramsBody,
    responses: {
      202: { description: "started", schema: z.object({ id: z.string() }) },
      404: { description: "no such runbook" },
      409: { description: "the runbook is invalid" },
    },
    handler: async ({ params, body, actor, request, reply }) => {
      const runbook = usableRunbook(catalog(), params.name);
      const id = await mapped(() =>
        executor.start(runbook, (body?.params ?? {}) as Record<string, ParamValue>, { startedBy: personOf(actor), through: throughOf(request.headers) }),
      );
      executor.runInBackground(id);
      reply.code(202).header("location", `/api/runs/${id}`);
      return { id };
    },
  });

  routes.add({
    method: "GET",
    url: "/api/runs",
    operationId: "listRunbookRuns",
    summary: "Runbook runs, newest first (sub-runbook runs included)",
    tag,
    access: "viewer",
    query: runListQuery,
    responses: { 200: { description: "runs", schema: z.object({ runs: z.array(runSummarySchema) }) } },
    handler: async ({ query }) => {
      const runs = await executor.listRuns({
        limit: query.limit,
        ...(query.before ? { before: query.before } : {}),
        ...(query.status ? { status: query.status } : {}),
        ...(query.runbook ? { runbook: query.runbook } : {}),
      });
      return { runs: runs.map(summaryOf) };
    },
  });

  routes.add({
    method: "GET",
    url: "/api/runs/:id",
    operationId: "getRunbookRun",
    summary: "One run: its steps, timeline, approvals (with whether you may decide them), artifacts and sub-runs",
    tag,
    access: "viewer",
    params: idParams,
    responses: { 200: { description: "the run", schema: runDetailSchema }, 404: { description: "no such run" } },
    handler: async ({ params, actor }) => runDetail(deps, params.id, actor),
  });

  routes.add({
    method: "GET",
    url: "/api/runs/:id/events",
    operationId: "followRunbookRun",
    summary:
      "Server-sent events of a run's timeline, each with its seq as the event id (send Last-Event-ID, or ?after=, to resume). Ends after run.finished; a waiting run's stream stays open.",
    tag,
    access: "viewer",
    params: idParams,
    query: eventsQuery,
    responses: { 200: { description: "an event stream", contentType: "text/event-stream" }, 404: { description: "no such run" } },
    handler: async ({ params, query, request, reply }) => {
      const run = await store.runbookRuns.getRun(params.id);
      if (!run) throw notFound(new RunNotFound(params.id).message);
      const after = lastEventId(request.headers["last-event-id"]) ?? query.after ?? 0;
      const stream = new EventStream(reply, streams);
      // Nothing more will ever come: watching would keep the stream open for ever.
      if (isTerminal(run.status) && after >= run.lastEventSeq) return stream.end();
      const stop = executor.watch(
        run.id,
        (event) => {
          stream.send(event.type, event, event.seq);
          if (event.type === "run.finished") stream.end();
        },
        { after, pollMs: 500 },
      );
      stream.onEnd(stop);
    },
  });

  routes.add({
    method: "POST",
    url: "/api/runs/:id/approvals",
    operationId: "decideRunbookApproval",
    summary: "Approve or reject the approval a run waits for, as the token's person (refused with the reason when the step does not allow them)",
    tag,
    access: "responder",
    params: idParams,
    body: approvalBody,
    responses: {
      200: { description: "decided", schema: z.object({ approval: record }) },
      403: { description: "this person may not decide it: the message says why and who may" },
      404: { description: "no such run" },
      409: { description: "the run is not waiting for this approval (decided already, or another step)" },
    },
    handler: async ({ params, body, actor, request }) => {
      const approval = await mapped(() =>
        executor.approve(params.id, body.step, { personId: personOf(actor), role: actor.role }, body.decision, throughOf(request.headers), body.comment),
      );
      return { approval };
    },
  });

  routes.add({
    method: "POST",
    url: "/api/runs/:id/decision",
    operationId: "decideInterruptedStep",
    summary: "Decide about a step that was interrupted (its executor died) and is not idempotent: retry it, skip it or fail it",
    tag,
    access: "operator",
    params: idParams,
    body: decisionBody,
    responses: { 200: { description: "decided; the run goes on", schema: z.object({ run: runSummarySchema }) }, 404: { description: "no such run" }, 409: { description: "the run does not wait for this decision" } },
    handler: async ({ params, body, actor }) => {
      const run = await mapped(() => executor.decide(params.id, body.step, body.choice, personOf(actor)));
      return { run: summaryOf(run) };
    },
  });

  routes.add({
    method: "POST",
    url: "/api/runs/:id/cancel",
    operationId: "cancelRunbookRun",
    summary: "Cancel a run: the step under way is aborted, finally runs, the locks are released",
    tag,
    access: "operator",
    params: idParams,
    responses: { 200: { description: "cancel requested", schema: z.object({ run: runSummarySchema }) }, 404: { description: "no such run" }, 409: { description: "the run has ended" } },
    handler: async ({ params, actor }) => {
      const run = await mapped(() => executor.cancel(params.id, personOf(actor)));
      return { run: summaryOf(run) };
    },
  });

  routes.add({
    method: "POST",
    url: "/api/runs/:id/resume",
    operationId: "resumeRunbookRun",
    summary: "Resume a run here: give back its secret params (kept only in the memory of the process that started it), or take it up now",
    tag,
    access: "operator",
    params: idParams,
    body: paramsBody,
    responses: { 202: { description: "resuming", schema: z.object({ run: runSummarySchema }) }, 404: { description: "no such run" }, 409: { description: "the run has ended, or needs its secret params" } },
    handler: async ({ params, body, actor, reply }) => {
      const run = await store.runbookRuns.getRun(params.id);
      if (!run) throw notFound(new RunNotFound(params.id).message);
      const secrets = (body?.params ?? {}) as Record<string, ParamValue>;
      // The executor's refusals come before it drives the run; checked here too, so that the
      // caller gets them instead of the server log.
      if (isTerminal(run.status)) throw conflict(`run ${run.id} has ended (${run.status}); there is nothing to resume`);
      const missing = run.status === "waiting_params" ? run.secretParams.filter((name) => secrets[name] === undefined) : [];
      if (missing.length > 0) {
        throw conflict(`run ${run.id} needs its secret params again (they were kept only in the memory of the process that started it): send {"params": {${missing.map((n) => `"${n}": …`).join(", ")}}}`);
      }
      const unknown = Object.keys(secrets).filter((name) => !run.secretParams.includes(name));
      if (unknown.length > 0) {
        throw new ApiError(
          400,
          "invalid_request",
          `run ${run.id} has no secret param ${unknown.map((n) => `"${n}"`).join(", ")}`,
          unknown.map((name) => ({ path: `params.${name}`, message: run.secretParams.length ? `not a secret param of this run; it has ${run.secretParams.join(", ")}` : "this run has no secret params" })),
        );
      }
      void executor
        .resume(run.id, { by: personOf(actor), ...(Object.keys(secrets).length ? { secrets } : {}) })
        .catch((error: unknown) => reply.log.error({ err: error, run: run.id }, `resuming run ${run.id} failed`));
      reply.code(202);
      return { run: summaryOf(run) };
    },
  });

  routes.add({
    method: "GET",
    url: "/api/runs/:id/artifacts/:artifactId",
    operationId: "downloadRunbookArtifact",
    summary: "Download a file a step saved with the run (a CPU profile, a heap snapshot)",
    tag,
    access: "viewer",
    params: z.object({ id: z.string().min(1), artifactId: z.string().min(1) }),
    responses: { 200: { description: "the file, with its content type", contentType: "application/octet-stream" }, 404: { description: "no such artifact in this run" } },
    handler: async ({ params, reply }) => {
      const artifact = await store.runbookRuns.getArtifact(params.artifactId);
      if (!artifact || artifact.runId !== params.id) throw notFound(`run ${params.id} has no artifact "${params.artifactId}"; GET /api/runs/${params.id} lists its artifacts`);
      return reply
        .header("content-type", artifact.contentType)
        .header("content-length", artifact.size)
        .header("content-disposition", `attachment; filename="${artifact.name.replace(/["\\\r\n]/g, "_")}"`)
        .header("x-checksum-sha256", artifact.sha256)
        .send(Buffer.from(artifact.data));
    },
  });
}

// ── helpers ──────────────────────────────────────────────────────────────────────────────

async function runDetail(deps: RunbookDeps, runId: string, actor: Actor) {
  const { executor, store } = deps;
  const detail = await executor.getRun(runId);
  if (!detail) throw notFound(new RunNotFound(runId).message);
  const approvals = await Promise.all(
    detail.approvals.map(async (a) => (a.decision === undefined ? { ...a, forYou: await forYou(store, a, detail.run.startedBy, actor) } : a)),
  );
  let waitingOn;
  const blocking = await executor.blockingRun(runId);
  if (blocking && !isTerminal(blocking.status) && blocking.status !== "running" && blocking.status !== "queued") {
    let approval: (ApprovalRecord & { forYou?: unknown }) | undefined;
    if (blocking.waiting?.for === "approval") {
      const pending = (await store.runbookRuns.listApprovals({ runId: blocking.id, pending: true }))[0];
      if (pending) approval = { ...pending, forYou: await forYou(store, pending, blocking.startedBy, actor) };
    }
    waitingOn = { runId: blocking.id, status: blocking.status, ...(blocking.waiting ? { waiting: blocking.waiting } : {}), ...(approval ? { approval } : {}) };
  }
  return {
    run: { ...summaryOf(detail.run), definition: detail.run.definition },
    steps: detail.steps,
    events: detail.events,
    approvals,
    artifacts: detail.artifacts.map(({ runId: _, ...a }) => a),
    children: detail.children.map(summaryOf),
    ...(waitingOn ? { waitingOn } : {}),
  };
}

/** What the caller could do with a pending approval: the executor's own rules, asked without deciding. */
async function forYou(store: Store, approval: ApprovalRecord, startedBy: string, actor: Actor) {
  const answer = async (decision: "approve" | "reject") => {
    if (!hasRole(actor.role, "responder")) return { allowed: false, reason: `deciding an approval needs the responder role or above; your token has the ${actor.role} role` };
    try {
      await checkApprover(store.people, approval, { personId: personOf(actor), role: actor.role }, decision, startedBy);
      return { allowed: true };
    } catch (error) {
      if (error instanceof ApprovalRefused) return { allowed: false, reason: error.message };
      throw error;
    }
  };
  return { approve: await answer("approve"), reject: await answer("reject") };
}

/** A run without its definition (the runbook as it was), which only one run's page needs. */
function summaryOf(run: RunbookRun): Omit<RunbookRun, "definition"> {
  const { definition: _, ...summary } = run;
  return summary;
}

function entryOf(catalog: Catalog, name: string): CatalogEntry {
  const entry = catalog.get(name);
  if (!entry) throw notFound(`no runbook "${name}"; GET /api/runbooks lists them`);
  return entry;
}

function usableRunbook(catalog: Catalog, name: string): Runbook {
  const entry = entryOf(catalog, name);
  if (!entry.runbook) {
    throw new ApiError(409, "invalid_runbook", `runbook "${name}" is invalid: ${entry.issues.join("; ")}`, entry.issues.map((message) => ({ path: "runbook", message })));
  }
  return entry.runbook;
}

/** The person an action is recorded under; the bootstrap admin token is `admin`. */
function personOf(actor: Actor): string {
  return actor.personId ?? actor.name;
}


function lastEventId(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value);
}

const conflict = (text: string) => new ApiError(409, "conflict", text);

/** The engine's refusals, at the edge: each to its status, with the engine's own words. */
async function mapped<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof RunNotFound) throw notFound(error.message);
    if (error instanceof RunRefused) throw conflict(error.message);
    if (error instanceof ApprovalRefused) throw new ApiError(403, "approval_refused", error.message);
    if (error instanceof ParamsError) {
      throw new ApiError(400, "invalid_request", error.issues.join("; "), error.issues.map((issue) => ({ path: paramPath(issue), message: issue })));
    }
    if (error instanceof RunbookError) throw new ApiError(409, "invalid_runbook", error.issues.join("; "), error.issues.map((issue) => ({ path: "runbook", message: issue })));
    throw error;
  }
}

/** `params.region` for an issue about param "region". */
function paramPath(issue: string): string {
  const name = /param "([^"]+)"/.exec(issue)?.[1];
  return name ? `params.${name}` : "params";
}
