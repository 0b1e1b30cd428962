import { incidentStates, isOngoing, parseState, type IncidentState } from "../../domain/incidents/life-cycle.js";
import { severityIds } from "../../domain/incidents/severity-ids.js";
import { parseRole, phaseLabels, roleLabels, type WarRoomPhase } from "../../domain/incidents/war-room.js";
import type { PolicySnapshot } from "../../domain/paging/escalation.js";
import { printJson, type GlobalOptions } from "../session.js";
import { paint, renderTable } from "../table.js";
import { utc } from "../times.js";
import { UsageError } from "../usage-error.js";
import { incidentRef, withDesk, type IncidentDesk, type SeverityView } from "./incident-desk.js";
import { bothZones, checklistLines, colourOn, field, leadOf, ref, sentBy, severityBadge, slaText, span, stateLabel, whoTargets } from "./incident-display.js";

// ── declare ────────────────────────────────────────────────────────────────────────────────

export async function declare(
  global: GlobalOptions,
  options: { title: string; severity: string; impact?: string; commander?: string; page?: string[]; json?: boolean },
): Promise<number> {
  return withDesk(global, async (desk) => {
    const declared = await desk.declare({
      title: options.title,
      severity: options.severity,
      ...(options.impact !== undefined ? { impact: options.impact } : {}),
      ...(options.commander !== undefined ? { commander: options.commander } : {}),
      ...(options.page?.length ? { pages: options.page } : {}),
    });
    if (options.json) {
      printJson(declared);
      return 0;
    }
    const { incident, page } = declared;
    const [room, zone] = await Promise.all([desk.warRoom(String(incident.number)), desk.zone()]);
    const { severity } = room;
    const colour = colourOn();
    const lead = leadOf(incident);
    const leadRole = severity.warRoom ? "commander" : "owner";
    const out = [`${ref(incident)} declared: ${severityBadge(severity.id, colour)} ${severity.name} — ${incident.title}`];
    out.push(field(leadRole, lead ?? paint(`nobody yet — give one with gameops incident role ${incident.number} ${severity.warRoom ? "ic" : "owner"} PERSON`, "red", colour)));
    if (page) {
      const policy = page.policy as unknown as PolicySnapshot | undefined;
      out.push(...(await pagedLines(desk, page.number, policy, lead ? { id: lead, role: leadRole } : undefined, Date.parse(incident.declaredAt))));
    }
    for (const joined of room.pages.filter((p) => p.id !== page?.id)) out.push(field("joined", `page ${joined.number} (${joined.title})`));
    out.push(field("respond by", `${bothZones(incident.respondBy, zone)} — ${respondWithin(severity)}`));
    if (incident.nextUpdateAt) out.push(field("updates", `every ${span(severity.updateEvery ?? 0)}; the first is due ${bothZones(incident.nextUpdateAt, zone)}`));
    const first = room.tasks.filter((t) => t.phase === room.tasks[0]?.phase);
    if (first.length > 0) {
      const phase = phaseLabels[first[0]!.phase as WarRoomPhase] ?? first[0]!.phase;
      out.push(field(severity.warRoom ? "war room" : "checklist", `${phase.toLowerCase()}:`), ...checklistLines(first));
    }
    out.push(field("console", `${desk.consoleUrl.replace(/\/+$/, "")}/#/incidents/${incident.number}`));
    process.stdout.write(`${out.join("\n")}\n`);
    return 0;
  });
}

/** Who the incident's page reaches now and at the response deadline, as its policy snapshot says. */
async function pagedLines(desk: IncidentDesk, number: number, policy: PolicySnapshot | undefined, lead: { id: string; role: string } | undefined, openedAt: number): Promise<string[]> {
  const [now, next] = policy?.levels ?? [];
  if (!now) return [field(`page ${number}`, "no escalation policy: nobody is paged (add paging.policies)")];
  const directory = await desk.directory();
  const first = whoTargets(now.notify, directory, lead);
  const lines = [field(`page ${number}`, `${first.reached.join(", ") || "nobody"}: ${sentBy(desk.server, "paged")}`)];
  if (first.nobody.length > 0) lines.push(field("", first.nobody.join("; ")));
  if (next) {
    const later = whoTargets(next.notify, directory, lead);
    const when = next.after === 0 ? "at once" : `if unacknowledged at ${utc(new Date(openedAt + next.after))}`;
    lines.push(field("escalates", `${when} to ${later.reached.join(", ") || "nobody"}${later.nobody.length > 0 ? ` (${later.nobody.join("; ")})` : ""}`));
  }
  return lines;
}

