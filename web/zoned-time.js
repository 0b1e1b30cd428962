// Wall-clock time in a named zone, for the on-call calendar (a schedule's days and handoffs
// are local to its zone) and for override times typed in that zone. The browser's own zone
// plays no part: the person reading may be anywhere.

const partsFormat = new Map();
const weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

function formatterOf(timeZone) {
  if (!partsFormat.has(timeZone)) {
    partsFormat.set(
      timeZone,
      new Intl.DateTimeFormat("en-US", { timeZone, year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric", weekday: "short", hourCycle: "h23" }),
    );
  }
  return partsFormat.get(timeZone);
}

/** { year, month (1–12), day, hour, minute, second, weekday (0 = Monday) } of an instant in a zone. */
export function localParts(ms, timeZone) {
  const parts = Object.fromEntries(formatterOf(timeZone).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
    weekday: weekdays.indexOf(parts.weekday),
  };
}

/** How far the zone's clock is ahead of UTC at an instant, in ms. */
function offsetAt(ms, timeZone) {
  const p = localParts(ms, timeZone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(ms / 1000) * 1000;
}

/**
 * The instant a zone's clock shows this local time. Out-of-range fields roll over (day 32 is the
 * next month's 1st). A time skipped by a DST jump lands just after the jump, as clocks do.
 */
export function zonedToUtc({ year, month, day, hour = 0, minute = 0 }, timeZone) {
  const local = Date.UTC(year, month - 1, day, hour, minute);
  const first = local - offsetAt(local, timeZone);
  return local - offsetAt(first, timeZone);
}

/** Midnight starting the Monday of the week holding `ms`, in the zone. */
export function weekStart(ms, timeZone) {
  const p = localParts(ms, timeZone);
  return zonedToUtc({ year: p.year, month: p.month, day: p.day - p.weekday }, timeZone);
}

/** The local midnights starting each of `count` days from the one holding `ms` (days may be 23 or 25 h). */
export function dayStarts(ms, count, timeZone) {
  const p = localParts(ms, timeZone);
  return Array.from({ length: count + 1 }, (_, i) => zonedToUtc({ year: p.year, month: p.month, day: p.day + i }, timeZone));
}

/** "2026-01-05T10:00" (a datetime-local input's value) read in the zone; undefined when malformed. */
export function parseLocalInput(value, timeZone) {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value);
  if (!match) return undefined;
  const [year, month, day, hour, minute] = match.slice(1).map(Number);
  return zonedToUtc({ year, month, day, hour, minute }, timeZone);
}
