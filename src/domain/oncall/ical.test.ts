import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { onCallSchedule } from "../../config/paging-schema.js";
import { onCallCalendar, type CalendarShift } from "./ical.js";
import { roleShifts } from "./schedule.js";

const now = new Date("2026-01-06T08:09:10.123Z");
const shift = (over: Partial<CalendarShift> = {}): CalendarShift => ({
  scheduleId: "game-ops",
  scheduleName: "Game ops on-call",
  role: "primary",
  personId: "alice",
  start: new Date("2026-01-05T01:00:00Z"),
  end: new Date("2026-01-12T01:00:00Z"),
  ...over,
});

/** Checks the structure RFC 5545 requires and returns the unfolded content lines. */
function contentLines(text: string): string[] {
  expect(text.endsWith("\r\n")).toBe(true);
  const physical = text.slice(0, -2).split("\r\n");
  for (const line of physical) {
    expect(line).not.toMatch(/[\x00-\x08\x0a-\x1f\x7f]/);
    expect(new TextEncoder().encode(line).length).toBeLessThanOrEqual(75);
  }
  const lines: string[] = [];
  for (const line of physical) {
    if (line.startsWith(" ")) lines[lines.length - 1] += line.slice(1);
    else lines.push(line);
  }
  const open: string[] = [];
  for (const line of lines) {
    expect(line).toMatch(/^[A-Z-]+[:;]/);
    if (line.startsWith("BEGIN:")) open.push(line.slice(6));
    if (line.startsWith("END:")) expect(open.pop()).toBe(line.slice(4));
  }
  expect(open).toEqual([]);
  expect(lines[0]).toBe("BEGIN:VCALENDAR");
  return lines;
}

const unescape = (value: string) => value.replace(/\\([\\;,nN])/g, (_, c: string) => (c.toLowerCase() === "n" ? "\n" : c));

describe("the iCal feed", () => {
  it("has one event per shift, in UTC, stamped with the given now", () => {
    const lines = contentLines(onCallCalendar({ name: "alice on call", shifts: [shift(), shift({ role: "backup", personId: "bob" })], now }));
    expect(lines).toEqual([
      "BEGIN:VCALENDAR",
      "VERSION:2.0",
      "PRODID:-//gameops//on-call//EN",
      "CALSCALE:GREGORIAN",
      "METHOD:PUBLISH",
      "X-WR-CALNAME:alice on call",
      "BEGIN:VEVENT",
      "UID:game-ops/primary/alice/20260105T010000Z@gameops",
      "DTSTAMP:20260106T080910Z",
      "DTSTART:20260105T010000Z",
      "DTEND:20260112T010000Z",
      "SUMMARY:alice — primary on call (Game ops on-call)",
      "TRANSP:TRANSPARENT",
      "END:VEVENT",
      "BEGIN:VEVENT",
      "UID:game-ops/backup/bob/20260105T010000Z@gameops",
      "DTSTAMP:20260106T080910Z",
      "DTSTART:20260105T010000Z",
      "DTEND:20260112T010000Z",
      "SUMMARY:bob — backup on call (Game ops on-call)",
      "TRANSP:TRANSPARENT",
      "END:VEVENT",
      "END:VCALENDAR",
    ]);
  });

  it("escapes commas, semicolons, backslashes and newlines in text", () => {
    const lines = contentLines(onCallCalendar({ name: "a,b;c\\d\ne", shifts: [shift({ personName: "Kim, Min-jun; \\ops\\" })], now }));
    expect(lines).toContain("X-WR-CALNAME:a\\,b\\;c\\\\d\\ne");
    expect(lines).toContain("SUMMARY:Kim\\, Min-jun\\; \\\\ops\\\\ — primary on call (Game ops on-call)");
  });

  it("folds at 75 octets with CRLF, never inside a character, and unfolds to the same text", () => {
    const asText = (s: string) => s.replace(/\r\n|\r/g, "\n").replace(/[\x00-\x08\x0b-\x1f\x7f]/g, "");
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 300 }), fc.string({ unit: "grapheme", maxLength: 120 }), (name, personName) => {
        const lines = contentLines(onCallCalendar({ name, shifts: [shift({ personName })], now }));
        expect(unescape(lines.find((l) => l.startsWith("X-WR-CALNAME:"))!.slice("X-WR-CALNAME:".length))).toBe(asText(name));
        expect(unescape(lines.find((l) => l.startsWith("SUMMARY:"))!.slice("SUMMARY:".length))).toBe(
          `${asText(personName)} — primary on call (Game ops on-call)`,
        );
      }),
    );
  });

  it("keeps each shift's UID when the feed is asked for another range", () => {
    const schedule = onCallSchedule.parse({
      id: "game-ops",
      timeZone: "Europe/Berlin",
      layers: [{ name: "weekly", people: ["alice", "bob"], start: "2026-01-05", handoff: { day: "monday", time: "10:00" } }],
    });
    const uids = (from: string, to: string) => {
      const shifts = roleShifts(schedule, [], new Date(from), new Date(to)).map((s) => ({ ...s, scheduleName: "Game ops" }));
      return contentLines(onCallCalendar({ name: "game-ops", shifts, now })).filter((l) => l.startsWith("UID:"));
    };
    const wide = uids("2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z");
    expect(new Set(wide).size).toBe(wide.length);
    expect(wide).toEqual(expect.arrayContaining(uids("2026-02-04T13:00:00Z", "2026-02-05T00:00:00Z")));
  });
});
