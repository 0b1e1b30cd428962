/**
 * Wall-clock arithmetic in an IANA time zone, with Intl doing the zone rules. Instants are epoch
 * milliseconds; a wall-clock reading is kept as "epoch milliseconds as if the zone were UTC", so
 * that whole local days and minutes are plain additions.
 */

/** Day names as the config writes them, in Date#getUTCDay order. */
export const weekdays = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;
export type Weekday = (typeof weekdays)[number];

const MINUTE = 60_000;
export const DAY = 86_400_000;
export const WEEK = 7 * DAY;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The zone's wall clock at an instant. */
export function wallClock(zone: string, instant: number): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(instant)) parts[p.type] = Number(p.value);
  const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  return wall + (instant - Math.floor(instant / 1000) * 1000);
}

/**
 * The instant a wall-clock reading happens. A reading that happens twice (clocks turned back)
 * is the earlier one; one that never happens (clocks turned forward) moves forward by the gap,
 * so 02:30 on a spring-forward night in Berlin is 03:30 — the rules of Temporal's "compatible".
 */
export function instantOf(zone: string, wall: number): number {
  const key = `${zone} ${wall}`;
  let instant = instants.get(key);
  if (instant === undefined) {
    // Handoffs and restriction windows ask for the same few readings over and over.
    if (instants.size >= 50_000) instants.clear();
    instant = resolveWall(zone, wall);
    instants.set(key, instant);
  }
  return instant;
}

const instants = new Map<string, number>();

function resolveWall(zone: string, wall: number): number {
  // Zone offsets change at most once within a couple of days: the offsets a day either side
  // are the only candidates.
  const before = wall - (wallClock(zone, wall - DAY) - (wall - DAY));
  const after = wall - (wallClock(zone, wall + DAY) - (wall + DAY));
  const exact = [before, after].filter((t) => wallClock(zone, t) === wall);
  return exact.length > 0 ? Math.min(...exact) : before;
}

/** The local day of an instant, as a day number (days since 1970-01-01). */
export function localDay(zone: string, instant: number): number {
  return Math.floor(wallClock(zone, instant) / DAY);
}

/** The day number of a `YYYY-MM-DD` date. */
export function dayNumber(date: string): number {
  return Math.floor(Date.parse(`${date}T00:00:00Z`) / DAY);
}

export function weekdayOf(day: number): Weekday {
  return weekdays[(((day + 4) % 7) + 7) % 7]!; // 1970-01-01 was a Thursday
}

/** Minutes since midnight of an `HH:MM` time. */
export function minutesOf(time: string): number {
  const [h, m] = time.split(":").map(Number);
  return h! * 60 + m!;
}

/** The instant of a local day's `HH:MM` in a zone. */
export function localInstant(zone: string, day: number, minutes: number): number {
  return instantOf(zone, day * DAY + minutes * MINUTE);
}
