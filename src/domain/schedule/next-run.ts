import { Cron } from "croner";
import { isTimeZone } from "../time-zone.js";

/**
 * The first time strictly after `after` that a 5-field cron expression matches, read in an IANA
 * time zone ("0 9 * * *" in Asia/Seoul is 00:00 UTC). croner does the calendar and DST work; a
 * wall-clock time skipped by a DST change fires at the first valid time after it.
 */
export function nextDailyRun(cron: string, timeZone: string, after: Date): Date {
  if (!isTimeZone(timeZone)) throw new RangeError(`unknown time zone "${timeZone}": use an IANA name like Asia/Seoul or Europe/Berlin`);
  if (cron.trim().split(/\s+/).length !== 5) {
    throw new RangeError(`cron "${cron}" must have 5 fields (minute hour day-of-month month day-of-week), like "0 9 * * *"`);
  }
  let pattern: Cron;
  try {
    pattern = new Cron(cron, { timezone: timeZone, mode: "5-part", paused: true });
  } catch (error) {
    throw new RangeError(`cron "${cron}" is not valid: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const next = pattern.nextRun(after);
  if (next === null) throw new RangeError(`cron "${cron}" never matches a future time`);
  return next;
}
