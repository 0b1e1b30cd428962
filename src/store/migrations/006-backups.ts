import { sql, type Kysely } from "kysely";

/**
 * Backup sets: one row per set, its manifest (artifacts with sizes and hashes, source positions,
 * the fingerprint of its first restore) as JSON. A set counts as good only once verified.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("backup_sets")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("status", "text", (c) => c.notNull().check(sql`status in ('running', 'written', 'verified', 'failed')`))
    .addColumn("components", "text", (c) => c.notNull())
    .addColumn("storage", "text", (c) => c.notNull())
    .addColumn("size", "int8", (c) => c.notNull())
    .addColumn("manifest", "text")
    .addColumn("error", "text")
    .addColumn("started_at", "int8", (c) => c.notNull())
    .addColumn("finished_at", "int8")
    .addColumn("verified_at", "int8")
    .addColumn("started_by", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("backup_sets_status_started").on("backup_sets").columns(["status", "started_at"]).execute();
  await db.schema.createIndex("backup_sets_started").on("backup_sets").column("started_at").execute();
}
