import type { Config } from "../../config/load.js";
import type { EscalationTarget } from "../../config/paging-schema.js";
import { responseDeadline, nextUpdateDue } from "../../domain/incidents/clocks.js";
import { fillCustomerNotice } from "../../domain/incidents/customer-notice.js";
import { IncidentError } from "../../domain/incidents/incident-error.js";
import { assertTransition, nextStates, parseState, type IncidentState } from "../../domain/incidents/life-cycle.js";
import { renderPostmortem } from "../../domain/incidents/postmortem.js";
import { incidentReference } from "../../domain/incidents/reference.js";
import { responseMetrics, type ResponseMetrics } from "../../domain/incidents/response-metrics.js";
import { severityOf, type Severity } from "../../domain/incidents/severity.js";
import { checklistFor, parseRole, rolesFor, roleLabels, type IncidentRole } from "../../domain/incidents/war-room.js";
import { onCallAt } from "../../domain/oncall/schedule.js";
import { escalationStep, type PolicySnapshot } from "../../domain/paging/escalation.js";
import type { Notice } from "../../integrations/notify/notice.js";
import type { ActionItem, IncidentChange, IncidentEvent, IncidentRecord, IncidentSource, IncidentTask, NewDelivery, PageRecord, Person, Store } from "../../store/store.js";
import { deliveriesFor } from "../paging/notices.js";
import { deliveryTimer } from "../paging/delivery-sender.js";
import { escalationTimer } from "../paging/escalation.js";
import { declareFromPageTimer, type Paging } from "../paging/paging.js";
import type { TimerHandler, TimerLoop } from "../timer-loop.js";
import { ActionItemReminders, actionItemReminderTimer } from "./action-item-reminders.js";

export const incidentSlaTimer = "incident.sla";
export const incidentUpdateTimer = "incident.update";

/** A request about incidents that cannot be done as asked; `kind` picks the HTTP status and the exit code. */
export class IncidentRefused extends Error {
  constructor(
    readonly kind: "not_found" | "invalid" | "conflict",
    message: string,
  ) {
    super(message);
    this.name = "IncidentRefused";
  }
}

export interface IncidentServiceOptions {
  store: Store;
  config: Config;
  paging: Paging;
  /** Base of console links: paging.publicUrl, or the server's address. */
  publicUrl: () => string;
  now?: () => Date;
}

export interface WarRoom {
  incident: IncidentRecord;
  severity: Severity;
  /** Where the life cycle allows it to go from here. */
  nextStates: readonly IncidentState[];
  events: IncidentEvent[];
  tasks: IncidentTask[];
  pages: PageRecord[];
  actionItems: Awaited<ReturnType<Store["incidents"]["actionItems"]>>;
}

/**
 * Incidents: declaring one opens its page (the IC and the first responders at once, the
 * severity's escalation targets when the response deadline passes), its war-room checklist and
 * its clocks; everything after is recorded on its timeline. The response SLA does not page by
 * itself: a breach escalates the incident's page now, so there is one escalation mechanism.
 */
export class IncidentService {
  private readonly now: () => Date;
  private readonly reminders: ActionItemReminders;

  constructor(private readonly options: IncidentServiceOptions) {
    this.now = options.now ?? (() => new Date());
    this.reminders = new ActionItemReminders({
      store: options.store,
      timeZone: options.config.team.timeZone,
      publicUrl: options.publicUrl,
      channels: () => options.paging.sender.channelNames,
      now: this.now,
    });
  }

  register(timers: TimerLoop): void {
    timers.handle(incidentSlaTimer, this.slaHandler);
    timers.handle(incidentUpdateTimer, this.updateHandler);
    timers.handle(declareFromPageTimer, this.declareFromPageHandler);
    timers.handle(actionItemReminderTimer, this.reminders.handler);
  }

  /** At server start: the daily reminder of overdue action items. */
  async arm(): Promise<void> {
    await this.reminders.arm();
  }

