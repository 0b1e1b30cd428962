import { sql, type Kysely, type Selectable } from "kysely";
import { newId } from "./ids.js";
import { appendEvent as appendPageEvent, insertPage, toPage } from "./pages.js";
import {
  incidentTimerKey,
  type ActionItem,
  type IncidentChange,
  type IncidentEvent,
  type IncidentEventType,
  type IncidentListQuery,
  type IncidentRecord,
  type IncidentRepository,
  type IncidentSource,
  type IncidentStatus,
  type IncidentTask,
  type Labels,
  type NewIncident,
  type NewIncidentEvent,
  type PageRecord,
} from "./store.js";
import { StoreError } from "./store-error.js";
import type { ActionItemsTable, Database, IncidentEventsTable, IncidentsTable, IncidentTasksTable } from "./tables.js";
import { cancelTimer, scheduleTimer } from "./timers.js";

const maxEventDataChars = 16 * 1024;

const listColumns = [
  "id",
  "number",
  "title",
  "severity",
  "status",
  "impact",
  "root_cause",
  "lessons",
  "source",
  "labels",
  "declared_at",
  "declared_by",
  "acknowledged_at",
  "acknowledged_by",
  "resolved_at",
  "documented_at",
  "respond_by",
  "sla_breached_at",
  "last_update_at",
  "next_update_at",
  "event_seq",
  "updated_at",
] as const;