function respondWithin(severity: SeverityView): string {
  if (severity.respondWithin === 0) return "immediately";
  return `within ${span(severity.respondWithin)}${severity.businessHoursOnly ? " of business hours" : ""}`;
}

// ── list ───────────────────────────────────────────────────────────────────────────────────

const ongoing = incidentStates.filter(isOngoing);

export async function list(global: GlobalOptions, options: { status?: string; severity?: string; limit: string; json?: boolean }): Promise<number> {
  const limit = Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw new UsageError(`--limit must be a whole number from 1 to 200, not "${options.limit}"`);
  const status = options.status === undefined ? undefined : statusFlag(options.status);
  const severity = options.severity === undefined ? undefined : severityFlag(options.severity);
  return withDesk(global, async (desk) => {
    const incidents = await desk.list({ limit, ...(status ? { status } : {}), ...(severity ? { severity } : {}) });
    if (options.json) {
      printJson(incidents);
      return 0;
    }
    if (incidents.length === 0) {
      process.stdout.write(status || severity ? "no incidents match\n" : "no incidents yet — gameops incident declare --title … --severity P2 declares one\n");
      return 0;
    }
    const colour = colourOn();
    const now = Date.now();
    const rows = incidents.map((i) => [ref(i), severityBadge(i.severity, colour), stateLabel(i.status), span(now - Date.parse(i.declaredAt)), slaText(i, now, colour), leadOf(i) ?? "-", i.title]);
    process.stdout.write(`${renderTable(["INCIDENT", "SEV", "STATUS", "AGE", "SLA", "IC/OWNER", "TITLE"], rows)}\n`);
    return 0;
  });
}

/** `--status open` is every state before resolved; otherwise states as `parseState` reads them. */
function statusFlag(text: string): IncidentState[] {
  const names = text.split(",").map((s) => s.trim()).filter(Boolean);
  const states = names.flatMap((name) => {
    if (name.toLowerCase() === "open") return ongoing;
    try {
      return [parseState(name)];
    } catch {
      throw new UsageError(`--status takes a comma-separated list of open, ${incidentStates.join(", ")}; "${name}" is not one`);
    }
  });
  if (states.length === 0) throw new UsageError(`--status takes a comma-separated list of open, ${incidentStates.join(", ")}`);
  return [...new Set(states)];
}

function severityFlag(text: string): string[] {
  const names = text.split(",").map((s) => s.trim().toUpperCase()).filter(Boolean);
  const wrong = names.find((n) => !(severityIds as readonly string[]).includes(n));
  if (wrong !== undefined || names.length === 0) throw new UsageError(`--severity takes a comma-separated list of ${severityIds.join(", ")}; "${wrong ?? text}" is not one`);
  return [...new Set(names)];
}

// ── acting on an incident ──────────────────────────────────────────────────────────────────

export async function acknowledge(global: GlobalOptions, incidentText: string): Promise<number> {
  return withDesk(global, async (desk) => {
    const before = await desk.get(incidentRef(incidentText));
    if (before.acknowledgedAt) {
      process.stdout.write(`${ref(before)} was acknowledged already by ${before.acknowledgedBy ?? "?"} at ${utc(before.acknowledgedAt)}; nothing changed\n`);
      return 0;
    }
    const incident = await desk.acknowledge(String(before.number));
    process.stdout.write(`${ref(incident)} acknowledged by ${incident.acknowledgedBy ?? "?"}: the response clock stops (${slaText(incident, Date.now(), colourOn())}) and its pages stop escalating\n`);
    return 0;
  });
}

export async function moveTo(global: GlobalOptions, incidentText: string, state: string): Promise<number> {
  return withDesk(global, async (desk) => {
    const before = await desk.get(incidentRef(incidentText));
    const incident = await desk.moveTo(String(before.number), state);
    const out = [`${ref(incident)}: ${stateLabel(before.status)} → ${stateLabel(incident.status)}`];
    if (incident.status === "resolved" && incident.resolvedAt) {
      out.push(`resolved ${span(Date.parse(incident.resolvedAt) - Date.parse(incident.declaredAt))} after it was declared; its pages are resolved`);
      out.push(`next: the post-mortem — gameops incident postmortem ${incident.number} --out INC-${incident.number}.md`);
    }
    process.stdout.write(`${out.join("\n")}\n`);
    return 0;
  });
}

