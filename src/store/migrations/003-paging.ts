import { sql, type Kysely } from "kysely";

/**
 * Paging: alerts received (by fingerprint) and their groups (Alertmanager's groupKey), pages
 * with their timeline, deliveries with every attempt, on-call overrides, maintenance windows,
 * and counters for the numbers people say out loud ("page 42"). Same conventions as 001.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("counters")
    .addColumn("name", "text", (c) => c.primaryKey())
    .addColumn("value", "int8", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("alert_groups")
    .addColumn("group_key", "text", (c) => c.primaryKey())
    .addColumn("source", "text", (c) => c.notNull())
    .addColumn("receiver", "text")
    .addColumn("status", "text", (c) => c.notNull().check(sql`status in ('firing', 'resolved')`))
    .addColumn("group_labels", "text", (c) => c.notNull())
    .addColumn("common_labels", "text", (c) => c.notNull())
    .addColumn("common_annotations", "text", (c) => c.notNull())
    .addColumn("external_url", "text")
    .addColumn("page_id", "text")
    .addColumn("suppressed_by", "text")
    .addColumn("first_seen_at", "int8", (c) => c.notNull())
    .addColumn("last_seen_at", "int8", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("alerts")
    .addColumn("fingerprint", "text", (c) => c.primaryKey())
    .addColumn("source", "text", (c) => c.notNull())
    .addColumn("group_key", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull().check(sql`status in ('firing', 'resolved')`))
    .addColumn("labels", "text", (c) => c.notNull())
    .addColumn("annotations", "text", (c) => c.notNull())
    .addColumn("starts_at", "int8", (c) => c.notNull())
    .addColumn("ends_at", "int8")
    .addColumn("generator_url", "text")
    .addColumn("first_seen_at", "int8", (c) => c.notNull())
    .addColumn("last_seen_at", "int8", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("alerts_group").on("alerts").column("group_key").execute();
  await db.schema.createIndex("alerts_status_seen").on("alerts").columns(["status", "last_seen_at"]).execute();

  await db.schema
    .createTable("pages")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("number", "int8", (c) => c.notNull().unique())
    .addColumn("title", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull().check(sql`status in ('triggered', 'acknowledged', 'resolved')`))
    .addColumn("severity", "text")
    .addColumn("source", "text", (c) => c.notNull())
    .addColumn("group_key", "text")
    .addColumn("labels", "text", (c) => c.notNull())
    .addColumn("annotations", "text", (c) => c.notNull())
    .addColumn("runbook", "text")
    .addColumn("route", "text")
    .addColumn("policy", "text")
    .addColumn("step", "integer", (c) => c.notNull())
    .addColumn("assignees", "text", (c) => c.notNull())
    .addColumn("event_seq", "integer", (c) => c.notNull())
    .addColumn("opened_at", "int8", (c) => c.notNull())
    .addColumn("acknowledged_at", "int8")
    .addColumn("acknowledged_by", "text")
    .addColumn("resolved_at", "int8")
    .addColumn("resolved_by", "text")
    .addColumn("updated_at", "int8", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("pages_status_opened").on("pages").columns(["status", "opened_at"]).execute();
  await db.schema.createIndex("pages_opened").on("pages").column("opened_at").execute();
  await db.schema.createIndex("pages_group").on("pages").column("group_key").execute();

  await db.schema
    .createTable("page_events")
    .addColumn("page_id", "text", (c) => c.notNull().references("pages.id").onDelete("cascade"))
    .addColumn("seq", "integer", (c) => c.notNull())
    .addColumn("at", "int8", (c) => c.notNull())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("actor", "text")
    .addColumn("data", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("page_events_pk", ["page_id", "seq"])
    .execute();

  await db.schema
    .createTable("deliveries")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("page_id", "text", (c) => c.references("pages.id").onDelete("cascade"))
    .addColumn("person_id", "text")
    .addColumn("recipient", "text", (c) => c.notNull())
    .addColumn("channel", "text", (c) => c.notNull())
    .addColumn("notice", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull().check(sql`status in ('pending', 'sent', 'failed', 'coalesced')`))
    .addColumn("attempts", "integer", (c) => c.notNull())
    .addColumn("last_error", "text")
    .addColumn("coalesced_into", "text")
    .addColumn("created_at", "int8", (c) => c.notNull())
    .addColumn("sent_at", "int8")
    .addColumn("read_at", "int8")
    .addColumn("updated_at", "int8", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("deliveries_page").on("deliveries").column("page_id").execute();
  await db.schema.createIndex("deliveries_channel_status").on("deliveries").columns(["channel", "status", "sent_at"]).execute();
  await db.schema.createIndex("deliveries_person_channel").on("deliveries").columns(["person_id", "channel", "created_at"]).execute();

  await db.schema
    .createTable("delivery_attempts")
    .addColumn("delivery_id", "text", (c) => c.notNull().references("deliveries.id").onDelete("cascade"))
    .addColumn("attempt", "integer", (c) => c.notNull())
    .addColumn("at", "int8", (c) => c.notNull())
    .addColumn("ok", "integer", (c) => c.notNull())
    .addColumn("retryable", "integer", (c) => c.notNull())
    .addColumn("detail", "text", (c) => c.notNull())
    .addColumn("duration_ms", "integer", (c) => c.notNull())
    .addPrimaryKeyConstraint("delivery_attempts_pk", ["delivery_id", "attempt"])
    .execute();

  await db.schema
    .createTable("oncall_overrides")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("schedule_id", "text", (c) => c.notNull())
    .addColumn("role", "text", (c) => c.notNull().check(sql`role in ('primary', 'backup')`))
    .addColumn("person_id", "text", (c) => c.notNull())
    .addColumn("starts_at", "int8", (c) => c.notNull())
    .addColumn("ends_at", "int8", (c) => c.notNull())
    .addColumn("reason", "text")
    .addColumn("created_by", "text", (c) => c.notNull())
    .addColumn("created_at", "int8", (c) => c.notNull())
    .addColumn("cancelled_at", "int8")
    .execute();
  await db.schema.createIndex("oncall_overrides_schedule").on("oncall_overrides").columns(["schedule_id", "ends_at"]).execute();

  await db.schema
    .createTable("maintenance_windows")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("title", "text", (c) => c.notNull())
    .addColumn("matchers", "text", (c) => c.notNull())
    .addColumn("starts_at", "int8", (c) => c.notNull())
    .addColumn("ends_at", "int8", (c) => c.notNull())
    .addColumn("created_by", "text", (c) => c.notNull())
    .addColumn("created_at", "int8", (c) => c.notNull())
    .addColumn("ended_at", "int8")
    .addColumn("ended_by", "text")
    .addColumn("silence_id", "text")
    .addColumn("silence_error", "text")
    .execute();
  await db.schema.createIndex("maintenance_windows_ends").on("maintenance_windows").column("ends_at").execute();
}
