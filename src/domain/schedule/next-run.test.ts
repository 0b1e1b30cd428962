import { describe, expect, it } from "vitest";
import { nextDailyRun } from "./next-run.js";

describe("nextDailyRun", () => {
  it("reads the cron in the team's time zone: 09:00 in Seoul is 00:00 UTC", () => {
    expect(nextDailyRun("0 9 * * *", "Asia/Seoul", new Date("2026-03-01T12:00:00Z"))).toEqual(new Date("2026-03-02T00:00:00Z"));
  });

  it("is strictly after the given time, even exactly on an occurrence", () => {
    expect(nextDailyRun("0 9 * * *", "Asia/Seoul", new Date("2026-03-02T00:00:00Z"))).toEqual(new Date("2026-03-03T00:00:00Z"));
    expect(nextDailyRun("0 9 * * *", "Asia/Seoul", new Date("2026-03-01T23:59:59.999Z"))).toEqual(new Date("2026-03-02T00:00:00Z"));
  });

  it("follows daylight saving time", () => {
    // Berlin: CET (+1) before 29 March 2026, CEST (+2) after.
    expect(nextDailyRun("0 9 * * *", "Europe/Berlin", new Date("2026-03-28T12:00:00Z"))).toEqual(new Date("2026-03-29T07:00:00Z"));
    expect(nextDailyRun("0 9 * * *", "Europe/Berlin", new Date("2026-03-27T12:00:00Z"))).toEqual(new Date("2026-03-28T08:00:00Z"));
  });

  it("honours weekdays", () => {
    // 2026-03-02 is a Monday; "on Mondays" from that Monday's noon is the next Monday.
    expect(nextDailyRun("0 9 * * 1", "UTC", new Date("2026-03-02T12:00:00Z"))).toEqual(new Date("2026-03-09T09:00:00Z"));
  });

  it("rejects an unknown time zone", () => {
    expect(() => nextDailyRun("0 9 * * *", "Mars/Olympus", new Date())).toThrow(
      'unknown time zone "Mars/Olympus": use an IANA name like Asia/Seoul or Europe/Berlin',
    );
  });

  it("rejects a cron without exactly 5 fields", () => {
    expect(() => nextDailyRun("0 0 9 * * *", "UTC", new Date())).toThrow(
      'cron "0 0 9 * * *" must have 5 fields (minute hour day-of-month month day-of-week), like "0 9 * * *"',
    );
  });

  it("rejects a cron with a field out of range", () => {
    expect(() => nextDailyRun("0 25 * * *", "UTC", new Date())).toThrow('cron "0 25 * * *" is not valid: CronPattern: Invalid value for hour: 25');
  });
});
