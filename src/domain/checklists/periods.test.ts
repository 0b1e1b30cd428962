import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ChecklistError } from "./checklist-error.js";
import { cadences, proofKinds, seedChecklists } from "./operations-checklists.js";
import { isOverdue, periodAt, periodOf } from "./periods.js";

const at = (iso: string) => Date.parse(iso);
const HOUR = 3_600_000;

describe("checklist periods", () => {
  it("are a day, an ISO week and a month in the team's zone", () => {
    // Thursday 2026-11-26 08:00 in Seoul.
    const t = at("2026-11-25T23:00:00Z");
    expect(periodAt("daily", t, "Asia/Seoul")).toEqual({ cadence: "daily", key: "2026-11-26", start: at("2026-11-25T15:00:00Z"), end: at("2026-11-26T15:00:00Z") });
    expect(periodAt("weekly", t, "Asia/Seoul")).toEqual({ cadence: "weekly", key: "2026-W48", start: at("2026-11-22T15:00:00Z"), end: at("2026-11-29T15:00:00Z") });
    expect(periodAt("monthly", t, "Asia/Seoul")).toEqual({ cadence: "monthly", key: "2026-11", start: at("2026-10-31T15:00:00Z"), end: at("2026-11-30T15:00:00Z") });
    // The same instant is still Wednesday in UTC.
    expect(periodAt("daily", t, "UTC").key).toBe("2026-11-25");
  });

  it("number ISO weeks across the new year", () => {
    const week = (date: string) => periodAt("weekly", at(`${date}T12:00:00Z`), "UTC").key;
    expect(week("2026-12-31")).toBe("2026-W53");
    expect(week("2027-01-01")).toBe("2026-W53");
    expect(week("2027-01-03")).toBe("2026-W53");
    expect(week("2027-01-04")).toBe("2027-W01");
    expect(week("2025-12-29")).toBe("2026-W01");
    expect(week("2026-01-01")).toBe("2026-W01");
    expect(periodOf("weekly", "2026-W53", "UTC")).toMatchObject({ start: at("2026-12-28T00:00:00Z"), end: at("2027-01-04T00:00:00Z") });
    expect(periodOf("weekly", "2026-W01", "UTC").start).toBe(at("2025-12-29T00:00:00Z"));
  });

  it("last 23 or 25 hours on the days the clocks change", () => {
    const spring = periodAt("daily", at("2026-03-29T12:00:00Z"), "Europe/Berlin");
    expect(spring).toMatchObject({ key: "2026-03-29", start: at("2026-03-28T23:00:00Z"), end: at("2026-03-29T22:00:00Z") });
    expect(spring.end - spring.start).toBe(23 * HOUR);
    const autumn = periodOf("daily", "2026-10-25", "Europe/Berlin");
    expect(autumn.end - autumn.start).toBe(25 * HOUR);
    const week = periodOf("weekly", "2026-W13", "Europe/Berlin");
    expect(week.end - week.start).toBe(7 * 24 * HOUR - HOUR);
  });

  it("tile time: every instant is in exactly one period, whose key reads back to it", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...cadences),
        fc.constantFrom("Asia/Seoul", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC"),
        fc.integer({ min: at("2020-01-01T00:00:00Z"), max: at("2035-01-01T00:00:00Z") }),
        (cadence, zone, t) => {
          const period = periodAt(cadence, t, zone);
          expect(period.start <= t && t < period.end).toBe(true);
          expect(periodOf(cadence, period.key, zone)).toEqual(period);
          expect(periodAt(cadence, period.end, zone).start).toBe(period.end);
          expect(periodAt(cadence, period.start - 1, zone).end).toBe(period.start);
        },
      ),
    );
  });

  it("refuse a key that names no period, saying how to write one", () => {
    for (const [cadence, key, example] of [
      ["daily", "2026-02-30", "2026-11-26"],
      ["daily", "26-11-2026", "2026-11-26"],
      ["weekly", "2026-W54", "2026-W48"],
      ["weekly", "2027-W53", "2026-W48"],
      ["weekly", "2026-48", "2026-W48"],
      ["monthly", "2026-13", "2026-11"],
      ["monthly", "2026-11-01", "2026-11"],
    ] as const) {
      expect(() => periodOf(cadence, key, "UTC")).toThrow(new ChecklistError(`"${key}" is not a ${cadence} period; write it like ${example}`));
    }
  });

  it("are overdue from their end", () => {
    const day = periodOf("daily", "2026-11-26", "Asia/Seoul");
    expect(isOverdue(day, day.end - 1)).toBe(false);
    expect(isOverdue(day, day.end)).toBe(true);
  });
});

describe("the seed's operations checklists", () => {
  it("have five items a cadence, each with a unique id, a title and a team", () => {
    for (const cadence of cadences) {
      const items = seedChecklists[cadence];
      expect(items).toHaveLength(5);
      expect(new Set(items.map((i) => i.id)).size).toBe(5);
      for (const item of items) {
        expect(item.title).not.toBe("");
        expect(item.team).not.toBe("");
        if (item.proof) expect(Object.keys(proofKinds)).toContain(item.proof);
      }
    }
  });

  it("let automation prove the daily check's items, the alerts review and the backups", () => {
    const proofs = Object.fromEntries(cadences.flatMap((c) => seedChecklists[c].filter((i) => i.proof).map((i) => [`${c}.${i.id}`, i.proof])));
    expect(proofs).toEqual({
      "daily.server-status": "daily-check",
      "daily.error-logs": "daily-check",
      "daily.performance-metrics": "daily-check",
      "daily.backup-status": "backup-verified",
      "daily.alerts-review": "alerts-reviewed",
      "weekly.backup-restore-test": "backup-verified",
    });
  });
});
