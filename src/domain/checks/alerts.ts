import type { Thresholds } from "../../config/schema.js";
import type { Status, Verdict } from "./verdict.js";

/** An alert that needs someone: firing, neither silenced nor inhibited. */
export interface ActiveAlert {
  labels: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, string>>;
  /** RFC 3339, as Alertmanager gives it. */
  startsAt: string;
}

/** One line of the alert list an operator reads in the report. */
export interface ListedAlert {
  alertname: string;
  severity: string;
  instance?: string;
  startsAt: string;
  summary?: string;
}

/** Enough to act on; the rest is one click away in Alertmanager. */
export const LISTED_ALERTS = 20;
const SUMMARY_LENGTH = 200;
/** How an alert without a severity label is counted. */
export const NO_SEVERITY = "none";

/**
 * The alerts verdict: critical when any active alert has a severity listed in
 * `criticalSeverities` (compared without case), warning when other alerts are active, ok when
 * none is. The list shows critical alerts first, then the longest firing.
 */
export function judgeAlerts(alerts: readonly ActiveAlert[], thresholds: Thresholds["alerts"], listed = LISTED_ALERTS): Verdict {
  const criticalSeverities = thresholds.criticalSeverities.map((s) => s.toLowerCase());
  const isCritical = (severity: string) => criticalSeverities.includes(severity);

  const bySeverity = new Map<string, number>();
  for (const alert of alerts) {
    const severity = severityOf(alert);
    bySeverity.set(severity, (bySeverity.get(severity) ?? 0) + 1);
  }
  const critical = [...bySeverity].filter(([s]) => isCritical(s)).reduce((sum, [, n]) => sum + n, 0);
  const status: Status = critical > 0 ? "critical" : alerts.length > 0 ? "warning" : "ok";

  // Critical severities in the configured order, then the others by count, "none" last.
  const order = [...bySeverity.keys()].sort((a, b) => {
    const ca = criticalSeverities.indexOf(a);
    const cb = criticalSeverities.indexOf(b);
    if (ca !== -1 || cb !== -1) return (ca === -1 ? Infinity : ca) - (cb === -1 ? Infinity : cb);
    if ((a === NO_SEVERITY) !== (b === NO_SEVERITY)) return a === NO_SEVERITY ? 1 : -1;
    return bySeverity.get(b)! - bySeverity.get(a)! || a.localeCompare(b);
  });
  const summary =
    alerts.length === 0 ? "no active alerts" : `${alerts.length} active: ${order.map((s) => `${bySeverity.get(s)} ${s}`).join(", ")}`;

  const ranked = [...alerts].sort((a, b) => {
    const ca = isCritical(severityOf(a)) ? 0 : 1;
    const cb = isCritical(severityOf(b)) ? 0 : 1;
    return ca - cb || startTime(a) - startTime(b);
  });
  const shown = ranked.slice(0, Math.max(0, listed)).map(listing);
  return {
    status,
    summary,
    details: {
      active: alerts.length,
      critical,
      bySeverity: Object.fromEntries(order.map((s) => [s, bySeverity.get(s)!])),
      alerts: shown,
      ...(alerts.length > shown.length ? { notListed: alerts.length - shown.length } : {}),
    },
  };
}

function severityOf(alert: ActiveAlert): string {
  return alert.labels.severity?.trim().toLowerCase() || NO_SEVERITY;
}

/** An unparseable start sorts last rather than breaking the report. */
function startTime(alert: ActiveAlert): number {
  const t = Date.parse(alert.startsAt);
  return Number.isNaN(t) ? Number.MAX_SAFE_INTEGER : t;
}

function listing(alert: ActiveAlert): ListedAlert {
  const summary = alert.annotations.summary?.replace(/\s+/g, " ").trim();
  return {
    alertname: alert.labels.alertname ?? "(no alertname)",
    severity: severityOf(alert),
    ...(alert.labels.instance ? { instance: alert.labels.instance } : {}),
    startsAt: alert.startsAt,
    ...(summary ? { summary: summary.length > SUMMARY_LENGTH ? `${summary.slice(0, SUMMARY_LENGTH)}…` : summary } : {}),
  };
}