export class Incidents implements IncidentRepository {
  private readonly listeners = new Set<(incidentId: string) => void>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => Date,
  ) {}

  async declare(input: NewIncident): Promise<{ incident: IncidentRecord; page?: PageRecord }> {
    if (!input.title.trim()) throw new StoreError("an incident needs a title");
    const result = await this.db.transaction().execute(async (trx) => {
      const now = this.now();
      const at = now.getTime();
      const { value: number } = await trx
        .insertInto("counters")
        .values({ name: "incident", value: 1 })
        .onConflict((conflict) => conflict.column("name").doUpdateSet({ value: sql<number>`counters.value + 1` }))
        .returning("value")
        .executeTakeFirstOrThrow();
      const id = newId();
      await trx
        .insertInto("incidents")
        .values({
          id,
          number: Number(number),
          title: input.title,
          severity: input.severity,
          status: "declared",
          impact: input.impact ?? null,
          root_cause: null,
          lessons: null,
          source: input.source,
          labels: JSON.stringify(input.labels),
          declared_at: at,
          declared_by: input.declaredBy,
          acknowledged_at: null,
          acknowledged_by: null,
          resolved_at: null,
          documented_at: null,
          respond_by: input.respondBy.getTime(),
          sla_breached_at: null,
          last_update_at: null,
          next_update_at: input.nextUpdateAt ? input.nextUpdateAt.getTime() : null,
          postmortem: null,
          event_seq: 0,
          updated_at: at,
        })
        .execute();
      await appendEvent(trx, id, at, {
        type: "incident.declared",
        actor: input.declaredBy,
        data: { severity: input.severity, source: input.source, respondBy: input.respondBy.toISOString(), ...(input.impact ? { impact: input.impact } : {}) },
      });
      for (const [role, personId] of Object.entries(input.roles)) {
        await trx.insertInto("incident_roles").values({ incident_id: id, role, person_id: personId, assigned_at: at, assigned_by: input.declaredBy }).execute();
        await appendEvent(trx, id, at, { type: "incident.role", actor: input.declaredBy, data: { role, to: personId } });
      }
      for (const [position, task] of input.tasks.entries()) {
        await trx
          .insertInto("incident_tasks")
          .values({ incident_id: id, task_id: task.taskId, phase: task.phase, title: task.title, owner_role: task.ownerRole ?? null, position, done_at: null, done_by: null })
          .execute();
      }
      for (const { name, ...timer } of input.timers) await scheduleTimer(trx, now, { ...timer, key: incidentTimerKey(id, name), payload: { ...timer.payload, incidentId: id } });
      const page = input.page ? await insertPage(trx, now, { ...input.page, incidentId: id }) : undefined;
      if (page) await appendEvent(trx, id, at, { type: "incident.page", data: { page: page.number, opened: true } });
      for (const pageId of input.attachPages ?? []) await linkPage(trx, id, pageId, at);
      return { id, page };
    });
    this.notify(result.id);
    return { incident: (await this.get(result.id))!, ...(result.page ? { page: result.page } : {}) };
  }

  async get(ref: string): Promise<IncidentRecord | undefined> {
    const number = /^(?:INC-)?(\d+)$/i.exec(ref);
    const query = this.db.selectFrom("incidents").selectAll();
    const row = number ? await query.where("number", "=", Number(number[1])).executeTakeFirst() : await query.where("id", "=", ref).executeTakeFirst();
    if (!row) return undefined;
    return toIncident(row, await this.rolesOf([row.id]));
  }

  async list(query: IncidentListQuery): Promise<IncidentRecord[]> {
    // Without the post-mortem document: a list is read often, the document only with its incident.
    let q = this.db
      .selectFrom("incidents")
      .select(listColumns)
      .select(sql<null>`null`.as("postmortem"))
      .orderBy("number", "desc")
      .limit(query.limit);
    if (query.status && query.status.length > 0) q = q.where("status", "in", query.status);
    if (query.severity && query.severity.length > 0) q = q.where("severity", "in", query.severity);
    if (query.beforeNumber !== undefined) q = q.where("number", "<", query.beforeNumber);
    const rows = await q.execute();
    const roles = await this.rolesOf(rows.map((r) => r.id));
    return rows.map((row) => toIncident(row, roles));
  }

  async declaredBetween(from: Date, to: Date): Promise<IncidentRecord[]> {
    const rows = await this.db
      .selectFrom("incidents")
      .selectAll()
      .where("declared_at", ">=", from.getTime())
      .where("declared_at", "<", to.getTime())
      .orderBy("declared_at")
      .execute();
    return rows.map((row) => toIncident(row, new Map()));
  }

  async change(id: string, change: IncidentChange): Promise<IncidentRecord | undefined> {
    const changed = await this.db.transaction().execute(async (trx) => {
      const now = this.now();
      const at = now.getTime();
      const ms = (d: Date | null | undefined) => (d === undefined ? undefined : d === null ? null : d.getTime());
      const set = change.set;
      const columns = Object.fromEntries(
        Object.entries({
          status: set.status,
          severity: set.severity,
          title: set.title,
          impact: set.impact,
          root_cause: set.rootCause,
          lessons: set.lessons,
          postmortem: set.postmortem,
          respond_by: ms(set.respondBy),
          acknowledged_at: ms(set.acknowledgedAt),
          acknowledged_by: set.acknowledgedBy,
          resolved_at: ms(set.resolvedAt),
          documented_at: ms(set.documentedAt),
          sla_breached_at: ms(set.slaBreachedAt),
          last_update_at: ms(set.lastUpdateAt),
          next_update_at: ms(set.nextUpdateAt),
        }).filter(([, value]) => value !== undefined),
      );
      let update = trx
        .updateTable("incidents")
        .set({ ...columns, updated_at: at })
        .where("id", "=", id);
      if (change.fromStatus) update = update.where("status", "in", change.fromStatus);
      const result = await update.executeTakeFirst();
      if (result.numUpdatedRows === 0n) return false;
      await appendEvent(trx, id, at, change.event);
      for (const { name, ...timer } of change.timers ?? []) await scheduleTimer(trx, now, { ...timer, key: incidentTimerKey(id, name), payload: { ...timer.payload, incidentId: id } });
      for (const name of change.cancelTimers ?? []) await cancelTimer(trx, now, incidentTimerKey(id, name));
      return true;
    });
    if (!changed) return undefined;
    this.notify(id);
    return this.get(id);
  }

  async assignRole(id: string, input: { role: string; personId: string; by: string }): Promise<{ previous?: string }> {
    const previous = await this.db.transaction().execute(async (trx) => {
      const at = this.now().getTime();
      const before = await trx.selectFrom("incident_roles").select("person_id").where("incident_id", "=", id).where("role", "=", input.role).executeTakeFirst();
      await trx
        .insertInto("incident_roles")
        .values({ incident_id: id, role: input.role, person_id: input.personId, assigned_at: at, assigned_by: input.by })
        .onConflict((conflict) => conflict.columns(["incident_id", "role"]).doUpdateSet({ person_id: input.personId, assigned_at: at, assigned_by: input.by }))
        .execute();
      await appendEvent(trx, id, at, {
        type: "incident.role",
        actor: input.by,
        data: { role: input.role, to: input.personId, ...(before ? { from: before.person_id } : {}) },
      });
      return before?.person_id;
    });
    this.notify(id);
    return previous ? { previous } : {};
  }

  async appendEvent(id: string, event: NewIncidentEvent): Promise<void> {
    await this.db.transaction().execute((trx) => appendEvent(trx, id, this.now().getTime(), event));
    this.notify(id);
  }

  async events(id: string, options: { after?: number } = {}): Promise<IncidentEvent[]> {
    const rows = await this.db
      .selectFrom("incident_events")
      .selectAll()
      .where("incident_id", "=", id)
      .where("seq", ">", options.after ?? 0)
      .orderBy("seq")
      .execute();
    return rows.map(toEvent);
  }

  async tasks(id: string): Promise<IncidentTask[]> {
    const rows = await this.db.selectFrom("incident_tasks").selectAll().where("incident_id", "=", id).orderBy("position").execute();
    return rows.map(toTask);
  }

  async setTaskDone(id: string, taskId: string, input: { by: string; done: boolean }): Promise<IncidentTask | undefined> {
    const row = await this.db.transaction().execute(async (trx) => {
      const at = this.now().getTime();
      const updated = await trx
        .updateTable("incident_tasks")
        .set(input.done ? { done_at: at, done_by: input.by } : { done_at: null, done_by: null })
        .where("incident_id", "=", id)
        .where("task_id", "=", taskId)
        .returningAll()
        .executeTakeFirst();
      if (updated) await appendEvent(trx, id, at, { type: "incident.task", actor: input.by, data: { task: taskId, title: updated.title, done: input.done } });
      return updated;
    });
    if (row) this.notify(id);
    return row && toTask(row);
  }

  async addActionItem(input: Omit<ActionItem, "id" | "createdAt" | "doneAt" | "doneBy">): Promise<ActionItem> {
    if (!input.text.trim()) throw new StoreError("an action item needs a text");
    const row = await this.db.transaction().execute(async (trx) => {
      const at = this.now().getTime();
      const values = {
        id: newId(),
        incident_id: input.incidentId,
        text: input.text,
        owner: input.owner,
        due_on: input.dueOn ?? null,
        created_at: at,
        created_by: input.createdBy,
        done_at: null,
        done_by: null,
      };
      await trx.insertInto("action_items").values(values).execute();
      await appendEvent(trx, input.incidentId, at, { type: "incident.action_item", actor: input.createdBy, data: { text: input.text, owner: input.owner, ...(input.dueOn ? { dueOn: input.dueOn } : {}) } });
      return values;
    });
    this.notify(input.incidentId);
    return toActionItem(row);
  }

  async actionItems(options: { incidentId?: string; open?: boolean }): Promise<ActionItem[]> {
    let query = this.db.selectFrom("action_items").selectAll().orderBy("created_at").orderBy("id");
    if (options.incidentId) query = query.where("incident_id", "=", options.incidentId);
    if (options.open) query = query.where("done_at", "is", null);
    return (await query.execute()).map(toActionItem);
  }

  async completeActionItem(id: string, by: string): Promise<ActionItem | undefined> {
    const row = await this.db.transaction().execute(async (trx) => {
      const at = this.now().getTime();
      const updated = await trx.updateTable("action_items").set({ done_at: at, done_by: by }).where("id", "=", id).where("done_at", "is", null).returningAll().executeTakeFirst();
      if (updated) await appendEvent(trx, updated.incident_id, at, { type: "incident.action_item", actor: by, data: { text: updated.text, done: true } });
      return updated;
    });
    if (row) this.notify(row.incident_id);
    return row && toActionItem(row);
  }

  async linkPage(id: string, pageId: string): Promise<void> {
    await this.db.transaction().execute((trx) => linkPage(trx, id, pageId, this.now().getTime()));
    this.notify(id);
  }

  async pages(id: string): Promise<PageRecord[]> {
    const rows = await this.db.selectFrom("pages").selectAll().where("incident_id", "=", id).orderBy("number").execute();
    return rows.map(toPage);
  }

  onEvents(listener: (incidentId: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Tells the watchers of this incident that something of it changed. */
  notify(id: string): void {
    for (const listener of this.listeners) listener(id);
  }

  private async rolesOf(ids: string[]): Promise<Map<string, Record<string, string>>> {
    const roles = new Map<string, Record<string, string>>();
    if (ids.length === 0) return roles;
    const rows = await this.db.selectFrom("incident_roles").select(["incident_id", "role", "person_id"]).where("incident_id", "in", ids).execute();
    for (const row of rows) roles.set(row.incident_id, { ...roles.get(row.incident_id), [row.role]: row.person_id });
    return roles;
  }
}

/** The incident's first acknowledgement (through any of its pages) stops its response clock. */
export async function acknowledgeIncident(trx: Kysely<Database>, id: string, at: number, input: { by: string; page?: number }): Promise<boolean> {
  const result = await trx
    .updateTable("incidents")
    .set({ acknowledged_at: at, acknowledged_by: input.by, updated_at: at })
    .where("id", "=", id)
    .where("acknowledged_at", "is", null)
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) return false;
  await cancelTimer(trx, new Date(at), incidentTimerKey(id, "sla"));
  await appendEvent(trx, id, at, { type: "incident.acknowledged", actor: input.by, data: input.page === undefined ? {} : { page: input.page } });
  return true;
}

