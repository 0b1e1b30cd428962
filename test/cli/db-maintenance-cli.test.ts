import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGameDatabase, type GameDatabase } from "../db-maintenance/game-database.js";
import { testServices } from "../services.js";
import { runCli } from "./run-cli.js";

/**
 * `gameops db-maintenance` as the runbook it is, against the shared MariaDB (a database of its
 * own): the dry run lists every statement and changes nothing; the real run waits for a second
 * person's approval, then rotates game_logs' partitions and deletes exactly the old rows.
 */

const { mariadb } = testServices();
let db: GameDatabase;
let dir: string;
let env: Record<string, string>;
const cli = (...args: string[]) => runCli(args, env, dir);
const runIdOf = (stdout: string) => /run (\S+) ·/.exec(stdout)![1]!;

beforeAll(async () => {
  db = await createGameDatabase();
  await db.seed();
  // Rows of today: never old enough to go.
  await db.session.query("INSERT INTO player_sessions (player_id, last_activity) VALUES (9001, NOW() - INTERVAL 1 DAY), (9002, NOW())");
  await db.session.query("INSERT INTO temporary_data (payload, created_at) VALUES ('fresh', NOW())");
  dir = mkdtempSync(join(tmpdir(), "gameops-dbm-cli-"));
  writeFileSync(
    join(dir, "gameops.yaml"),
    "dbMaintenance:\n  partitions: [{ table: game_logs, keepMonths: 6, aheadMonths: 2 }]\n  batchSize: 4\n  pause: 0s\n  analyze: [player_sessions]\n  optimize: [temporary_data]\n",
  );
  env = { GAMEOPS_MYSQL_URL: `mysql://${mariadb.user}@${mariadb.host}:${mariadb.port}/${db.name}` };
  expect((await cli("people", "add", "mina", "--name", "Mina Park", "--title", "lead")).code).toBe(0);
  expect((await cli("people", "add", "joon", "--name", "Joon Lee", "--title", "lead")).code).toBe(0);
}, 120_000);

afterAll(async () => {
  await db?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe("gameops db-maintenance", () => {
  it("--dry-run prints every statement with the rows it would delete and changes nothing", async () => {
    const before = await db.partitionCounts();
    const planned = await cli("db-maintenance", "--dry-run", "--yes");
    expect(planned.stderr).toBe("");
    expect(planned.code).toBe(0);
    expect(planned.stdout).toMatch(/ALTER TABLE `game_logs` DROP PARTITION `p202601`/);
    expect(planned.stdout).toMatch(/DELETE FROM `player_sessions` WHERE `last_activity` < '[\d-]+ [\d:]+' ORDER BY `id` LIMIT 4 -- repeated until a batch deletes fewer than 4 rows, 0 ms apart; 15 rows now/);
    expect(planned.stdout).toMatch(/DELETE FROM `temporary_data` .*; 10 rows now/);
    expect(planned.stdout).toContain("ANALYZE TABLE `player_sessions`");
    expect(await db.partitionCounts()).toEqual(before);
    expect(await db.count("SELECT COUNT(*) AS n FROM player_sessions")).toBe(17);
  }, 120_000);

  it("waits for a second person, then runs exactly the approved statements", async () => {
    const started = await cli("db-maintenance", "--yes", "--as", "mina");
    expect(started.code).toBe(4);
    const id = runIdOf(started.stdout);
    expect(await db.count("SELECT COUNT(*) AS n FROM player_sessions")).toBe(17);
    expect((await cli("run", "approve", id, "--as", "mina")).code).toBe(1);
    expect((await cli("run", "approve", id, "--as", "joon")).code).toBe(0);
    const resumed = await cli("run", "resume", id, "--as", "joon");
    expect(resumed.stderr).toBe("");
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/player_sessions: 15 of 15 rows deleted/);
    // The two rows of today stay, and nothing of another table moved.
    expect(await db.count("SELECT COUNT(*) AS n FROM player_sessions")).toBe(2);
    expect(await db.count("SELECT COUNT(*) AS n FROM temporary_data")).toBe(1);
    expect(await db.count("SELECT COUNT(*) AS n FROM audit_archive")).toBe(1);
    const partitions = Object.keys(await db.partitionCounts());
    expect(partitions).not.toContain("p202604");
    expect(partitions.at(-1)).toBe("pmax");
    const now = new Date();
    const current = `p${now.getUTCFullYear()}${String(now.getUTCMonth() + 1).padStart(2, "0")}`;
    expect(partitions).toContain(current);
  }, 180_000);
});
