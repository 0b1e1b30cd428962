import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { defaultCleanupTargets } from "../../src/domain/db-maintenance/cleanup.js";
import { MaintenanceError } from "../../src/domain/db-maintenance/maintenance-error.js";
import { applyMaintenance, planMaintenance, type MaintenanceProgress, type MaintenanceRequest } from "../../src/engine/db-maintenance.js";
import { countCleanup, readPartitions, runCleanup, runStatements, tableStats } from "../../src/integrations/mysql/maintenance.js";
import { createGameDatabase, playerSessions, temporaryData, type GameDatabase } from "./game-database.js";

const at = (iso: string) => Date.parse(iso);
const lastOfApril = at("2026-04-30T12:00:00Z");
const firstOfMay = at("2026-05-01T00:00:00Z");

describe("database maintenance against the real MariaDB", () => {
  let db: GameDatabase;
  const signal = new AbortController().signal;

  beforeAll(async () => {
    db = await createGameDatabase();
  });
  afterAll(async () => {
    await db?.dispose();
  });
  beforeEach(async () => {
    await db.seed();
  });

  const request = (patch: Partial<MaintenanceRequest>): MaintenanceRequest => ({
    conn: db.session,
    now: lastOfApril,
    partitions: [],
    cleanup: [],
    cleanupOptions: { batchSize: 3, pauseMs: 1 },
    analyze: [],
    optimize: [],
    bigTableBytes: 10 * 1024 ** 3,
    ...patch,
  });

  /** Everything the maintenance could change, to prove a dry-run changed none of it. */
  const snapshot = async () => ({
    partitions: await db.partitionCounts(),
    sessions: await db.count("SELECT COUNT(*) AS n FROM player_sessions"),
    temporary: await db.count("SELECT COUNT(*) AS n FROM temporary_data"),
  });

  it("plans every statement with the rows the cleanup would delete, and changes nothing", async () => {
    const before = await snapshot();
    expect(before).toEqual({ partitions: { p202601: 5, p202602: 6, p202603: 7, p202604: 8, pmax: 0 }, sessions: 15, temporary: 10 });

    const plan = await planMaintenance(
      request({
        partitions: [{ table: "game_logs", keepMonths: 2, aheadMonths: 1 }],
        cleanup: defaultCleanupTargets,
        analyze: ["player_sessions", "temporary_data"],
        optimize: ["temporary_data"],
      }),
    );

    expect(plan.at).toBe("2026-04-30T12:00:00.000Z");
    expect(plan.preview).toEqual([
      "ALTER TABLE `game_logs` REORGANIZE PARTITION `pmax` INTO (PARTITION `p202605` VALUES LESS THAN (TO_DAYS('2026-06-01')), PARTITION `pmax` VALUES LESS THAN MAXVALUE)",
      "ALTER TABLE `game_logs` DROP PARTITION `p202601`",
      "DELETE FROM `player_sessions` WHERE `last_activity` < '2026-03-31 12:00:00' ORDER BY `id` LIMIT 3 -- repeated until a batch deletes fewer than 3 rows, 1 ms apart; 10 rows now",
      "DELETE FROM `temporary_data` WHERE `created_at` < '2026-04-23 12:00:00' ORDER BY `id` LIMIT 3 -- repeated until a batch deletes fewer than 3 rows, 1 ms apart; 6 rows now",
      "ANALYZE TABLE `player_sessions`",
      "ANALYZE TABLE `temporary_data`",
      "OPTIMIZE TABLE `temporary_data`",
    ]);
    expect(plan.partitions[0]).toMatchObject({ currentMonth: "2026-04", add: [{ name: "p202605" }], drop: [{ name: "p202601", month: "2026-01" }], warnings: [] });
    expect(plan.cleanup.map((c) => [c.table, c.params[0], c.rows])).toEqual([
      ["player_sessions", "2026-03-31 12:00:00", playerSessions.old.length],
      ["temporary_data", "2026-04-23 12:00:00", temporaryData.old.length],
    ]);
    expect(plan.optimize).toEqual([{ table: "temporary_data", statement: "OPTIMIZE TABLE `temporary_data`", rebuilds: true }]);
    expect(plan.warnings).toEqual([]);

    expect(await snapshot()).toEqual(before);
  });

  it("rotates across a month boundary: adds ahead, drops only past the kept months, never the current one, keeps the rows of kept months", async () => {
    const policy = { table: "game_logs", keepMonths: 2, aheadMonths: 1 };
    const events: MaintenanceProgress[] = [];

    const april = await planMaintenance(request({ now: lastOfApril, partitions: [policy] }));
    await applyMaintenance(april, { conn: db.session, signal, onProgress: (e) => events.push(e) });
    expect(await db.partitionCounts()).toEqual({ p202602: 6, p202603: 7, p202604: 8, p202605: 0, pmax: 0 });
    expect(events.map((e) => e.kind === "statement" && e.result.statement)).toEqual(april.partitions[0]!.statements);

    // The month has not changed yet: planning again finds nothing to do.
    expect((await planMaintenance(request({ now: at("2026-04-30T23:59:59Z"), partitions: [policy] }))).preview).toEqual([]);

    // Written after midnight, May's rows land in their own partition, not in pmax.
    await db.session.query("INSERT INTO game_logs (created_at, message) VALUES ('2026-05-01 00:00:00', 'first of May'), ('2026-05-01 00:00:01', 'second')");
    const may = await planMaintenance(request({ now: firstOfMay, partitions: [policy] }));
    expect(may.partitions[0]).toMatchObject({ currentMonth: "2026-05", add: [{ name: "p202606", lessThan: "2026-07-01" }], drop: [{ name: "p202602" }] });
    await applyMaintenance(may, { conn: db.session, signal });
    expect(await db.partitionCounts()).toEqual({ p202603: 7, p202604: 8, p202605: 2, p202606: 0, pmax: 0 });

    // Keeping no past month still keeps the current one and the ones ahead.
    const none = await planMaintenance(request({ now: firstOfMay, partitions: [{ ...policy, keepMonths: 0 }] }));
    expect(none.preview).toEqual(["ALTER TABLE `game_logs` DROP PARTITION `p202603`, `p202604`"]);
    await applyMaintenance(none, { conn: db.session, signal });
    expect(await db.partitionCounts()).toEqual({ p202605: 2, p202606: 0, pmax: 0 });
  });

  it("refuses to apply a rotation planned against partitions that have changed since", async () => {
    const plan = await planMaintenance(request({ partitions: [{ table: "game_logs", keepMonths: 2, aheadMonths: 1 }] }));
    await applyMaintenance(plan, { conn: db.session, signal });
    const after = await db.partitionCounts();
    await expect(applyMaintenance(plan, { conn: db.session, signal })).rejects.toThrow(/game_logs.*changed since the plan was made at 2026-04-30T12:00:00.000Z; plan again/);
    expect(await db.partitionCounts()).toEqual(after);
  });

  it("deletes exactly the rows older than the cutoff, in batches, reporting each one", async () => {
    const before = {
      sessions: await db.count("SELECT COUNT(*) AS n FROM player_sessions WHERE last_activity >= '2026-03-31 12:00:00'"),
      temporary: await db.count("SELECT COUNT(*) AS n FROM temporary_data WHERE created_at >= '2026-04-23 12:00:00'"),
      ids: await db.session.query<{ id: number }>("SELECT id FROM player_sessions WHERE last_activity >= '2026-03-31 12:00:00' ORDER BY id"),
    };
    expect(before.sessions).toBe(playerSessions.kept.length);
    expect(before.temporary).toBe(temporaryData.kept.length);

    const plan = await planMaintenance(request({ cleanup: defaultCleanupTargets }));
    const batches: MaintenanceProgress[] = [];
    const outcome = await applyMaintenance(plan, { conn: db.session, signal, onProgress: (e) => batches.push(e) });

    // 10 rows in batches of 3 end with a short batch; 6 rows end with an empty one.
    expect(batches).toEqual([
      { kind: "batch", table: "player_sessions", deleted: 3, total: 3, expected: 10 },
      { kind: "batch", table: "player_sessions", deleted: 3, total: 6, expected: 10 },
      { kind: "batch", table: "player_sessions", deleted: 3, total: 9, expected: 10 },
      { kind: "batch", table: "player_sessions", deleted: 1, total: 10, expected: 10 },
      { kind: "batch", table: "temporary_data", deleted: 3, total: 3, expected: 6 },
      { kind: "batch", table: "temporary_data", deleted: 3, total: 6, expected: 6 },
      { kind: "batch", table: "temporary_data", deleted: 0, total: 6, expected: 6 },
    ]);
    expect(outcome.deleted).toEqual([
      { table: "player_sessions", rows: 10 },
      { table: "temporary_data", rows: 6 },
    ]);

    expect(await db.count("SELECT COUNT(*) AS n FROM player_sessions WHERE last_activity < '2026-03-31 12:00:00'")).toBe(0);
    expect(await db.count("SELECT COUNT(*) AS n FROM temporary_data WHERE created_at < '2026-04-23 12:00:00'")).toBe(0);
    expect(await db.session.query("SELECT id FROM player_sessions ORDER BY id")).toEqual(before.ids);
    expect(await db.count("SELECT COUNT(*) AS n FROM temporary_data")).toBe(before.temporary);
    // The same plan again has nothing left to delete.
    expect(await countCleanup(db.session, plan.cleanup[0]!)).toBe(0);
  });

  it("stops the cleanup between batches when cancelled, leaving the rest", async () => {
    const plan = await planMaintenance(request({ cleanup: [defaultCleanupTargets[0]!] }));
    const controller = new AbortController();
    const seen: number[] = [];
    const running = runCleanup(db.session, plan.cleanup[0]!, {
      signal: controller.signal,
      onBatch: (deleted) => {
        seen.push(deleted);
        controller.abort();
      },
    });
    await expect(running).rejects.toThrow();
    expect(seen).toEqual([3]);
    expect(await db.count("SELECT COUNT(*) AS n FROM player_sessions")).toBe(15 - 3);
  });

  it("runs ANALYZE and OPTIMIZE, and asks before rebuilding an InnoDB table bigger than the threshold", async () => {
    const [sessions, archive] = await tableStats(db.session, ["player_sessions", "audit_archive"]);
    expect(sessions).toMatchObject({ name: "player_sessions", engine: "InnoDB" });
    expect(sessions!.sizeBytes).toBeGreaterThan(0);
    expect(archive).toMatchObject({ name: "audit_archive", engine: "Aria" });

    const maintenance = { analyze: ["player_sessions", "game_logs"], optimize: ["player_sessions", "audit_archive"] };
    const small = await planMaintenance(request({ ...maintenance, bigTableBytes: sessions!.sizeBytes }));
    expect(small.warnings).toEqual([]);

    const big = await planMaintenance(request({ ...maintenance, bigTableBytes: sessions!.sizeBytes - 1 }));
    expect(big.warnings).toHaveLength(1);
    expect(big.warnings[0]).toMatch(/^OPTIMIZE rebuilds InnoDB table player_sessions \(.+\): it needs about that much free disk/);
    expect(big.optimize.map((o) => [o.table, o.rebuilds, o.warning !== undefined])).toEqual([
      ["player_sessions", true, true],
      ["audit_archive", false, false],
    ]);
    expect(big.preview).toContain(`OPTIMIZE TABLE \`player_sessions\` -- needs approval: ${big.warnings[0]}`);

    // Without approval the big rebuild is skipped and said so; everything else runs.
    const skippedEvents: MaintenanceProgress[] = [];
    const unapproved = await applyMaintenance(big, { conn: db.session, signal, onProgress: (e) => e.kind === "skipped" && skippedEvents.push(e) });
    expect(unapproved.statements.map((s) => s.statement)).toEqual(["ANALYZE TABLE `player_sessions`", "ANALYZE TABLE `game_logs`", "OPTIMIZE TABLE `audit_archive`"]);
    expect(unapproved.statements.every((s) => s.messages.includes("status: OK"))).toBe(true);
    expect(unapproved.skipped).toEqual([{ table: "player_sessions", statement: "OPTIMIZE TABLE `player_sessions`", reason: `not approved: ${big.warnings[0]}` }]);
    expect(skippedEvents).toEqual([{ kind: "skipped", ...unapproved.skipped[0]! }]);

    // Approved, InnoDB recreates the table, and its rows are all still there.
    const approved = await applyMaintenance(big, { conn: db.session, signal, rebuildBigTables: true });
    const optimized = approved.statements.find((s) => s.statement === "OPTIMIZE TABLE `player_sessions`");
    expect(optimized?.messages).toEqual(expect.arrayContaining([expect.stringMatching(/recreate \+ analyze/), "status: OK"]));
    expect(approved.skipped).toEqual([]);
    expect(await db.count("SELECT COUNT(*) AS n FROM player_sessions")).toBe(15);
  });

  it("turns an ANALYZE error row into an error naming the table", async () => {
    await expect(runStatements(db.session, ["ANALYZE TABLE `no_such_table`"], { signal })).rejects.toThrow(
      new MaintenanceError(`ANALYZE TABLE \`no_such_table\` failed on ${db.name}.no_such_table: Table '${db.name}.no_such_table' doesn't exist`),
    );
  });

  it("refuses tables it cannot rotate or optimize, naming the table and the fix", async () => {
    await expect(readPartitions(db.session, "no_such_table")).rejects.toThrow(/partitions\[no_such_table\]: no table no_such_table in the current database/);
    await expect(readPartitions(db.session, "player_sessions")).rejects.toThrow(/player_sessions is not partitioned; partition it BY RANGE \(TO_DAYS/);
    await db.session.query("CREATE TABLE by_id (id INT PRIMARY KEY) PARTITION BY RANGE (id) (PARTITION p0 VALUES LESS THAN (100), PARTITION pmax VALUES LESS THAN MAXVALUE)");
    try {
      await expect(readPartitions(db.session, "by_id")).rejects.toThrow(/by_id is partitioned BY RANGE \(`id`\), not BY RANGE \(TO_DAYS\(column\)\)/);
    } finally {
      await db.session.query("DROP TABLE by_id");
    }
    await expect(tableStats(db.session, ["player_sessions", "no_such_table"])).rejects.toThrow(/optimize: no table no_such_table/);
    // The bounds as the server computes TO_DAYS: the planner agrees, or it would refuse the names.
    expect(await readPartitions(db.session, "game_logs")).toEqual([
      { name: "p202601", lessThan: 740_013 },
      { name: "p202602", lessThan: 740_041 },
      { name: "p202603", lessThan: 740_072 },
      { name: "p202604", lessThan: 740_102 },
      { name: "pmax", lessThan: "MAXVALUE" },
    ]);
  });
});
