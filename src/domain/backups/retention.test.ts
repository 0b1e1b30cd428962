import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BackupError } from "./backup-error.js";
import type { SetStatus } from "./manifest.js";
import { planRetention, retentionPolicySchema, type RetentionSet } from "./retention.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = (iso: string) => Date.parse(iso);
const set = (id: string, createdAt: string, status: SetStatus = "verified"): RetentionSet => ({ id, createdAt, status });
const policy = (over: Partial<ReturnType<typeof retentionPolicySchema.parse>> = {}) => ({ ...retentionPolicySchema.parse({}), ...over });

/** One verified set a day at 03:00 UTC for `days` days ending on 2026-11-26. */
const daily = (days: number): RetentionSet[] =>
  Array.from({ length: days }, (_, i) => {
    const createdAt = new Date(at("2026-11-26T03:00:00Z") - i * DAY).toISOString();
    return set(`s${createdAt.slice(0, 10)}`, createdAt);
  });

const ids = (xs: { id: string }[]) => xs.map((x) => x.id);

describe("backup retention", () => {
  it("keeps the newest verified set of each of the N newest days, ISO weeks and months", () => {
    const plan = planRetention(daily(120), policy({ daily: 3, weekly: 2, monthly: 3, minGood: 1 }), at("2026-11-26T12:00:00Z"), "UTC");
    expect(plan.keep).toEqual([
      { id: "s2026-11-26", reasons: ["newest verified set", "daily 2026-11-26", "weekly 2026-W48", "monthly 2026-11"] },
      { id: "s2026-11-25", reasons: ["daily 2026-11-25"] },
      { id: "s2026-11-24", reasons: ["daily 2026-11-24"] },
      // Sunday ends ISO week 47.
      { id: "s2026-11-22", reasons: ["weekly 2026-W47"] },
      { id: "s2026-10-31", reasons: ["monthly 2026-10"] },
      { id: "s2026-09-30", reasons: ["monthly 2026-09"] },
    ]);
    expect(plan.remove).toHaveLength(120 - 6);
    expect(plan.remove[0]).toEqual({ id: "s2026-11-23", reason: "verified, but no daily, weekly or monthly slot needs it" });
  });

  it("cuts days in the team's zone", () => {
    // a 14:00Z and b 16:00Z are both the 25th in UTC; in Seoul (UTC+9) b is already the 26th,
    // and a shares the 25th with c.
    const sets = [set("a", "2026-11-25T14:00:00Z"), set("b", "2026-11-25T16:00:00Z"), set("c", "2026-11-24T16:00:00Z")];
    const two = policy({ daily: 2, weekly: 0, monthly: 0, minGood: 1 });
    const now = at("2026-11-26T00:00:00Z");
    expect(planRetention(sets, two, now, "UTC").keep).toEqual([
      { id: "b", reasons: ["newest verified set", "daily 2026-11-25"] },
      { id: "c", reasons: ["daily 2026-11-24"] },
    ]);
    expect(planRetention(sets, two, now, "Asia/Seoul").keep).toEqual([
      { id: "b", reasons: ["newest verified set", "daily 2026-11-26"] },
      { id: "a", reasons: ["daily 2026-11-25"] },
    ]);
  });

  it("never counts failed or unverified sets as good, and keeps them only within the grace period", () => {
    const now = at("2026-11-26T12:00:00Z");
    const sets = [
      set("new-written", "2026-11-26T03:00:00Z", "written"),
      set("new-failed", "2026-11-26T02:00:00Z", "failed"),
      set("old-written", "2026-11-20T03:00:00Z", "written"),
      set("old-failed", "2026-11-19T03:00:00Z", "failed"),
      set("good", "2026-11-01T03:00:00Z"),
    ];
    const plan = planRetention(sets, policy({ daily: 0, weekly: 0, monthly: 0, minGood: 1, graceMs: 2 * DAY }), now, "UTC");
    expect(plan.keep).toEqual([
      { id: "new-written", reasons: ["not verified yet, within the grace period"] },
      { id: "new-failed", reasons: ["failed, kept for inspection within the grace period"] },
      // A month old, but the only good set there is.
      { id: "good", reasons: ["newest verified set"] },
    ]);
    expect(plan.remove).toEqual([
      { id: "old-written", reason: "never verified, older than the grace period" },
      { id: "old-failed", reason: "failed, older than the grace period" },
    ]);
  });

  it("keeps at least minGood verified sets when the slots need fewer", () => {
    const plan = planRetention(daily(10), policy({ daily: 1, weekly: 0, monthly: 0, minGood: 4 }), at("2026-11-26T12:00:00Z"), "UTC");
    expect(plan.keep).toEqual([
      { id: "s2026-11-26", reasons: ["newest verified set", "daily 2026-11-26"] },
      { id: "s2026-11-25", reasons: ["minimum of 4 verified sets"] },
      { id: "s2026-11-24", reasons: ["minimum of 4 verified sets"] },
      { id: "s2026-11-23", reasons: ["minimum of 4 verified sets"] },
    ]);
  });

  it("refuses a set listed twice or a set without a readable time", () => {
    const now = at("2026-11-26T12:00:00Z");
    expect(() => planRetention([set("a", "2026-11-25T03:00:00Z"), set("a", "2026-11-24T03:00:00Z")], policy(), now, "UTC")).toThrow(
      new BackupError("backup set a is listed twice; each set id names one set"),
    );
    expect(() => planRetention([set("a", "yesterday")], policy(), now, "UTC")).toThrow(/createdAt "yesterday" is not a time; write it like/);
  });

  it("refuses a policy that could remove every good set", () => {
    expect(retentionPolicySchema.safeParse({ minGood: 0 }).error?.issues[0]?.message).toBe("must be at least 1; the newest verified set is never removed");
  });

  const statuses: SetStatus[] = ["verified", "verified", "written", "failed"];
  const arbSets = fc
    .uniqueArray(
      fc.record({
        id: fc.stringMatching(/^[a-z0-9]{1,6}$/),
        at: fc.integer({ min: at("2025-01-01T00:00:00Z"), max: at("2026-12-31T00:00:00Z") }),
        status: fc.constantFrom(...statuses),
      }),
      { selector: (s) => s.id, maxLength: 60 },
    )
    .map((xs) => xs.map((x) => set(x.id, new Date(x.at).toISOString(), x.status)));
  const arbPolicy = fc.record({
    daily: fc.nat(10),
    weekly: fc.nat(6),
    monthly: fc.nat(6),
    minGood: fc.integer({ min: 1, max: 8 }),
    graceMs: fc.nat(10 * DAY),
  });
  const arbZone = fc.constantFrom("UTC", "Asia/Seoul", "America/New_York", "Australia/Lord_Howe");
  const arbNow = fc.integer({ min: at("2026-06-01T00:00:00Z"), max: at("2027-03-01T00:00:00Z") });

  it("never goes below min(minGood, verified sets), never removes the newest verified, and sorts every set once", () => {
    fc.assert(
      fc.property(arbSets, arbPolicy, arbNow, arbZone, (sets, p, now, zone) => {
        const plan = planRetention(sets, p, now, zone);
        const verified = sets.filter((s) => s.status === "verified");
        const kept = new Set(ids(plan.keep));
        expect(verified.filter((s) => kept.has(s.id)).length).toBeGreaterThanOrEqual(Math.min(p.minGood, verified.length));
        const newest = [...verified].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || (a.id < b.id ? 1 : -1))[0];
        if (newest) expect(kept.has(newest.id)).toBe(true);
        expect([...ids(plan.keep), ...ids(plan.remove)].sort()).toEqual(ids(sets).sort());
        for (const kept of plan.keep) expect(kept.reasons.length).toBeGreaterThan(0);
      }),
    );
  });

  it("is deterministic: the same inputs in any order give the same plan", () => {
    fc.assert(
      fc.property(
        arbSets.chain((sets) => fc.tuple(fc.constant(sets), fc.shuffledSubarray(sets, { minLength: sets.length, maxLength: sets.length }))),
        arbPolicy,
        arbNow,
        arbZone,
        ([sets, shuffled], p, now, zone) => {
          expect(planRetention(shuffled, p, now, zone)).toEqual(planRetention(sets, p, now, zone));
        },
      ),
    );
  });
});