  async declare(input: {
    title: string;
    severity: string;
    impact?: string;
    /** Incident commander (war room) or owner; the on-call primary when absent. */
    commander?: string;
    by: string;
    source: IncidentSource;
    labels?: Record<string, string>;
    /** Pages that exist already (an alert's) joining the incident. */
    pages?: string[];
    /** False when an alert's page, already paging the on-call, is the incident's page. */
    openPage?: boolean;
  }): Promise<{ incident: IncidentRecord; page?: PageRecord }> {
    const { store, config } = this.options;
    const title = input.title.trim();
    if (!title) throw new IncidentRefused("invalid", "title: an incident needs a title, like \"Login fails for 30% of players\"");
    const severity = this.severity(input.severity);
    const now = this.now();
    const commander = input.commander ?? (await this.onCallPrimary(now)) ?? ((await store.people.getPerson(input.by)) ? input.by : undefined);
    if (commander !== undefined) await this.person(commander, "commander");
    const respondBy = new Date(responseDeadline(severity, now.getTime(), config.incidents.businessHours, config.team.timeZone));
    const nextUpdate = nextUpdateDue(severity, now.getTime());
    const lead: IncidentRole = severity.warRoom ? "incident_commander" : "owner";
    const tasks = checklistFor(severity).map((task) => ({ taskId: task.id, phase: task.phase, title: task.title, ownerRole: task.ownerRole }));
    const labels = { severity: severity.id, ...input.labels };
    const declared = await store.incidents.declare({
      title,
      severity: severity.id,
      source: input.source,
      labels,
      ...(input.impact ? { impact: input.impact } : {}),
      declaredBy: input.by,
      respondBy,
      ...(nextUpdate !== undefined ? { nextUpdateAt: new Date(nextUpdate) } : {}),
      roles: commander ? { [lead]: commander } : {},
      tasks,
      ...(input.openPage === false
        ? {}
        : {
            page: {
              title: `[${severity.id}] ${title}`,
              severity: severity.id,
              source: "manual",
              labels,
              annotations: { summary: title, ...(input.impact ? { description: input.impact } : {}) },
              policy: this.pagePolicy(severity, commander, respondBy.getTime() - now.getTime()) as unknown as Record<string, unknown>,
              escalation: { kind: escalationTimer, dueAt: now },
              actor: input.by,
            },
          }),
      attachPages: await this.pageIds(input.pages ?? []),
      timers: [
        // Immediate (P1): no clock to count down; the page reaches escalateTo at once.
        ...(severity.respondWithin > 0 ? [{ name: "sla" as const, kind: incidentSlaTimer, dueAt: respondBy }] : []),
        ...(nextUpdate !== undefined ? [{ name: "update" as const, kind: incidentUpdateTimer, dueAt: new Date(nextUpdate) }] : []),
      ],
    });
    await store.audit.append({ actor: input.by, action: "incident.declare", subject: `incident:${declared.incident.number}`, details: { severity: severity.id, title } });
    await this.announce(declared.incident, `${incidentReference(declared.incident.number)} declared: ${severity.id} ${severity.name}`, input.impact ?? title);
    return declared;
  }

  async get(ref: string): Promise<IncidentRecord> {
    const incident = await this.options.store.incidents.get(ref.trim());
    if (!incident) throw new IncidentRefused("not_found", `no incident ${ref}; gameops incident list shows them`);
    return incident;
  }

  async warRoom(ref: string): Promise<WarRoom> {
    const incident = await this.get(ref);
    const { store } = this.options;
    const [events, tasks, pages, actionItems] = await Promise.all([
      store.incidents.events(incident.id),
      store.incidents.tasks(incident.id),
      store.incidents.pages(incident.id),
      store.incidents.actionItems({ incidentId: incident.id }),
    ]);
    return { incident, severity: this.severity(incident.severity), nextStates: nextStates(incident.status as IncidentState), events, tasks, pages, actionItems };
  }

  /** Acknowledges the incident by acknowledging its pages (the store acknowledges the incident with the first). */
  async acknowledge(ref: string, by: string, through: string): Promise<IncidentRecord> {
    const incident = await this.get(ref);
    const pages = await this.options.store.incidents.pages(incident.id);
    for (const page of pages.filter((p) => p.status === "triggered")) await this.options.store.pages.acknowledge(page.id, { by, through });
    if (!(await this.get(incident.id)).acknowledgedAt) {
      // No triggered page left (all were acknowledged or resolved elsewhere): acknowledge it directly.
      await this.change(incident, { set: { acknowledgedAt: this.now(), acknowledgedBy: by }, cancelTimers: ["sla"], event: { type: "incident.acknowledged", actor: by, data: { through } } });
    }
    return this.get(incident.id);
  }

