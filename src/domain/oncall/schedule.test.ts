import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { onCallSchedule, type OnCallSchedule } from "../../config/paging-schema.js";
import { weekdays, type Weekday } from "./local-time.js";
import { coverageGaps, nextHandoff, onCallAt, roleShifts, shiftsBetween, type Override } from "./schedule.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const weekly = { name: "weekly", people: ["alice", "bob", "carol"], start: "2026-01-05", handoff: { day: "monday", time: "10:00" } };
const schedule = (layers: unknown[], timeZone = "Asia/Seoul"): OnCallSchedule => onCallSchedule.parse({ id: "game-ops", timeZone, layers });
const iso = (d: Date | undefined) => d?.toISOString();
const at = (text: string) => new Date(text);
const override = (o: Partial<Override> & Pick<Override, "role" | "personId" | "start" | "end">): Override => ({ id: "o1", scheduleId: "game-ops", ...o });

/** Weekday and minutes since midnight of an instant in a zone, read by Intl directly. */
function localReading(zone: string, instant: number): { day: Weekday; minutes: number } {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone: zone, weekday: "short", hour: "numeric", minute: "numeric", hourCycle: "h23" }).formatToParts(instant);
  const get = (type: string) => parts.find((p) => p.type === type)!.value;
  return { day: get("weekday").toLowerCase() as Weekday, minutes: Number(get("hour")) * 60 + Number(get("minute")) };
}

describe("who is on call", () => {
  it("follows the rotation from the first handoff on", () => {
    const s = schedule([weekly]);
    expect(onCallAt(s, [], at("2026-01-05T00:59:00Z"))).toEqual({});
    expect(onCallAt(s, [], at("2026-01-05T01:00:00Z"))).toEqual({ layer: "weekly", week: 0, primary: "alice", backup: "bob" });
    expect(onCallAt(s, [], at("2026-01-19T01:00:00Z"))).toEqual({ layer: "weekly", week: 2, primary: "carol", backup: "alice" });
  });

  it("lets a later layer win where it covers", () => {
    const s = schedule([weekly, { ...weekly, name: "business-hours", people: ["dave"], restrict: { days: ["mon", "tue", "wed", "thu", "fri"], from: "09:00", to: "18:00" } }]);
    // Tuesday 2026-01-06 12:00 in Seoul is 03:00Z; 20:00 is 11:00Z.
    expect(onCallAt(s, [], at("2026-01-06T03:00:00Z"))).toEqual({ layer: "business-hours", week: 0, primary: "dave" });
    expect(onCallAt(s, [], at("2026-01-06T11:00:00Z"))).toEqual({ layer: "weekly", week: 0, primary: "alice", backup: "bob" });
    // Saturday noon: the business-hours layer does not cover weekends.
    expect(onCallAt(s, [], at("2026-01-10T03:00:00Z"))).toMatchObject({ layer: "weekly", primary: "alice" });
  });

  it("gives a role to whoever overrides it, the later override winning", () => {
    const s = schedule([weekly]);
    const overrides = [
      override({ id: "o1", role: "primary", personId: "dave", start: at("2026-01-06T00:00:00Z"), end: at("2026-01-08T00:00:00Z") }),
      override({ id: "o2", role: "primary", personId: "erin", start: at("2026-01-07T00:00:00Z"), end: at("2026-01-07T12:00:00Z") }),
      override({ id: "o3", role: "backup", personId: "frank", start: at("2026-01-06T00:00:00Z"), end: at("2026-01-06T06:00:00Z") }),
      override({ id: "elsewhere", scheduleId: "other", role: "primary", personId: "zed", start: at("2026-01-01T00:00:00Z"), end: at("2027-01-01T00:00:00Z") }),
    ];
    expect(onCallAt(s, overrides, at("2026-01-06T01:00:00Z"))).toEqual({ layer: "weekly", week: 0, primary: "dave", backup: "frank", overriddenBy: { primary: "o1", backup: "o3" } });
    expect(onCallAt(s, overrides, at("2026-01-07T06:00:00Z"))).toEqual({ layer: "weekly", week: 0, primary: "erin", backup: "bob", overriddenBy: { primary: "o2" } });
    expect(onCallAt(s, overrides, at("2026-01-08T00:00:00Z"))).toEqual({ layer: "weekly", week: 0, primary: "alice", backup: "bob" });
    // Before any layer starts, an override still puts someone on call.
    expect(onCallAt(s, [override({ role: "primary", personId: "dave", start: at("2026-01-01T00:00:00Z"), end: at("2026-01-02T00:00:00Z") })], at("2026-01-01T12:00:00Z"))).toEqual({
      primary: "dave",
      overriddenBy: { primary: "o1" },
    });
  });
});

