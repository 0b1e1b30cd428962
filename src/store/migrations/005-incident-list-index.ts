import type { Kysely } from "kysely";

/**
 * The incident list filtered by status and severity at once (a rare status of a common
 * severity): without it SQLite walks every incident of that severity checking the status
 * (bench/incident-list measured 70–100 ms at 100,000 incidents; 3 ms with it).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex("incidents_status_severity_number").on("incidents").columns(["status", "severity", "number"]).execute();
}