async function linkPage(trx: Kysely<Database>, id: string, pageId: string, at: number): Promise<void> {
  const page = await trx.updateTable("pages").set({ incident_id: id, updated_at: at }).where("id", "=", pageId).returning(["number"]).executeTakeFirst();
  if (!page) throw new StoreError(`page ${pageId} does not exist`);
  const incident = await trx.selectFrom("incidents").select("number").where("id", "=", id).executeTakeFirstOrThrow();
  await appendPageEvent(trx, pageId, at, { type: "page.note", data: { incident: id, text: `joined INC-${Number(incident.number)}` } });
  await appendEvent(trx, id, at, { type: "incident.page", data: { page: page.number } });
}

/** Appends under the incident's row lock (the seq bump), so seqs never collide. */
async function appendEvent(trx: Kysely<Database>, id: string, at: number, event: NewIncidentEvent): Promise<void> {
  const row = await trx
    .updateTable("incidents")
    .set((eb) => ({ event_seq: eb("event_seq", "+", 1) }))
    .where("id", "=", id)
    .returning("event_seq")
    .executeTakeFirst();
  if (!row) throw new StoreError(`incident ${id} does not exist`);
  let data = JSON.stringify(event.data ?? {});
  if (data.length > maxEventDataChars) data = JSON.stringify({ truncated: true, preview: data.slice(0, maxEventDataChars) });
  await trx
    .insertInto("incident_events")
    .values({ incident_id: id, seq: row.event_seq, at, type: event.type, actor: event.actor ?? null, data })
    .execute();
}