export async function setSeverity(global: GlobalOptions, incidentText: string, severityText: string): Promise<number> {
  return withDesk(global, async (desk) => {
    const before = await desk.get(incidentRef(incidentText));
    const incident = await desk.setSeverity(String(before.number), severityText);
    if (incident.severity === before.severity) {
      process.stdout.write(`${ref(incident)} is ${incident.severity} already; nothing changed\n`);
      return 0;
    }
    const names = new Map<string, string>((await desk.severities()).map((s) => [s.id, `${s.id} ${s.name}`]));
    const deadline = incident.respondBy !== before.respondBy ? `; respond by ${bothZones(incident.respondBy, await desk.zone())}` : "";
    process.stdout.write(`${ref(incident)}: ${names.get(before.severity) ?? before.severity} → ${names.get(incident.severity) ?? incident.severity}${deadline}\n`);
    return 0;
  });
}

export async function assignRole(global: GlobalOptions, incidentText: string, role: string, person: string): Promise<number> {
  return withDesk(global, async (desk) => {
    const { incident, previous } = await desk.assignRole(incidentRef(incidentText), role, person);
    // Accepted, so it parses: `ic` is printed as Incident Commander.
    const label = roleLabels[parseRole(role)];
    const handoff = previous === undefined ? "" : previous === person ? ` (was ${person} already)` : ` (handed over from ${previous})`;
    process.stdout.write(`${ref(incident)}: ${label} is ${person} now${handoff}\n`);
    return 0;
  });
}

export async function note(global: GlobalOptions, incidentText: string, text: string): Promise<number> {
  return withDesk(global, async (desk) => {
    const incident = await desk.get(incidentRef(incidentText));
    await desk.note(String(incident.number), text);
    process.stdout.write(`noted on ${ref(incident)}'s timeline\n`);
    return 0;
  });
}

export async function postUpdate(global: GlobalOptions, incidentText: string, text: string, options: { customerNotice?: boolean }): Promise<number> {
  return withDesk(global, async (desk) => {
    const { incident, customerNotice } = await desk.postUpdate(incidentRef(incidentText), text, Boolean(options.customerNotice));
    const next = incident.nextUpdateAt ? `the next is due ${bothZones(incident.nextUpdateAt, await desk.zone())}` : "no further update is due";
    const out = [`update posted on ${ref(incident)}; ${next}`];
    if (customerNotice !== undefined) out.push("", "customer notice:", customerNotice);
    process.stdout.write(`${out.join("\n")}\n`);
    return 0;
  });
}

export async function task(global: GlobalOptions, incidentText: string, taskId: string, options: { undo?: boolean }): Promise<number> {
  return withDesk(global, async (desk) => {
    const incident = await desk.get(incidentRef(incidentText));
    const item = await desk.setTask(String(incident.number), taskId, !options.undo);
    process.stdout.write(`${ref(incident)}: ${item.doneAt ? "[x]" : "[ ]"} ${item.title}\n`);
    return 0;
  });
}

export async function requestPeople(global: GlobalOptions, incidentText: string, options: { schedule: string }): Promise<number> {
  return withDesk(global, async (desk) => {
    const incident = await desk.get(incidentRef(incidentText));
    const page = await desk.requestPeople(String(incident.number), options.schedule);
    process.stdout.write(`page ${page} calls the on-call of ${options.schedule} into ${ref(incident)}: ${sentBy(desk.server, "paged")}\n`);
    return 0;
  });
}

/** `2026-12-01`; a day that does not exist (`2026-02-30`) does not come back the same through Date. */
const isCalendarDate = (text: string) => /^\d{4}-\d{2}-\d{2}$/.test(text) && !Number.isNaN(Date.parse(text)) && new Date(text).toISOString().startsWith(text);

export async function addActionItem(global: GlobalOptions, incidentText: string, options: { text: string; owner: string; due?: string }): Promise<number> {
  if (options.due !== undefined && !isCalendarDate(options.due)) {
    throw new UsageError(`--due "${options.due}" is not a date like 2026-12-01`);
  }
  return withDesk(global, async (desk) => {
    const incident = await desk.get(incidentRef(incidentText));
    const item = await desk.addActionItem(String(incident.number), { text: options.text, owner: options.owner, ...(options.due ? { dueOn: options.due } : {}) });
    process.stdout.write(`action item ${item.id} on ${ref(incident)}: ${item.text} — ${item.owner}${item.dueOn ? `, due ${item.dueOn}` : ""}\n`);
    return 0;
  });
}

export async function completeActionItem(global: GlobalOptions, id: string): Promise<number> {
  return withDesk(global, async (desk) => {
    const item = await desk.completeActionItem(id);
    process.stdout.write(`action item ${item.id} done: ${item.text}\n`);
    return 0;
  });
}
