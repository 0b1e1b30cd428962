import type { Kysely, Selectable } from "kysely";
import type { CheckResult, ResultStatus, Status } from "../domain/checks/verdict.js";
import type { CheckHistoryPoint, CheckRunRecord, CheckRunRepository, RunTrigger } from "./store.js";
import { StoreError } from "./store-error.js";
import type { CheckResultsTable, CheckRunsTable, Database } from "./tables.js";

export class CheckRuns implements CheckRunRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async record(run: CheckRunRecord): Promise<void> {
    const startedAt = epochMs(run.startedAt, "startedAt");
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto("check_runs")
        .values({
          id: run.id,
          started_at: startedAt,
          duration_ms: Math.round(run.durationMs),
          status: run.status,
          trigger: run.trigger,
          requested_by: run.requestedBy ?? null,
        })
        .execute();
      if (run.checks.length === 0) return;
      await trx
        .insertInto("check_results")
        .values(
          run.checks.map((check, position) => ({
            run_id: run.id,
            position,
            name: check.name,
            started_at: startedAt,
            status: check.status,
            summary: check.summary,
            duration_ms: Math.round(check.durationMs),
            details: JSON.stringify(check.details),
          })),
        )
        .execute();
    });
  }

  async get(id: string): Promise<CheckRunRecord | undefined> {
    const run = await this.db.selectFrom("check_runs").selectAll().where("id", "=", id).executeTakeFirst();
    return run && (await this.withResults([run]))[0];
  }

  async latest(): Promise<CheckRunRecord | undefined> {
    return (await this.list({ limit: 1 }))[0];
  }

  async list(options: { limit: number; before?: string }): Promise<CheckRunRecord[]> {
    let query = this.db.selectFrom("check_runs").selectAll().orderBy("started_at", "desc").orderBy("id", "desc").limit(options.limit);
    if (options.before !== undefined) query = query.where("started_at", "<", epochMs(options.before, "before"));
    return this.withResults(await query.execute());
  }

  async latestResult(name: string): Promise<(CheckResult & { runId: string; startedAt: string }) | undefined> {
    const row = await this.db
      .selectFrom("check_results")
      .selectAll()
      .where("name", "=", name)
      .where("status", "!=", "skipped")
      .orderBy("started_at", "desc")
      .orderBy("run_id", "desc")
      .limit(1)
      .executeTakeFirst();
    return row && { ...toResult(row), runId: row.run_id, startedAt: new Date(row.started_at).toISOString() };
  }

  async history(since: Date): Promise<CheckHistoryPoint[]> {
    const rows = await this.db
      .selectFrom("check_results")
      .select(["run_id", "name", "started_at", "status", "duration_ms"])
      .where("started_at", ">=", since.getTime())
      .orderBy("started_at", "asc")
      .orderBy("run_id", "asc")
      .orderBy("position", "asc")
      .execute();
    return rows.map((row) => ({
      runId: row.run_id,
      name: row.name,
      startedAt: new Date(row.started_at).toISOString(),
      status: row.status as ResultStatus,
      durationMs: row.duration_ms,
    }));
  }

  /** Two queries for any number of runs, not one per run. */
  private async withResults(runs: Selectable<CheckRunsTable>[]): Promise<CheckRunRecord[]> {
    if (runs.length === 0) return [];
    const results = await this.db
      .selectFrom("check_results")
      .selectAll()
      .where("run_id", "in", runs.map((run) => run.id))
      .orderBy("run_id")
      .orderBy("position")
      .execute();
    const byRun = new Map<string, Selectable<CheckResultsTable>[]>();
    for (const row of results) {
      const list = byRun.get(row.run_id);
      if (list) list.push(row);
      else byRun.set(row.run_id, [row]);
    }
    return runs.map((run) => ({
      id: run.id,
      startedAt: new Date(run.started_at).toISOString(),
      durationMs: run.duration_ms,
      status: run.status as Status,
      trigger: run.trigger as RunTrigger,
      ...(run.requested_by === null ? {} : { requestedBy: run.requested_by }),
      checks: (byRun.get(run.id) ?? []).map(toResult),
    }));
  }
}

function toResult(row: Selectable<CheckResultsTable>): CheckResult {
  return {
    name: row.name,
    status: row.status as ResultStatus,
    summary: row.summary,
    durationMs: row.duration_ms,
    details: JSON.parse(row.details) as Record<string, unknown>,
  };
}

function epochMs(iso: string, field: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new StoreError(`${field} must be an ISO 8601 time like 2026-01-31T09:00:00.000Z (got ${JSON.stringify(iso)})`);
  return ms;
}
