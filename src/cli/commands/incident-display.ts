import type { EscalationTarget } from "../../config/paging-schema.js";
import { isIncidentState, stateLabels } from "../../domain/incidents/life-cycle.js";
import { incidentReference } from "../../domain/incidents/reference.js";
import { roleLabels, type IncidentRole } from "../../domain/incidents/war-room.js";
import type { IncidentEvent, IncidentRecord, IncidentTask } from "../../store/store.js";
import { paint, type Colour } from "../table.js";
import { inZone, utc } from "../times.js";
import type { Directory } from "./incident-desk.js";

/** How the incident commands print an incident's words and clocks in a terminal. */

export const colourOn = () => Boolean(process.stdout.isTTY);
export const ref = (incident: Pick<IncidentRecord, "number">) => incidentReference(incident.number);

const severityColour: Record<string, Colour> = { P1: "red", P2: "magenta", P3: "yellow", P4: "blue" };
export const severityBadge = (id: string, colour: boolean) => paint(id, severityColour[id] ?? "gray", colour);

export const stateLabel = (status: string) => (isIncidentState(status) ? stateLabels[status] : status);
export const roleLabel = (role: string) => roleLabels[role as IncidentRole] ?? role;

/** A label and its value, the values lined up. */
export const field = (label: string, value: string) => `${label.padEnd(12)}${value}`;

/** The incident commander, or the owner below the war-room severities. */
export const leadOf = (incident: Pick<IncidentRecord, "roles">) => incident.roles.incident_commander ?? incident.roles.owner;

