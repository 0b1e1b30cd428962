import { wallClock } from "../oncall/local-time.js";

/**
 * How incident documents write an instant: the team's zone for people, UTC beside it for
 * anyone reading from elsewhere (and to tell apart the two 01:30s of a night the clocks go back).
 */

/** `2026-11-26` in a zone. */
export function localDate(zone: string, instant: number): string {
  return new Date(wallClock(zone, instant)).toISOString().slice(0, 10);
}

/** `14:05` in a zone. */
export function localTime(zone: string, instant: number): string {
  return new Date(wallClock(zone, instant)).toISOString().slice(11, 16);
}

/** `2026-11-26 14:05 Asia/Seoul`. */
export function localDateTime(zone: string, instant: number): string {
  return `${localDate(zone, instant)} ${localTime(zone, instant)} ${zone}`;
}
