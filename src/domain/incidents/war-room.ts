import type { SeverityPolicy } from "../../config/incident-schema.js";
import { IncidentError } from "./incident-error.js";
import { spokenDuration } from "./spoken-duration.js";

/**
 * The war room (seed §2.3): four roles, one person each, for P1/P2; a single owner for P3/P4.
 * Its checklist comes in three phases — the first 15 minutes, ongoing until resolution, after
 * resolution — each item with the role that sees to it by default.
 */

export const warRoomRoles = ["incident_commander", "tech_lead", "communications", "scribe"] as const;
export const incidentRoles = [...warRoomRoles, "owner"] as const;
export type IncidentRole = (typeof incidentRoles)[number];

export const roleLabels: Record<IncidentRole, string> = {
  incident_commander: "Incident Commander",
  tech_lead: "Technical Lead",
  communications: "Communications",
  scribe: "Scribe",
  owner: "Owner",
};

/** What each role does, as the seed puts it. */
export const roleDuties: Record<IncidentRole, string> = {
  incident_commander: "leads the whole response",
  tech_lead: "leads the technical fix",
  communications: "keeps customers and the company informed",
  scribe: "keeps the record",
  owner: "sees the incident through (no war room below P2)",
};

/** The roles an incident of this severity has. */
export function rolesFor(severity: Pick<SeverityPolicy, "warRoom">): readonly IncidentRole[] {
  return severity.warRoom ? warRoomRoles : ["owner"];
}

const aliases: Record<string, IncidentRole> = { ic: "incident_commander", commander: "incident_commander", tl: "tech_lead", comms: "communications" };

/** A role as an operator types it: `incident_commander`, `incident-commander`, `IC`, `tech lead`, `comms`. */
export function parseRole(text: string): IncidentRole {
  const word = text.trim().toLowerCase().replace(/[\s-]+/g, "_");
  const role = aliases[word] ?? word;
  if ((incidentRoles as readonly string[]).includes(role)) return role as IncidentRole;
  throw new IncidentError(`unknown role "${text}"; use ${incidentRoles.join(", ")} (or ic, comms)`);
}

export const warRoomPhases = ["first_15_minutes", "ongoing", "after_resolution"] as const;
export type WarRoomPhase = (typeof warRoomPhases)[number];

export const phaseLabels: Record<WarRoomPhase, string> = {
  first_15_minutes: "First 15 minutes",
  ongoing: "Ongoing (15 minutes to resolution)",
  after_resolution: "After resolution",
};

export interface ChecklistTask {
  /** Unique within the incident's checklist. */
  id: string;
  phase: WarRoomPhase;
  title: string;
  ownerRole: IncidentRole;
}

/** The seed's war-room checklist, in its order. */
export const warRoomChecklist: readonly ChecklistTask[] = [
  { id: "assess-impact", phase: "first_15_minutes", title: "Assess the impact", ownerRole: "tech_lead" },
  { id: "temporary-fix", phase: "first_15_minutes", title: "Apply a temporary fix", ownerRole: "tech_lead" },
  { id: "notify-stakeholders", phase: "first_15_minutes", title: "Notify stakeholders", ownerRole: "incident_commander" },
  { id: "start-timeline", phase: "first_15_minutes", title: "Start the timeline", ownerRole: "scribe" },
  // The IC is the one reminded when an update is due, so the cadence is theirs to keep.
  { id: "status-updates", phase: "ongoing", title: "Post a status update every 15 minutes", ownerRole: "incident_commander" },
  { id: "request-people", phase: "ongoing", title: "Request more people if needed", ownerRole: "incident_commander" },
  { id: "customer-notice", phase: "ongoing", title: "Send the customer notice", ownerRole: "communications" },
  { id: "review-rollback", phase: "ongoing", title: "Review rollback options", ownerRole: "tech_lead" },
  { id: "confirm-normal", phase: "after_resolution", title: "Confirm the service is back to normal", ownerRole: "tech_lead" },
  { id: "strengthen-monitoring", phase: "after_resolution", title: "Strengthen monitoring", ownerRole: "tech_lead" },
  { id: "schedule-rca", phase: "after_resolution", title: "Schedule the root cause analysis", ownerRole: "incident_commander" },
  { id: "initial-report", phase: "after_resolution", title: "Write the initial report", ownerRole: "scribe" },
];

/**
 * The checklist of an incident of this severity: the update item follows the severity's cadence,
 * and without a war room its owner sees to every item.
 */
export function checklistFor(severity: Pick<SeverityPolicy, "warRoom" | "updateEvery">): ChecklistTask[] {
  return warRoomChecklist.map((task) => ({
    ...task,
    ...(task.id === "status-updates" ? { title: severity.updateEvery === undefined ? "Post status updates" : `Post a status update every ${spokenDuration(severity.updateEvery)}` } : {}),
    ownerRole: severity.warRoom ? task.ownerRole : "owner",
  }));
}

const FIRST_PHASE_MS = 15 * 60_000;

/**
 * When a phase opens: the first at declaration, "ongoing" 15 minutes later unless the incident was
 * resolved by then, "after resolution" once it is resolved. Undefined while it has not opened
 * and will not on its own clock.
 */
export function phaseOpensAt(phase: WarRoomPhase, incident: { declaredAt: number; resolvedAt?: number }): number | undefined {
  switch (phase) {
    case "first_15_minutes":
      return incident.declaredAt;
    case "ongoing": {
      const at = incident.declaredAt + FIRST_PHASE_MS;
      return incident.resolvedAt !== undefined && incident.resolvedAt < at ? undefined : at;
    }
    case "after_resolution":
      return incident.resolvedAt;
  }
}

/** The phases open at `now`, in order. */
export function openPhases(incident: { declaredAt: number; resolvedAt?: number }, now: number): WarRoomPhase[] {
  return warRoomPhases.filter((phase) => {
    const at = phaseOpensAt(phase, incident);
    return at !== undefined && at <= now;
  });
}
