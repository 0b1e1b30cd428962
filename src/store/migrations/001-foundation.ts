import { sql, type Kysely } from "kysely";

// Written once against both dialects: int8 for epoch-ms times (SQLite reads it as INTEGER),
// text for ids and JSON. A later change is a new numbered file, never an edit here.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("teams")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("people")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("email", "text")
    .addColumn("chat_handle", "text")
    .addColumn("time_zone", "text")
    .addColumn("team_id", "text", (c) => c.references("teams.id"))
    .addColumn("titles", "text", (c) => c.notNull().defaultTo("[]"))
    .execute();
  await db.schema.createIndex("people_team").on("people").column("team_id").execute();

  await db.schema
    .createTable("check_runs")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("started_at", "int8", (c) => c.notNull())
    .addColumn("duration_ms", "integer", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull().check(sql`status in ('ok', 'warning', 'critical', 'unknown')`))
    .addColumn("trigger", "text", (c) => c.notNull())
    .addColumn("requested_by", "text", (c) => c.references("people.id").onDelete("set null"))
    .execute();
  await db.schema.createIndex("check_runs_started").on("check_runs").columns(["started_at", "id"]).execute();

  await db.schema
    .createTable("check_results")
    .addColumn("run_id", "text", (c) => c.notNull().references("check_runs.id").onDelete("cascade"))
    .addColumn("position", "integer", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("started_at", "int8", (c) => c.notNull())
    .addColumn("status", "text", (c) =>
      c.notNull().check(sql`status in ('ok', 'warning', 'critical', 'unknown', 'skipped')`),
    )
    .addColumn("summary", "text", (c) => c.notNull())
    .addColumn("duration_ms", "integer", (c) => c.notNull())
    .addColumn("details", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("check_results_pk", ["run_id", "position"])
    .execute();
  await db.schema.createIndex("check_results_name_started").on("check_results").columns(["name", "started_at"]).execute();
  await db.schema.createIndex("check_results_started").on("check_results").column("started_at").execute();

  await db.schema
    .createTable("timers")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("key", "text")
    .addColumn("due_at", "int8", (c) => c.notNull())
    .addColumn("payload", "text", (c) => c.notNull())
    .addColumn("token", "text", (c) => c.notNull())
    .addColumn("lease_owner", "text")
    .addColumn("lease_until", "int8")
    .addColumn("status", "text", (c) => c.notNull().check(sql`status in ('pending', 'fired', 'cancelled')`))
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("last_error", "text")
    .addColumn("created_at", "int8", (c) => c.notNull())
    .addColumn("updated_at", "int8", (c) => c.notNull())
    .execute();
  // Fired and cancelled timers stay as history; only one pending timer per key.
  await db.schema
    .createIndex("timers_pending_key")
    .unique()
    .on("timers")
    .column("key")
    .where(sql.ref("status"), "=", "pending")
    .execute();
  await db.schema
    .createIndex("timers_pending_due")
    .on("timers")
    .column("due_at")
    .where(sql.ref("status"), "=", "pending")
    .execute();

  await db.schema
    .createTable("api_tokens")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("hash", "text", (c) => c.notNull().unique())
    .addColumn("role", "text", (c) => c.notNull().check(sql`role in ('viewer', 'responder', 'operator', 'admin')`))
    .addColumn("person_id", "text", (c) => c.references("people.id"))
    .addColumn("label", "text", (c) => c.notNull())
    .addColumn("created_at", "int8", (c) => c.notNull())
    .addColumn("last_used_at", "int8")
    .addColumn("revoked_at", "int8")
    .execute();

  await db.schema
    .createTable("audit_log")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("at", "int8", (c) => c.notNull())
    .addColumn("actor", "text", (c) => c.notNull())
    .addColumn("action", "text", (c) => c.notNull())
    .addColumn("subject", "text", (c) => c.notNull())
    .addColumn("details", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("audit_log_at").on("audit_log").columns(["at", "id"]).execute();
  await db.schema.createIndex("audit_log_subject_at").on("audit_log").columns(["subject", "at", "id"]).execute();
}
