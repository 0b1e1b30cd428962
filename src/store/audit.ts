import type { Kysely, Selectable } from "kysely";
import { newId } from "./ids.js";
import type { AuditRecord, AuditRepository } from "./store.js";
import type { AuditLogTable, Database } from "./tables.js";

/** Append-only: there is no update or delete here, on purpose. */
export class Audit implements AuditRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => Date,
  ) {}

  async append(entry: Omit<AuditRecord, "id" | "at"> & { at?: Date }): Promise<AuditRecord> {
    const row = {
      id: newId(),
      at: (entry.at ?? this.now()).getTime(),
      actor: entry.actor,
      action: entry.action,
      subject: entry.subject,
      details: JSON.stringify(entry.details),
    };
    await this.db.insertInto("audit_log").values(row).execute();
    return toRecord(row);
  }

  /** Newest first; entries written in the same millisecond keep their order through the time-ordered id. */
  async list(options: { limit: number; subject?: string }): Promise<AuditRecord[]> {
    let query = this.db.selectFrom("audit_log").selectAll().orderBy("at", "desc").orderBy("id", "desc").limit(options.limit);
    if (options.subject !== undefined) query = query.where("subject", "=", options.subject);
    return (await query.execute()).map(toRecord);
  }
}

function toRecord(row: Selectable<AuditLogTable>): AuditRecord {
  return {
    id: row.id,
    at: new Date(row.at).toISOString(),
    actor: row.actor,
    action: row.action,
    subject: row.subject,
    details: JSON.parse(row.details) as Record<string, unknown>,
  };
}
