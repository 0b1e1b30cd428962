// How incidents look and are named in the console: severity badges (P1 red … P4 grey), the
// life-cycle states with a mark as well as a colour, roles and checklist phases in words. Where
// an incident may move next is the server's to say (the war room's `nextStates`), not the
// console's: one life-cycle table, in src/domain/incidents/life-cycle.ts.

import { h } from "./dom.js";

export const severityIds = ["P1", "P2", "P3", "P4"];

export const incidentStates = ["declared", "triage", "mitigating", "root_cause", "resolved", "postmortem", "documented"];

const stateLooks = {
  declared: { cls: "critical", mark: "!", word: "Declared" },
  triage: { cls: "warning", mark: "?", word: "Triage" },
  mitigating: { cls: "running", mark: "◐", word: "Mitigating" },
  root_cause: { cls: "unknown", mark: "⌕", word: "Root cause" },
  resolved: { cls: "ok", mark: "✓", word: "Resolved" },
  postmortem: { cls: "skipped", mark: "✎", word: "Post-mortem" },
  documented: { cls: "skipped", mark: "▣", word: "Documented" },
};

export const stateLook = (state) => stateLooks[state] ?? { cls: "unknown", mark: "?", word: state };
/** Not yet resolved: the clocks run and updates are due. */
export const isOngoing = (state) => incidentStates.indexOf(state) < incidentStates.indexOf("resolved");

export const roleLabels = {
  incident_commander: "Incident Commander",
  tech_lead: "Technical Lead",
  communications: "Communications",
  scribe: "Scribe",
  owner: "Owner",
};

export const roleDuties = {
  incident_commander: "leads the whole response",
  tech_lead: "leads the technical fix",
  communications: "keeps customers and the company informed",
  scribe: "keeps the record",
  owner: "sees the incident through (no war room below P2)",
};

/** The roles of an incident: four in a war room (P1/P2), else an owner — as war-room.ts rolesFor. */
export const rolesOf = (severity) => (severity.warRoom ? ["incident_commander", "tech_lead", "communications", "scribe"] : ["owner"]);

export const phases = ["first_15_minutes", "ongoing", "after_resolution"];
export const phaseLabels = {
  first_15_minutes: "First 15 minutes",
  ongoing: "Ongoing (15 minutes to resolution)",
  after_resolution: "After resolution",
};

/** INC-42 */
export const reference = (number) => `INC-${number}`;

export function severityBadge(id, severity, attributes = {}) {
  const known = severityIds.includes(id);
  return h(
    "span",
    { class: `sev-badge sev-${known ? id : "other"}`, title: severity ? `${severity.name}: ${severity.description}` : id, "data-severity": id, ...attributes },
    id,
  );
}

export function statePill(state, attributes = {}) {
  const look = stateLook(state);
  return h("span", { class: `pill status-${look.cls}`, "data-state": state, ...attributes }, h("span", { class: "mark", "aria-hidden": "true" }, look.mark), ` ${look.word}`);
}

export function stateBadge(state, attributes = {}) {
  const look = stateLook(state);
  return h("span", { class: `badge status-${look.cls}`, role: "status", "data-state": state, ...attributes }, h("span", { class: "mark", "aria-hidden": "true" }, look.mark), ` ${look.word}`);
}