describe("shifts", () => {
  it("cut a range into contiguous stretches where nobody changes", () => {
    const s = schedule([weekly]);
    const shifts = shiftsBetween(s, [override({ role: "backup", personId: "dave", start: at("2026-01-13T00:00:00Z"), end: at("2026-01-14T00:00:00Z") })], at("2026-01-04T00:00:00Z"), at("2026-01-20T00:00:00Z"));
    expect(shifts.map((x) => [iso(x.start), iso(x.end), x.primary, x.backup])).toEqual([
      ["2026-01-04T00:00:00.000Z", "2026-01-05T01:00:00.000Z", undefined, undefined],
      ["2026-01-05T01:00:00.000Z", "2026-01-12T01:00:00.000Z", "alice", "bob"],
      ["2026-01-12T01:00:00.000Z", "2026-01-13T00:00:00.000Z", "bob", "carol"],
      ["2026-01-13T00:00:00.000Z", "2026-01-14T00:00:00.000Z", "bob", "dave"],
      ["2026-01-14T00:00:00.000Z", "2026-01-19T01:00:00.000Z", "bob", "carol"],
      ["2026-01-19T01:00:00.000Z", "2026-01-20T00:00:00.000Z", "carol", "alice"],
    ]);
  });

  it("cover every instant with exactly one primary when a layer has no restriction", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("Europe/Berlin", "America/New_York", "Asia/Seoul"),
        fc.array(fc.constantFrom("alice", "bob", "carol", "dave"), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 0, max: 2 * 365 * 24 }),
        fc.integer({ min: 1, max: 60 * 24 }),
        fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 5 }),
        (zone, people, startHours, lengthHours, probes) => {
          const s = schedule([{ ...weekly, people }], zone);
          const from = new Date(Date.parse("2026-01-06T00:00:00Z") + startHours * HOUR);
          const to = new Date(from.getTime() + lengthHours * HOUR);
          const shifts = shiftsBetween(s, [], from, to);
          expect(shifts[0]!.start).toEqual(from);
          expect(shifts.at(-1)!.end).toEqual(to);
          shifts.forEach((shift, i) => {
            expect(shift.start.getTime()).toBeLessThan(shift.end.getTime());
            if (i > 0) expect(shift.start).toEqual(shifts[i - 1]!.end);
            expect(shift.primary).toBe(people[shift.week! % people.length]);
          });
          for (const p of probes) {
            const instant = new Date(from.getTime() + Math.floor(((to.getTime() - from.getTime()) * p) / 1001));
            const shift = shifts.find((x) => x.start <= instant && instant < x.end)!;
            const { start: _s, end: _e, ...who } = shift;
            expect(onCallAt(s, [], instant)).toEqual(who);
          }
        },
      ),
    );
  });

  it("give an override's role to its person exactly within [start, end)", () => {
    const s = schedule([weekly], "Europe/Berlin");
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 60 * 24 }), fc.integer({ min: 1, max: 10 * 24 }), fc.constantFrom("primary", "backup" as const), (startHours, hours, role) => {
        const start = new Date(Date.parse("2026-01-10T00:00:00Z") + startHours * HOUR);
        const end = new Date(start.getTime() + hours * HOUR);
        const o = override({ role, personId: "zed", start, end });
        for (const shift of shiftsBetween(s, [o], new Date(start.getTime() - 3 * DAY), new Date(end.getTime() + 3 * DAY))) {
          const inside = shift.start >= start && shift.end <= end;
          expect(inside || shift.end <= start || shift.start >= end).toBe(true);
          expect(shift[role] === "zed").toBe(inside);
          expect(shift.overriddenBy?.[role] === "o1").toBe(inside);
        }
      }),
    );
  });

  it("keep a role shift's bounds whatever range asks for it", () => {
    const s = schedule([weekly, { ...weekly, name: "nights", people: ["dave", "erin"], restrict: { days: ["fri", "sat"], from: "22:00", to: "06:00" } }], "Europe/Berlin");
    // Saturday 22:00 CET to Sunday 06:00 CEST: the night the clocks go forward is seven hours long.
    const instant = at("2026-03-28T23:00:00Z");
    const shiftsAround = (from: Date, to: Date) => roleShifts(s, [], from, to).filter((r) => r.start <= instant && instant < r.end);
    const reference = shiftsAround(instant, new Date(instant.getTime() + 1));
    expect(reference.map((r) => [r.role, r.personId, iso(r.start), iso(r.end)])).toEqual([
      ["primary", "erin", "2026-03-28T21:00:00.000Z", "2026-03-29T04:00:00.000Z"],
      ["backup", "dave", "2026-03-28T21:00:00.000Z", "2026-03-29T04:00:00.000Z"],
    ]);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 30 * 24 }), fc.integer({ min: 1, max: 30 * 24 }), (before, after) => {
        expect(shiftsAround(new Date(instant.getTime() - before * HOUR), new Date(instant.getTime() + after * HOUR))).toEqual(reference);
      }),
      { numRuns: 30 },
    );
  });

  it("follow a single person's endless duty back to where it began", () => {
    const s = schedule([{ ...weekly, people: ["alice"] }]);
    const [shift] = roleShifts(s, [], at("2026-06-01T00:00:00Z"), at("2026-06-02T00:00:00Z"));
    expect(iso(shift!.start)).toBe("2026-01-05T01:00:00.000Z");
  });
});

