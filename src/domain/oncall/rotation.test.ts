import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { scheduleLayer, type ScheduleLayer } from "../../config/paging-schema.js";
import { handoffAt, handoffsBetween, turnOf, weekAt } from "./rotation.js";

const layer = (input: Partial<Record<keyof ScheduleLayer, unknown>> = {}): ScheduleLayer =>
  scheduleLayer.parse({ name: "weekly", people: ["alice", "bob", "carol"], start: "2026-01-05", handoff: { day: "monday", time: "10:00" }, ...input });

/** Weekday and HH:MM of an instant in a zone, read by Intl directly. */
function localReading(zone: string, instant: number): string {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone: zone, weekday: "long", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(instant);
  const get = (type: string) => parts.find((p) => p.type === type)!.value;
  return `${get("weekday")} ${get("hour")}:${get("minute")}`;
}

describe("weekly rotation", () => {
  it("starts week 0 at the start date's handoff time in the schedule's zone", () => {
    expect(new Date(handoffAt(layer(), "Asia/Seoul", 0)).toISOString()).toBe("2026-01-05T01:00:00.000Z");
    expect(new Date(handoffAt(layer(), "Asia/Seoul", 1)).toISOString()).toBe("2026-01-12T01:00:00.000Z");
  });

  it("has no week before the first handoff", () => {
    expect(weekAt(layer(), "Asia/Seoul", Date.parse("2026-01-05T00:59:59.999Z"))).toBeUndefined();
    expect(weekAt(layer(), "Asia/Seoul", Date.parse("2026-01-05T01:00:00Z"))).toBe(0);
  });

  it("makes people[k mod n] primary and the next one backup", () => {
    const l = layer();
    expect([0, 1, 2, 3].map((k) => turnOf(l, k))).toEqual([
      { week: 0, primary: "alice", backup: "bob" },
      { week: 1, primary: "bob", backup: "carol" },
      { week: 2, primary: "carol", backup: "alice" },
      { week: 3, primary: "alice", backup: "bob" },
    ]);
    expect(turnOf(layer({ people: ["alice"] }), 5)).toEqual({ week: 5, primary: "alice" });
  });

  it("keeps the handoff at local 10:00 across DST in Berlin (CET → CEST on 29 March 2026)", () => {
    const berlin = layer({ start: "2026-03-23" });
    expect(new Date(handoffAt(berlin, "Europe/Berlin", 0)).toISOString()).toBe("2026-03-23T09:00:00.000Z");
    expect(new Date(handoffAt(berlin, "Europe/Berlin", 1)).toISOString()).toBe("2026-03-30T08:00:00.000Z");
    // The week before runs one hour short in real time.
    expect(weekAt(berlin, "Europe/Berlin", Date.parse("2026-03-30T08:30:00Z"))).toBe(1);
  });

  it("keeps the handoff at local 10:00 across DST in New York (EDT → EST on 1 November 2026)", () => {
    const ny = layer({ start: "2026-10-26" });
    expect(new Date(handoffAt(ny, "America/New_York", 0)).toISOString()).toBe("2026-10-26T14:00:00.000Z");
    expect(new Date(handoffAt(ny, "America/New_York", 1)).toISOString()).toBe("2026-11-02T15:00:00.000Z");
    expect(weekAt(ny, "America/New_York", Date.parse("2026-11-02T14:30:00Z"))).toBe(0);
  });

  it("hands off on the handoff day at its local time in every week, whatever the zone's DST", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Seoul"),
        fc.integer({ min: 0, max: 520 }),
        (zone, week) => {
          expect(localReading(zone, handoffAt(layer(), zone, week))).toBe("Monday 10:00");
        },
      ),
    );
  });

  it("puts every instant after the start in the week whose handoffs surround it", () => {
    const l = layer();
    fc.assert(
      fc.property(fc.constantFrom("Europe/Berlin", "America/New_York", "Asia/Seoul"), fc.integer({ min: 0, max: 10 * 365 * 86_400_000 }), (zone, offset) => {
        const instant = handoffAt(l, zone, 0) + offset;
        const week = weekAt(l, zone, instant)!;
        expect(handoffAt(l, zone, week)).toBeLessThanOrEqual(instant);
        expect(instant).toBeLessThan(handoffAt(l, zone, week + 1));
      }),
    );
  });

  it("lists the handoffs within a range", () => {
    const from = Date.parse("2026-01-01T00:00:00Z");
    const to = Date.parse("2026-01-19T01:00:00Z");
    expect(handoffsBetween(layer(), "Asia/Seoul", from, to).map((t) => new Date(t).toISOString())).toEqual([
      "2026-01-05T01:00:00.000Z",
      "2026-01-12T01:00:00.000Z",
    ]);
  });
});
