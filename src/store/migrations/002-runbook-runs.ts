import { PostgresAdapter, sql, type Kysely } from "kysely";

/**
 * Runbook runs: the run, each attempt of each step, the append-only event timeline (live
 * progress and audit), approvals, locks and artifacts. Same conventions as 001: int8 epoch-ms
 * times, text ids and JSON, written once against both dialects.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // The one type that differs: PostgreSQL's bytes are bytea, SQLite's a blob.
  const bytes = db.getExecutor().adapter instanceof PostgresAdapter ? "bytea" : "blob";

  await db.schema
    .createTable("runbook_runs")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("runbook", "text", (c) => c.notNull())
    .addColumn("title", "text", (c) => c.notNull())
    .addColumn("definition", "text", (c) => c.notNull())
    .addColumn("params", "text", (c) => c.notNull())
    .addColumn("secret_params", "text", (c) => c.notNull())
    .addColumn("locks", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) =>
      c
        .notNull()
        .check(
          sql`status in ('queued', 'running', 'waiting_lock', 'waiting_approval', 'waiting_decision', 'waiting_child', 'waiting_params', 'succeeded', 'failed', 'rolled_back', 'cancelled')`,
        ),
    )
    .addColumn("phase", "text", (c) => c.notNull().check(sql`phase in ('main', 'rollback', 'finally')`))
    .addColumn("cursor", "integer", (c) => c.notNull())
    .addColumn("outcome", "text", (c) => c.notNull().check(sql`outcome in ('succeeded', 'failed', 'rolled_back', 'cancelled')`))
    .addColumn("failed_step", "text")
    .addColumn("error", "text")
    .addColumn("started_by", "text", (c) => c.notNull())
    .addColumn("through", "text", (c) => c.notNull())
    .addColumn("parent_run_id", "text", (c) => c.references("runbook_runs.id"))
    .addColumn("parent_step", "text")
    .addColumn("lease_owner", "text")
    .addColumn("lease_token", "text")
    .addColumn("lease_until", "int8")
    .addColumn("heartbeat_at", "int8")
    .addColumn("waiting", "text")
    .addColumn("cancel_requested_by", "text")
    .addColumn("cancel_requested_at", "int8")
    .addColumn("event_seq", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("created_at", "int8", (c) => c.notNull())
    .addColumn("started_at", "int8")
    .addColumn("finished_at", "int8")
    .addColumn("updated_at", "int8", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("runbook_runs_created").on("runbook_runs").columns(["created_at", "id"]).execute();
  // What executors poll: queued runs, and running ones whose lease may have run out.
  await db.schema.createIndex("runbook_runs_status").on("runbook_runs").columns(["status", "created_at", "id"]).execute();
  await db.schema.createIndex("runbook_runs_parent").on("runbook_runs").column("parent_run_id").execute();

  await db.schema
    .createTable("runbook_steps")
    .addColumn("run_id", "text", (c) => c.notNull().references("runbook_runs.id").onDelete("cascade"))
    .addColumn("phase", "text", (c) => c.notNull())
    .addColumn("position", "integer", (c) => c.notNull())
    .addColumn("attempt", "integer", (c) => c.notNull())
    .addColumn("step_id", "text", (c) => c.notNull())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) =>
      c.notNull().check(sql`status in ('running', 'succeeded', 'failed', 'skipped', 'cancelled', 'interrupted')`),
    )
    .addColumn("action", "text")
    .addColumn("started_at", "int8", (c) => c.notNull())
    .addColumn("finished_at", "int8")
    .addColumn("exit_code", "integer")
    .addColumn("outputs", "text")
    .addColumn("output", "text")
    .addColumn("error", "text")
    .addColumn("decision", "text", (c) => c.check(sql`decision in ('retry', 'skip', 'fail')`))
    .addColumn("decided_by", "text")
    .addColumn("decided_at", "int8")
    .addPrimaryKeyConstraint("runbook_steps_pk", ["run_id", "phase", "position", "attempt"])
    .execute();

  await db.schema
    .createTable("runbook_events")
    .addColumn("run_id", "text", (c) => c.notNull().references("runbook_runs.id").onDelete("cascade"))
    .addColumn("seq", "integer", (c) => c.notNull())
    .addColumn("at", "int8", (c) => c.notNull())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("step_id", "text")
    .addColumn("data", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("runbook_events_pk", ["run_id", "seq"])
    .execute();

  await db.schema
    .createTable("runbook_approvals")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("run_id", "text", (c) => c.notNull().references("runbook_runs.id").onDelete("cascade"))
    .addColumn("step_id", "text", (c) => c.notNull())
    .addColumn("phase", "text", (c) => c.notNull())
    .addColumn("position", "integer", (c) => c.notNull())
    .addColumn("attempt", "integer", (c) => c.notNull())
    .addColumn("prompt", "text", (c) => c.notNull())
    .addColumn("approvers", "text", (c) => c.notNull())
    .addColumn("self_approval", "integer", (c) => c.notNull())
    .addColumn("requested_at", "int8", (c) => c.notNull())
    .addColumn("timeout_at", "int8")
    .addColumn("on_timeout", "text", (c) => c.notNull().check(sql`on_timeout in ('abort', 'continue')`))
    .addColumn("decision", "text", (c) => c.check(sql`decision in ('approve', 'reject', 'timeout', 'cancelled')`))
    .addColumn("decided_by", "text")
    .addColumn("decided_at", "int8")
    .addColumn("through", "text")
    .addColumn("comment", "text")
    .execute();
  // One request per step attempt: a re-entered approve step finds its request instead of asking twice.
  await db.schema
    .createIndex("runbook_approvals_step")
    .unique()
    .on("runbook_approvals")
    .columns(["run_id", "phase", "position", "attempt"])
    .execute();
  await db.schema
    .createIndex("runbook_approvals_pending")
    .on("runbook_approvals")
    .column("requested_at")
    .where(sql.ref("decision"), "is", null)
    .execute();

  // A name is held by at most one run: the primary key is the mutual exclusion.
  await db.schema
    .createTable("runbook_locks")
    .addColumn("name", "text", (c) => c.primaryKey())
    .addColumn("run_id", "text", (c) => c.notNull().references("runbook_runs.id").onDelete("cascade"))
    .addColumn("acquired_at", "int8", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("runbook_locks_run").on("runbook_locks").column("run_id").execute();

  await db.schema
    .createTable("runbook_artifacts")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("run_id", "text", (c) => c.notNull().references("runbook_runs.id").onDelete("cascade"))
    .addColumn("step_id", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("content_type", "text", (c) => c.notNull())
    .addColumn("size", "int8", (c) => c.notNull())
    .addColumn("sha256", "text", (c) => c.notNull())
    .addColumn("created_at", "int8", (c) => c.notNull())
    .addColumn("content", bytes, (c) => c.notNull())
    .execute();
  await db.schema.createIndex("runbook_artifacts_run").on("runbook_artifacts").columns(["run_id", "created_at"]).execute();
}
