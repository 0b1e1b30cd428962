import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { incidentsConfig, type BusinessHours } from "../../config/incident-schema.js";
import { localDay, localInstant, minutesOf, weekdayOf, weekdays } from "../oncall/local-time.js";
import { isBusinessTime, nextUpdateDue, responseDeadline, slaRemaining } from "./clocks.js";

const at = (iso: string) => Date.parse(iso);
const { severities, businessHours } = incidentsConfig.parse(undefined);
const HOUR = 3_600_000;

describe("the response deadline", () => {
  it("is the declaration itself for P1 and 15 minutes later for P2", () => {
    expect(responseDeadline(severities.P1, at("2026-11-28T03:00:00Z"), businessHours, "Asia/Seoul")).toBe(at("2026-11-28T03:00:00Z"));
    expect(responseDeadline(severities.P2, at("2026-11-28T03:00:00Z"), businessHours, "Asia/Seoul")).toBe(at("2026-11-28T03:15:00Z"));
    expect(responseDeadline(severities.P3, at("2026-11-28T03:00:00Z"), businessHours, "Asia/Seoul")).toBe(at("2026-11-28T04:00:00Z"));
  });

  it("counts P4's working day in business hours only, in the team's zone", () => {
    const p4 = (iso: string) => responseDeadline(severities.P4, at(iso), businessHours, "Asia/Seoul");
    // Tuesday 10:00 KST: eight hours left that day, one more on Wednesday.
    expect(p4("2026-11-24T01:00:00Z")).toBe(at("2026-11-25T01:00:00Z"));
    // Friday 17:00 KST: one hour on Friday, eight on Monday.
    expect(p4("2026-11-27T08:00:00Z")).toBe(at("2026-11-30T08:00:00Z"));
    // Saturday: the whole of Monday.
    expect(p4("2026-11-28T03:00:00Z")).toBe(at("2026-11-30T09:00:00Z"));
    // Monday 07:00 KST, before opening: Monday's hours.
    expect(p4("2026-11-29T22:00:00Z")).toBe(at("2026-11-30T09:00:00Z"));
  });

  it("starts a zero-length business-hours clock when the hours next open", () => {
    const now = { respondWithin: 0, businessHoursOnly: true };
    expect(responseDeadline(now, at("2026-11-28T03:00:00Z"), businessHours, "Asia/Seoul")).toBe(at("2026-11-30T00:00:00Z"));
    expect(responseDeadline(now, at("2026-11-27T02:00:00Z"), businessHours, "Asia/Seoul")).toBe(at("2026-11-27T02:00:00Z"));
  });

  it("counts real hours across a DST change", () => {
    const berlin = (iso: string, hours: number, within: BusinessHours = businessHours) =>
      responseDeadline({ respondWithin: hours * HOUR, businessHoursOnly: true }, at(iso), within, "Europe/Berlin");
    // Friday 17:00 CET before the spring-forward weekend: Monday 17:00 CEST.
    expect(berlin("2026-03-27T16:00:00Z", 9)).toBe(at("2026-03-30T15:00:00Z"));
    // A night shift's 01:00–05:00 on the spring-forward night is three real hours long.
    const nights: BusinessHours = { days: [...weekdays], from: "01:00", to: "05:00" };
    expect(berlin("2026-03-29T00:00:00Z", 4, nights)).toBe(at("2026-03-30T00:00:00Z"));
    // …and five on the night the clocks go back.
    expect(berlin("2026-10-24T23:00:00Z", 5, nights)).toBe(at("2026-10-25T04:00:00Z"));
    expect(berlin("2026-10-24T23:00:00Z", 6, nights)).toBe(at("2026-10-26T01:00:00Z"));
    // Hours inside the skipped hour (02:30–03:00 on the spring-forward night) do not happen that night.
    const skipped: BusinessHours = { days: [...weekdays], from: "02:30", to: "03:00" };
    expect(berlin("2026-03-28T23:00:00Z", 1, skipped)).toBe(at("2026-03-31T01:00:00Z"));
  });

  const zone = fc.constantFrom("Asia/Seoul", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC");
  const hours = fc
    .tuple(fc.subarray([...weekdays], { minLength: 1 }), fc.integer({ min: 0, max: 23 * 60 + 58 }), fc.integer({ min: 1, max: 24 * 60 - 1 }))
    .filter(([, from, to]) => to > from)
    .map(([days, from, to]): BusinessHours => ({ days, from: hhmm(from), to: hhmm(to) }));
  const declared = fc.integer({ min: at("2026-01-01T00:00:00Z"), max: at("2028-01-01T00:00:00Z") });
  const within = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5 * 24 * 60 }).map((m) => m * 60_000));

  it("is never before the declaration", () => {
    fc.assert(
      fc.property(zone, hours, declared, within, fc.boolean(), (tz, bh, t, ms, businessHoursOnly) => {
        expect(responseDeadline({ respondWithin: ms, businessHoursOnly }, t, bh, tz)).toBeGreaterThanOrEqual(t);
      }),
    );
  });

  it("falls within business hours, after exactly the business time given", () => {
    fc.assert(
      fc.property(zone, hours, declared, within, (tz, bh, t, ms) => {
        const deadline = responseDeadline({ respondWithin: ms, businessHoursOnly: true }, t, bh, tz);
        expect(isBusinessTime(bh, tz, deadline)).toBe(true);
        expect(businessTimeBetween(bh, tz, t, deadline)).toBe(ms);
      }),
      { numRuns: 300 },
    );
  });

  it("is the declaration itself for an immediate severity", () => {
    fc.assert(
      fc.property(zone, hours, declared, (tz, bh, t) => {
        expect(responseDeadline({ respondWithin: 0, businessHoursOnly: false }, t, bh, tz)).toBe(t);
        if (isBusinessTime(bh, tz, t)) expect(responseDeadline({ respondWithin: 0, businessHoursOnly: true }, t, bh, tz)).toBe(t);
      }),
    );
  });
});

describe("status updates and the SLA", () => {
  it("are due at the severity's cadence, and never for P4", () => {
    expect(nextUpdateDue(severities.P1, at("2026-11-26T05:00:00Z"))).toBe(at("2026-11-26T05:15:00Z"));
    expect(nextUpdateDue(severities.P3, at("2026-11-26T05:00:00Z"))).toBe(at("2026-11-26T06:00:00Z"));
    expect(nextUpdateDue(severities.P4, at("2026-11-26T05:00:00Z"))).toBeUndefined();
  });

  it("counts down to the deadline, then past it", () => {
    expect(slaRemaining(at("2026-11-26T05:15:00Z"), at("2026-11-26T05:05:00Z"))).toBe(10 * 60_000);
    expect(slaRemaining(at("2026-11-26T05:15:00Z"), at("2026-11-26T05:20:00Z"))).toBe(-5 * 60_000);
  });
});

function hhmm(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
}

/** The business time inside [from, to], window by window: the deadline's definition, measured back. */
function businessTimeBetween(bh: BusinessHours, tz: string, from: number, to: number): number {
  let total = 0;
  for (let day = localDay(tz, from) - 1; day <= localDay(tz, to) + 1; day++) {
    if (!bh.days.includes(weekdayOf(day))) continue;
    const open = localInstant(tz, day, minutesOf(bh.from));
    const close = localInstant(tz, day, minutesOf(bh.to));
    total += Math.max(0, Math.min(close, to) - Math.max(open, from));
  }
  return total;
}
