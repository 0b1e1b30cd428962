import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DAY, dayNumber, instantOf, localInstant, wallClock, weekdayOf } from "./local-time.js";

const at = (iso: string) => Date.parse(iso);
const wall = (iso: string) => Date.parse(`${iso}Z`);

describe("local time", () => {
  it("reads a zone's wall clock", () => {
    expect(wallClock("Asia/Seoul", at("2026-01-05T01:00:00Z"))).toBe(wall("2026-01-05T10:00:00"));
    expect(wallClock("America/New_York", at("2026-07-01T12:00:00.250Z"))).toBe(wall("2026-07-01T08:00:00.250"));
  });

  it("places a wall-clock reading in time, either side of DST", () => {
    expect(instantOf("Europe/Berlin", wall("2026-03-28T10:00:00"))).toBe(at("2026-03-28T09:00:00Z"));
    expect(instantOf("Europe/Berlin", wall("2026-03-29T10:00:00"))).toBe(at("2026-03-29T08:00:00Z"));
  });

  it("moves a reading the clocks skip forward by the gap (02:30 on Berlin's spring-forward night is 03:30)", () => {
    expect(instantOf("Europe/Berlin", wall("2026-03-29T02:30:00"))).toBe(at("2026-03-29T01:30:00Z"));
    expect(instantOf("America/New_York", wall("2026-03-08T02:30:00"))).toBe(at("2026-03-08T07:30:00Z"));
  });

  it("takes the earlier of a reading that happens twice (clocks turned back)", () => {
    expect(instantOf("Europe/Berlin", wall("2026-10-25T02:30:00"))).toBe(at("2026-10-25T00:30:00Z"));
    expect(instantOf("America/New_York", wall("2026-11-01T01:30:00"))).toBe(at("2026-11-01T05:30:00Z"));
  });

  it("round-trips every instant through its wall clock, where the reading is unambiguous", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("Europe/Berlin", "America/New_York", "Asia/Seoul", "Australia/Lord_Howe", "UTC"),
        fc.integer({ min: at("2020-01-01T00:00:00Z"), max: at("2035-01-01T00:00:00Z") }),
        (zone, instant) => {
          const back = instantOf(zone, wallClock(zone, instant));
          // Only the second pass through a turned-back hour maps to the first.
          expect(back === instant || (back < instant && wallClock(zone, back) === wallClock(zone, instant))).toBe(true);
        },
      ),
    );
  });

  it("numbers days and weekdays like the calendar", () => {
    expect(dayNumber("1970-01-02")).toBe(1);
    expect(weekdayOf(dayNumber("2026-01-05"))).toBe("mon");
    expect(weekdayOf(dayNumber("1969-12-28"))).toBe("sun"); // before day 0
    expect(localInstant("Asia/Seoul", dayNumber("2026-01-05"), 10 * 60)).toBe(at("2026-01-05T01:00:00Z"));
    expect(localInstant("UTC", dayNumber("2026-01-05") + 1, 0) - localInstant("UTC", dayNumber("2026-01-05"), 0)).toBe(DAY);
  });
});