/** A span as a table reads it: `45s`, `12m`, `2h 5m`, `3d 4h`. */
export function span(ms: number): string {
  const seconds = Math.round(Math.abs(ms) / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 === 0 ? `${hours}h` : `${hours}h ${minutes % 60}m`;
  return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

/** `2026-01-05 10:00:03Z (Mon 2026-01-05 19:00 Asia/Seoul)`. */
export const bothZones = (at: string | Date, zone: string) => `${utc(at)} (${inZone(zone, at)} ${zone})`;

/**
 * The response SLA as one phrase: time left while unacknowledged, breached once the deadline
 * passed (recorded by the server, or read off the clock), met when acknowledged in time. An
 * immediate severity (deadline = declaration) has no countdown: it is due now until acknowledged.
 */
export function slaText(incident: IncidentRecord, now: number, colour: boolean): string {
  const declared = Date.parse(incident.declaredAt);
  const deadline = Date.parse(incident.respondBy);
  const immediate = deadline <= declared;
  if (incident.acknowledgedAt) {
    const acked = Date.parse(incident.acknowledgedAt);
    const late = incident.slaBreachedAt !== undefined || (!immediate && acked > deadline);
    return paint(`${late ? "breached" : "met"}, acked in ${span(acked - declared)}`, late ? "red" : "green", colour);
  }
  if (incident.slaBreachedAt) return paint(`breached ${span(now - deadline)} ago`, "red", colour);
  if (incident.resolvedAt) return "resolved unacked";
  if (immediate) return paint("due now", "red", colour);
  if (now >= deadline) return paint(`breached ${span(now - deadline)} ago`, "red", colour);
  return paint(`${span(deadline - now)} left`, "yellow", colour);
}

/** When the next status update is due: `in 12m` or `overdue by 3m`; undefined without a cadence or once resolved. */
export function nextUpdateText(incident: IncidentRecord, now: number, colour: boolean): string | undefined {
  if (!incident.nextUpdateAt) return undefined;
  const due = Date.parse(incident.nextUpdateAt);
  return due >= now ? `in ${span(due - now)}` : paint(`overdue by ${span(now - due)}`, "red", colour);
}

/**
 * Whom targets reach now, each person once with why (`alice (ops primary)`), and the targets
 * that reach nobody. The server resolves them the same way when the page's level fires.
 */
export function whoTargets(targets: readonly EscalationTarget[], directory: Directory, lead?: { id: string; role: string }): { reached: string[]; nobody: string[] } {
  const reached = new Map<string, string>();
  const nobody: string[] = [];
  const known = new Set(directory.people.map((p) => p.id));
  const add = (id: string, why?: string) => {
    if (!reached.has(id)) reached.set(id, why ? `${id} (${why})` : id);
  };
  for (const target of targets) {
    if ("person" in target) {
      if (known.has(target.person)) add(target.person, target.person === lead?.id ? lead.role : undefined);
      else nobody.push(`person "${target.person}" is not known`);
    } else if ("schedule" in target) {
      const id = directory.onCall.find((s) => s.schedule.id === target.schedule)?.[target.role];
      if (id && known.has(id)) add(id, `${target.schedule} ${target.role}`);
      else nobody.push(`no ${target.role} on call in ${target.schedule}`);
    } else {
      const holders = directory.people.filter((p) => p.titles.includes(target.title) && (target.team === undefined || p.teamId === target.team));
      for (const p of holders) add(p.id, target.title);
      if (holders.length === 0) nobody.push(`nobody has the title "${target.title}"${target.team ? ` in ${target.team}` : ""}`);
    }
  }
  return { reached: [...reached.values()], nobody };
}

/** `paged now by the server at …`, or when: pages and posts are timers only a running server fires. */
export const sentBy = (server: string | undefined, done: string) =>
  server ? `${done} now by the server at ${server}` : `${done} once \`gameops up\` runs on this data dir (none runs now)`;

/** The event's name on the timeline: `incident.people_requested` → `people requested`. */
export const eventName = (event: IncidentEvent) => event.type.replace(/^incident\./, "").replace(/_/g, " ");

/** One line about a timeline event, in words; unknown data is printed as it is. */
export function eventDetail(event: IncidentEvent): string {
  const d = event.data;
  const text = (value: unknown) => (typeof value === "string" ? value : String(value ?? "?"));
  switch (event.type) {
    case "incident.declared":
      return [`${text(d.severity)} from ${text(d.source)}`, typeof d.respondBy === "string" && `respond by ${utc(d.respondBy)}`, typeof d.impact === "string" && `impact: ${d.impact}`]
        .filter(Boolean)
        .join("; ");
    case "incident.status":
      return `${stateLabel(text(d.from))} → ${stateLabel(text(d.to))}`;
    case "incident.severity":
      return `${text(d.from)} → ${text(d.to)}`;
    case "incident.acknowledged":
      return d.page !== undefined ? `through page ${text(d.page)}` : d.through !== undefined ? `through ${text(d.through)}` : "";
    case "incident.sla_breached":
      return `not acknowledged by ${typeof d.respondBy === "string" ? utc(d.respondBy) : "the deadline"}: the page escalates`;
    case "incident.role":
      return `${roleLabel(text(d.role))}: ${text(d.to)}${d.from ? ` (was ${text(d.from)})` : ""}`;
    case "incident.update":
      return text(d.text);
    case "incident.update_due":
      return `a status update is due${d.remind ? `; ${text(d.remind)} reminded` : ""}`;
    case "incident.note":
      return typeof d.text === "string" ? d.text : Array.isArray(d.edited) ? `edited ${d.edited.join(", ")}` : "";
    case "incident.page":
      return `page ${text(d.page)} ${d.opened ? "opened" : "joined"}`;
    case "incident.task":
      return `${d.done ? "[x]" : "[ ]"} ${text(d.title)}`;
    case "incident.action_item":
      return d.done ? `done: ${text(d.text)}` : `${text(d.text)} — ${text(d.owner)}${d.dueOn ? `, due ${text(d.dueOn)}` : ""}`;
    case "incident.people_requested":
      return `on-call of ${text(d.schedule)} paged (page ${text(d.page)})`;
    case "incident.postmortem":
      return `saved (${text(d.chars)} characters)`;
    case "incident.runbook_run":
      return `${text(d.runbook)} ${text(d.status ?? "started")} (run ${text(d.run)})`;
    case "incident.alerts":
      return text(d.summary ?? "");
    default:
      return Object.keys(d).length > 0 ? JSON.stringify(d) : "";
  }
}

/** Checklist items with their ids (what `gameops incident task` takes) and who sees to them. */
export function checklistLines(tasks: IncidentTask[]): string[] {
  const width = Math.max(...tasks.map((t) => t.taskId.length));
  return tasks.map((t) => {
    const who = t.ownerRole ? ` — ${roleLabel(t.ownerRole)}` : "";
    const done = t.doneAt ? ` (${t.doneBy ?? "?"}, ${utc(t.doneAt, false)})` : "";
    return `  ${t.doneAt ? "[x]" : "[ ]"} ${t.taskId.padEnd(width)}  ${t.title}${who}${done}`;
  });
}