  async moveTo(ref: string, target: string, by: string): Promise<IncidentRecord> {
    const incident = await this.get(ref);
    const to = this.parse("status", () => parseState(target));
    const from = incident.status as IncidentState;
    this.parse("status", () => assertTransition(from, to));
    const now = this.now();
    const severity = this.severity(incident.severity);
    const change: IncidentChange = { fromStatus: [from], set: { status: to }, event: { type: "incident.status", actor: by, data: { from, to } } };
    if (to === "resolved") {
      change.set.resolvedAt = now;
      change.set.nextUpdateAt = null;
      change.cancelTimers = ["sla", "update"];
    } else if (from === "resolved") {
      // Reopened: it is live again, and so is its update cadence.
      change.set.resolvedAt = null;
      const next = nextUpdateDue(severity, now.getTime());
      if (next !== undefined) {
        change.set.nextUpdateAt = new Date(next);
        change.timers = [{ name: "update", kind: incidentUpdateTimer, dueAt: new Date(next) }];
      }
    }
    if (to === "documented") change.set.documentedAt = now;
    const changed = await this.change(incident, change);
    if (to === "resolved") {
      for (const page of await this.options.store.incidents.pages(incident.id)) {
        if (page.status !== "resolved") await this.options.store.pages.resolve(page.id, { by, through: "incident" });
      }
      await this.announce(changed, `${incidentReference(incident.number)} resolved`, incident.title);
    }
    return changed;
  }

  /** A new severity: the response deadline follows it while nobody has acknowledged. */
  async setSeverity(ref: string, target: string, by: string): Promise<IncidentRecord> {
    const incident = await this.get(ref);
    const severity = this.severity(target);
    if (severity.id === incident.severity) return incident;
    const { config } = this.options;
    const change: IncidentChange = { set: { severity: severity.id }, event: { type: "incident.severity", actor: by, data: { from: incident.severity, to: severity.id } } };
    if (!incident.acknowledgedAt) {
      const respondBy = new Date(responseDeadline(severity, Date.parse(incident.declaredAt), config.incidents.businessHours, config.team.timeZone));
      change.set.respondBy = respondBy;
      if (severity.respondWithin > 0) change.timers = [{ name: "sla", kind: incidentSlaTimer, dueAt: respondBy }];
      else change.cancelTimers = ["sla"];
    }
    return this.change(incident, change);
  }

  async assignRole(ref: string, roleText: string, personId: string, by: string): Promise<{ incident: IncidentRecord; previous?: string }> {
    const incident = await this.get(ref);
    const role = this.parse("role", () => parseRole(roleText));
    const allowed = rolesFor(this.severity(incident.severity));
    if (!allowed.includes(role)) {
      throw new IncidentRefused("invalid", `role: a ${incident.severity} incident has ${allowed.map((r) => roleLabels[r]).join(", ")}; not ${roleLabels[role]}`);
    }
    await this.person(personId, "person");
    const { previous } = await this.options.store.incidents.assignRole(incident.id, { role, personId, by });
    return { incident: await this.get(incident.id), ...(previous ? { previous } : {}) };
  }

  async note(ref: string, text: string, by: string): Promise<void> {
    const incident = await this.get(ref);
    if (!text.trim()) throw new IncidentRefused("invalid", "text: a note needs some text");
    await this.options.store.incidents.appendEvent(incident.id, { type: "incident.note", actor: by, data: { text: text.trim() } });
  }

