/** The verdict of one health check, in the Nagios order of severity. */
export type Status = "ok" | "warning" | "critical" | "unknown";

/** A check whose target is not configured did not run; it is listed but never counts. */
export type ResultStatus = Status | "skipped";

const rank: Record<Status, number> = { ok: 0, warning: 1, unknown: 2, critical: 3 };

/** Worst of several verdicts. Critical outranks unknown: a known outage is the louder fact. */
export function worst(statuses: Iterable<Status>): Status {
  let out: Status = "ok";
  for (const s of statuses) if (rank[s] > rank[out]) out = s;
  return out;
}

/** Exit code in the Nagios convention: 0 ok, 1 warning, 2 critical, 3 unknown. */
export function exitCode(status: Status): 0 | 1 | 2 | 3 {
  return ({ ok: 0, warning: 1, critical: 2, unknown: 3 } as const)[status];
}

export interface Band {
  warning: number;
  critical: number;
}

/** Where a value falls against warning/critical limits, higher being worse. */
export function grade(value: number, band: Band): Status {
  if (value >= band.critical) return "critical";
  if (value >= band.warning) return "warning";
  return "ok";
}

export interface Verdict {
  status: Status;
  summary: string;
  details: Record<string, unknown>;
}

export interface CheckResult {
  name: string;
  status: ResultStatus;
  summary: string;
  durationMs: number;
  details: Record<string, unknown>;
}

export interface CheckReport {
  status: Status;
  startedAt: string;
  durationMs: number;
  checks: CheckResult[];
}

/** Overall verdict: worst of the checks that ran; unknown when none ran (a typo must never look green). */
export function overall(results: readonly CheckResult[]): Status {
  const ran = results.filter((r) => r.status !== "skipped").map((r) => r.status as Status);
  return ran.length === 0 ? "unknown" : worst(ran);
}

/** Nearest-rank percentile of an unsorted sample; NaN for an empty one. */
export function percentile(sample: readonly number[], p: number): number {
  if (sample.length === 0) return Number.NaN;
  const sorted = [...sample].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export function pct(part: number, whole: number): number {
  return whole > 0 ? (part / whole) * 100 : 0;
}

export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
