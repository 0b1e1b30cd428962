import { localDate } from "../../domain/incidents/local-times.js";
import { phaseLabels, roleDuties, rolesFor, type IncidentRole, type WarRoomPhase } from "../../domain/incidents/war-room.js";
import type { WarRoom } from "../../engine/incidents/incident-service.js";
import { printJson, type GlobalOptions } from "../session.js";
import { paint, renderTable } from "../table.js";
import { inZone, utc } from "../times.js";
import { incidentRef, withDesk } from "./incident-desk.js";
import { bothZones, checklistLines, colourOn, eventDetail, eventName, nextUpdateText, ref, roleLabel, severityBadge, slaText, stateLabel } from "./incident-display.js";

/** The war room in the terminal: header with its clocks, roles, checklist by phase, pages, action items, timeline. */
export async function show(global: GlobalOptions, incidentText: string, options: { json?: boolean }): Promise<number> {
  return withDesk(global, async (desk) => {
    const room = await desk.warRoom(incidentRef(incidentText));
    if (options.json) printJson(room);
    else printWarRoom(room, { zone: await desk.zone(), consoleUrl: desk.consoleUrl.replace(/\/+$/, "") });
    return 0;
  });
}

function printWarRoom({ incident, severity, events, tasks, pages, actionItems }: WarRoom, where: { zone: string; consoleUrl: string }): void {
  const colour = colourOn();
  const now = Date.now();
  const both = (at: string) => bothZones(at, where.zone);
  const bold = (text: string) => paint(text, "bold", colour);

  const clocks = [`${severityBadge(severity.id, colour)} ${severity.name}`, stateLabel(incident.status), `SLA ${slaText(incident, now, colour)}`];
  const update = nextUpdateText(incident, now, colour);
  if (update) clocks.push(`next update ${update}`);
  const out = [bold(`${ref(incident)} · ${incident.title}`), clocks.join(" · ")];
  out.push(`declared      ${both(incident.declaredAt)} by ${incident.declaredBy} (${incident.source})`);
  out.push(`respond by    ${both(incident.respondBy)}`);
  if (incident.acknowledgedAt) out.push(`acknowledged  ${both(incident.acknowledgedAt)} by ${incident.acknowledgedBy ?? "?"}`);
  if (incident.slaBreachedAt) out.push(paint(`SLA breached  ${both(incident.slaBreachedAt)}: the page escalated`, "red", colour));
  if (incident.nextUpdateAt) out.push(`next update   ${both(incident.nextUpdateAt)}${incident.lastUpdateAt ? `; last ${utc(incident.lastUpdateAt)}` : ""}`);
  if (incident.resolvedAt) out.push(`resolved      ${both(incident.resolvedAt)}`);
  if (incident.impact) out.push(`impact        ${incident.impact}`);
  if (incident.rootCause) out.push(`root cause    ${incident.rootCause}`);
  out.push(`console       ${where.consoleUrl}/#/incidents/${incident.number}`);

  // The severity's roles, and any other still held (a P3 owner kept after a raise to P1).
  const roles = [...new Set([...rolesFor(severity), ...Object.keys(incident.roles)])];
  out.push("", bold(severity.warRoom ? "war room" : "owner (no war room below P2)"));
  out.push(renderTable(["ROLE", "PERSON", "DOES"], roles.map((r) => [roleLabel(r), incident.roles[r] ?? paint("nobody", "yellow", colour), roleDuties[r as IncidentRole] ?? ""])));

  out.push("", bold(`checklist (${tasks.filter((t) => t.doneAt).length} of ${tasks.length} done)`));
  for (const phase of [...new Set(tasks.map((t) => t.phase))]) {
    out.push(phaseLabels[phase as WarRoomPhase] ?? phase, ...checklistLines(tasks.filter((t) => t.phase === phase)));
  }

  out.push("", bold("pages"));
  out.push(
    pages.length === 0
      ? "none"
      : renderTable(["PAGE", "STATUS", "OPENED (UTC)", "ASSIGNED", "TITLE"], pages.map((p) => [String(p.number), p.status.toUpperCase(), utc(p.openedAt), p.assignees.join(",") || "-", p.title])),
  );

  out.push("", bold("action items"));
  // Due dates are days in the team's zone.
  const today = localDate(where.zone, now);
  const itemRows = actionItems.map((a) => {
    const state = a.doneAt ? paint("done", "green", colour) : a.dueOn && a.dueOn < today ? paint("overdue", "red", colour) : "open";
    return [a.id, state, a.owner, a.dueOn ?? "-", a.text];
  });
  out.push(itemRows.length === 0 ? `none yet — gameops incident action ${incident.number} --text … --owner …` : renderTable(["ID", "STATE", "OWNER", "DUE", "TEXT"], itemRows));

  out.push("", bold("timeline"));
  const timeline = events.map((e) => [utc(e.at), inZone(where.zone, e.at, true), eventName(e), e.actor ?? "-", eventDetail(e)]);
  out.push(renderTable(["UTC", where.zone, "EVENT", "BY", "DETAIL"], timeline));
  process.stdout.write(`${out.join("\n")}\n`);
}
