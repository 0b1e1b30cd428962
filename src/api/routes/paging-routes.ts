import { z } from "zod";
import { parseDuration } from "../../config/duration.js";
import { MatcherError, parseMatcher } from "../../domain/paging/matchers.js";
import { PagingError, type Paging } from "../../engine/paging/paging.js";
import type { Store } from "../../store/store.js";
import { throughOf } from "../auth.js";
import { ApiError, invalidRequest, notFound } from "../errors.js";
import { EventStream } from "../event-stream.js";
import type { ApiRoutes } from "../route.js";
import { alertmanagerAccepted, alertmanagerWebhook, eventsV2, eventsV2Accepted } from "../webhook-schemas.js";

export interface PagingRouteDeps {
  store: Store;
  paging: Paging;
  streams: Set<EventStream>;
}

const wholeNumber = (min: number, max: number, fallback: number) => {
  const message = `must be a whole number from ${min} to ${max}`;
  return z.coerce.number({ error: message }).int(message).min(min, message).max(max, message).default(fallback);
};

const pageStatuses = ["triggered", "acknowledged", "resolved"] as const;
const labels = z.record(z.string(), z.string());
const time = (example: string) => z.iso.datetime({ offset: true, error: `must be an ISO 8601 time like ${example}` });
const duration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) {
    ctx.addIssue({ code: "custom", message: "must be a duration like 30m, 2h or 1h30m" });
    return z.NEVER;
  }
  return ms;
});

const pageSchema = z.object({
  id: z.string(),
  number: z.number().int(),
  title: z.string(),
  status: z.enum(pageStatuses),
  severity: z.string().optional(),
  source: z.string(),
  groupKey: z.string().optional(),
  labels,
  annotations: labels,
  runbook: z.string().optional(),
  route: z.object({ index: z.number().optional(), policyId: z.string(), declare: z.string().optional() }).optional(),
  policy: z.record(z.string(), z.unknown()).optional(),
  step: z.number().int(),
  assignees: z.array(z.string()),
  openedAt: z.string(),
  acknowledgedAt: z.string().optional(),
  acknowledgedBy: z.string().optional(),
  resolvedAt: z.string().optional(),
  resolvedBy: z.string().optional(),
  updatedAt: z.string(),
});

const deliverySchema = z.object({
  id: z.string(),
  pageId: z.string().optional(),
  personId: z.string().optional(),
  recipient: z.object({ id: z.string(), name: z.string(), email: z.string().optional(), chatHandle: z.string().optional() }),
  channel: z.string(),
  notice: z.record(z.string(), z.unknown()),
  status: z.enum(["pending", "sent", "failed", "coalesced"]),
  attempts: z.number().int(),
  lastError: z.string().optional(),
  coalescedInto: z.string().optional(),
  createdAt: z.string(),
  sentAt: z.string().optional(),
  readAt: z.string().optional(),
});

const pageDetailSchema = z.object({
  page: pageSchema,
  events: z.array(z.object({ pageId: z.string(), seq: z.number(), at: z.string(), type: z.string(), actor: z.string().optional(), data: z.record(z.string(), z.unknown()) })),
  deliveries: z.array(
    deliverySchema.extend({
      attemptLog: z.array(z.object({ deliveryId: z.string(), attempt: z.number(), at: z.string(), ok: z.boolean(), retryable: z.boolean(), detail: z.string(), durationMs: z.number() })),
    }),
  ),
});

const alertSchema = z.object({
  fingerprint: z.string(),
  source: z.string(),
  groupKey: z.string(),
  status: z.enum(["firing", "resolved"]),
  labels,
  annotations: labels,
  startsAt: z.string(),
  endsAt: z.string().optional(),
  generatorUrl: z.string().optional(),
  firstSeenAt: z.string(),
  lastSeenAt: z.string(),
});

const windowSchema = z.object({
  id: z.string(),
  title: z.string(),
  matchers: z.array(z.object({ name: z.string(), value: z.string(), isRegex: z.boolean(), isEqual: z.boolean() })),
  startsAt: z.string(),
  endsAt: z.string(),
  createdBy: z.string(),
  createdAt: z.string(),
  endedAt: z.string().optional(),
  endedBy: z.string().optional(),
  silenceId: z.string().optional(),
  silenceError: z.string().optional(),
});

const refParams = z.object({ ref: z.string().min(1).describe("the page's number (42) or id") });
const change = z.object({ changed: z.boolean().describe("false when the page was already there: nothing was done"), page: pageSchema });

