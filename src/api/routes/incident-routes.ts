import { z } from "zod";
import type { Config } from "../../config/load.js";
import { incidentStates } from "../../domain/incidents/life-cycle.js";
import { severityViews } from "../../domain/incidents/severity.js";
import { IncidentRefused, type IncidentService } from "../../engine/incidents/incident-service.js";
import type { Store } from "../../store/store.js";
import { throughOf } from "../auth.js";
import { ApiError, invalidRequest, notFound } from "../errors.js";
import { EventStream } from "../event-stream.js";
import type { ApiRoutes } from "../route.js";

export interface IncidentRouteDeps {
  store: Store;
  config: Config;
  incidents: IncidentService;
  streams: Set<EventStream>;
}

const tag = "incidents";

const wholeNumber = (min: number, max: number, fallback: number) => {
  const message = `must be a whole number from ${min} to ${max}`;
  return z.coerce.number({ error: message }).int(message).min(min, message).max(max, message).default(fallback);
};
const text = (max: number) => z.string({ error: "must be text" }).trim().min(1, "must not be empty").max(max, `must be at most ${max} characters`);
const list = <T extends string>(values: readonly T[], what: string) =>
  z
    .string()
    .transform((raw, ctx) => {
      const names = raw.split(",").map((s) => s.trim()).filter(Boolean);
      const wrong = names.filter((n) => !(values as readonly string[]).includes(n.toUpperCase()) && !(values as readonly string[]).includes(n));
      if (wrong.length > 0) {
        ctx.addIssue({ code: "custom", message: `unknown ${what} ${wrong.map((w) => `"${w}"`).join(", ")}; choose from ${values.join(", ")}` });
        return z.NEVER;
      }
      return names.map((n) => ((values as readonly string[]).includes(n) ? n : n.toUpperCase())) as T[];
    })
    .describe(`comma-separated: ${values.join(", ")}`);

const refParams = z.object({ ref: z.string().min(1).describe("the incident's number (42, INC-42) or id") });
const labels = z.record(z.string(), z.string());

const incidentSchema = z.object({
  id: z.string(),
  number: z.number().int(),
  title: z.string(),
  severity: z.string(),
  status: z.enum(incidentStates),
  impact: z.string().optional(),
  rootCause: z.string().optional(),
  lessons: z.string().optional(),
  source: z.string(),
  labels,
  declaredAt: z.string(),
  declaredBy: z.string(),
  acknowledgedAt: z.string().optional(),
  acknowledgedBy: z.string().optional(),
  resolvedAt: z.string().optional(),
  documentedAt: z.string().optional(),
  respondBy: z.string().describe("the response deadline; acknowledged after it (or never), the SLA is breached"),
  slaBreachedAt: z.string().optional(),
  lastUpdateAt: z.string().optional(),
  nextUpdateAt: z.string().optional(),
  postmortem: z.string().optional(),
  roles: z.record(z.string(), z.string()),
  updatedAt: z.string(),
});

const eventSchema = z.object({ incidentId: z.string(), seq: z.number(), at: z.string(), type: z.string(), actor: z.string().optional(), data: z.record(z.string(), z.unknown()) });
const taskSchema = z.object({ taskId: z.string(), phase: z.string(), title: z.string(), ownerRole: z.string().optional(), doneAt: z.string().optional(), doneBy: z.string().optional() });
const actionItemSchema = z.object({
  id: z.string(),
  incidentId: z.string(),
  text: z.string(),
  owner: z.string(),
  dueOn: z.string().optional(),
  createdAt: z.string(),
  createdBy: z.string(),
  doneAt: z.string().optional(),
  doneBy: z.string().optional(),
});
const pageRef = z.object({ id: z.string(), number: z.number(), title: z.string(), status: z.string(), assignees: z.array(z.string()), openedAt: z.string() }).passthrough();
const severitySchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  respondWithin: z.number().describe("milliseconds"),
  businessHoursOnly: z.boolean(),
  updateEvery: z.number().optional(),
  warRoom: z.boolean(),
});

