import { localDate, localTime } from "./local-times.js";
import { incidentReference } from "./reference.js";
import { spokenDuration } from "./spoken-duration.js";
import { incidentRoles, roleLabels, type IncidentRole } from "./war-room.js";

/**
 * The post-mortem document, in the structure of the seed's template (§8.1): Summary, Timeline,
 * Root Cause Analysis, Lessons Learned, Action Items, Supporting Data. Sections not written yet
 * say so, so the draft can be published as it fills in. The same input always gives the same text.
 */

export interface PostmortemInput {
  number: number;
  title: string;
  severity: { id: string; name: string };
  declaredAt: number;
  /** Absent while the incident is not resolved. */
  resolvedAt?: number;
  impact?: string;
  /** Its first sentence is the summary's Root Cause; all of it is the analysis. */
  rootCause?: string;
  /** One lesson a line; numbers or bullets already there are dropped. */
  lessons?: string;
  /** The team's zone: times are written in it, UTC beside them. */
  timeZone: string;
  timeline: readonly { at: number; text: string }[];
  /** Who holds each role now; handoffs are in the timeline. */
  roles: readonly { role: IncidentRole; name: string }[];
  actionItems: readonly { text: string; owner: string; dueOn?: string; done: boolean }[];
  links: {
    /** The incident in the console. */
    console: string;
    pages: readonly { number: number; url: string }[];
    runbookRuns: readonly { id: string; runbook: string; url: string }[];
  };
}

const notWritten = "_To be written._";

export function renderPostmortem(input: PostmortemInput): string {
  const zone = input.timeZone;
  const lines: string[] = [`# Incident Post-Mortem: ${incidentReference(input.number)} — ${oneLine(input.title)}`, ""];

  const firstDay = localDate(zone, input.declaredAt);
  const lastDay = input.resolvedAt === undefined ? firstDay : localDate(zone, input.resolvedAt);
  const roles = [...input.roles].sort((a, b) => incidentRoles.indexOf(a.role) - incidentRoles.indexOf(b.role));
  lines.push(
    "## Summary",
    `- **Date**: ${firstDay === lastDay ? firstDay : `${firstDay} to ${lastDay}`}`,
    `- **Duration**: ${input.resolvedAt === undefined ? "ongoing (not resolved yet)" : spokenDuration(input.resolvedAt - input.declaredAt)}`,
    `- **Impact**: ${written(input.impact) ? oneLine(input.impact) : notWritten}`,
    `- **Root Cause**: ${written(input.rootCause) ? firstSentence(input.rootCause) : notWritten}`,
    `- **Severity**: ${input.severity.id} ${input.severity.name}`,
    ...(roles.length > 0 ? [`- **Roles**: ${roles.map((r) => `${oneLine(r.name)} (${roleLabels[r.role]})`).join(", ")}`] : []),
    "",
  );

  lines.push("## Timeline", zone === "UTC" ? "Times are UTC." : `Times are ${zone} time, UTC in parentheses.`, "");
  const timeline = [...input.timeline].sort((a, b) => a.at - b.at);
  // Past midnight "00:10" alone would read as before "23:50": every entry carries its date then.
  const dated = new Set(timeline.map((e) => localDate(zone, e.at))).size > 1;
  for (const entry of timeline) {
    const local = `${dated ? `${localDate(zone, entry.at)} ` : ""}${localTime(zone, entry.at)}`;
    const utc = zone === "UTC" ? "" : ` (${localTime("UTC", entry.at)} UTC)`;
    lines.push(`- ${local}${utc} — ${oneLine(entry.text)}`);
  }
  if (timeline.length === 0) lines.push("_No entries._");
  lines.push("");

  lines.push("## Root Cause Analysis", written(input.rootCause) ? input.rootCause.trim() : notWritten, "");

  const lessons = (input.lessons ?? "")
    .split("\n")
    .map((line) => line.replace(/^\s*(?:\d+[.)]|[-*+])\s+/, "").trim())
    .filter((line) => line !== "");
  lines.push("## Lessons Learned", ...(lessons.length > 0 ? lessons.map((l, i) => `${i + 1}. ${l}`) : [notWritten]), "");

  lines.push(
    "## Action Items",
    ...(input.actionItems.length > 0
      ? input.actionItems.map((a) => `- [${a.done ? "x" : " "}] ${oneLine(a.text)} (Owner: ${oneLine(a.owner)}${a.dueOn ? `, due ${a.dueOn}` : ""})`)
      : ["_None yet._"]),
    "",
  );

  lines.push(
    "## Supporting Data",
    `- [${incidentReference(input.number)} in the gameops console](${input.links.console})`,
    ...input.links.pages.map((p) => `- [Page #${p.number}](${p.url})`),
    ...input.links.runbookRuns.map((r) => `- [Runbook run ${label(r.runbook)} (${label(r.id)})](${r.url})`),
  );
  return `${lines.join("\n")}\n`;
}

function written(text: string | undefined): text is string {
  return text !== undefined && text.trim() !== "";
}

/** Free text on one Markdown line: a line break would end the bullet. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

function firstSentence(text: string): string {
  const line = oneLine(text.trim().split(/\n\s*\n/)[0]!);
  const end = /[.!?](\s|$)/.exec(line);
  return end ? line.slice(0, end.index + 1) : line;
}

/** Square brackets would end a link's label early. */
function label(text: string): string {
  return oneLine(text).replace(/[[\]]/g, "\\$&");
}