const statusList = z
  .string()
  .transform((text, ctx) => {
    const names = text.split(",").map((s) => s.trim()).filter(Boolean);
    const wrong = names.filter((n) => !(pageStatuses as readonly string[]).includes(n));
    if (wrong.length > 0) {
      ctx.addIssue({ code: "custom", message: `unknown status ${wrong.map((w) => `"${w}"`).join(", ")}; choose from ${pageStatuses.join(", ")}` });
      return z.NEVER;
    }
    return names as (typeof pageStatuses)[number][];
  })
  .describe(`comma-separated: ${pageStatuses.join(", ")}`);

const onCallNowSchema = z.object({
  schedule: z.object({ id: z.string(), name: z.string(), timeZone: z.string() }),
  primary: z.string().optional(),
  backup: z.string().optional(),
  layer: z.string().optional(),
  overriddenBy: z.object({ primary: z.string().optional(), backup: z.string().optional() }).optional(),
});

const shiftSchema = z.object({
  start: z.string(),
  end: z.string(),
  primary: z.string().optional(),
  backup: z.string().optional(),
  layer: z.string().optional(),
  overriddenBy: z.object({ primary: z.string().optional(), backup: z.string().optional() }).optional(),
});

const overrideSchema = z.object({
  id: z.string(),
  scheduleId: z.string(),
  role: z.enum(["primary", "backup"]),
  personId: z.string(),
  start: z.string(),
  end: z.string(),
  reason: z.string().optional(),
  createdBy: z.string(),
  createdAt: z.string(),
});

/** The paging errors a request can cause, as the API answers them. */
function asApiError(error: unknown): never {
  if (error instanceof PagingError) throw error.kind === "not_found" ? notFound(error.message) : new ApiError(409, "conflict", error.message);
  throw error;
}

const iso = (d: Date) => d.toISOString();


