import type { Kysely, Selectable } from "kysely";
import type { BackupRepository, BackupSetRecord, BackupStatus } from "./store.js";
import { StoreError } from "./store-error.js";
import type { BackupSetsTable, Database } from "./tables.js";

const maxErrorChars = 4000;

export class BackupSets implements BackupRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => Date,
  ) {}

  async start(input: { id: string; components: string[]; storage: { kind: string; location: string }; startedBy: string }): Promise<BackupSetRecord> {
    if (input.components.length === 0) throw new StoreError("a backup set needs at least one component");
    const row = {
      id: input.id,
      status: "running" as const,
      components: JSON.stringify(input.components),
      storage: JSON.stringify(input.storage),
      size: 0,
      manifest: null,
      error: null,
      started_at: this.now().getTime(),
      finished_at: null,
      verified_at: null,
      started_by: input.startedBy,
    };
    await this.db.insertInto("backup_sets").values(row).execute();
    return toRecord(row);
  }

  async finish(id: string, input: { status: "written" | "failed"; size: number; manifest?: Record<string, unknown>; error?: string }): Promise<BackupSetRecord | undefined> {
    const row = await this.db
      .updateTable("backup_sets")
      .set({
        status: input.status,
        size: input.size,
        manifest: input.manifest ? JSON.stringify(input.manifest) : null,
        error: input.error ? input.error.slice(0, maxErrorChars) : null,
        finished_at: this.now().getTime(),
      })
      .where("id", "=", id)
      .where("status", "=", "running")
      .returningAll()
      .executeTakeFirst();
    return row && toRecord(row);
  }

  async recordVerification(id: string, input: { ok: boolean; manifest?: Record<string, unknown>; error?: string }): Promise<BackupSetRecord | undefined> {
    const row = await this.db
      .updateTable("backup_sets")
      .set({
        status: input.ok ? "verified" : "failed",
        ...(input.manifest ? { manifest: JSON.stringify(input.manifest) } : {}),
        error: input.ok ? null : (input.error ?? "verification failed").slice(0, maxErrorChars),
        verified_at: input.ok ? this.now().getTime() : null,
      })
      .where("id", "=", id)
      .where("status", "in", ["written", "verified"])
      .returningAll()
      .executeTakeFirst();
    return row && toRecord(row);
  }

  async get(id: string): Promise<BackupSetRecord | undefined> {
    const row = await this.db.selectFrom("backup_sets").selectAll().where("id", "=", id).executeTakeFirst();
    return row && toRecord(row);
  }

  async list(options: { limit: number; status?: BackupStatus[] }): Promise<BackupSetRecord[]> {
    let query = this.db.selectFrom("backup_sets").selectAll().orderBy("started_at", "desc").orderBy("id", "desc").limit(options.limit);
    if (options.status && options.status.length > 0) query = query.where("status", "in", options.status);
    return (await query.execute()).map(toRecord);
  }

  async remove(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom("backup_sets").where("id", "=", id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}

function toRecord(row: Selectable<BackupSetsTable>): BackupSetRecord {
  const iso = (ms: number | null) => (ms === null ? undefined : new Date(Number(ms)).toISOString());
  const finishedAt = iso(row.finished_at);
  const verifiedAt = iso(row.verified_at);
  return {
    id: row.id,
    status: row.status,
    components: JSON.parse(row.components) as string[],
    storage: JSON.parse(row.storage) as BackupSetRecord["storage"],
    size: Number(row.size),
    ...(row.manifest === null ? {} : { manifest: JSON.parse(row.manifest) as Record<string, unknown> }),
    ...(row.error === null ? {} : { error: row.error }),
    startedAt: new Date(Number(row.started_at)).toISOString(),
    ...(finishedAt ? { finishedAt } : {}),
    ...(verifiedAt ? { verifiedAt } : {}),
    startedBy: row.started_by,
  };
}
