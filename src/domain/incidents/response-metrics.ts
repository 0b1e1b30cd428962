import { severityIds, type SeverityId } from "./severity-ids.js";
import { localDate } from "./local-times.js";

/**
 * Mean time to acknowledge (declared → acknowledged) and to resolve (declared → resolved), per
 * severity and calendar month in the team's zone. An incident counts toward a metric only once it
 * has the end of that span: an open one is in MTTA when acknowledged, not yet in MTTR.
 */

export interface IncidentTimes {
  severity: SeverityId;
  declaredAt: number;
  acknowledgedAt?: number;
  resolvedAt?: number;
}

export interface SpanStats {
  count: number;
  /** Milliseconds; absent when count is 0. */
  meanMs?: number;
  medianMs?: number;
}

export interface ResponseMetrics {
  /** `2026-11`, by the declaration in the team's zone. */
  month: string;
  severity: SeverityId;
  /** Declared that month, whatever their state. */
  incidents: number;
  mtta: SpanStats;
  mttr: SpanStats;
}

/** One row per month and severity that had incidents, months in order, P1 first within a month. */
export function responseMetrics(incidents: readonly IncidentTimes[], timeZone: string): ResponseMetrics[] {
  const groups = new Map<string, { month: string; severity: SeverityId; acks: number[]; fixes: number[]; incidents: number }>();
  for (const incident of incidents) {
    const month = localDate(timeZone, incident.declaredAt).slice(0, 7);
    const key = `${month} ${incident.severity}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { month, severity: incident.severity, acks: [], fixes: [], incidents: 0 }));
    group.incidents++;
    // An incident declared on a page someone had already acknowledged was acknowledged at once.
    if (incident.acknowledgedAt !== undefined) group.acks.push(Math.max(0, incident.acknowledgedAt - incident.declaredAt));
    if (incident.resolvedAt !== undefined) group.fixes.push(Math.max(0, incident.resolvedAt - incident.declaredAt));
  }
  return [...groups.values()]
    .sort((a, b) => a.month.localeCompare(b.month) || severityIds.indexOf(a.severity) - severityIds.indexOf(b.severity))
    .map((g) => ({ month: g.month, severity: g.severity, incidents: g.incidents, mtta: stats(g.acks), mttr: stats(g.fixes) }));
}

function stats(spans: number[]): SpanStats {
  if (spans.length === 0) return { count: 0 };
  const sorted = [...spans].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { count: spans.length, meanMs: sorted.reduce((sum, s) => sum + s, 0) / sorted.length, medianMs: median };
}