export function registerPagingRoutes(routes: ApiRoutes, deps: PagingRouteDeps): void {
  const { store, paging, streams } = deps;

  // ── intake ────────────────────────────────────────────────────────────────────────────────

  routes.add({
    method: "POST",
    url: "/webhooks/alertmanager",
    operationId: "receiveAlertmanager",
    summary: "Alertmanager's webhook (payload version 4): records the alerts, opens or resolves the group's page; answers once committed",
    tag: "intake",
    access: "intake",
    bodyLimit: 5 * 1024 * 1024,
    body: alertmanagerWebhook,
    responses: { 200: { description: "committed", schema: alertmanagerAccepted } },
    handler: async ({ body, actor }) => {
      const result = await paging.intake.fromAlertmanager(body, actor.name);
      return { status: "success" as const, groupKey: result.groupKey, alerts: result.alerts, ...(result.open ? { page: result.open.number } : {}) };
    },
  });

  routes.add({
    method: "POST",
    url: "/webhooks/events",
    operationId: "receiveEvent",
    summary: "An event in the shape of PagerDuty Events API v2: trigger, acknowledge or resolve by dedup_key",
    tag: "intake",
    access: "intake",
    body: eventsV2,
    responses: { 202: { description: "committed", schema: eventsV2Accepted } },
    handler: async ({ body, actor, reply }) => {
      const result = await paging.intake.fromEvent(body, actor.name);
      if (!result.found) throw notFound(`no alert with dedup_key "${result.dedupKey}"; trigger it first`);
      reply.code(202);
      return { status: "success" as const, message: "Event processed", dedup_key: result.dedupKey };
    },
  });

  // ── alerts and pages ──────────────────────────────────────────────────────────────────────

  routes.add({
    method: "GET",
    url: "/api/alerts",
    operationId: "listAlerts",
    summary: "Alerts received, most recently seen first",
    tag: "paging",
    access: "viewer",
    query: z.object({
      status: z.enum(["firing", "resolved"], { error: 'must be "firing" or "resolved"' }).optional(),
      group: z.string().min(1).optional().describe("only the alerts of this group (a page's groupKey)"),
      limit: wholeNumber(1, 1000, 100),
    }),
    responses: { 200: { description: "alerts", schema: z.object({ alerts: z.array(alertSchema) }) } },
    handler: async ({ query }) => ({
      alerts: await store.alerts.list({ limit: query.limit, ...(query.status ? { status: query.status } : {}), ...(query.group ? { groupKey: query.group } : {}) }),
    }),
  });

  routes.add({
    method: "GET",
    url: "/api/pages",
    operationId: "listPages",
    summary: "Pages, newest first",
    tag: "paging",
    access: "viewer",
    query: z.object({
      status: statusList.optional(),
      limit: wholeNumber(1, 200, 50),
      before: z.coerce.number({ error: "must be a page number" }).int("must be a page number").positive("must be a page number").optional().describe("pages numbered below this"),
    }),
    responses: { 200: { description: "pages", schema: z.object({ pages: z.array(pageSchema) }) } },
    handler: async ({ query }) => ({
      pages: await store.pages.list({ limit: query.limit, ...(query.status ? { status: query.status } : {}), ...(query.before ? { beforeNumber: query.before } : {}) }),
    }),
  });

  routes.add({
    method: "GET",
    url: "/api/pages/events",
    operationId: "watchPages",
    summary: "Server-sent events: `page` with {id} whenever a page changes",
    tag: "paging",
    access: "viewer",
    responses: { 200: { description: "text/event-stream", contentType: "text/event-stream" } },
    handler: async ({ reply }) => {
      const stream = new EventStream(reply, streams);
      stream.send("ready", {});
      stream.onEnd(store.pages.onEvents((id) => stream.send("page", { id })));
      return reply;
    },
  });

  routes.add({
    method: "GET",
    url: "/api/pages/:ref",
    operationId: "getPage",
    summary: "A page with its timeline and every delivery attempt",
    tag: "paging",
    access: "viewer",
    params: refParams,
    responses: { 200: { description: "the page", schema: pageDetailSchema } },
    handler: async ({ params }) => paging.page(params.ref).catch(asApiError),
  });

  const act = (action: "acknowledge" | "resolve") =>
    routes.add({
      method: "POST",
      url: `/api/pages/:ref/${action}`,
      operationId: `${action}Page`,
      summary: action === "acknowledge" ? "Acknowledge: stops the escalation" : "Resolve the page",
      tag: "paging",
      access: "responder",
      params: refParams,
      responses: { 200: { description: "the page after it", schema: change } },
      handler: async ({ params, actor, request }) => {
        const result = await paging[action](params.ref, { by: actor.name, through: throughOf(request.headers) }).catch(asApiError);
        if (result.changed) await store.audit.append({ actor: actor.name, action: `page.${action}`, subject: `page:${result.page.number}`, details: {} });
        return result;
      },
    });
  act("acknowledge");
  act("resolve");

  routes.add({
    method: "POST",
    url: "/api/pages/:ref/escalate",
    operationId: "escalatePage",
    summary: "Escalate now: the next level is notified at once",
    tag: "paging",
    access: "responder",
    params: refParams,
    responses: { 200: { description: "the page", schema: pageSchema } },
    handler: async ({ params, actor }) => {
      const page = await paging.escalateNow(params.ref, actor.name).catch(asApiError);
      await store.audit.append({ actor: actor.name, action: "page.escalate", subject: `page:${page.number}`, details: {} });
      return page;
    },
  });

  routes.add({
    method: "POST",
    url: "/api/pages/:ref/reassign",
    operationId: "reassignPage",
    summary: "Notify other people now; the escalation carries on until someone acknowledges",
    tag: "paging",
    access: "responder",
    params: refParams,
    body: z.strictObject({ to: z.array(z.string().min(1), { error: "must be a list of person ids" }).min(1, "must name at least one person") }),
    responses: { 200: { description: "the page after it", schema: change } },
    handler: async ({ params, body, actor }) => {
      const result = await paging.reassign(params.ref, body.to, actor.name).catch(asApiError);
      await store.audit.append({ actor: actor.name, action: "page.reassign", subject: `page:${result.page.number}`, details: { to: body.to } });
      return result;
    },
  });

  routes.add({
    method: "POST",
    url: "/api/people/:id/test-page",
    operationId: "testPage",
    summary: "A test page to one person through every channel that can reach them",
    tag: "paging",
    access: "operator",
    params: z.object({ id: z.string().min(1) }),
    responses: { 202: { description: "queued", schema: z.object({ deliveries: z.array(deliverySchema) }) } },
    handler: async ({ params, actor, reply }) => {
      const ids = await paging.testPage(params.id, actor.name).catch(asApiError);
      reply.code(202);
      return { deliveries: (await Promise.all(ids.map((id) => store.deliveries.get(id)))).filter((d) => d !== undefined) };
    },
  });

  routes.add({
    method: "GET",
    url: "/api/deliveries/:id",
    operationId: "getDelivery",
    summary: "One delivery, e.g. of a test page",
    tag: "paging",
    access: "viewer",
    params: z.object({ id: z.string().min(1) }),
    responses: { 200: { description: "the delivery", schema: deliverySchema } },
    handler: async ({ params }) => (await store.deliveries.get(params.id)) ?? Promise.reject(notFound(`no delivery ${params.id}`)),
  });

  routes.add({
    method: "GET",
    url: "/api/inbox",
    operationId: "inbox",
    summary: "Your inbox: every page and notice sent to you",
    tag: "paging",
    access: "viewer",
    query: z.object({ limit: wholeNumber(1, 200, 50), unread: z.enum(["true", "false"]).default("false") }),
    responses: { 200: { description: "notices", schema: z.object({ notices: z.array(deliverySchema) }) } },
    handler: async ({ query, actor }) => {
      if (!actor.personId) return { notices: [] };
      return { notices: await store.deliveries.inbox(actor.personId, { limit: query.limit, unreadOnly: query.unread === "true" }) };
    },
  });

  // ── on-call ───────────────────────────────────────────────────────────────────────────────

  routes.add({
    method: "GET",
    url: "/api/oncall/now",
    operationId: "onCallNow",
    summary: "Who is on call now, per schedule",
    tag: "oncall",
    access: "viewer",
    responses: { 200: { description: "per schedule", schema: z.object({ at: z.string(), schedules: z.array(onCallNowSchema) }) } },
    handler: async () => {
      const at = new Date();
      return { at: iso(at), schedules: await paging.onCallNow(at) };
    },
  });

  routes.add({
    method: "GET",
    url: "/api/oncall",
    operationId: "onCallPlan",
    summary: "Shifts and coverage gaps over the coming weeks",
    tag: "oncall",
    access: "viewer",
    query: z.object({
      schedule: z.string().min(1).optional(),
      weeks: wholeNumber(1, 26, 4),
      from: time("2026-01-05T00:00:00Z").optional().describe("default: now"),
    }),
    responses: {
      200: {
        description: "per schedule",
        schema: z.object({
          from: z.string(),
          to: z.string(),
          schedules: z.array(
            z.object({
              schedule: z.object({ id: z.string(), name: z.string(), timeZone: z.string() }),
              shifts: z.array(shiftSchema),
              gaps: z.array(z.object({ start: z.string(), end: z.string(), missing: z.enum(["primary", "backup"]) })),
            }),
          ),
        }),
      },
    },
    handler: async ({ query }) =>
      paging
        .onCallWeeks({ ...(query.schedule ? { scheduleId: query.schedule } : {}), from: query.from ? new Date(query.from) : new Date(), weeks: query.weeks })
        .catch(asApiError),
  });

  routes.add({
    method: "GET",
    url: "/api/oncall/overrides",
    operationId: "listOverrides",
    summary: "Overrides now and ahead",
    tag: "oncall",
    access: "viewer",
    query: z.object({ schedule: z.string().min(1).optional() }),
    responses: { 200: { description: "overrides", schema: z.object({ overrides: z.array(overrideSchema) }) } },
    handler: async ({ query }) => {
      const now = new Date();
      const overrides = await store.oncall.overrides({ ...(query.schedule ? { scheduleId: query.schedule } : {}), from: now, to: new Date(now.getTime() + 366 * 86_400_000) });
      return { overrides: overrides.map((o) => ({ ...o, start: iso(o.start), end: iso(o.end) })) };
    },
  });

  routes.add({
    method: "POST",
    url: "/api/oncall/overrides",
    operationId: "addOverride",
    summary: "Someone takes a role in a schedule for a while (a swap, a sick day)",
    tag: "oncall",
    access: "operator",
    body: z.strictObject({
      schedule: z.string().min(1, "must name a schedule"),
      person: z.string().min(1, "must name a person"),
      role: z.enum(["primary", "backup"], { error: 'must be "primary" or "backup"' }).default("primary"),
      start: time("2026-01-05T10:00:00Z").optional().describe("default: now"),
      end: time("2026-01-06T10:00:00Z"),
      reason: z.string().trim().max(500).optional(),
    }),
    responses: { 201: { description: "created", schema: overrideSchema } },
    handler: async ({ body, actor, reply }) => {
      const override = await paging
        .addOverride({
          scheduleId: body.schedule,
          personId: body.person,
          role: body.role,
          start: body.start ? new Date(body.start) : new Date(),
          end: new Date(body.end),
          ...(body.reason ? { reason: body.reason } : {}),
          by: actor.name,
        })
        .catch((error: unknown) => {
          if (error instanceof PagingError && error.kind === "invalid") throw invalidRequest([{ path: "end", message: error.message }]);
          return asApiError(error);
        });
      reply.code(201);
      return { ...override, start: iso(override.start), end: iso(override.end) };
    },
  });

  routes.add({
    method: "GET",
    url: "/api/oncall/feed",
    operationId: "onCallFeed",
    summary: "A calendar feed URL (iCalendar) of a schedule or of one person's shifts, for a calendar app",
    tag: "oncall",
    access: "viewer",
    query: z.object({ schedule: z.string().min(1).optional(), person: z.string().min(1).optional() }),
    responses: { 200: { description: "the URL", schema: z.object({ url: z.string() }) } },
    handler: async ({ query }) => ({
      url: await paging.feedUrl({ ...(query.schedule ? { scheduleId: query.schedule } : {}), ...(query.person ? { personId: query.person } : {}) }).catch(asApiError),
    }),
  });

  routes.add({
    method: "GET",
    url: "/feeds/oncall/:token",
    operationId: "onCallCalendar",
    summary: "The iCalendar feed behind /api/oncall/feed (the signed URL is the credential)",
    tag: "oncall",
    access: "public",
    params: z.object({ token: z.string().min(1) }),
    responses: { 200: { description: "text/calendar", contentType: "text/calendar" } },
    handler: async ({ params, reply }) => {
      const scope = paging.links.verifyFeed(params.token.replace(/\.ics$/, ""));
      if (!scope) throw notFound("no such calendar feed; get a new URL from the console's On-call page");
      const from = new Date(Date.now() - 7 * 86_400_000);
      const body = await paging.calendar({ ...scope, from, to: new Date(from.getTime() + 13 * 7 * 86_400_000) }).catch(asApiError);
      return reply.header("content-type", "text/calendar; charset=utf-8").send(body);
    },
  });

  // ── maintenance windows ───────────────────────────────────────────────────────────────────

  routes.add({
    method: "GET",
    url: "/api/windows",
    operationId: "listWindows",
    summary: "Maintenance windows in force or ahead (with ended ones on ?all=true)",
    tag: "paging",
    access: "viewer",
    query: z.object({ all: z.enum(["true", "false"]).default("false"), limit: wholeNumber(1, 200, 50) }),
    responses: { 200: { description: "windows", schema: z.object({ windows: z.array(windowSchema) }) } },
    handler: async ({ query }) => ({ windows: await store.windows.list({ limit: query.limit, includeEnded: query.all === "true" }) }),
  });

  routes.add({
    method: "POST",
    url: "/api/windows",
    operationId: "startWindow",
    summary: "Start a maintenance window: matching alerts page nobody, and Alertmanager gets the same silence",
    tag: "paging",
    access: "operator",
    body: z.strictObject({
      title: z.string().trim().min(1, "must not be empty").max(200, "must be at most 200 characters"),
      matchers: z.array(z.string(), { error: 'must be a list of matchers like ["alertname=ServerDown", "instance=~game-.*"]' }).min(1, "must hold at least one matcher, or the window would silence every alert"),
      startsAt: time("2026-01-05T02:00:00Z").optional().describe("default: now"),
      duration: duration.optional(),
      endsAt: time("2026-01-05T04:00:00Z").optional(),
    }),
    responses: { 201: { description: "started", schema: windowSchema } },
    handler: async ({ body, actor, reply }) => {
      const matchers = body.matchers.map((text, i) => {
        try {
          return parseMatcher(text);
        } catch (error) {
          if (error instanceof MatcherError) throw invalidRequest([{ path: `matchers.${i}`, message: error.message }]);
          throw error;
        }
      });
      if ((body.duration === undefined) === (body.endsAt === undefined)) throw invalidRequest([{ path: "duration", message: "give duration (like 2h) or endsAt, one of them" }]);
      const startsAt = body.startsAt ? new Date(body.startsAt) : new Date();
      const endsAt = body.endsAt ? new Date(body.endsAt) : new Date(startsAt.getTime() + body.duration!);
      if (endsAt.getTime() <= startsAt.getTime()) throw invalidRequest([{ path: body.endsAt ? "endsAt" : "duration", message: "the window must end after it starts" }]);
      const window = await paging.windows.start({ title: body.title, matchers, startsAt, endsAt, by: actor.name });
      reply.code(201);
      return window;
    },
  });

  routes.add({
    method: "POST",
    url: "/api/windows/:id/end",
    operationId: "endWindow",
    summary: "End a maintenance window now (and expire its Alertmanager silence)",
    tag: "paging",
    access: "operator",
    params: z.object({ id: z.string().min(1) }),
    responses: { 200: { description: "ended", schema: windowSchema } },
    handler: async ({ params, actor }) => {
      const ended = await paging.windows.end(params.id, actor.name);
      if (ended) return ended;
      const window = await store.windows.get(params.id);
      throw window ? new ApiError(409, "conflict", `window ${params.id} ended already at ${window.endedAt}`) : notFound(`no maintenance window ${params.id}`);
    },
  });
}

