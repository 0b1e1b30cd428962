import type { Kysely, Selectable } from "kysely";
import { newId } from "./ids.js";
import type { MaintenanceWindow, MaintenanceWindowRepository, WindowMatcher } from "./store.js";
import { StoreError } from "./store-error.js";
import type { Database, MaintenanceWindowsTable } from "./tables.js";

export class MaintenanceWindows implements MaintenanceWindowRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => Date,
  ) {}

  async create(input: { title: string; matchers: WindowMatcher[]; startsAt: Date; endsAt: Date; createdBy: string }): Promise<MaintenanceWindow> {
    if (!input.title.trim()) throw new StoreError("a maintenance window needs a title");
    if (input.matchers.length === 0) throw new StoreError("a maintenance window needs at least one matcher, or it would silence everything");
    if (!(input.endsAt.getTime() > input.startsAt.getTime())) throw new StoreError("a maintenance window must end after it starts");
    const row = {
      id: newId(),
      title: input.title,
      matchers: JSON.stringify(input.matchers),
      starts_at: input.startsAt.getTime(),
      ends_at: input.endsAt.getTime(),
      created_by: input.createdBy,
      created_at: this.now().getTime(),
      ended_at: null,
      ended_by: null,
      silence_id: null,
      silence_error: null,
    };
    await this.db.insertInto("maintenance_windows").values(row).execute();
    return toWindow(row);
  }

  async get(id: string): Promise<MaintenanceWindow | undefined> {
    const row = await this.db.selectFrom("maintenance_windows").selectAll().where("id", "=", id).executeTakeFirst();
    return row && toWindow(row);
  }

  async active(at: Date): Promise<MaintenanceWindow[]> {
    const rows = await this.db
      .selectFrom("maintenance_windows")
      .selectAll()
      .where("ended_at", "is", null)
      .where("starts_at", "<=", at.getTime())
      .where("ends_at", ">", at.getTime())
      .orderBy("starts_at")
      .execute();
    return rows.map(toWindow);
  }

  async list(options: { limit: number; includeEnded?: boolean }): Promise<MaintenanceWindow[]> {
    let query = this.db.selectFrom("maintenance_windows").selectAll().orderBy("starts_at", "desc").orderBy("id", "desc").limit(options.limit);
    if (!options.includeEnded) query = query.where("ended_at", "is", null).where("ends_at", ">", this.now().getTime());
    return (await query.execute()).map(toWindow);
  }

  async recordSilence(id: string, input: { silenceId?: string; error?: string }): Promise<void> {
    await this.db
      .updateTable("maintenance_windows")
      .set({ silence_id: input.silenceId ?? null, silence_error: input.error ?? null })
      .where("id", "=", id)
      .execute();
  }

  async end(id: string, input: { by: string; at: Date }): Promise<MaintenanceWindow | undefined> {
    const row = await this.db
      .updateTable("maintenance_windows")
      .set({ ended_at: input.at.getTime(), ended_by: input.by })
      .where("id", "=", id)
      .where("ended_at", "is", null)
      .returningAll()
      .executeTakeFirst();
    return row && toWindow(row);
  }
}

function toWindow(row: Selectable<MaintenanceWindowsTable>): MaintenanceWindow {
  const iso = (ms: number) => new Date(Number(ms)).toISOString();
  return {
    id: row.id,
    title: row.title,
    matchers: JSON.parse(row.matchers) as WindowMatcher[],
    startsAt: iso(row.starts_at),
    endsAt: iso(row.ends_at),
    createdBy: row.created_by,
    createdAt: iso(row.created_at),
    ...(row.ended_at === null ? {} : { endedAt: iso(row.ended_at) }),
    ...(row.ended_by === null ? {} : { endedBy: row.ended_by }),
    ...(row.silence_id === null ? {} : { silenceId: row.silence_id }),
    ...(row.silence_error === null ? {} : { silenceError: row.silence_error }),
  };
}
