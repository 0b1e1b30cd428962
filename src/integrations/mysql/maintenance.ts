import { setTimeout as sleep } from "node:timers/promises";
import type { CleanupStep, TableStats } from "../../domain/db-maintenance/cleanup.js";
import { MaintenanceError } from "../../domain/db-maintenance/maintenance-error.js";
import { partitionBound, type ExistingPartition } from "../../domain/db-maintenance/partitions.js";
import type { MysqlSession } from "./connection.js";

/**
 * The database side of the maintenance runbook: reads what the planners need from
 * information_schema and runs what they planned. Tables are looked up in the connection's current
 * database (DATABASE()), so the session must be opened with one.
 *
 * Cancellation: `signal` is checked before every statement and every batch, and cuts a pause
 * short; a statement already sent is left to finish. A DELETE batch is bounded by its LIMIT, and
 * an ALTER stopped half-way only leaves a rollback behind, so waiting is the safer half.
 */
export type MaintenanceConnection = Pick<MysqlSession, "query">;

/** The table's RANGE (TO_DAYS(column)) partitions in PARTITION_ORDINAL_POSITION order. */
export async function readPartitions(conn: MaintenanceConnection, table: string): Promise<ExistingPartition[]> {
  const rows = await conn.query<{ name: string | null; method: string | null; expression: string | null; description: string | null }>(
    `SELECT PARTITION_NAME AS name, PARTITION_METHOD AS method, PARTITION_EXPRESSION AS expression, PARTITION_DESCRIPTION AS description
       FROM information_schema.PARTITIONS
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?
      ORDER BY PARTITION_ORDINAL_POSITION`,
    [table],
  );
  if (rows.length === 0) throw new MaintenanceError(`partitions[${table}]: no table ${table} in the current database; check the table name and the database of targets.mysql`);
  const first = rows[0]!;
  if (first.name === null)
    throw new MaintenanceError(`partitions[${table}]: ${table} is not partitioned; partition it BY RANGE (TO_DAYS(created_at)) with a MAXVALUE partition, or remove it from partitions`);
  // A RANGE on something else (an id, YEAR()) has numeric bounds too, and would pass for TO_DAYS.
  if (first.method !== "RANGE" || !/^to_days\(/i.test(first.expression ?? ""))
    throw new MaintenanceError(
      `partitions[${table}]: ${table} is partitioned BY ${first.method} (${first.expression}), not BY RANGE (TO_DAYS(column)); rotate it by hand or remove it from partitions`,
    );
  return rows.map((r) => ({ name: r.name!, lessThan: partitionBound(r.description ?? "") }));
}

export interface StatementResult {
  statement: string;
  /** Rows a DML statement changed; 0 for the others. */
  affectedRows: number;
  /** What ANALYZE / OPTIMIZE answer per table: `note: Table does not support optimize…`, `status: OK`. */
  messages: string[];
}

/**
 * Runs statements one after the other, in order. ANALYZE and OPTIMIZE report failure as a result
 * row (Msg_type `error`) rather than as an error, so such a row is turned into one here.
 */
export async function runStatements(
  conn: MaintenanceConnection,
  statements: readonly string[],
  options: { signal: AbortSignal; onStatement?: (result: StatementResult) => void },
): Promise<StatementResult[]> {
  const results: StatementResult[] = [];
  for (const statement of statements) {
    options.signal.throwIfAborted();
    const answer: unknown = await conn.query(statement);
    const rows = Array.isArray(answer) ? (answer as { Table?: string; Msg_type?: string; Msg_text?: string }[]) : [];
    const failed = rows.find((r) => r.Msg_type?.toLowerCase() === "error");
    if (failed) throw new MaintenanceError(`${statement} failed on ${failed.Table}: ${failed.Msg_text}`);
    const result: StatementResult = {
      statement,
      affectedRows: Array.isArray(answer) ? 0 : Number((answer as { affectedRows?: number }).affectedRows ?? 0),
      messages: rows.filter((r) => r.Msg_type !== undefined).map((r) => `${r.Msg_type}: ${r.Msg_text}`),
    };
    results.push(result);
    options.onStatement?.(result);
  }
  return results;
}

/**
 * The step's DELETE … LIMIT until a batch deletes fewer than `batchSize` rows, pausing `pauseMs`
 * between batches. Each batch is its own autocommit transaction, so locks are held for one batch
 * only. `onBatch` hears every batch, the last (short) one included. Answers the rows deleted.
 */
export async function runCleanup(
  conn: MaintenanceConnection,
  step: CleanupStep,
  options: { signal: AbortSignal; onBatch?: (deleted: number, total: number) => void },
): Promise<number> {
  let total = 0;
  for (;;) {
    options.signal.throwIfAborted();
    const answer: unknown = await conn.query(step.deleteStatement, step.params);
    const deleted = Number((answer as { affectedRows?: number }).affectedRows ?? 0);
    total += deleted;
    options.onBatch?.(deleted, total);
    if (deleted < step.batchSize) return total;
    if (step.pauseMs > 0) await sleep(step.pauseMs, undefined, { signal: options.signal });
  }
}

/** How many rows the step would delete now: the dry-run's count. */
export async function countCleanup(conn: MaintenanceConnection, step: CleanupStep): Promise<number> {
  const [row] = await conn.query<{ rows: number | string }>(step.countStatement, step.params);
  return Number(row?.rows ?? 0);
}

/** Engine and DATA_LENGTH + INDEX_LENGTH of each table, in the order asked; a missing table is an error. */
export async function tableStats(conn: MaintenanceConnection, tables: readonly string[]): Promise<TableStats[]> {
  if (tables.length === 0) return [];
  const rows = await conn.query<{ name: string; engine: string | null; size: number | string | null }>(
    `SELECT TABLE_NAME AS name, ENGINE AS engine, COALESCE(DATA_LENGTH, 0) + COALESCE(INDEX_LENGTH, 0) AS size
       FROM information_schema.TABLES
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (${tables.map(() => "?").join(", ")})`,
    [...tables],
  );
  const byName = new Map(rows.map((r) => [r.name, r]));
  return tables.map((name) => {
    const row = byName.get(name);
    if (!row) throw new MaintenanceError(`optimize: no table ${name} in the current database; check the name or remove it from optimize`);
    // A view has no engine; OPTIMIZE of a view is an error the plan should catch, not the run.
    if (row.engine === null) throw new MaintenanceError(`optimize: ${name} is a view, not a table; remove it from optimize`);
    return { name, engine: row.engine, sizeBytes: Number(row.size ?? 0) };
  });
}
