import { sql, type Kysely, type Selectable } from "kysely";
import { insertDeliveries } from "./deliveries.js";
import { acknowledgeIncident } from "./incidents.js";
import { newId } from "./ids.js";
import {
  pageEscalationKey,
  type AlertIntake,
  type IntakeResult,
  type NewDelivery,
  type NewPage,
  type NewTimer,
  type PageChange,
  type PageEvent,
  type PageEventType,
  type PageRecord,
  type PageRepository,
  type PageStatus,
} from "./store.js";
import { StoreError } from "./store-error.js";
import type { Database, PageEventsTable, PagesTable } from "./tables.js";
import { cancelTimer, scheduleTimer } from "./timers.js";

/** Bounds of what one event may carry: a timeline entry, not a dump. */
const maxEventDataChars = 16 * 1024;
/** Rows per insert statement: well under SQLite's 32,766 bound parameters. */
const alertsPerStatement = 500;

const openStatuses: PageStatus[] = ["triggered", "acknowledged"];

export class Pages implements PageRepository {
  private readonly listeners = new Set<(pageId: string) => void>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => Date,
    /** A page's acknowledgement may acknowledge its incident: the incident's watchers hear of it. */
    private readonly incidentChanged: (incidentId: string) => void = () => undefined,
  ) {}

  async ingest(intake: AlertIntake): Promise<IntakeResult> {
    if (!intake.groupKey) throw new StoreError("an alert group needs a groupKey");
    const touched: string[] = [];
    const result = await this.db.transaction().execute(async (trx) => {
      const now = this.now();
      const at = now.getTime();
      // The group's row first: its upsert locks it, so two intakes of one group (PostgreSQL,
      // several replicas) take turns and cannot both open a page.
      const group = {
        source: intake.source,
        receiver: intake.receiver ?? null,
        status: intake.status,
        group_labels: JSON.stringify(intake.groupLabels),
        common_labels: JSON.stringify(intake.commonLabels),
        common_annotations: JSON.stringify(intake.commonAnnotations),
        external_url: intake.externalUrl ?? null,
        last_seen_at: at,
      };
      const groupRow = await trx
        .insertInto("alert_groups")
        .values({ group_key: intake.groupKey, ...group, page_id: null, suppressed_by: intake.suppressedBy ?? null, first_seen_at: at })
        .onConflict((conflict) =>
          conflict.column("group_key").doUpdateSet({ ...group, ...(intake.status === "firing" ? { suppressed_by: intake.suppressedBy ?? null } : {}) }),
        )
        .returningAll()
        .executeTakeFirstOrThrow();

      const before = new Map<string, string>();
      for (let i = 0; i < intake.alerts.length; i += alertsPerStatement) {
        const chunk = intake.alerts.slice(i, i + alertsPerStatement);
        const known = await trx
          .selectFrom("alerts")
          .select(["fingerprint", "status"])
          .where(
            "fingerprint",
            "in",
            chunk.map((a) => a.fingerprint),
          )
          .execute();
        for (const row of known) before.set(row.fingerprint, row.status);
        await trx
          .insertInto("alerts")
          .values(
            chunk.map((alert) => ({
              fingerprint: alert.fingerprint,
              source: intake.source,
              group_key: intake.groupKey,
              status: alert.status,
              labels: JSON.stringify(alert.labels),
              annotations: JSON.stringify(alert.annotations),
              starts_at: alert.startsAt.getTime(),
              ends_at: alert.endsAt ? alert.endsAt.getTime() : null,
              generator_url: alert.generatorUrl ?? null,
              first_seen_at: at,
              last_seen_at: at,
            })),
          )
          .onConflict((conflict) =>
            conflict.column("fingerprint").doUpdateSet((eb) => ({
              group_key: eb.ref("excluded.group_key"),
              status: eb.ref("excluded.status"),
              labels: eb.ref("excluded.labels"),
              annotations: eb.ref("excluded.annotations"),
              starts_at: eb.ref("excluded.starts_at"),
              ends_at: eb.ref("excluded.ends_at"),
              generator_url: eb.ref("excluded.generator_url"),
              last_seen_at: eb.ref("excluded.last_seen_at"),
            })),
          )
          .execute();
      }
      const changed = intake.alerts.filter((a) => before.get(a.fingerprint) !== a.status);

      const openRow = await trx
        .selectFrom("pages")
        .selectAll()
        .where("group_key", "=", intake.groupKey)
        .where("status", "in", openStatuses)
        .orderBy("opened_at", "desc")
        .executeTakeFirst();
      const out: IntakeResult = { groupKey: intake.groupKey, alerts: intake.alerts.length };

      if (openRow) {
        if (changed.length > 0) {
          await appendEvent(trx, openRow.id, at, {
            type: "page.alerts",
            data: {
              firing: changed.filter((a) => a.status === "firing").map((a) => describeAlert(a.labels)),
              resolved: changed.filter((a) => a.status === "resolved").map((a) => describeAlert(a.labels)),
            },
          });
          touched.push(openRow.id);
        }
        if (intake.status === "resolved") {
          const resolved = await resolveRow(trx, openRow.id, at, { by: intake.source, through: "intake" }, ["triggered", "acknowledged"]);
          if (resolved) {
            out.resolved = toPage(resolved);
            touched.push(openRow.id);
          }
          return out;
        }
        out.open = toPage(openRow);
        return out;
      }

      if (intake.status !== "firing" || !intake.page) return out;
      const last = groupRow.page_id
        ? await trx.selectFrom("pages").select(["resolved_at"]).where("id", "=", groupRow.page_id).executeTakeFirst()
        : undefined;
      // A page resolved while its alerts still fire (by a person) is not reopened by Alertmanager's
      // repeats: only an alert that started after it was resolved is new trouble.
      const coveredUntil = last?.resolved_at ?? undefined;
      const fresh = intake.alerts.some((a) => a.status === "firing" && (coveredUntil === undefined || a.startsAt.getTime() > coveredUntil));
      if (!fresh) return out;
      const page = await insertPage(trx, now, { ...intake.page, groupKey: intake.groupKey });
      await trx.updateTable("alert_groups").set({ page_id: page.id }).where("group_key", "=", intake.groupKey).execute();
      touched.push(page.id);
      out.opened = page;
      out.open = page;
      return out;
    });
    this.notify(touched);
    return result;
  }

  async open(page: NewPage): Promise<PageRecord> {
    const record = await this.db.transaction().execute((trx) => insertPage(trx, this.now(), page));
    this.notify([record.id]);
    return record;
  }

  async get(ref: string): Promise<PageRecord | undefined> {
    const query = this.db.selectFrom("pages").selectAll();
    const row = /^\d+$/.test(ref) ? await query.where("number", "=", Number(ref)).executeTakeFirst() : await query.where("id", "=", ref).executeTakeFirst();
    return row && toPage(row);
  }

  async list(options: { status?: PageStatus[]; limit: number; beforeNumber?: number }): Promise<PageRecord[]> {
    let query = this.db.selectFrom("pages").selectAll().orderBy("number", "desc").limit(options.limit);
    if (options.status && options.status.length > 0) query = query.where("status", "in", options.status);
    if (options.beforeNumber !== undefined) query = query.where("number", "<", options.beforeNumber);
    return (await query.execute()).map(toPage);
  }

  async openForGroup(groupKey: string): Promise<PageRecord | undefined> {
    const row = await this.db
      .selectFrom("pages")
      .selectAll()
      .where("group_key", "=", groupKey)
      .where("status", "in", openStatuses)
      .orderBy("opened_at", "desc")
      .executeTakeFirst();
    return row && toPage(row);
  }

  async openCounts(): Promise<{ triggered: number; acknowledged: number }> {
    const rows = await this.db
      .selectFrom("pages")
      .select(["status", (eb) => eb.fn.countAll<string | number>().as("count")])
      .where("status", "in", openStatuses)
      .groupBy("status")
      .execute();
    const count = (status: PageStatus) => Number(rows.find((r) => r.status === status)?.count ?? 0);
    return { triggered: count("triggered"), acknowledged: count("acknowledged") };
  }

  async events(pageId: string, options: { after?: number } = {}): Promise<PageEvent[]> {
    const rows = await this.db
      .selectFrom("page_events")
      .selectAll()
      .where("page_id", "=", pageId)
      .where("seq", ">", options.after ?? 0)
      .orderBy("seq")
      .execute();
    return rows.map(toEvent);
  }

  async fireStep(
    pageId: string,
    input: { step: number; assignees: string[]; event: { type: PageEventType; data: Record<string, unknown> }; deliveries: NewDelivery[]; next?: Omit<NewTimer, "key"> },
  ): Promise<boolean> {
    const fired = await this.db.transaction().execute(async (trx) => {
      const now = this.now();
      // Moving the step under the row lock is what makes a step fire once, whoever runs it.
      const moved = await trx
        .updateTable("pages")
        .set({ step: input.step + 1, assignees: JSON.stringify(input.assignees), updated_at: now.getTime() })
        .where("id", "=", pageId)
        .where("step", "=", input.step)
        .where("status", "=", "triggered")
        .executeTakeFirst();
      if (moved.numUpdatedRows === 0n) return false;
      await appendEvent(trx, pageId, now.getTime(), input.event);
      await insertDeliveries(trx, now, pageId, input.deliveries);
      if (input.next) await scheduleTimer(trx, now, { ...input.next, key: pageEscalationKey(pageId) });
      return true;
    });
    if (fired) this.notify([pageId]);
    return fired;
  }

  async acknowledge(pageId: string, input: { by: string; through: string }): Promise<PageChange | undefined> {
    return this.change(pageId, async (trx, at) => {
      const row = await trx
        .updateTable("pages")
        .set({ status: "acknowledged", acknowledged_at: at, acknowledged_by: input.by, updated_at: at })
        .where("id", "=", pageId)
        .where("status", "=", "triggered")
        .returningAll()
        .executeTakeFirst();
      if (!row) return undefined;
      await cancelTimer(trx, new Date(at), pageEscalationKey(pageId));
      await appendEvent(trx, pageId, at, { type: "page.acknowledged", actor: input.by, data: { through: input.through } });
      if (row.incident_id) await acknowledgeIncident(trx, row.incident_id, at, { by: input.by, page: row.number });
      return row;
    });
  }

  async resolve(pageId: string, input: { by: string; through: string }): Promise<PageChange | undefined> {
    return this.change(pageId, (trx, at) => resolveRow(trx, pageId, at, input, openStatuses));
  }

  async reassign(pageId: string, input: { to: string[]; by: string; deliveries: NewDelivery[] }): Promise<PageChange | undefined> {
    return this.change(pageId, async (trx, at) => {
      const row = await trx
        .updateTable("pages")
        .set({ assignees: JSON.stringify(input.to), updated_at: at })
        .where("id", "=", pageId)
        .where("status", "in", openStatuses)
        .returningAll()
        .executeTakeFirst();
      if (!row) return undefined;
      await appendEvent(trx, pageId, at, { type: "page.reassigned", actor: input.by, data: { to: input.to } });
      await insertDeliveries(trx, new Date(at), pageId, input.deliveries);
      return row;
    });
  }

  async escalateNow(pageId: string, input: { by: string; timer: Omit<NewTimer, "key"> }): Promise<boolean> {
    const done = await this.db.transaction().execute(async (trx) => {
      const now = this.now();
      const row = await trx
        .updateTable("pages")
        .set({ updated_at: now.getTime() })
        .where("id", "=", pageId)
        .where("status", "=", "triggered")
        .returning(["step"])
        .executeTakeFirst();
      if (!row) return false;
      await scheduleTimer(trx, now, { ...input.timer, key: pageEscalationKey(pageId) });
      await appendEvent(trx, pageId, now.getTime(), { type: "page.escalated", actor: input.by, data: { step: row.step, manual: true } });
      return true;
    });
    if (done) this.notify([pageId]);
    return done;
  }

  async appendEvent(pageId: string, event: { type: PageEventType; actor?: string; data?: Record<string, unknown> }): Promise<void> {
    await this.db.transaction().execute((trx) => appendEvent(trx, pageId, this.now().getTime(), event));
    this.notify([pageId]);
  }

  onEvents(listener: (pageId: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Runs a state change; when it changes nothing, answers with the page as it stands. */
  private async change(pageId: string, apply: (trx: Kysely<Database>, at: number) => Promise<Selectable<PagesTable> | undefined>): Promise<PageChange | undefined> {
    const result = await this.db.transaction().execute(async (trx) => {
      const row = await apply(trx, this.now().getTime());
      if (row) return { changed: true, page: toPage(row) };
      const current = await trx.selectFrom("pages").selectAll().where("id", "=", pageId).executeTakeFirst();
      return current && { changed: false, page: toPage(current) };
    });
    if (result?.changed) {
      this.notify([pageId]);
      if (result.page.incidentId) this.incidentChanged(result.page.incidentId);
    }
    return result;
  }

  /** Tells the watchers of these pages that something of theirs changed. */
  notify(pageIds: string[]): void {
    for (const id of new Set(pageIds)) for (const listener of this.listeners) listener(id);
  }
}

/** Opens a page on `trx`, which may be another aggregate's transaction (an incident's page). */
export async function insertPage(trx: Kysely<Database>, now: Date, page: NewPage): Promise<PageRecord> {
  if (!page.title.trim()) throw new StoreError("a page needs a title");
  const at = now.getTime();
  const { value: number } = await trx
    .insertInto("counters")
    .values({ name: "page", value: 1 })
    .onConflict((conflict) => conflict.column("name").doUpdateSet({ value: sql<number>`counters.value + 1` }))
    .returning("value")
    .executeTakeFirstOrThrow();
  const row = await trx
    .insertInto("pages")
    .values({
      id: newId(),
      number: Number(number),
      title: page.title,
      status: "triggered",
      severity: page.severity ?? null,
      source: page.source,
      group_key: page.groupKey ?? null,
      labels: JSON.stringify(page.labels),
      annotations: JSON.stringify(page.annotations),
      runbook: page.runbook ?? null,
      route: page.route ? JSON.stringify(page.route) : null,
      policy: page.policy ? JSON.stringify(page.policy) : null,
      step: 0,
      assignees: "[]",
      event_seq: 0,
      incident_id: page.incidentId ?? null,
      opened_at: at,
      acknowledged_at: null,
      acknowledged_by: null,
      resolved_at: null,
      resolved_by: null,
      updated_at: at,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await appendEvent(trx, row.id, at, {
    type: "page.triggered",
    ...(page.actor ? { actor: page.actor } : {}),
    data: { source: page.source, ...(page.route ? { route: page.route } : {}), ...(page.severity ? { severity: page.severity } : {}) },
  });
  if (page.escalation) {
    await scheduleTimer(trx, now, { ...page.escalation, key: pageEscalationKey(row.id), payload: { ...page.escalation.payload, pageId: row.id } });
  }
  await insertDeliveries(trx, now, row.id, page.deliveries ?? []);
  for (const { name, ...timer } of page.timers ?? []) await scheduleTimer(trx, now, { ...timer, key: `page:${row.id}:${name}`, payload: { ...timer.payload, pageId: row.id } });
  return toPage({ ...row, event_seq: 1 });
}

async function resolveRow(
  trx: Kysely<Database>,
  pageId: string,
  at: number,
  input: { by: string; through: string },
  from: PageStatus[],
): Promise<Selectable<PagesTable> | undefined> {
  const row = await trx
    .updateTable("pages")
    .set({ status: "resolved", resolved_at: at, resolved_by: input.by, updated_at: at })
    .where("id", "=", pageId)
    .where("status", "in", from)
    .returningAll()
    .executeTakeFirst();
  if (!row) return undefined;
  await cancelTimer(trx, new Date(at), pageEscalationKey(pageId));
  await appendEvent(trx, pageId, at, { type: "page.resolved", actor: input.by, data: { through: input.through } });
  return row;
}

/** Appends under the page's row lock (the seq bump), so seqs never collide. */
export async function appendEvent(
  trx: Kysely<Database>,
  pageId: string,
  at: number,
  event: { type: PageEventType; actor?: string; data?: Record<string, unknown> },
): Promise<void> {
  const row = await trx
    .updateTable("pages")
    .set((eb) => ({ event_seq: eb("event_seq", "+", 1) }))
    .where("id", "=", pageId)
    .returning("event_seq")
    .executeTakeFirst();
  if (!row) throw new StoreError(`page ${pageId} does not exist`);
  let data = JSON.stringify(event.data ?? {});
  if (data.length > maxEventDataChars) data = JSON.stringify({ truncated: true, preview: data.slice(0, maxEventDataChars) });
  await trx
    .insertInto("page_events")
    .values({ page_id: pageId, seq: row.event_seq, at, type: event.type, actor: event.actor ?? null, data })
    .execute();
}

/** `ServerDown instance=game-1:9100`: enough to tell the alerts of one group apart. */
function describeAlert(labels: Record<string, string>): string {
  const { alertname, ...rest } = labels;
  const detail = Object.entries(rest)
    .filter(([name]) => name !== "severity")
    .slice(0, 3)
    .map(([name, value]) => `${name}=${value}`)
    .join(" ");
  return [alertname ?? "alert", detail].filter(Boolean).join(" ");
}

export function toPage(row: Selectable<PagesTable>): PageRecord {
  const iso = (ms: number | null) => (ms === null ? undefined : new Date(Number(ms)).toISOString());
  const acknowledgedAt = iso(row.acknowledged_at);
  const resolvedAt = iso(row.resolved_at);
  return {
    id: row.id,
    number: Number(row.number),
    title: row.title,
    status: row.status,
    ...(row.severity === null ? {} : { severity: row.severity }),
    source: row.source as PageRecord["source"],
    ...(row.group_key === null ? {} : { groupKey: row.group_key }),
    labels: JSON.parse(row.labels) as Record<string, string>,
    annotations: JSON.parse(row.annotations) as Record<string, string>,
    ...(row.runbook === null ? {} : { runbook: row.runbook }),
    ...(row.route === null ? {} : { route: JSON.parse(row.route) as PageRecord["route"] }),
    ...(row.policy === null ? {} : { policy: JSON.parse(row.policy) as Record<string, unknown> }),
    step: row.step,
    assignees: JSON.parse(row.assignees) as string[],
    ...(row.incident_id === null ? {} : { incidentId: row.incident_id }),
    openedAt: new Date(Number(row.opened_at)).toISOString(),
    ...(acknowledgedAt ? { acknowledgedAt } : {}),
    ...(row.acknowledged_by === null ? {} : { acknowledgedBy: row.acknowledged_by }),
    ...(resolvedAt ? { resolvedAt } : {}),
    ...(row.resolved_by === null ? {} : { resolvedBy: row.resolved_by }),
    updatedAt: new Date(Number(row.updated_at)).toISOString(),
  };
}

function toEvent(row: Selectable<PageEventsTable>): PageEvent {
  return {
    pageId: row.page_id,
    seq: row.seq,
    at: new Date(Number(row.at)).toISOString(),
    type: row.type as PageEventType,
    ...(row.actor === null ? {} : { actor: row.actor }),
    data: JSON.parse(row.data) as Record<string, unknown>,
  };
}
