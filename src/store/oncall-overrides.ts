import type { Kysely, Selectable } from "kysely";
import { newId } from "./ids.js";
import type { OnCallOverride, OnCallRepository } from "./store.js";
import { StoreError } from "./store-error.js";
import type { Database, OncallOverridesTable } from "./tables.js";

/** Overrides are runtime data (a swap, a sick day); schedules themselves live in the config. */
export class OnCallOverrides implements OnCallRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => Date,
  ) {}

  async addOverride(input: Omit<OnCallOverride, "id" | "createdAt">): Promise<OnCallOverride> {
    if (!(input.end.getTime() > input.start.getTime())) throw new StoreError("an override must end after it starts");
    const row = {
      id: newId(),
      schedule_id: input.scheduleId,
      role: input.role,
      person_id: input.personId,
      starts_at: input.start.getTime(),
      ends_at: input.end.getTime(),
      reason: input.reason ?? null,
      created_by: input.createdBy,
      created_at: this.now().getTime(),
      cancelled_at: null,
    };
    await this.db.insertInto("oncall_overrides").values(row).execute();
    return toOverride(row);
  }

  async overrides(options: { scheduleId?: string; from: Date; to: Date }): Promise<OnCallOverride[]> {
    let query = this.db
      .selectFrom("oncall_overrides")
      .selectAll()
      .where("cancelled_at", "is", null)
      .where("ends_at", ">", options.from.getTime())
      .where("starts_at", "<", options.to.getTime())
      // Creation order: where two overlap, the later one wins (domain/oncall/schedule.ts).
      .orderBy("created_at")
      .orderBy("id");
    if (options.scheduleId) query = query.where("schedule_id", "=", options.scheduleId);
    return (await query.execute()).map(toOverride);
  }

  async cancelOverride(id: string): Promise<boolean> {
    const result = await this.db
      .updateTable("oncall_overrides")
      .set({ cancelled_at: this.now().getTime() })
      .where("id", "=", id)
      .where("cancelled_at", "is", null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
}

function toOverride(row: Selectable<OncallOverridesTable>): OnCallOverride {
  return {
    id: row.id,
    scheduleId: row.schedule_id,
    role: row.role,
    personId: row.person_id,
    start: new Date(Number(row.starts_at)),
    end: new Date(Number(row.ends_at)),
    ...(row.reason === null ? {} : { reason: row.reason }),
    createdBy: row.created_by,
    createdAt: new Date(Number(row.created_at)).toISOString(),
  };
}