  /** A status update: recorded, posted to the war-room channel, and the next one is due a cadence later. */
  async postUpdate(ref: string, input: { text: string; by: string; customerNotice?: boolean }): Promise<{ incident: IncidentRecord; customerNotice?: string }> {
    const incident = await this.get(ref);
    const text = input.text.trim();
    if (!text) throw new IncidentRefused("invalid", "text: a status update needs some text");
    const severity = this.severity(incident.severity);
    const now = this.now();
    const live = incident.status !== "resolved" && incident.status !== "postmortem" && incident.status !== "documented";
    const next = live ? nextUpdateDue(severity, now.getTime()) : undefined;
    const { config } = this.options;
    const template = config.incidents.customerNotice;
    if (input.customerNotice && !template) throw new IncidentRefused("invalid", "customerNotice: no template is configured; set incidents.customerNotice");
    const notice =
      input.customerNotice && template
        ? fillCustomerNotice(template, {
            number: incident.number,
            title: incident.title,
            severity: { id: severity.id, name: severity.name },
            state: incident.status as IncidentState,
            ...(incident.impact ? { impact: incident.impact } : {}),
            update: text,
            ...(next !== undefined ? { nextUpdateAt: next } : {}),
            timeZone: config.team.timeZone,
          })
        : undefined;
    const changed = await this.change(incident, {
      set: { lastUpdateAt: now, nextUpdateAt: next === undefined ? null : new Date(next) },
      event: { type: "incident.update", actor: input.by, data: { text, ...(notice ? { customerNotice: notice } : {}) } },
      ...(next !== undefined ? { timers: [{ name: "update" as const, kind: incidentUpdateTimer, dueAt: new Date(next) }] } : {}),
    });
    await this.announce(changed, `${incidentReference(incident.number)} update`, notice ?? text);
    return { incident: changed, ...(notice ? { customerNotice: notice } : {}) };
  }

  async setTask(ref: string, taskId: string, input: { done: boolean; by: string }): Promise<IncidentTask> {
    const incident = await this.get(ref);
    const task = await this.options.store.incidents.setTaskDone(incident.id, taskId, input);
    if (!task) {
      const ids = (await this.options.store.incidents.tasks(incident.id)).map((t) => t.taskId);
      throw new IncidentRefused("not_found", `task: ${incidentReference(incident.number)} has no checklist item "${taskId}"; its items are ${ids.join(", ")}`);
    }
    return task;
  }

  /** An action item; its owner is a person (reminded when it is overdue) or a team. */
  async addActionItem(ref: string, input: { text: string; owner: string; dueOn?: string; by: string }): Promise<ActionItem> {
    const incident = await this.get(ref);
    const text = input.text.trim();
    if (!text) throw new IncidentRefused("invalid", 'text: an action item needs a text, like "Alert on login error rate"');
    const owner = input.owner.trim();
    const { people } = this.options.store;
    if (!(await people.getPerson(owner)) && !(await people.listTeams()).some((t) => t.id === owner)) {
      throw new IncidentRefused("invalid", `owner: no person or team "${owner}"; gameops people and gameops team list them`);
    }
    return this.options.store.incidents.addActionItem({ incidentId: incident.id, text, owner, ...(input.dueOn ? { dueOn: input.dueOn } : {}), createdBy: input.by });
  }

  async completeActionItem(id: string, by: string): Promise<ActionItem> {
    const item = await this.options.store.incidents.completeActionItem(id, by);
    if (!item) throw new IncidentRefused("not_found", `no open action item ${id}; gameops incident show INCIDENT lists its items`);
    return item;
  }

  /** Pages the on-call of another schedule into the incident. */
  async requestPeople(ref: string, scheduleId: string, by: string): Promise<PageRecord> {
    const incident = await this.get(ref);
    const schedule = this.options.config.paging.schedules.find((s) => s.id === scheduleId);
    if (!schedule) {
      const ids = this.options.config.paging.schedules.map((s) => s.id);
      throw new IncidentRefused("not_found", `schedule: no schedule "${scheduleId}"${ids.length ? `; schedules: ${ids.join(", ")}` : " (paging.schedules is empty)"}`);
    }
    const now = this.now();
    const policy: PolicySnapshot = { id: `incident-help:${scheduleId}`, levels: [{ after: 0, notify: [{ schedule: scheduleId, role: "primary" }] }, { after: 15 * 60_000, notify: [{ schedule: scheduleId, role: "backup" }] }], repeat: 0, repeatAfter: 15 * 60_000 };
    const requester = (await this.options.store.people.getPerson(by))?.name ?? by;
    const page = await this.options.store.pages.open({
      title: `[${incident.severity}] ${incident.title} — help requested by ${requester}`,
      severity: incident.severity,
      source: "manual",
      labels: incident.labels,
      annotations: { summary: incident.title },
      policy: policy as unknown as Record<string, unknown>,
      escalation: { kind: escalationTimer, dueAt: now },
      incidentId: incident.id,
      actor: by,
    });
    await this.options.store.incidents.appendEvent(incident.id, { type: "incident.people_requested", actor: by, data: { schedule: scheduleId, page: page.number } });
    return page;
  }