function refusal(error: unknown): never {
  if (error instanceof IncidentRefused) {
    if (error.kind === "not_found") throw notFound(error.message);
    if (error.kind === "conflict") throw new ApiError(409, "conflict", error.message);
    const colon = error.message.indexOf(": ");
    const field = colon > 0 && /^[a-zA-Z]+$/.test(error.message.slice(0, colon)) ? error.message.slice(0, colon) : "";
    throw invalidRequest([{ path: field, message: field ? error.message.slice(colon + 2) : error.message }]);
  }
  throw error;
}

const by = (actor: { personId?: string; name: string }) => actor.personId ?? actor.name;

export function registerIncidentRoutes(routes: ApiRoutes, deps: IncidentRouteDeps): void {
  const { store, config, incidents, streams } = deps;

  routes.add({
    method: "GET",
    url: "/api/severities",
    operationId: "listSeverities",
    summary: "The severity policy: response time, update cadence, war room or owner",
    tag,
    access: "viewer",
    responses: { 200: { description: "P1 first", schema: z.object({ severities: z.array(severitySchema) }) } },
    handler: async () => ({ severities: severityViews(config.incidents) }),
  });

  routes.add({
    method: "GET",
    url: "/api/incidents",
    operationId: "listIncidents",
    summary: "Incidents, newest first; filter by status and severity, page back with `before`",
    tag,
    access: "viewer",
    query: z.object({
      status: list(incidentStates, "status").optional(),
      severity: list(["P1", "P2", "P3", "P4"] as const, "severity").optional(),
      limit: wholeNumber(1, 200, 50),
      before: z.coerce.number({ error: "must be an incident number" }).int("must be an incident number").positive("must be an incident number").optional(),
    }),
    responses: { 200: { description: "incidents", schema: z.object({ incidents: z.array(incidentSchema) }) } },
    handler: async ({ query }) => ({
      incidents: await store.incidents.list({
        limit: query.limit,
        ...(query.status ? { status: query.status } : {}),
        ...(query.severity ? { severity: query.severity } : {}),
        ...(query.before ? { beforeNumber: query.before } : {}),
      }),
    }),
  });

  routes.add({
    method: "POST",
    url: "/api/incidents",
    operationId: "declareIncident",
    summary: "Declare an incident: opens its page, its war room (P1/P2) and its clocks",
    tag,
    access: "responder",
    body: z.strictObject({
      title: text(300),
      severity: z.string({ error: "must be P1, P2, P3 or P4" }),
      impact: text(2000).optional(),
      commander: z.string().min(1).optional().describe("the incident commander (or owner); default: the on-call primary"),
      pages: z.array(z.string().min(1)).optional().describe("pages (numbers or ids) that join the incident"),
    }),
    responses: { 201: { description: "declared", schema: z.object({ incident: incidentSchema, page: pageRef.optional() }) } },
    handler: async ({ body, actor, request, reply }) => {
      const declared = await incidents
        .declare({
          title: body.title,
          severity: body.severity,
          ...(body.impact ? { impact: body.impact } : {}),
          ...(body.commander ? { commander: body.commander } : {}),
          ...(body.pages ? { pages: body.pages } : {}),
          by: by(actor),
          source: throughOf(request.headers),
        })
        .catch(refusal);
      reply.code(201);
      return declared;
    },
  });

  routes.add({
    method: "GET",
    url: "/api/incidents/events",
    operationId: "watchIncidents",
    summary: "Server-sent events: `incident` with {id} whenever an incident or its timeline changes",
    tag,
    access: "viewer",
    responses: { 200: { description: "text/event-stream", contentType: "text/event-stream" } },
    handler: async ({ reply }) => {
      const stream = new EventStream(reply, streams);
      stream.send("ready", {});
      stream.onEnd(store.incidents.onEvents((id) => stream.send("incident", { id })));
      return reply;
    },
  });

  routes.add({
    method: "GET",
    url: "/api/incidents/metrics",
    operationId: "incidentMetrics",
    summary: "MTTA and MTTR per severity and month (team's zone)",
    tag,
    access: "viewer",
    query: z.object({ months: wholeNumber(1, 36, 6) }),
    responses: { 200: { description: "rows", schema: z.object({ metrics: z.array(z.record(z.string(), z.unknown())) }) } },
    handler: async ({ query }) => {
      const to = new Date();
      const from = new Date(to.getTime() - query.months * 31 * 86_400_000);
      return { metrics: (await incidents.metrics({ from, to })) as unknown as Record<string, unknown>[] };
    },
  });

  routes.add({
    method: "GET",
    url: "/api/incidents/:ref",
    operationId: "getIncident",
    summary: "The war room: the incident, its severity, timeline, checklist, pages and action items",
    tag,
    access: "viewer",
    params: refParams,
    responses: {
      200: {
        description: "the war room",
        schema: z.object({
          incident: incidentSchema,
          severity: severitySchema.passthrough(),
          nextStates: z.array(z.enum(incidentStates)).describe("where the life cycle allows it to go from here"),
          events: z.array(eventSchema),
          tasks: z.array(taskSchema),
          pages: z.array(pageRef),
          actionItems: z.array(actionItemSchema),
        }),
      },
    },
    handler: async ({ params }) => incidents.warRoom(params.ref).catch(refusal),
  });

  const act = <B extends z.ZodType>(spec: {
    path: string;
    operationId: string;
    summary: string;
    body?: B;
    /** What the action made besides the incident's change, answered beside it. */
    run(ref: string, body: z.output<B>, actor: string, through: string): Promise<Record<string, unknown> | void>;
  }) =>
    routes.add({
      method: "POST",
      url: `/api/incidents/:ref/${spec.path}`,
      operationId: spec.operationId,
      summary: spec.summary,
      tag,
      access: "responder",
      params: refParams,
      ...(spec.body ? { body: spec.body } : {}),
      responses: { 200: { description: "the incident after it", schema: z.object({ incident: incidentSchema }).passthrough() } },
      handler: async ({ params, body, actor, request }) => {
        const extra = await spec.run(params.ref, body as z.output<B>, by(actor), throughOf(request.headers)).catch(refusal);
        return { incident: await incidents.get(params.ref).catch(refusal), ...extra };
      },
    });

  act({
    path: "acknowledge",
    operationId: "acknowledgeIncident",
    summary: "Acknowledge: stops the response clock and the escalation",
    run: async (ref, _b, actor, through) => {
      await incidents.acknowledge(ref, actor, through);
    },
  });
  act({
    path: "status",
    operationId: "moveIncident",
    summary: `Move along the life cycle: ${incidentStates.join(" → ")}`,
    body: z.strictObject({ status: z.string({ error: `must be one of ${incidentStates.join(", ")}` }) }),
    run: async (ref, body, actor) => {
      await incidents.moveTo(ref, body.status, actor);
    },
  });
  act({
    path: "severity",
    operationId: "setIncidentSeverity",
    summary: "Change the severity (recorded; the response deadline follows while unacknowledged)",
    body: z.strictObject({ severity: z.string({ error: "must be P1, P2, P3 or P4" }) }),
    run: async (ref, body, actor) => {
      await incidents.setSeverity(ref, body.severity, actor);
    },
  });
  act({
    path: "roles",
    operationId: "assignIncidentRole",
    summary: "Give a role (incident_commander, tech_lead, communications, scribe, owner) to a person; a handoff is recorded",
    body: z.strictObject({ role: text(40), person: text(100) }),
    run: async (ref, body, actor) => {
      const { previous } = await incidents.assignRole(ref, body.role, body.person, actor);
      return previous ? { previous } : {};
    },
  });
  act({ path: "notes", operationId: "addIncidentNote", summary: "A note on the timeline", body: z.strictObject({ text: text(4000) }), run: (ref, body, actor) => incidents.note(ref, body.text, actor) });
  act({
    path: "updates",
    operationId: "postIncidentUpdate",
    summary: "A status update: to the timeline and the war-room channel; the next one is due a cadence later",
    body: z.strictObject({ text: text(4000), customerNotice: z.boolean().default(false).describe("also fill incidents.customerNotice with it") }),
    run: async (ref, body, actor) => {
      const { customerNotice } = await incidents.postUpdate(ref, { text: body.text, by: actor, customerNotice: body.customerNotice });
      return customerNotice ? { customerNotice } : {};
    },
  });
  act({
    path: "request-people",
    operationId: "requestIncidentPeople",
    summary: "Page the on-call of another schedule into the incident",
    body: z.strictObject({ schedule: text(100) }),
    run: async (ref, body, actor) => ({ page: (await incidents.requestPeople(ref, body.schedule, actor)).number }),
  });
  act({
    path: "analysis",
    operationId: "editIncidentAnalysis",
    summary: "Impact, root cause and lessons, for the post-mortem",
    body: z.strictObject({ impact: z.string().max(4000).optional(), rootCause: z.string().max(8000).optional(), lessons: z.string().max(8000).optional() }),
    run: async (ref, body, actor) => {
      await incidents.editAnalysis(ref, { ...body, by: actor });
    },
  });
  act({
    path: "action-items",
    operationId: "addActionItem",
    summary: "An action item with an owner and a due date",
    body: z.strictObject({
      text: text(1000),
      owner: text(100),
      dueOn: z.iso.date({ error: "must be a date like 2026-12-01" }).optional(),
    }),
    run: async (ref, body, actor) => ({ actionItem: await incidents.addActionItem(ref, { text: body.text, owner: body.owner, ...(body.dueOn ? { dueOn: body.dueOn } : {}), by: actor }) }),
  });

  routes.add({
    method: "POST",
    url: "/api/incidents/:ref/tasks/:task",
    operationId: "checkIncidentTask",
    summary: "Tick (or untick) a war-room checklist item",
    tag,
    access: "responder",
    params: refParams.extend({ task: z.string().min(1) }),
    body: z.strictObject({ done: z.boolean({ error: "must be true or false" }) }),
    responses: { 200: { description: "the item", schema: taskSchema } },
    handler: async ({ params, body, actor }) => incidents.setTask(params.ref, params.task, { done: body.done, by: by(actor) }).catch(refusal),
  });

  routes.add({
    method: "GET",
    url: "/api/action-items",
    operationId: "listActionItems",
    summary: "Action items of every incident (open ones with ?open=true)",
    tag,
    access: "viewer",
    query: z.object({ open: z.enum(["true", "false"]).default("false") }),
    responses: { 200: { description: "items", schema: z.object({ actionItems: z.array(actionItemSchema) }) } },
    handler: async ({ query }) => ({ actionItems: await store.incidents.actionItems({ open: query.open === "true" }) }),
  });

  routes.add({
    method: "POST",
    url: "/api/action-items/:id/done",
    operationId: "completeActionItem",
    summary: "Mark an action item done",
    tag,
    access: "responder",
    params: z.object({ id: z.string().min(1) }),
    responses: { 200: { description: "the item", schema: actionItemSchema } },
    handler: async ({ params, actor }) => incidents.completeActionItem(params.id, by(actor)).catch(refusal),
  });

  routes.add({
    method: "GET",
    url: "/api/incidents/:ref/postmortem",
    operationId: "getPostmortem",
    summary: "The post-mortem (Markdown): the saved document, or a draft from the incident (?draft=true drafts afresh even once saved)",
    tag,
    access: "viewer",
    params: refParams,
    query: z.object({ draft: z.enum(["true", "false"]).default("false") }),
    responses: { 200: { description: "the document", schema: z.object({ markdown: z.string(), draft: z.boolean() }) } },
    handler: async ({ params, query }) => {
      const { markdown, draft } = await incidents.postmortem(params.ref, { fresh: query.draft === "true" }).catch(refusal);
      return { markdown, draft };
    },
  });

  routes.add({
    method: "POST",
    url: "/api/incidents/:ref/postmortem",
    operationId: "savePostmortem",
    summary: "Save the post-mortem as edited; a resolved incident moves to post-mortem",
    tag,
    access: "responder",
    params: refParams,
    body: z.strictObject({ markdown: z.string().max(200_000, "must be at most 200,000 characters") }),
    responses: { 200: { description: "the incident", schema: z.object({ incident: incidentSchema }) } },
    handler: async ({ params, body, actor }) => ({ incident: await incidents.savePostmortem(params.ref, body.markdown, by(actor)).catch(refusal) }),
  });
}
