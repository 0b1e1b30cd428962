import { sql, type Kysely } from "kysely";

/**
 * Incidents: the incident with its clocks, roles (one person each), the timeline, the war
 * room's phase checklists, action items and the post-mortem document; pages point at the
 * incident they belong to; sign-offs of the daily/weekly/monthly operations checklists.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("incidents")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("number", "int8", (c) => c.notNull().unique())
    .addColumn("title", "text", (c) => c.notNull())
    .addColumn("severity", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) =>
      c.notNull().check(sql`status in ('declared', 'triage', 'mitigating', 'root_cause', 'resolved', 'postmortem', 'documented')`),
    )
    .addColumn("impact", "text")
    .addColumn("root_cause", "text")
    .addColumn("lessons", "text")
    .addColumn("source", "text", (c) => c.notNull())
    .addColumn("labels", "text", (c) => c.notNull())
    .addColumn("declared_at", "int8", (c) => c.notNull())
    .addColumn("declared_by", "text", (c) => c.notNull())
    .addColumn("acknowledged_at", "int8")
    .addColumn("acknowledged_by", "text")
    .addColumn("resolved_at", "int8")
    .addColumn("documented_at", "int8")
    .addColumn("respond_by", "int8", (c) => c.notNull())
    .addColumn("sla_breached_at", "int8")
    .addColumn("last_update_at", "int8")
    .addColumn("next_update_at", "int8")
    .addColumn("postmortem", "text")
    .addColumn("event_seq", "integer", (c) => c.notNull())
    .addColumn("updated_at", "int8", (c) => c.notNull())
    .execute();
  // The list: newest first, by status and by severity, paged by number.
  await db.schema.createIndex("incidents_status_number").on("incidents").columns(["status", "number"]).execute();
  await db.schema.createIndex("incidents_severity_number").on("incidents").columns(["severity", "number"]).execute();
  await db.schema.createIndex("incidents_declared").on("incidents").column("declared_at").execute();

  await db.schema
    .createTable("incident_roles")
    .addColumn("incident_id", "text", (c) => c.notNull().references("incidents.id").onDelete("cascade"))
    .addColumn("role", "text", (c) => c.notNull())
    .addColumn("person_id", "text", (c) => c.notNull())
    .addColumn("assigned_at", "int8", (c) => c.notNull())
    .addColumn("assigned_by", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("incident_roles_pk", ["incident_id", "role"])
    .execute();

  await db.schema
    .createTable("incident_events")
    .addColumn("incident_id", "text", (c) => c.notNull().references("incidents.id").onDelete("cascade"))
    .addColumn("seq", "integer", (c) => c.notNull())
    .addColumn("at", "int8", (c) => c.notNull())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("actor", "text")
    .addColumn("data", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("incident_events_pk", ["incident_id", "seq"])
    .execute();

  await db.schema
    .createTable("incident_tasks")
    .addColumn("incident_id", "text", (c) => c.notNull().references("incidents.id").onDelete("cascade"))
    .addColumn("task_id", "text", (c) => c.notNull())
    .addColumn("phase", "text", (c) => c.notNull())
    .addColumn("title", "text", (c) => c.notNull())
    .addColumn("owner_role", "text")
    .addColumn("position", "integer", (c) => c.notNull())
    .addColumn("done_at", "int8")
    .addColumn("done_by", "text")
    .addPrimaryKeyConstraint("incident_tasks_pk", ["incident_id", "task_id"])
    .execute();

  await db.schema
    .createTable("action_items")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("incident_id", "text", (c) => c.notNull().references("incidents.id").onDelete("cascade"))
    .addColumn("text", "text", (c) => c.notNull())
    .addColumn("owner", "text", (c) => c.notNull())
    .addColumn("due_on", "text")
    .addColumn("created_at", "int8", (c) => c.notNull())
    .addColumn("created_by", "text", (c) => c.notNull())
    .addColumn("done_at", "int8")
    .addColumn("done_by", "text")
    .execute();
  await db.schema.createIndex("action_items_incident").on("action_items").column("incident_id").execute();
  await db.schema.createIndex("action_items_open_due").on("action_items").columns(["done_at", "due_on"]).execute();

  await db.schema.alterTable("pages").addColumn("incident_id", "text").execute();
  await db.schema.createIndex("pages_incident").on("pages").column("incident_id").execute();

  await db.schema
    .createTable("checklist_signoffs")
    .addColumn("checklist", "text", (c) => c.notNull())
    .addColumn("period", "text", (c) => c.notNull())
    .addColumn("item_id", "text", (c) => c.notNull())
    .addColumn("done_at", "int8", (c) => c.notNull())
    .addColumn("done_by", "text", (c) => c.notNull())
    .addColumn("evidence", "text")
    .addColumn("note", "text")
    .addPrimaryKeyConstraint("checklist_signoffs_pk", ["checklist", "period", "item_id"])
    .execute();
}