  /** The post-mortem document: the stored one once written (or edited), else (or when asked) drafted afresh from the incident. */
  async postmortem(ref: string, options: { fresh?: boolean } = {}): Promise<{ incident: IncidentRecord; markdown: string; draft: boolean }> {
    const room = await this.warRoom(ref);
    if (room.incident.postmortem && !options.fresh) return { incident: room.incident, markdown: room.incident.postmortem, draft: false };
    return { incident: room.incident, markdown: await this.draft(room), draft: true };
  }

  /** Keeps the document as written; an incident not in post-mortem yet moves there once resolved. */
  async savePostmortem(ref: string, markdown: string, by: string): Promise<IncidentRecord> {
    const incident = await this.get(ref);
    if (!markdown.trim()) throw new IncidentRefused("invalid", "markdown: the post-mortem is empty");
    const change: IncidentChange = { set: { postmortem: markdown }, event: { type: "incident.postmortem", actor: by, data: { chars: markdown.length } } };
    if (incident.status === "resolved") change.set.status = "postmortem";
    return this.change(incident, change);
  }

  async editAnalysis(ref: string, input: { impact?: string; rootCause?: string; lessons?: string; by: string }): Promise<IncidentRecord> {
    const incident = await this.get(ref);
    const set: IncidentChange["set"] = {};
    if (input.impact !== undefined) set.impact = input.impact.trim() || null;
    if (input.rootCause !== undefined) set.rootCause = input.rootCause.trim() || null;
    if (input.lessons !== undefined) set.lessons = input.lessons.trim() || null;
    return this.change(incident, { set, event: { type: "incident.note", actor: input.by, data: { edited: Object.keys(set) } } });
  }

  async metrics(input: { from: Date; to: Date }): Promise<ResponseMetrics[]> {
    const incidents = await this.options.store.incidents.declaredBetween(input.from, input.to);
    return responseMetrics(
      incidents.map((i) => ({
        severity: this.severity(i.severity).id,
        declaredAt: Date.parse(i.declaredAt),
        ...(i.acknowledgedAt ? { acknowledgedAt: Date.parse(i.acknowledgedAt) } : {}),
        ...(i.resolvedAt ? { resolvedAt: Date.parse(i.resolvedAt) } : {}),
      })),
      this.options.config.team.timeZone,
    );
  }

  /** An alert's route said `declare: P2`: the incident is declared around the alert's page, once. */
  private readonly declareFromPageHandler: TimerHandler = async (timer) => {
    const page = await this.options.store.pages.get(String(timer.payload.pageId));
    if (!page || page.incidentId || page.status === "resolved") return;
    await this.declare({
      title: page.title,
      severity: String(timer.payload.severity),
      ...(page.annotations.description ? { impact: page.annotations.description } : {}),
      by: "alertmanager",
      source: "alert",
      labels: page.labels,
      pages: [page.id],
      openPage: false,
    });
  };

  /** The response deadline passed: if still unacknowledged, record the breach and escalate the incident's pages now. */
  private readonly slaHandler: TimerHandler = async (timer) => {
    const incident = await this.options.store.incidents.get(String(timer.payload.incidentId));
    if (!incident || incident.acknowledgedAt || incident.slaBreachedAt || incident.resolvedAt) return;
    const now = this.now();
    await this.change(incident, {
      set: { slaBreachedAt: now },
      event: { type: "incident.sla_breached", data: { respondBy: incident.respondBy, severity: incident.severity } },
    });
    for (const page of await this.options.store.incidents.pages(incident.id)) {
      if (page.status !== "triggered" || !page.policy) continue;
      // The incident's own page has a level at the deadline (it was built so): that level is the
      // breach's escalation, fired or due now; escalating too would skip the next one.
      const snapshot = page.policy as unknown as PolicySnapshot;
      const opened = Date.parse(page.openedAt);
      const fired = page.step > 0 ? escalationStep(snapshot, page.step - 1) : undefined;
      if (fired && opened + fired.dueOffsetMs >= Date.parse(incident.respondBy)) continue;
      const next = escalationStep(snapshot, page.step);
      if (!next || opened + next.dueOffsetMs <= now.getTime()) continue;
      await this.options.paging.escalateNow(page.id, "sla");
    }
  };

