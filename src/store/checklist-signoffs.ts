import type { Kysely, Selectable } from "kysely";
import type { ChecklistRepository, ChecklistSignoff } from "./store.js";
import type { ChecklistSignoffsTable, Database } from "./tables.js";

/** Who did which checklist item for which day, week or month; kept as history. */
export class ChecklistSignoffs implements ChecklistRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => Date,
  ) {}

  async signOff(input: Omit<ChecklistSignoff, "doneAt"> & { at?: Date }): Promise<ChecklistSignoff> {
    await this.db
      .insertInto("checklist_signoffs")
      .values({
        checklist: input.checklist,
        period: input.period,
        item_id: input.itemId,
        done_at: (input.at ?? this.now()).getTime(),
        done_by: input.doneBy,
        evidence: input.evidence ? JSON.stringify(input.evidence) : null,
        note: input.note ?? null,
      })
      // The first sign-off stands: a second click, or automation after a person, changes nothing.
      .onConflict((conflict) => conflict.columns(["checklist", "period", "item_id"]).doNothing())
      .execute();
    const row = await this.db
      .selectFrom("checklist_signoffs")
      .selectAll()
      .where("checklist", "=", input.checklist)
      .where("period", "=", input.period)
      .where("item_id", "=", input.itemId)
      .executeTakeFirstOrThrow();
    return toSignoff(row);
  }

  async signoffs(checklist: string, periods: string[]): Promise<ChecklistSignoff[]> {
    if (periods.length === 0) return [];
    const rows = await this.db
      .selectFrom("checklist_signoffs")
      .selectAll()
      .where("checklist", "=", checklist)
      .where("period", "in", periods)
      .orderBy("period", "desc")
      .orderBy("done_at")
      .execute();
    return rows.map(toSignoff);
  }
}

function toSignoff(row: Selectable<ChecklistSignoffsTable>): ChecklistSignoff {
  return {
    checklist: row.checklist,
    period: row.period,
    itemId: row.item_id,
    doneAt: new Date(Number(row.done_at)).toISOString(),
    doneBy: row.done_by,
    ...(row.evidence === null ? {} : { evidence: JSON.parse(row.evidence) as Record<string, unknown> }),
    ...(row.note === null ? {} : { note: row.note }),
  };
}
