import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { analyzePlan, cleanupPlan, defaultCleanupTargets, optimizePlan } from "./cleanup.js";
import { MaintenanceError } from "./maintenance-error.js";

const at = (iso: string) => Date.parse(iso);
const GiB = 1024 ** 3;

describe("batched cleanup", () => {
  it("deletes the seed's tables in batches, with the cutoff computed once from now", () => {
    const plan = cleanupPlan(defaultCleanupTargets, { batchSize: 1000, pauseMs: 200 }, at("2026-11-26T03:00:00Z"));
    expect(plan).toEqual([
      {
        table: "player_sessions",
        cutoff: "2026-10-27T03:00:00.000Z",
        countStatement: "SELECT COUNT(*) AS `rows` FROM `player_sessions` WHERE `last_activity` < ?",
        deleteStatement: "DELETE FROM `player_sessions` WHERE `last_activity` < ? ORDER BY `id` LIMIT 1000",
        params: ["2026-10-27 03:00:00"],
        batchSize: 1000,
        pauseMs: 200,
      },
      {
        table: "temporary_data",
        cutoff: "2026-11-19T03:00:00.000Z",
        countStatement: "SELECT COUNT(*) AS `rows` FROM `temporary_data` WHERE `created_at` < ?",
        deleteStatement: "DELETE FROM `temporary_data` WHERE `created_at` < ? ORDER BY `id` LIMIT 1000",
        params: ["2026-11-19 03:00:00"],
        batchSize: 1000,
        pauseMs: 200,
      },
    ]);
  });

  it("writes the cutoff in the zone the column is written in", () => {
    const [step] = cleanupPlan([defaultCleanupTargets[1]!], { batchSize: 10, pauseMs: 0, timeZone: "Asia/Seoul" }, at("2026-11-26T20:00:00Z"));
    expect(step!.params).toEqual(["2026-11-20 05:00:00"]);
  });

  it("refuses names that are not plain identifiers and settings that would not end, naming the field", () => {
    const now = at("2026-11-26T03:00:00Z");
    const ok = { table: "t", timeColumn: "c", primaryKey: "id", olderThanDays: 1 };
    expect(() => cleanupPlan([ok, { ...ok, table: "t; DROP TABLE players" }], { batchSize: 10, pauseMs: 0 }, now)).toThrow(/^cleanup\[1\]\.table: /);
    expect(() => cleanupPlan([{ ...ok, timeColumn: "c`" }], { batchSize: 10, pauseMs: 0 }, now)).toThrow(/^cleanup\[0\]\.timeColumn: /);
    expect(() => cleanupPlan([{ ...ok, olderThanDays: 0 }], { batchSize: 10, pauseMs: 0 }, now)).toThrow("cleanup[0].olderThanDays must be a whole number of days, at least 1, not 0");
    expect(() => cleanupPlan([ok], { batchSize: 0, pauseMs: 0 }, now)).toThrow(MaintenanceError);
    expect(() => cleanupPlan([ok], { batchSize: 1.5, pauseMs: 0 }, now)).toThrow(/batchSize must be a whole number/);
    expect(() => cleanupPlan([ok], { batchSize: 10, pauseMs: -1 }, now)).toThrow(/pauseMs must be 0 or more/);
  });

  it("never deletes anything younger than olderThan days, and always bounds each batch", () => {
    fc.assert(
      fc.property(fc.integer({ min: at("2020-01-01T00:00:00Z"), max: at("2035-01-01T00:00:00Z") }), fc.integer({ min: 1, max: 3650 }), fc.integer({ min: 1, max: 100_000 }), (now, days, batchSize) => {
        const [step] = cleanupPlan([{ table: "t", timeColumn: "c", primaryKey: "id", olderThanDays: days }], { batchSize, pauseMs: 0 }, now);
        expect(now - Date.parse(step!.cutoff)).toBe(days * 86_400_000);
        expect(Date.parse(`${step!.params[0].replace(" ", "T")}Z`)).toBe(Math.floor(Date.parse(step!.cutoff) / 1000) * 1000);
        expect(step!.deleteStatement.endsWith(` LIMIT ${batchSize}`)).toBe(true);
      }),
    );
  });
});

describe("analyze and optimize", () => {
  it("analyze each configured table", () => {
    expect(analyzePlan(["players", "characters"])).toEqual([
      { table: "players", statement: "ANALYZE TABLE `players`" },
      { table: "characters", statement: "ANALYZE TABLE `characters`" },
    ]);
    expect(() => analyzePlan(["players", "x y"])).toThrow(/^analyze\[1\]: "x y" is not a plain identifier/);
  });

  it("warn before rebuilding a big InnoDB table, and only then", () => {
    const plan = optimizePlan(
      [
        { name: "items", engine: "InnoDB", sizeBytes: 12 * GiB },
        { name: "players", engine: "InnoDB", sizeBytes: GiB },
        { name: "archive", engine: "Aria", sizeBytes: 50 * GiB },
      ],
      GiB,
    );
    expect(plan).toEqual([
      {
        table: "items",
        statement: "OPTIMIZE TABLE `items`",
        rebuilds: true,
        warning: "OPTIMIZE rebuilds InnoDB table items (12.0 GiB): it needs about that much free disk, takes long, and lags replicas while it runs",
      },
      { table: "players", statement: "OPTIMIZE TABLE `players`", rebuilds: true },
      { table: "archive", statement: "OPTIMIZE TABLE `archive`", rebuilds: false },
    ]);
  });
});