  /** A status update is due: remind the IC (or owner), and again a cadence later until one is posted. */
  private readonly updateHandler: TimerHandler = async (timer) => {
    const { store } = this.options;
    const incident = await store.incidents.get(String(timer.payload.incidentId));
    if (!incident || incident.resolvedAt) return;
    const severity = this.severity(incident.severity);
    const now = this.now();
    const next = nextUpdateDue(severity, now.getTime());
    const lead = incident.roles.incident_commander ?? incident.roles.owner;
    await this.change(incident, {
      set: { nextUpdateAt: next === undefined ? null : new Date(next) },
      event: { type: "incident.update_due", data: { remind: lead ?? null, lastUpdateAt: incident.lastUpdateAt ?? null } },
      ...(next !== undefined ? { timers: [{ name: "update" as const, kind: incidentUpdateTimer, dueAt: new Date(next) }] } : {}),
    });
    const person = lead ? await store.people.getPerson(lead) : undefined;
    if (!person) return;
    const notice = this.notice(incident, `Status update due for ${incidentReference(incident.number)}`, `Post an update: gameops incident update ${incident.number} "…" — last one ${incident.lastUpdateAt ?? "never"}.`);
    await store.deliveries.queue(deliveriesFor(person, notice, { channels: this.options.paging.sender.channelNames, now }));
  };

  private pagePolicy(severity: Severity, commander: string | undefined, respondAfterMs: number): PolicySnapshot {
    const { paging } = this.options.config;
    const ladder = paging.policies.find((p) => p.id === (severity.policy ?? paging.defaultPolicy));
    const first: EscalationTarget[] = [
      ...(commander ? [{ person: commander }] : []),
      ...(severity.firstResponders.length > 0 ? severity.firstResponders : (ladder?.levels[0]?.notify ?? [])),
    ];
    const levels: PolicySnapshot["levels"] = [{ after: 0, notify: first }];
    if (severity.escalateTo.length > 0) levels.push({ after: respondAfterMs, notify: severity.escalateTo });
    // The rest of the ladder carries on after the response deadline.
    for (const level of ladder?.levels.slice(1) ?? []) levels.push({ after: respondAfterMs + level.after, notify: level.notify });
    return { id: `incident:${severity.id}`, name: `${severity.id} ${severity.name}`, levels, repeat: 0, repeatAfter: 15 * 60_000 };
  }

  /** Posts to the war-room channel, when one is configured. */
  private async announce(incident: IncidentRecord, title: string, text: string): Promise<void> {
    const channel = this.options.config.incidents.warRoomChannel;
    if (!channel) return;
    const delivery: NewDelivery = {
      recipient: { id: "war-room", name: "war room" },
      channel,
      notice: this.notice(incident, title, text) as unknown as Record<string, unknown>,
      timer: { kind: deliveryTimer, dueAt: this.now() },
    };
    await this.options.store.deliveries.queue([delivery]);
  }

  private notice(incident: IncidentRecord, title: string, text: string): Notice {
    return {
      kind: "incident",
      title,
      text,
      severity: incident.severity,
      incident: incidentReference(incident.number),
      links: { page: `${this.options.publicUrl().replace(/\/+$/, "")}/#/incidents/${incident.number}` },
    };
  }

  private async draft(room: WarRoom): Promise<string> {
    const { config } = this.options;
    const people = new Map((await this.options.store.people.listPeople()).map((p) => [p.id, p.name]));
    const name = (id: string) => people.get(id) ?? id;
    const base = this.options.publicUrl().replace(/\/+$/, "");
    return renderPostmortem({
      number: room.incident.number,
      title: room.incident.title,
      severity: { id: room.severity.id, name: room.severity.name },
      declaredAt: Date.parse(room.incident.declaredAt),
      ...(room.incident.resolvedAt ? { resolvedAt: Date.parse(room.incident.resolvedAt) } : {}),
      ...(room.incident.impact ? { impact: room.incident.impact } : {}),
      ...(room.incident.rootCause ? { rootCause: room.incident.rootCause } : {}),
      ...(room.incident.lessons ? { lessons: room.incident.lessons } : {}),
      timeZone: config.team.timeZone,
      timeline: room.events.flatMap((event) => {
        const text = describeEvent(event, name);
        return text ? [{ at: Date.parse(event.at), text }] : [];
      }),
      roles: Object.entries(room.incident.roles).map(([role, id]) => ({ role: role as IncidentRole, name: name(id) })),
      actionItems: room.actionItems.map((a) => ({ text: a.text, owner: name(a.owner), ...(a.dueOn ? { dueOn: a.dueOn } : {}), done: a.doneAt !== undefined })),
      links: {
        console: `${base}/#/incidents/${room.incident.number}`,
        pages: room.pages.map((p) => ({ number: p.number, url: `${base}/#/pages/${p.number}` })),
        runbookRuns: room.events
          .filter((e) => e.type === "incident.runbook_run")
          .map((e) => ({ id: String(e.data.run), runbook: String(e.data.runbook), url: `${base}/#/runs/${String(e.data.run)}` })),
      },
    });
  }

