import { parseDuration } from "../config/duration.js";
import { wallClock, weekdays } from "../domain/oncall/local-time.js";
import { UsageError } from "./usage-error.js";

/** Times as the paging commands read them from flags and print them: UTC, and a named zone beside it. */

const isoTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/** An ISO 8601 time with its offset: without one, 10:00 would mean a different instant on each machine. */
export function timeFlag(flag: string, text: string): Date {
  const at = isoTime.test(text.trim()) ? new Date(text.trim()) : undefined;
  if (!at || Number.isNaN(at.getTime())) {
    throw new UsageError(`${flag} "${text}" is not an ISO 8601 time with its offset, like 2026-01-05T10:00:00Z or 2026-01-05T19:00+09:00`);
  }
  return at;
}

export function durationFlag(flag: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) throw new UsageError(`${flag} "${text}" is not a duration like 30m, 2h or 1h30m`);
  return ms;
}

/** The end of a span given as `--until TIME` or `--for DURATION` (exactly one) from `start`. */
export function spanEnd(start: Date, options: { until?: string; for?: string }): Date {
  if ((options.until === undefined) === (options.for === undefined)) throw new UsageError("give --until TIME or --for DURATION (like --for 2h), one of them");
  const end = options.until !== undefined ? timeFlag("--until", options.until) : new Date(start.getTime() + durationFlag("--for", options.for!));
  if (end.getTime() <= start.getTime()) throw new UsageError(`--until ${options.until} is not after the start, ${utc(start)}`);
  return end;
}

/** `2026-01-05 01:00:03Z`, or `2026-01-05 01:00Z` without seconds. */
export function utc(at: Date | string, seconds = true): string {
  const iso = new Date(at).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, seconds ? 19 : 16)}Z`;
}

/** The zone's wall clock: `Mon 2026-01-05 10:00`, with seconds when asked. */
export function inZone(zone: string, at: Date | string, seconds = false): string {
  const wall = new Date(wallClock(zone, new Date(at).getTime()));
  const iso = wall.toISOString();
  const day = weekdays[wall.getUTCDay()]!;
  return `${day[0]!.toUpperCase()}${day.slice(1)} ${iso.slice(0, 10)} ${iso.slice(11, seconds ? 19 : 16)}`;
}
