import type { Thresholds } from "../../config/schema.js";
import { grade, worst, type Verdict } from "./verdict.js";

export interface LogSourceScan {
  name: string;
  /** Files or pods read. */
  streams: number;
  errors: number;
  /** Most frequent error messages after masking numbers and ids, most frequent first. */
  top: { message: string; count: number }[];
  /** Lines without a timestamp were counted when their file changed inside the window. */
  undatedLines: number;
  problems: string[];
}

export function judgeLogs(sources: LogSourceScan[], limits: Thresholds["logs"], windowLabel: string): Verdict {
  const statuses = sources.map((s) => worst([grade(s.errors, limits.errors), s.problems.length > 0 ? "warning" : "ok"]));
  const total = sources.reduce((n, s) => n + s.errors, 0);
  const parts = sources.map((s) => `${s.name} ${s.errors}`);
  const problems = sources.flatMap((s) => s.problems.map((p) => `${s.name}: ${p}`));
  const head = total === 0 ? `no ${limits.pattern} lines in the last ${windowLabel}` : `${total} ${limits.pattern} lines in the last ${windowLabel} (${parts.join(", ")})`;
  return {
    status: worst(statuses),
    summary: problems.length > 0 ? `${head}; ${problems.join("; ")}` : head,
    details: { pattern: limits.pattern, window: windowLabel, sources },
  };
}

/**
 * Collapses the variable parts of a log message (ids, numbers, addresses, quoted values) so
 * that the same error from ten thousand players counts as one message.
 */
export function messageShape(line: string): string {
  return line
    .replace(/^\S*\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}\S*\s*/, "")
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, "<uuid>")
    .replace(/\b\d{1,3}(\.\d{1,3}){3}(:\d+)?\b/g, "<ip>")
    .replace(/\b0x[0-9a-f]+\b/gi, "<hex>")
    .replace(/\b[0-9a-f]{16,}\b/gi, "<hex>")
    .replace(/"[^"]*"/g, '"…"')
    .replace(/(?<![\w.])\d+(\.\d+)?/g, "<n>")
    .trim()
    .slice(0, 200);
}

/** Keeps the N most frequent shapes. */
export function topMessages(counts: Map<string, number>, n: number): { message: string; count: number }[] {
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, n).map(([message, count]) => ({ message, count }));
}

/**
 * Time of a line that starts with an ISO-like timestamp, in epoch ms; a timestamp without a
 * zone is read in the given IANA zone (game servers often log local time). undefined if none.
 */
export function lineTime(line: string, timeZone: string): number | undefined {
  const m = /^\[?(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?\s?(Z|[+-]\d{2}:?\d{2})?/.exec(line);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const ms = frac ? Number(frac.slice(0, 3).padEnd(3, "0")) : 0;
  const wall = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  if (zone === "Z") return wall;
  if (zone) {
    const sign = zone.startsWith("-") ? -1 : 1;
    const digits = zone.slice(1).replace(":", "");
    return wall - sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return wall - zoneOffsetMs(wall, timeZone);
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const offsets = new Map<string, number>();
/** Zone offsets change only at transitions, which fall on quarter hours. */
const quarterHour = 900_000;

/**
 * Offset of a zone from UTC at (about) a wall-clock instant, via Intl only. Memoised per zone
 * and quarter hour: a log of a hundred thousand zone-less lines would otherwise build a
 * formatter per line (73 µs each, measured by bench/daily-check).
 */
export function zoneOffsetMs(instant: number, timeZone: string): number {
  const key = `${timeZone}|${Math.floor(instant / quarterHour)}`;
  const known = offsets.get(key);
  if (known !== undefined) return known;
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timeZone, format);
  }
  const parts = format.formatToParts(new Date(Math.floor(instant / quarterHour) * quarterHour));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const offset = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second")) - Math.floor(instant / quarterHour) * quarterHour;
  if (offsets.size > 10_000) offsets.clear();
  offsets.set(key, offset);
  return offset;
}