  private async change(incident: IncidentRecord, change: IncidentChange): Promise<IncidentRecord> {
    const changed = await this.options.store.incidents.change(incident.id, change);
    if (!changed) throw new IncidentRefused("conflict", `${incidentReference(incident.number)} changed meanwhile (it is ${(await this.get(incident.id)).status} now); look again and retry`);
    return changed;
  }

  private severity(id: string): Severity {
    return this.parse("severity", () => severityOf(this.options.config.incidents, id));
  }

  /** The domain's refusals, as the request's: `field: message`. */
  private parse<T>(field: string, work: () => T): T {
    try {
      return work();
    } catch (error) {
      if (error instanceof IncidentError) throw new IncidentRefused("invalid", `${field}: ${error.message}`);
      throw error;
    }
  }

  private async person(id: string, field: string): Promise<Person> {
    const person = await this.options.store.people.getPerson(id);
    if (!person) throw new IncidentRefused("invalid", `${field}: no person "${id}"; add them with gameops people add ${id} --name …`);
    return person;
  }

  private async pageIds(refs: string[]): Promise<string[]> {
    const ids: string[] = [];
    for (const ref of refs) {
      const page = await this.options.store.pages.get(ref);
      if (!page) throw new IncidentRefused("invalid", `pages: no page ${ref}`);
      ids.push(page.id);
    }
    return ids;
  }

  /** The primary of the first schedule, the default incident commander. */
  private async onCallPrimary(at: Date): Promise<string | undefined> {
    const schedule = this.options.config.paging.schedules[0];
    if (!schedule) return undefined;
    const overrides = await this.options.store.oncall.overrides({ scheduleId: schedule.id, from: at, to: new Date(at.getTime() + 1) });
    const primary = onCallAt(schedule, overrides, at).primary;
    return primary && (await this.options.store.people.getPerson(primary)) ? primary : undefined;
  }
}

/** One line of the post-mortem's timeline for an event, in words; undefined for events it leaves out. */
function describeEvent(event: IncidentEvent, name: (id: string) => string): string | undefined {
  const d = event.data;
  const by = event.actor ? ` (${name(event.actor)})` : "";
  switch (event.type) {
    case "incident.declared":
      return `Incident declared, ${String(d.severity)}${by}`;
    case "incident.acknowledged":
      return `Acknowledged${by}`;
    case "incident.status":
      return `Status: ${String(d.from)} → ${String(d.to)}${by}`;
    case "incident.severity":
      return `Severity ${String(d.from)} → ${String(d.to)}${by}`;
    case "incident.sla_breached":
      return `Response deadline passed unacknowledged; escalated`;
    case "incident.role":
      return `${roleLabels[d.role as IncidentRole] ?? String(d.role)}: ${name(String(d.to))}${d.from ? ` (was ${name(String(d.from))})` : ""}`;
    case "incident.update":
      return `Update${by}: ${String(d.text)}`;
    case "incident.note":
      return typeof d.text === "string" ? `Note${by}: ${d.text}` : undefined;
    case "incident.page":
      return `Page ${String(d.page)} ${d.opened ? "opened" : "joined the incident"}`;
    case "incident.alerts":
      return `Alerts: ${String(d.summary ?? "")}`;
    case "incident.runbook_run":
      return `Runbook ${String(d.runbook)} ${String(d.status ?? "started")}${by}`;
    case "incident.people_requested":
      return `More people requested from ${String(d.schedule)} (page ${String(d.page)})${by}`;
    default:
      return undefined;
  }
}
