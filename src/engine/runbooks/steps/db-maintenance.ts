import type { Config } from "../../../config/load.js";
import type { StepSpec } from "../../../domain/runbooks/schema.js";
import { applyMaintenance, planMaintenance, type MaintenancePlan } from "../../db-maintenance.js";
import { connectMysql } from "../../../integrations/mysql/connection.js";
import { StepFailure, type RenderedAction, type StepContext, type StepResult } from "../step-kind.js";

type DbMaintenanceSpec = StepSpec<"db_maintenance">;

/** The module is the StepKind (loaded lazily by ./index.ts). */
export const kind = "db_maintenance";

export function describe(spec: DbMaintenanceSpec, config: Config): RenderedAction {
  const m = config.dbMaintenance;
  const what = [
    m.partitions.length > 0 ? `rotate partitions of ${m.partitions.map((p) => p.table).join(", ")}` : "",
    m.cleanup.length > 0 ? `delete old rows of ${m.cleanup.map((c) => c.table).join(", ")} in batches of ${m.batchSize}` : "",
    m.analyze.length > 0 ? `ANALYZE ${m.analyze.join(", ")}` : "",
    m.optimize.length > 0 ? `OPTIMIZE ${m.optimize.join(", ")}${spec.rebuild_big_tables === true ? " (big tables too)" : ""}` : "",
  ].filter(Boolean);
  return {
    summary: `${spec.action === "plan" ? "plan (dry run)" : `apply the plan of ${spec.planned_at ?? "(no plan)"}`}: ${what.join("; ") || "nothing configured in dbMaintenance"}`,
    detail: { ...spec },
    ...(config.targets.mysql ? { target: config.targets.mysql.label } : {}),
    destructive: spec.action === "apply",
  };
}

export async function execute(spec: DbMaintenanceSpec, context: StepContext): Promise<StepResult> {
  const { config, signal } = context;
  const target = config.targets.mysql;
  if (!target?.database) throw new StepFailure("db_maintenance needs the MySQL target with its database: set GAMEOPS_MYSQL_URL (mysql://user@host:3306/game) or targets.mysql.url", { retryable: false });
  let now = context.now().getTime();
  if (spec.action === "apply") {
    now = Date.parse(spec.planned_at ?? "");
    if (!Number.isFinite(now)) throw new StepFailure(`db_maintenance apply needs planned_at: the plan step's \`at\` output, like "\${{ steps.plan.outputs.at }}", not "${spec.planned_at ?? ""}"`, { retryable: false });
  }
  const conn = await connectMysql(target, { timeoutMs: 60_000, signal }).catch((error: unknown) => {
    throw new StepFailure((error as Error).message, { retryable: (error as { retryable?: boolean }).retryable === true, cause: error });
  });
  try {
    const m = config.dbMaintenance;
    // Planned again from the approved plan's own time: the same cutoffs and partition names.
    const plan = await planMaintenance({
      conn,
      now,
      partitions: m.partitions.map((p) => ({ table: p.table, keepMonths: p.keepMonths, aheadMonths: p.aheadMonths, timeZone: p.timeZone ?? config.team.timeZone })),
      cleanup: m.cleanup,
      cleanupOptions: { batchSize: m.batchSize, pauseMs: m.pause },
      analyze: m.analyze,
      optimize: m.optimize,
      bigTableBytes: m.bigTableMb * 1024 * 1024,
    });
    if (spec.action === "plan") {
      for (const line of plan.preview) context.log(line);
      for (const warning of plan.warnings) context.log(`warning: ${warning}`);
      return { outputs: summary(plan) };
    }
    const outcome = await applyMaintenance(plan, {
      conn,
      signal,
      rebuildBigTables: spec.rebuild_big_tables === true,
      onProgress: (event) => {
        if (event.kind === "statement") context.log(`${event.result.statement} — ${event.result.affectedRows} rows${event.result.messages.length > 0 ? `; ${event.result.messages.join("; ")}` : ""}`);
        else if (event.kind === "batch") context.log(`${event.table}: ${event.total} of ${event.expected} rows deleted`);
        else context.log(`skipped ${event.statement}: ${event.reason}`);
      },
    });
    return { outputs: { ...summary(plan), deleted: outcome.deleted, skipped: outcome.skipped, statements: outcome.statements.length } };
  } catch (error) {
    if (error instanceof StepFailure) throw error;
    throw new StepFailure((error as Error).message, { retryable: false, cause: error });
  } finally {
    await conn.close();
  }
}

function summary(plan: MaintenancePlan) {
  return {
    at: plan.at,
    statements: plan.preview,
    warnings: plan.warnings,
    partitions: plan.partitions.map((p) => ({ table: p.table, add: p.add.map((a) => a.name), drop: p.drop.map((d) => d.name) })),
    cleanup: plan.cleanup.map((c) => ({ table: c.table, cutoff: c.cutoff, rows: c.rows })),
  };
}