const iso = (ms: number) => new Date(Number(ms)).toISOString();

function toIncident(row: Selectable<IncidentsTable>, roles: Map<string, Record<string, string>>): IncidentRecord {
  const time = (ms: number | null) => (ms === null ? undefined : iso(ms));
  const record: IncidentRecord = {
    id: row.id,
    number: Number(row.number),
    title: row.title,
    severity: row.severity,
    status: row.status as IncidentStatus,
    source: row.source as IncidentSource,
    labels: JSON.parse(row.labels) as Labels,
    declaredAt: iso(row.declared_at),
    declaredBy: row.declared_by,
    respondBy: iso(row.respond_by),
    roles: roles.get(row.id) ?? {},
    updatedAt: iso(row.updated_at),
  };
  const optional = {
    impact: row.impact,
    rootCause: row.root_cause,
    lessons: row.lessons,
    acknowledgedAt: time(row.acknowledged_at),
    acknowledgedBy: row.acknowledged_by,
    resolvedAt: time(row.resolved_at),
    documentedAt: time(row.documented_at),
    slaBreachedAt: time(row.sla_breached_at),
    lastUpdateAt: time(row.last_update_at),
    nextUpdateAt: time(row.next_update_at),
    postmortem: row.postmortem,
  };
  for (const [key, value] of Object.entries(optional)) if (value !== null && value !== undefined) (record as unknown as Record<string, string>)[key] = value;
  return record;
}

function toEvent(row: Selectable<IncidentEventsTable>): IncidentEvent {
  return {
    incidentId: row.incident_id,
    seq: row.seq,
    at: iso(row.at),
    type: row.type as IncidentEventType,
    ...(row.actor === null ? {} : { actor: row.actor }),
    data: JSON.parse(row.data) as Record<string, unknown>,
  };
}

function toTask(row: Selectable<IncidentTasksTable>): IncidentTask {
  return {
    taskId: row.task_id,
    phase: row.phase,
    title: row.title,
    ...(row.owner_role === null ? {} : { ownerRole: row.owner_role }),
    ...(row.done_at === null ? {} : { doneAt: iso(row.done_at) }),
    ...(row.done_by === null ? {} : { doneBy: row.done_by }),
  };
}

function toActionItem(row: Selectable<ActionItemsTable>): ActionItem {
  return {
    id: row.id,
    incidentId: row.incident_id,
    text: row.text,
    owner: row.owner,
    ...(row.due_on === null ? {} : { dueOn: row.due_on }),
    createdAt: iso(row.created_at),
    createdBy: row.created_by,
    ...(row.done_at === null ? {} : { doneAt: iso(row.done_at) }),
    ...(row.done_by === null ? {} : { doneBy: row.done_by }),
  };
}
