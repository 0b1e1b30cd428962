// The requests the console and the CLI make of GET /api/incidents: the newest page, a page far
// back (`before`), filters by status and by severity, and both at once.
import type { IncidentListQuery } from "../../src/store/store.js";

export interface Shape {
  name: string;
  /** The query of one request: `before` is drawn anew each time. */
  query(random: () => number): Omit<IncidentListQuery, "limit">;
  /** True when the bench expects a full page (limit rows) whatever `before` was drawn. */
  fullPage: boolean;
  /** The page size this shape asks for, when not the bench's --limit. */
  limit?: number;
}

const open = ["declared", "triage", "mitigating", "root_cause"] as const;
/** What the console's Incidents page asks for when it opens (web/incidents-page.js): all but documented, every severity, 100 rows. */
const consoleStates = [...open, "resolved", "postmortem"] as const;

/** `before` anywhere in the history: every page is as likely as every other. */
const anyPage = (count: number) => (random: () => number) => 2 + Math.floor(random() * (count - 1));

export function shapes(count: number): Shape[] {
  const before = anyPage(count);
  return [
    { name: "newest page", query: () => ({}), fullPage: true },
    { name: "console default (100 rows)", query: () => ({ status: [...consoleStates], severity: ["P1", "P2", "P3", "P4"] }), fullPage: true, limit: 100 },
    { name: "any page (before=N)", query: (r) => ({ beforeNumber: before(r) }), fullPage: false },
    { name: "status=mitigating", query: () => ({ status: ["mitigating"] }), fullPage: false },
    { name: "severity=P1", query: () => ({ severity: ["P1"] }), fullPage: true },
    { name: "severity=P1, any page", query: (r) => ({ severity: ["P1"], beforeNumber: before(r) }), fullPage: false },
    { name: "status=mitigating & severity=P1", query: () => ({ status: ["mitigating"], severity: ["P1"] }), fullPage: false },
    { name: "status=documented & severity=P1", query: () => ({ status: ["documented"], severity: ["P1"] }), fullPage: true },
    { name: "status=documented & severity=P1, any page", query: (r) => ({ status: ["documented"], severity: ["P1"], beforeNumber: before(r) }), fullPage: false },
    // A rare status with a common severity: the worst case for one-column-plus-number indexes.
    { name: "status=triage & severity=P3", query: () => ({ status: ["triage"], severity: ["P3"] }), fullPage: false },
    { name: "status=declared & severity=P4", query: () => ({ status: ["declared"], severity: ["P4"] }), fullPage: false },
    { name: "open (4 statuses)", query: () => ({ status: [...open] }), fullPage: true },
    { name: "severity=P1,P2", query: () => ({ severity: ["P1", "P2"] }), fullPage: true },
    { name: "severity=P1,P2, any page", query: (r) => ({ severity: ["P1", "P2"], beforeNumber: before(r) }), fullPage: false },
  ];
}

/** The API's query string for a store query. */
export function pathOf(query: Omit<IncidentListQuery, "limit">, limit: number): string {
  const params = new URLSearchParams({ limit: String(limit) });
  if (query.status) params.set("status", query.status.join(","));
  if (query.severity) params.set("severity", query.severity.join(","));
  if (query.beforeNumber !== undefined) params.set("before", String(query.beforeNumber));
  return `/api/incidents?${params.toString().replace(/%2C/g, ",")}`;
}

interface Listed {
  number: number;
  status: string;
  severity: string;
}

/** Why a page is not the answer to its query, or undefined when it is. */
export function wrongAnswer(query: Omit<IncidentListQuery, "limit">, limit: number, incidents: Listed[], fullPage: boolean): string | undefined {
  if (incidents.length > limit) return `${incidents.length} incidents for limit ${limit}`;
  if (fullPage && incidents.length < limit) return `only ${incidents.length} incidents, expected a full page of ${limit}`;
  for (const [i, incident] of incidents.entries()) {
    if (i > 0 && incident.number >= incidents[i - 1]!.number) return `not newest first at INC-${incident.number}`;
    if (query.beforeNumber !== undefined && incident.number >= query.beforeNumber) return `INC-${incident.number} is not before ${query.beforeNumber}`;
    if (query.status && !(query.status as readonly string[]).includes(incident.status)) return `INC-${incident.number} is ${incident.status}`;
    if (query.severity && !query.severity.includes(incident.severity)) return `INC-${incident.number} is ${incident.severity}`;
  }
  return undefined;
}