describe("coverage gaps", () => {
  it("are exactly the hours a restricted layer leaves uncovered", () => {
    const hours = fc.integer({ min: 0, max: 23 }).filter((h) => h < 1 || h > 3); // clear of DST's skipped and doubled hours
    fc.assert(
      fc.property(
        fc.constantFrom("Europe/Berlin", "America/New_York", "Asia/Seoul"),
        fc.subarray([...weekdays], { minLength: 1 }),
        hours,
        hours,
        fc.array(fc.integer({ min: 0, max: 400 * 24 * 4 }), { minLength: 1, maxLength: 20 }),
        (zone, days, fromHour, toHour, probes) => {
          fc.pre(fromHour !== toHour);
          const time = (h: number) => `${String(h).padStart(2, "0")}:00`;
          const s = schedule([{ ...weekly, start: "2025-12-29", restrict: { days, from: time(fromHour), to: time(toHour) } }], zone);
          const from = at("2026-01-01T00:00:00Z");
          const gaps = coverageGaps(s, [], from, at("2027-02-10T00:00:00Z"));
          for (const q of probes) {
            const instant = from.getTime() + q * 15 * 60_000;
            const { day, minutes } = localReading(zone, instant);
            const yesterday = weekdays[(weekdays.indexOf(day) + 6) % 7]!;
            const [f, t] = [fromHour * 60, toHour * 60];
            const covered = t > f ? days.includes(day) && f <= minutes && minutes < t : (days.includes(day) && minutes >= f) || (days.includes(yesterday) && minutes < t);
            const inGap = gaps.some((g) => g.missing === "primary" && g.start.getTime() <= instant && instant < g.end.getTime());
            expect(inGap).toBe(!covered);
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it("report a missing backup as a lesser gap", () => {
    const s = schedule([{ ...weekly, people: ["alice"] }]);
    expect(coverageGaps(s, [], at("2026-01-01T00:00:00Z"), at("2026-01-10T00:00:00Z"))).toEqual([
      { start: at("2026-01-01T00:00:00Z"), end: at("2026-01-05T01:00:00Z"), missing: "primary" },
      { start: at("2026-01-05T01:00:00Z"), end: at("2026-01-10T00:00:00Z"), missing: "backup" },
    ]);
  });
});

describe("the next handoff", () => {
  it("names who starts, in which role, when, and until when", () => {
    const s = schedule([weekly]);
    expect(nextHandoff(s, [], at("2026-01-07T00:00:00Z"))).toEqual({
      at: at("2026-01-12T01:00:00Z"),
      starts: [
        { role: "primary", personId: "bob", until: at("2026-01-19T01:00:00Z") },
        { role: "backup", personId: "carol", until: at("2026-01-19T01:00:00Z") },
      ],
    });
  });

  it("is strictly after the given instant", () => {
    expect(nextHandoff(schedule([weekly]), [], at("2026-01-12T01:00:00Z"))?.at).toEqual(at("2026-01-19T01:00:00Z"));
  });

  it("includes an override taking a role", () => {
    const o = override({ role: "backup", personId: "dave", start: at("2026-01-08T00:00:00Z"), end: at("2026-01-09T00:00:00Z") });
    expect(nextHandoff(schedule([weekly]), [o], at("2026-01-07T00:00:00Z"))).toEqual({
      at: at("2026-01-08T00:00:00Z"),
      starts: [{ role: "backup", personId: "dave", until: at("2026-01-09T00:00:00Z") }],
    });
  });

  it("is the first handoff before the rotation starts, and none when nobody ever changes", () => {
    expect(nextHandoff(schedule([weekly]), [], at("2025-12-01T00:00:00Z"))?.at).toEqual(at("2026-01-05T01:00:00Z"));
    expect(nextHandoff(schedule([{ ...weekly, people: ["alice"] }]), [], at("2026-02-01T00:00:00Z"))).toBeUndefined();
  });
});
