import type { RoleShift } from "./schedule.js";

/**
 * An RFC 5545 calendar of on-call shifts, for a person's or a schedule's feed. Each event's UID
 * comes from the shift itself (schedule, role, person, start), so a calendar app that fetches
 * the feed again updates the same events instead of adding copies.
 */

export interface CalendarShift extends RoleShift {
  scheduleName: string;
  /** The person's display name; the id when absent. */
  personName?: string;
}

export function onCallCalendar(options: { name: string; shifts: readonly CalendarShift[]; now: Date }): string {
  const lines = [
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "PRODID:-//gameops//on-call//EN",
    "CALSCALE:GREGORIAN",
    "METHOD:PUBLISH",
    `X-WR-CALNAME:${escapeText(options.name)}`,
  ];
  for (const shift of options.shifts) {
    const who = shift.personName ?? shift.personId;
    lines.push(
      "BEGIN:VEVENT",
      `UID:${[shift.scheduleId, shift.role, shift.personId, utc(shift.start)].map(encodeURIComponent).join("/")}@gameops`,
      `DTSTAMP:${utc(options.now)}`,
      `DTSTART:${utc(shift.start)}`,
      `DTEND:${utc(shift.end)}`,
      `SUMMARY:${escapeText(`${who} — ${shift.role} on call (${shift.scheduleName})`)}`,
      // Being on call is not being busy: free/busy lookups should not see these hours as taken.
      "TRANSP:TRANSPARENT",
      "END:VEVENT",
    );
  }
  lines.push("END:VCALENDAR");
  return lines.map(fold).join("\r\n") + "\r\n";
}

/** A date-time in UTC, RFC 5545 form: 20260105T010000Z. */
function utc(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z").replace(/[-:]/g, "");
}

/** TEXT value escaping (RFC 5545 §3.3.11); control characters other than tab are not allowed at all. */
function escapeText(text: string): string {
  return text
    .replace(/[\\;,]/g, (c) => `\\${c}`)
    .replace(/\r\n|\r|\n/g, "\\n")
    .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, "");
}

/** Lines longer than 75 octets continue on lines that start with a space, never inside a UTF-8 character. */
function fold(line: string): string {
  const out: string[] = [];
  let current = "";
  let octets = 0;
  for (const char of line) {
    const size = utf8Length(char.codePointAt(0)!);
    if (octets + size > 75) {
      out.push(current);
      current = " ";
      octets = 1;
    }
    current += char;
    octets += size;
  }
  out.push(current);
  return out.join("\r\n");
}

function utf8Length(codePoint: number): number {
  return codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
}
