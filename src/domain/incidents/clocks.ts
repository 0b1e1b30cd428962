import type { BusinessHours, SeverityPolicy } from "../../config/incident-schema.js";
import { localDay, localInstant, minutesOf, weekdayOf } from "../oncall/local-time.js";

/**
 * An incident's clocks: the response deadline (declaration to acknowledgement), the next status
 * update, and what is left of the SLA. Instants are epoch milliseconds.
 */

/**
 * When the incident must be acknowledged. A business-hours severity counts only working time in
 * the team's zone: declared on Friday at 17:00 with 9 hours to respond, it is due on Monday at
 * 17:00; declared on Saturday with no time at all, it is due when Monday's hours open.
 */
export function responseDeadline(
  severity: Pick<SeverityPolicy, "respondWithin" | "businessHoursOnly">,
  declaredAt: number,
  businessHours: BusinessHours,
  timeZone: string,
): number {
  if (!severity.businessHoursOnly) return declaredAt + severity.respondWithin;
  if (businessHours.days.length === 0) throw new Error("business hours name no day; the clock could never run");
  let left = severity.respondWithin;
  // Each window is a real stretch of time (instants, not wall-clock readings), so a DST night
  // neither adds nor loses an hour of the clock.
  for (let day = localDay(timeZone, declaredAt); ; day++) {
    const window = windowOn(businessHours, timeZone, day);
    if (!window || window[1] < declaredAt) continue;
    const start = Math.max(window[0], declaredAt);
    if (start + left <= window[1]) return start + left;
    left -= window[1] - start;
  }
}

/** Within the team's business hours, both ends included (a deadline may fall at closing time). */
export function isBusinessTime(businessHours: BusinessHours, timeZone: string, instant: number): boolean {
  const window = windowOn(businessHours, timeZone, localDay(timeZone, instant));
  return window !== undefined && window[0] <= instant && instant <= window[1];
}

/** When the next status update is due after one at `lastUpdateAt` (the declaration before the first); undefined when the severity has no cadence. */
export function nextUpdateDue(severity: Pick<SeverityPolicy, "updateEvery">, lastUpdateAt: number): number | undefined {
  return severity.updateEvery === undefined ? undefined : lastUpdateAt + severity.updateEvery;
}

/** Milliseconds left until the deadline; negative once it has passed, by how much. For an acknowledged incident pass the acknowledgement as `now`. */
export function slaRemaining(deadline: number, now: number): number {
  return deadline - now;
}

/** The business hours of a local day, as [open, close] instants, if the day is a working day. */
function windowOn(hours: BusinessHours, zone: string, day: number): [number, number] | undefined {
  if (!hours.days.includes(weekdayOf(day))) return undefined;
  const open = localInstant(zone, day, minutesOf(hours.from));
  // Opening inside the hour the clocks skip moves forward by the gap, possibly past closing: no hours that day.
  return [open, Math.max(open, localInstant(zone, day, minutesOf(hours.to)))];
}
