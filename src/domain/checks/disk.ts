import type { Thresholds } from "../../config/schema.js";
import { grade, pct, round, worst, type Status, type Verdict } from "./verdict.js";

export interface MountUsage {
  path: string;
  totalBytes: number;
  usedBytes: number;
  /** What an unprivileged writer can still use (df's Avail). */
  availableBytes: number;
  inodesTotal: number;
  inodesFree: number;
}

export interface MountProblem {
  path: string;
  error: string;
}

export function judgeDisk(mounts: MountUsage[], problems: MountProblem[], limits: Thresholds["disk"]): Verdict {
  const rows = mounts.map((m) => {
    // df's formula: used / (used + available), so root's reserved blocks count as full.
    const usedPct = pct(m.usedBytes, m.usedBytes + m.availableBytes);
    const inodesPct = m.inodesTotal > 0 ? pct(m.inodesTotal - m.inodesFree, m.inodesTotal) : null;
    const status = worst([grade(usedPct, limits.usedPct), inodesPct === null ? "ok" : grade(inodesPct, limits.inodesPct)]);
    return { ...m, usedPct: round(usedPct), inodesPct: inodesPct === null ? null : round(inodesPct), status };
  });
  const statuses: Status[] = [...rows.map((r) => r.status), ...problems.map((): Status => "critical")];
  const status = statuses.length === 0 ? "unknown" : worst(statuses);
  const flagged = rows.filter((r) => r.status !== "ok").sort((a, b) => b.usedPct - a.usedPct);
  const fullest = [...rows].sort((a, b) => b.usedPct - a.usedPct)[0];
  let summary: string;
  if (problems.length > 0) summary = problems.map((p) => `${p.path}: ${p.error}`).join("; ");
  else if (rows.length === 0) summary = "no local file systems found";
  else if (flagged.length > 0)
    summary = flagged.map((r) => `${r.path} ${r.usedPct} % used${r.inodesPct !== null && r.inodesPct >= limits.inodesPct.warning ? `, inodes ${r.inodesPct} %` : ""}`).join("; ");
  else summary = `${rows.length} mount${rows.length === 1 ? "" : "s"}, fullest ${fullest!.path} at ${fullest!.usedPct} %`;
  if (problems.length > 0 && flagged.length > 0) summary += `; ${flagged.map((r) => `${r.path} ${r.usedPct} %`).join("; ")}`;
  return { status, summary, details: { mounts: rows, problems } };
}
