import { dayNumber, DAY, localDay, localInstant } from "../oncall/local-time.js";
import { ChecklistError } from "./checklist-error.js";
import type { Cadence } from "./operations-checklists.js";

/**
 * The period a checklist is done for, in the team's zone: a day (`2026-11-26`), an ISO week
 * starting on Monday (`2026-W48`; 2027-01-01 is in `2026-W53`) or a month (`2026-11`). Start and
 * end are the instants of local midnights, so a DST day is 23 or 25 hours long.
 */

export interface ChecklistPeriod {
  cadence: Cadence;
  key: string;
  /** Inclusive. */
  start: number;
  /** Exclusive: the next period's start. */
  end: number;
}

/** The period of a cadence that an instant falls in. */
export function periodAt(cadence: Cadence, instant: number, timeZone: string): ChecklistPeriod {
  const day = localDay(timeZone, instant);
  switch (cadence) {
    case "daily":
      return period(cadence, dateOf(day), day, day + 1, timeZone);
    case "weekly": {
      const monday = day - isoWeekday(day) + 1;
      return period(cadence, isoWeekKey(day), monday, monday + 7, timeZone);
    }
    case "monthly": {
      const month = dateOf(day).slice(0, 7);
      return period(cadence, month, dayNumber(`${month}-01`), firstOfNextMonth(month), timeZone);
    }
  }
}

/** The period a key names, refused with the expected form when the key is not one. */
export function periodOf(cadence: Cadence, key: string, timeZone: string): ChecklistPeriod {
  const start = startDayOf(cadence, key);
  if (start === undefined) throw new ChecklistError(`"${key}" is not a ${cadence} period; write it like ${examples[cadence]}`);
  return periodAt(cadence, localInstant(timeZone, start, 0), timeZone);
}

/** Past its end: what was not done for it is overdue. */
export function isOverdue(period: ChecklistPeriod, now: number): boolean {
  return now >= period.end;
}

const examples: Record<Cadence, string> = { daily: "2026-11-26", weekly: "2026-W48", monthly: "2026-11" };

/** The local day a key starts on, if the key is well formed and names a real period. */
function startDayOf(cadence: Cadence, key: string): number | undefined {
  const m = { daily: /^\d{4}-\d{2}-\d{2}$/, weekly: /^(\d{4})-W(\d{2})$/, monthly: /^\d{4}-\d{2}$/ }[cadence].exec(key);
  if (!m) return undefined;
  let day: number;
  if (cadence === "weekly") {
    // Week 1 is the week with the year's 4 January in it.
    const jan4 = dayNumber(`${m[1]}-01-04`);
    day = jan4 - isoWeekday(jan4) + 1 + 7 * (Number(m[2]) - 1);
  } else day = dayNumber(cadence === "daily" ? key : `${key}-01`);
  if (!Number.isFinite(day)) return undefined;
  // Round-trip: 2026-02-30, 2026-13 and 2026-W54 come back as another key.
  const back = cadence === "daily" ? dateOf(day) : cadence === "weekly" ? isoWeekKey(day) : dateOf(day).slice(0, 7);
  return back === key ? day : undefined;
}

function period(cadence: Cadence, key: string, startDay: number, endDay: number, zone: string): ChecklistPeriod {
  return { cadence, key, start: localInstant(zone, startDay, 0), end: localInstant(zone, endDay, 0) };
}

function dateOf(day: number): string {
  return new Date(day * DAY).toISOString().slice(0, 10);
}

/** Monday 1 … Sunday 7; day 0 (1970-01-01) was a Thursday. */
function isoWeekday(day: number): number {
  return ((((day + 3) % 7) + 7) % 7) + 1;
}

/** The ISO week-year is the year of the week's Thursday. */
function isoWeekKey(day: number): string {
  const thursday = day - isoWeekday(day) + 4;
  const year = dateOf(thursday).slice(0, 4);
  const week = Math.floor((thursday - dayNumber(`${year}-01-01`)) / 7) + 1;
  return `${year}-W${String(week).padStart(2, "0")}`;
}

function firstOfNextMonth(month: string): number {
  const [year, m] = month.split("-").map(Number);
  return Math.floor(Date.UTC(year!, m!, 1) / DAY);
}
