import { randomBytes } from "node:crypto";
import type { MysqlTarget } from "../../src/config/load.js";
import { Secret } from "../../src/config/secret.js";
import { connectMysql, type MysqlSession } from "../../src/integrations/mysql/connection.js";
import { testServices } from "../services.js";

/**
 * A database of its own on the shared MariaDB, with a random name, dropped by `dispose`: the
 * maintenance tests drop partitions and delete rows, and must never do that to anything else.
 */
export interface GameDatabase {
  name: string;
  /** A session with the database as its current one, as the runbook would have. */
  session: MysqlSession;
  /** (Re)creates game_logs, player_sessions, temporary_data and audit_archive with their rows. */
  seed(): Promise<void>;
  count(sql: string): Promise<number>;
  /** Rows per partition of game_logs, counted exactly (TABLE_ROWS is an estimate on InnoDB). */
  partitionCounts(): Promise<Record<string, number>>;
  dispose(): Promise<void>;
}

const timeoutMs = 60_000;

export async function createGameDatabase(): Promise<GameDatabase> {
  const { mariadb } = testServices();
  const name = `gameops_maint_${randomBytes(6).toString("hex")}`;
  const target = (database?: string): MysqlTarget => ({
    host: mariadb.host,
    port: mariadb.port,
    user: mariadb.user,
    ...(mariadb.password ? { password: new Secret(mariadb.password) } : {}),
    ...(database ? { database } : {}),
    label: `mysql://${mariadb.user}@${mariadb.host}:${mariadb.port}/${database ?? ""}`,
  });
  const signal = new AbortController().signal;
  const admin = await connectMysql(target(), { timeoutMs, signal });
  await admin.query(`CREATE DATABASE \`${name}\``);
  const session = await connectMysql(target(name), { timeoutMs, signal });

  const count = async (sql: string) => Number((await session.query<{ n: number }>(sql))[0]!.n);
  return {
    name,
    session,
    count,
    async seed() {
      for (const table of ["game_logs", "player_sessions", "temporary_data", "audit_archive"]) await session.query(`DROP TABLE IF EXISTS ${table}`);
      await session.query(`CREATE TABLE game_logs (
          id BIGINT NOT NULL AUTO_INCREMENT, created_at DATETIME NOT NULL, message VARCHAR(100) NOT NULL,
          PRIMARY KEY (id, created_at)) ENGINE=InnoDB
        PARTITION BY RANGE (TO_DAYS(created_at)) (
          PARTITION p202601 VALUES LESS THAN (TO_DAYS('2026-02-01')),
          PARTITION p202602 VALUES LESS THAN (TO_DAYS('2026-03-01')),
          PARTITION p202603 VALUES LESS THAN (TO_DAYS('2026-04-01')),
          PARTITION p202604 VALUES LESS THAN (TO_DAYS('2026-05-01')),
          PARTITION pmax VALUES LESS THAN MAXVALUE)`);
      // January 5 rows, February 6, March 7, April 8; each month's first and last second included.
      const logs: string[] = [];
      for (const [month, days, n] of [["01", 31, 5], ["02", 28, 6], ["03", 31, 7], ["04", 30, 8]] as const) {
        logs.push(`2026-${month}-01 00:00:00`, `2026-${month}-${days} 23:59:59`);
        for (let i = 2; i < n; i++) logs.push(`2026-${month}-${String(i + 1).padStart(2, "0")} 12:00:00`);
      }
      await session.query("INSERT INTO game_logs (created_at, message) VALUES ?", [logs.map((at) => [at, `event at ${at}`])]);

      await session.query(`CREATE TABLE player_sessions (
          id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, player_id INT NOT NULL, last_activity DATETIME NOT NULL,
          KEY (last_activity)) ENGINE=InnoDB`);
      await session.query(`CREATE TABLE temporary_data (
          id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, payload VARCHAR(100) NOT NULL, created_at DATETIME NOT NULL,
          KEY (created_at)) ENGINE=InnoDB`);
      // Old and new rows interleaved by id, so a DELETE in key order must skip the new ones.
      await session.query("INSERT INTO player_sessions (player_id, last_activity) VALUES ?", [interleave(playerSessions.old, playerSessions.kept).map((at, i) => [i + 1, at])]);
      await session.query("INSERT INTO temporary_data (payload, created_at) VALUES ?", [interleave(temporaryData.old, temporaryData.kept).map((at, i) => [`blob ${i}`, at])]);

      await session.query("CREATE TABLE audit_archive (id INT PRIMARY KEY, note VARCHAR(100)) ENGINE=Aria");
      await session.query("INSERT INTO audit_archive VALUES (1, 'kept forever')");
    },
    async partitionCounts() {
      const names = await session.query<{ name: string }>(
        "SELECT PARTITION_NAME AS name FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'game_logs' ORDER BY PARTITION_ORDINAL_POSITION",
      );
      const counts: Record<string, number> = {};
      for (const { name } of names) counts[name] = await count(`SELECT COUNT(*) AS n FROM game_logs PARTITION (\`${name}\`)`);
      return counts;
    },
    async dispose() {
      await session.close();
      try {
        await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
      } finally {
        await admin.close();
      }
    },
  };
}

/**
 * The rows on each side of the cutoffs for `now` = 2026-04-30T12:00:00Z: player_sessions older
 * than 30 days (before 2026-03-31 12:00:00), temporary_data older than 7 (before 2026-04-23
 * 12:00:00). A row exactly at the cutoff is not older than it and stays.
 */
export const playerSessions = {
  old: Array.from({ length: 10 }, (_, i) => `2026-03-${String(31 - i).padStart(2, "0")} 11:59:59`),
  kept: ["2026-03-31 12:00:00", "2026-04-01 00:00:00", "2026-04-15 08:30:00", "2026-04-29 23:00:00", "2026-04-30 11:59:00"],
};
export const temporaryData = {
  old: ["2026-04-23 11:59:59", "2026-04-20 00:00:00", "2026-04-10 10:10:10", "2026-03-01 00:00:00", "2026-01-01 00:00:00", "2025-12-31 23:59:59"],
  kept: ["2026-04-23 12:00:00", "2026-04-24 00:00:00", "2026-04-30 11:00:00", "2026-05-01 00:00:00"],
};

function interleave(a: readonly string[], b: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) out.push(...(i < a.length ? [a[i]!] : []), ...(i < b.length ? [b[i]!] : []));
  return out;
}
