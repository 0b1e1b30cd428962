import { bytes } from "../checks/redis.js";
import { wallClock } from "../oncall/local-time.js";
import { quoteIdentifier } from "./identifier.js";
import { MaintenanceError } from "./maintenance-error.js";

/**
 * Batched deletion of old rows, and ANALYZE / OPTIMIZE statements, as plans a dry-run prints and
 * the runbook executes. The seed deletes a month of sessions in one statement, holding locks and
 * growing the undo log for as long as it runs; here each statement deletes at most `batchSize`
 * rows and the runner pauses between batches, so replication and the game's own writes keep up.
 */

export interface CleanupTarget {
  table: string;
  /** The DATETIME column compared with the cutoff. */
  timeColumn: string;
  /** Deleting in key order keeps each batch on a contiguous index range. */
  primaryKey: string;
  olderThanDays: number;
}

/** The seed's cleanup, made safe. */
export const defaultCleanupTargets: readonly CleanupTarget[] = [
  { table: "player_sessions", timeColumn: "last_activity", primaryKey: "id", olderThanDays: 30 },
  { table: "temporary_data", timeColumn: "created_at", primaryKey: "id", olderThanDays: 7 },
];

export interface CleanupOptions {
  batchSize: number;
  pauseMs: number;
  /** The zone the time columns are written in; UTC by default. */
  timeZone?: string;
}

export interface CleanupStep {
  table: string;
  /** The instant rows older than are deleted, ISO 8601. */
  cutoff: string;
  /** For the dry-run: how many rows would go. */
  countStatement: string;
  /**
   * Run again, pausing `pauseMs` between runs, until it affects fewer than `batchSize` rows.
   * The cutoff is bound once for the whole loop: a cutoff recomputed per batch would chase rows
   * that age past it while the loop runs, and the loop might never end.
   */
  deleteStatement: string;
  /** Bound to both statements' `?`: the cutoff as a DATETIME literal in the column's zone. */
  params: [string];
  batchSize: number;
  pauseMs: number;
}

export function cleanupPlan(targets: readonly CleanupTarget[], options: CleanupOptions, now: number): CleanupStep[] {
  if (!Number.isInteger(options.batchSize) || options.batchSize < 1 || options.batchSize > 100_000)
    throw new MaintenanceError(`batchSize must be a whole number from 1 to 100000, not ${options.batchSize}; 1000 is a good start`);
  if (!Number.isFinite(options.pauseMs) || options.pauseMs < 0) throw new MaintenanceError(`pauseMs must be 0 or more milliseconds, not ${options.pauseMs}`);
  return targets.map((target, i) => {
    const table = quoteIdentifier(target.table, `cleanup[${i}].table`);
    const column = quoteIdentifier(target.timeColumn, `cleanup[${i}].timeColumn`);
    const key = quoteIdentifier(target.primaryKey, `cleanup[${i}].primaryKey`);
    if (!Number.isInteger(target.olderThanDays) || target.olderThanDays < 1)
      throw new MaintenanceError(`cleanup[${i}].olderThanDays must be a whole number of days, at least 1, not ${target.olderThanDays}`);
    const cutoff = now - target.olderThanDays * 86_400_000;
    return {
      table: target.table,
      cutoff: new Date(cutoff).toISOString(),
      countStatement: `SELECT COUNT(*) AS \`rows\` FROM ${table} WHERE ${column} < ?`,
      // The LIMIT is a validated integer written into the text: a `?` there is refused by some
      // server versions under the prepared-statement protocol.
      deleteStatement: `DELETE FROM ${table} WHERE ${column} < ? ORDER BY ${key} LIMIT ${options.batchSize}`,
      params: [datetimeLiteral(wallClock(options.timeZone ?? "UTC", cutoff))],
      batchSize: options.batchSize,
      pauseMs: options.pauseMs,
    };
  });
}

export interface TableStatement {
  table: string;
  statement: string;
}

/** ANALYZE refreshes index statistics: cheap, a read lock at most, no rebuild. */
export function analyzePlan(tables: readonly string[]): TableStatement[] {
  return tables.map((table, i) => ({ table, statement: `ANALYZE TABLE ${quoteIdentifier(table, `analyze[${i}]`)}` }));
}

/** A table as information_schema.TABLES describes it. */
export interface TableStats {
  name: string;
  engine: string;
  /** DATA_LENGTH + INDEX_LENGTH. */
  sizeBytes: number;
}

export interface OptimizeStep extends TableStatement {
  /** InnoDB has no in-place OPTIMIZE: it recreates the table (ALTER TABLE … FORCE) and analyzes it. */
  rebuilds: boolean;
  /** Set for a rebuild of a table bigger than the threshold; the runbook asks before running it. */
  warning?: string;
}

export function optimizePlan(tables: readonly TableStats[], bigTableBytes: number): OptimizeStep[] {
  return tables.map((t, i) => {
    const step: OptimizeStep = { table: t.name, statement: `OPTIMIZE TABLE ${quoteIdentifier(t.name, `optimize[${i}]`)}`, rebuilds: t.engine.toLowerCase() === "innodb" };
    if (step.rebuilds && t.sizeBytes > bigTableBytes)
      step.warning = `OPTIMIZE rebuilds InnoDB table ${t.name} (${bytes(t.sizeBytes)}): it needs about that much free disk, takes long, and lags replicas while it runs`;
    return step;
  });
}

/** `YYYY-MM-DD HH:MM:SS` of a wall-clock reading (see local-time.ts). */
function datetimeLiteral(wall: number): string {
  return new Date(wall).toISOString().slice(0, 19).replace("T", " ");
}
