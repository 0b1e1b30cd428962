import { analyzePlan, cleanupPlan, optimizePlan, type CleanupOptions, type CleanupStep, type CleanupTarget, type OptimizeStep, type TableStatement } from "../domain/db-maintenance/cleanup.js";
import { MaintenanceError } from "../domain/db-maintenance/maintenance-error.js";
import { planPartitions, type ExistingPartition, type PartitionPlan, type PartitionPolicy } from "../domain/db-maintenance/partitions.js";
import {
  countCleanup,
  readPartitions,
  runCleanup,
  runStatements,
  tableStats,
  type MaintenanceConnection,
  type StatementResult,
} from "../integrations/mysql/maintenance.js";

/**
 * The database maintenance runbook (issue 6, item 6): plan reads the database and changes
 * nothing — it is the dry-run, every statement listed with the rows the cleanup would delete —
 * and apply runs exactly that plan, in the order partitions, cleanup, ANALYZE, OPTIMIZE
 * (statistics refreshed after the deletes, the expensive rebuilds last).
 */

export interface MaintenanceRequest {
  /** A session on the game database: every table is looked up there. */
  conn: MaintenanceConnection;
  /** Epoch milliseconds: months, cutoffs and "the current month" are computed from it. */
  now: number;
  partitions: readonly PartitionPolicy[];
  cleanup: readonly CleanupTarget[];
  /** Batch size and pause of the cleanup; 1000 rows and 200 ms when not given. */
  cleanupOptions?: CleanupOptions;
  analyze: readonly string[];
  optimize: readonly string[];
  /** An InnoDB table bigger than this is rebuilt by OPTIMIZE only when the apply says so. */
  bigTableBytes: number;
}

export interface PartitionRotation extends PartitionPlan {
  /** What the plan was computed from: apply refuses to run if the table no longer looks like this. */
  existing: ExistingPartition[];
}

export interface CleanupCount extends CleanupStep {
  /** Rows older than the cutoff when the plan was made. */
  rows: number;
}

export interface MaintenancePlan {
  /** `now`, ISO 8601. */
  at: string;
  partitions: PartitionRotation[];
  cleanup: CleanupCount[];
  analyze: TableStatement[];
  optimize: OptimizeStep[];
  /** Partition warnings, then big-table rebuild warnings. */
  warnings: string[];
  /** Every statement in the order apply runs them, the cleanup's cutoff written in, as a dry-run prints them. */
  preview: string[];
}

const defaultCleanupOptions: CleanupOptions = { batchSize: 1000, pauseMs: 200 };

export async function planMaintenance(request: MaintenanceRequest): Promise<MaintenancePlan> {
  const { conn, now } = request;
  const partitions: PartitionRotation[] = [];
  // One after the other on the one session: a connection answers one statement at a time.
  for (const policy of request.partitions) {
    const existing = await readPartitions(conn, policy.table);
    partitions.push({ ...planPartitions(existing, policy, now), existing });
  }
  const cleanup: CleanupCount[] = [];
  for (const step of cleanupPlan(request.cleanup, request.cleanupOptions ?? defaultCleanupOptions, now)) cleanup.push({ ...step, rows: await countCleanup(conn, step) });
  const analyze = analyzePlan(request.analyze);
  const optimize = optimizePlan(await tableStats(conn, request.optimize), request.bigTableBytes);

  const preview = [
    ...partitions.flatMap((p) => p.statements),
    ...cleanup.map(
      (c) =>
        // The bound value is our own `YYYY-MM-DD HH:MM:SS`, safe to show quoted; apply still binds it.
        `${c.deleteStatement.replace("?", `'${c.params[0]}'`)} -- repeated until a batch deletes fewer than ${c.batchSize} rows, ${c.pauseMs} ms apart; ${c.rows} rows now`,
    ),
    ...analyze.map((a) => a.statement),
    ...optimize.map((o) => (o.warning ? `${o.statement} -- needs approval: ${o.warning}` : o.statement)),
  ];
  return {
    at: new Date(now).toISOString(),
    partitions,
    cleanup,
    analyze,
    optimize,
    warnings: [...partitions.flatMap((p) => p.warnings), ...optimize.flatMap((o) => (o.warning ? [o.warning] : []))],
    preview,
  };
}

export type MaintenanceProgress =
  | { kind: "statement"; result: StatementResult }
  | { kind: "batch"; table: string; deleted: number; total: number; expected: number }
  | { kind: "skipped"; table: string; statement: string; reason: string };

export interface ApplyOptions {
  conn: MaintenanceConnection;
  signal: AbortSignal;
  onProgress?: (event: MaintenanceProgress) => void;
  /** Run OPTIMIZE on the tables the plan warns about too; without it they are skipped and reported. */
  rebuildBigTables?: boolean;
}

export interface MaintenanceOutcome {
  statements: StatementResult[];
  deleted: { table: string; rows: number }[];
  skipped: { table: string; statement: string; reason: string }[];
}

export async function applyMaintenance(plan: MaintenancePlan, options: ApplyOptions): Promise<MaintenanceOutcome> {
  const { conn, signal, onProgress } = options;
  const outcome: MaintenanceOutcome = { statements: [], deleted: [], skipped: [] };
  const onStatement = (result: StatementResult) => onProgress?.({ kind: "statement", result });

  for (const rotation of plan.partitions) {
    if (rotation.statements.length === 0) continue;
    // A drop is by name, and a name means a month only against the bounds it was planned with:
    // if someone (or a second run) changed the table since, the plan no longer says what it drops.
    const now = await readPartitions(conn, rotation.table);
    if (JSON.stringify(now) !== JSON.stringify(rotation.existing))
      throw new MaintenanceError(`partitions[${rotation.table}]: the table's partitions changed since the plan was made at ${plan.at}; plan again and review the new plan`);
    outcome.statements.push(...(await runStatements(conn, rotation.statements, { signal, onStatement })));
  }

  for (const step of plan.cleanup) {
    const rows = await runCleanup(conn, step, {
      signal,
      onBatch: (deleted, total) => onProgress?.({ kind: "batch", table: step.table, deleted, total, expected: step.rows }),
    });
    outcome.deleted.push({ table: step.table, rows });
  }

  outcome.statements.push(...(await runStatements(conn, plan.analyze.map((a) => a.statement), { signal, onStatement })));

  const optimize: string[] = [];
  for (const step of plan.optimize) {
    if (step.warning && !options.rebuildBigTables) {
      const skipped = { table: step.table, statement: step.statement, reason: `not approved: ${step.warning}` };
      outcome.skipped.push(skipped);
      onProgress?.({ kind: "skipped", ...skipped });
    } else optimize.push(step.statement);
  }
  outcome.statements.push(...(await runStatements(conn, optimize, { signal, onStatement })));
  return outcome;
}
