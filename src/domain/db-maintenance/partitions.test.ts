import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MaintenanceError } from "./maintenance-error.js";
import { partitionBound, planPartitions, toDays, type ExistingPartition } from "./partitions.js";

const at = (iso: string) => Date.parse(iso);
const pmax: ExistingPartition = { name: "pmax", lessThan: "MAXVALUE" };
/** Monthly partitions for the months from..to (inclusive, `YYYY-MM`), then pmax. */
const monthly = (from: string, to: string): ExistingPartition[] => {
  const out: ExistingPartition[] = [];
  for (let d = new Date(`${from}-01T00:00:00Z`); d <= new Date(`${to}-01T00:00:00Z`); d.setUTCMonth(d.getUTCMonth() + 1)) {
    const next = new Date(d);
    next.setUTCMonth(next.getUTCMonth() + 1);
    out.push({ name: `p${d.toISOString().slice(0, 7).replace("-", "")}`, lessThan: toDays(next.toISOString().slice(0, 10)) });
  }
  return [...out, pmax];
};
const policy = { table: "game_logs", keepMonths: 3, aheadMonths: 2 };

describe("monthly partitions", () => {
  it("compute TO_DAYS as MariaDB does and read information_schema bounds", () => {
    expect(toDays("1970-01-01")).toBe(719_528);
    expect(toDays("2026-12-01")).toBe(740_316);
    expect(partitionBound("740316")).toBe(740_316);
    expect(partitionBound("MAXVALUE")).toBe("MAXVALUE");
    expect(() => partitionBound("'2026-12-01'")).toThrow(/BY RANGE \(TO_DAYS\(column\)\)/);
  });

  it("do nothing when the months ahead exist and none is old enough", () => {
    const plan = planPartitions(monthly("2026-08", "2027-01"), policy, at("2026-11-15T12:00:00Z"));
    expect(plan).toEqual({ table: "game_logs", currentMonth: "2026-11", add: [], drop: [], statements: [], warnings: [] });
  });

  it("roll over a month boundary: one month added ahead, one dropped behind", () => {
    const existing = monthly("2026-08", "2027-01");
    const before = planPartitions(existing, policy, at("2026-11-30T23:59:59Z"));
    expect(before.statements).toEqual([]);
    const after = planPartitions(existing, policy, at("2026-12-01T00:00:00Z"));
    expect(after.currentMonth).toBe("2026-12");
    expect(after.add).toEqual([{ name: "p202702", month: "2027-02", lessThan: "2027-03-01" }]);
    expect(after.drop).toEqual([{ name: "p202608", month: "2026-08" }]);
    expect(after.statements).toEqual([
      "ALTER TABLE `game_logs` REORGANIZE PARTITION `pmax` INTO (PARTITION `p202702` VALUES LESS THAN (TO_DAYS('2027-03-01')), PARTITION `pmax` VALUES LESS THAN MAXVALUE)",
      "ALTER TABLE `game_logs` DROP PARTITION `p202608`",
    ]);
  });

  it("roll over the year boundary, December to January", () => {
    const plan = planPartitions(monthly("2026-09", "2027-01"), { table: "game_logs", keepMonths: 2, aheadMonths: 3 }, at("2027-01-01T00:00:00Z"));
    expect(plan.currentMonth).toBe("2027-01");
    expect(plan.add.map((p) => [p.name, p.lessThan])).toEqual([
      ["p202702", "2027-03-01"],
      ["p202703", "2027-04-01"],
      ["p202704", "2027-05-01"],
    ]);
    // Kept: November and December 2026, and January 2027.
    expect(plan.drop).toEqual([
      { name: "p202609", month: "2026-09" },
      { name: "p202610", month: "2026-10" },
    ]);
    expect(plan.statements[1]).toBe("ALTER TABLE `game_logs` DROP PARTITION `p202609`, `p202610`");
  });

  it("take the month in the zone the column is written in", () => {
    const existing = monthly("2026-08", "2027-01");
    // 2026-11-30 20:00 UTC is already December in Seoul.
    expect(planPartitions(existing, policy, at("2026-11-30T20:00:00Z")).currentMonth).toBe("2026-11");
    expect(planPartitions(existing, { ...policy, timeZone: "Asia/Seoul" }, at("2026-11-30T20:00:00Z")).currentMonth).toBe("2026-12");
  });

  it("fill a gap left by missed runs, warning that rows in pmax move", () => {
    const plan = planPartitions(monthly("2026-06", "2026-09"), { table: "game_logs", keepMonths: 6, aheadMonths: 1 }, at("2026-11-15T00:00:00Z"));
    expect(plan.add.map((p) => p.name)).toEqual(["p202610", "p202611", "p202612"]);
    expect(plan.warnings).toEqual([
      "game_logs's partitions stop at 2026-10-01: rows written since then are in pmax and move into the new partitions, which copies them",
    ]);
  });

  it("start from a table with only pmax, and leave partitions with other names alone", () => {
    const only = planPartitions([pmax], { table: "game_logs", keepMonths: 0, aheadMonths: 1 }, at("2026-11-15T00:00:00Z"));
    expect(only.add.map((p) => p.name)).toEqual(["p202611", "p202612"]);
    expect(only.warnings).toEqual(["game_logs has only pmax: all its rows move into p202611, which rewrites the table"]);

    const legacy = [{ name: "p_2023_01", lessThan: toDays("2023-02-01") }, ...monthly("2026-11", "2026-12")];
    expect(planPartitions(legacy, { table: "game_logs", keepMonths: 0, aheadMonths: 1 }, at("2026-11-15T00:00:00Z")).drop).toEqual([]);
  });

  it("refuse tables they cannot rotate safely, saying what to do", () => {
    const now = at("2026-11-15T00:00:00Z");
    expect(() => planPartitions(monthly("2026-08", "2026-12").slice(0, -1), policy, now)).toThrow(
      "game_logs: the last partition must be VALUES LESS THAN MAXVALUE; add one with ALTER TABLE `game_logs` ADD PARTITION (PARTITION `pmax` VALUES LESS THAN MAXVALUE)",
    );
    // The name says October, the bound says it also holds November.
    expect(() => planPartitions([{ name: "p202610", lessThan: toDays("2026-12-01") }, pmax], policy, now)).toThrow(
      "game_logs: partition p202610 ends before 2026-12-01, not 2026-11-01; its name does not say what it holds",
    );
    const [a, b] = monthly("2026-08", "2026-09");
    expect(() => planPartitions([b!, a!, pmax], policy, now)).toThrow(/partition p202608 does not end after p202609/);
    expect(() => planPartitions([pmax], { ...policy, table: "game_logs; DROP TABLE players" }, now)).toThrow(MaintenanceError);
    expect(() => planPartitions([pmax], { ...policy, keepMonths: -1 }, now)).toThrow("game_logs: keepMonths must be a whole number of months from 0 to 120, not -1");
  });

  it("never drop the current month or a later one, and always leave the months ahead in place", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: at("2025-01-01T00:00:00Z"), max: at("2029-01-01T00:00:00Z") }),
        fc.integer({ min: -30, max: 30 }),
        fc.integer({ min: 0, max: 40 }),
        fc.nat(24),
        fc.nat(6),
        fc.constantFrom("UTC", "Asia/Seoul", "America/Los_Angeles"),
        (now, startOffset, count, keepMonths, aheadMonths, timeZone) => {
          const start = new Date(now);
          start.setUTCDate(1);
          start.setUTCMonth(start.getUTCMonth() + startOffset);
          const from = start.toISOString().slice(0, 7);
          start.setUTCMonth(start.getUTCMonth() + count);
          const existing = count === 0 ? [pmax] : monthly(from, start.toISOString().slice(0, 7));
          const plan = planPartitions(existing, { table: "game_logs", keepMonths, aheadMonths, timeZone }, now);
          for (const d of plan.drop) expect(d.month < plan.currentMonth).toBe(true);
          expect(plan.drop.some((d) => d.name === `p${plan.currentMonth.replace("-", "")}`)).toBe(false);
          // After the plan, every month from the current one to aheadMonths on has a partition.
          const after = new Set([...existing.map((p) => p.name), ...plan.add.map((p) => p.name)].filter((n) => !plan.drop.some((d) => d.name === n)));
          const month = new Date(`${plan.currentMonth}-01T00:00:00Z`);
          const lastExisting = existing.at(-2);
          for (let i = 0; i <= aheadMonths; i++) {
            const name = `p${month.toISOString().slice(0, 7).replace("-", "")}`;
            // A month before the last existing bound is covered by a partition already there.
            if (lastExisting === undefined || typeof lastExisting.lessThan !== "number" || toDays(month.toISOString().slice(0, 10)) >= lastExisting.lessThan)
              expect(after.has(name)).toBe(true);
            month.setUTCMonth(month.getUTCMonth() + 1);
          }
        },
      ),
    );
  });
});
