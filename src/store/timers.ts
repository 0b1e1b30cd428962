import { randomUUID } from "node:crypto";
import { sql, type Kysely, type Selectable } from "kysely";
import type { StoreDialect } from "./dialect.js";
import { newId } from "./ids.js";
import type { NewTimer, Timer, TimerRepository } from "./store.js";
import { StoreError } from "./store-error.js";
import type { Database, TimersTable } from "./tables.js";

/** Enough to read a stack-less failure; a whole dump does not belong in a row that is polled. */
const maxErrorLength = 2000;

export class Timers implements TimerRepository {
  private readonly db: Kysely<Database>;

  constructor(
    private readonly dialect: StoreDialect,
    private readonly now: () => Date,
  ) {
    this.db = dialect.db;
  }

  async schedule(input: NewTimer): Promise<Timer> {
    return scheduleTimer(this.db, this.now(), input);
  }

  async claimDue(input: { now: Date; owner: string; leaseMs: number; limit: number }): Promise<Timer[]> {
    const now = input.now.getTime();
    return this.db.transaction().execute(async (trx) => {
      const due = await this.dialect
        .lockForClaim(
          trx
            .selectFrom("timers")
            .select("id")
            .where("status", "=", "pending")
            .where("due_at", "<=", now)
            // A lease that ran out means its owner died or hung: the timer is due again.
            .where((eb) => eb.or([eb("lease_until", "is", null), eb("lease_until", "<=", now)]))
            .orderBy("due_at")
            .orderBy("id")
            .limit(input.limit),
        )
        .execute();
      const claimed: Timer[] = [];
      for (const { id } of due) {
        // A fresh token per claim fences the previous owner out: its complete/release become no-ops.
        const row = await trx
          .updateTable("timers")
          .set((eb) => ({
            token: randomUUID(),
            lease_owner: input.owner,
            lease_until: now + input.leaseMs,
            attempts: eb("attempts", "+", 1),
            updated_at: now,
          }))
          .where("id", "=", id)
          .returningAll()
          .executeTakeFirstOrThrow();
        claimed.push(toTimer(row));
      }
      return claimed;
    });
  }

  async complete(id: string, token: string): Promise<boolean> {
    const result = await this.db
      .updateTable("timers")
      .set({ status: "fired", lease_owner: null, lease_until: null, last_error: null, updated_at: this.now().getTime() })
      .where("id", "=", id)
      .where("token", "=", token)
      .where("status", "=", "pending")
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async release(id: string, token: string, input: { error: string; retryAt: Date }): Promise<void> {
    await this.db
      .updateTable("timers")
      .set({
        due_at: input.retryAt.getTime(),
        lease_owner: null,
        lease_until: null,
        last_error: input.error.slice(0, maxErrorLength),
        updated_at: this.now().getTime(),
      })
      .where("id", "=", id)
      .where("token", "=", token)
      .where("status", "=", "pending")
      .execute();
  }

  async cancel(key: string): Promise<boolean> {
    return cancelTimer(this.db, this.now(), key);
  }

  async nextDueAt(now: Date): Promise<Date | undefined> {
    const at = now.getTime();
    // Unleased timers by their due time; leased ones (another owner's, in flight) by when the lease runs out.
    const due = await this.db
      .selectFrom("timers")
      .select((eb) => eb.fn.min("due_at").as("at"))
      .where("status", "=", "pending")
      .where((eb) => eb.or([eb("lease_until", "is", null), eb("lease_until", "<=", at)]))
      .executeTakeFirst();
    const lease = await this.db
      .selectFrom("timers")
      .select((eb) => eb.fn.min("lease_until").as("at"))
      .where("status", "=", "pending")
      .where("lease_until", ">", at)
      .executeTakeFirst();
    const times = [due?.at, lease?.at].filter((t): t is number => t !== null && t !== undefined).map(Number);
    return times.length === 0 ? undefined : new Date(Math.min(...times));
  }

  async leaseOwners(now: Date): Promise<string[]> {
    const rows = await this.db
      .selectFrom("timers")
      .select("lease_owner")
      .distinct()
      .where("status", "=", "pending")
      .where("lease_owner", "is not", null)
      .where("lease_until", ">", now.getTime())
      .execute();
    return rows.map((r) => r.lease_owner!);
  }

  async releaseLeases(owners: string[]): Promise<number> {
    if (owners.length === 0) return 0;
    const result = await this.db
      .updateTable("timers")
      // A new token: should the owner be alive after all, its complete/release do nothing.
      .set({ lease_owner: null, lease_until: null, token: sql<string>`${randomUUID()} || id`, updated_at: this.now().getTime() })
      .where("status", "=", "pending")
      .where("lease_owner", "in", owners)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async findByKey(key: string): Promise<Timer | undefined> {
    const row = await this.db.selectFrom("timers").selectAll().where("key", "=", key).where("status", "=", "pending").executeTakeFirst();
    return row && toTimer(row);
  }
}

/** Schedules a timer on `db`, which may be a transaction: the timer commits with what it belongs to. */
export async function scheduleTimer(db: Kysely<Database>, at: Date, input: NewTimer): Promise<Timer> {
  if (!input.kind) throw new StoreError("a timer needs a kind");
  const dueAt = input.dueAt.getTime();
  if (Number.isNaN(dueAt)) throw new StoreError(`timer "${input.key ?? input.kind}": dueAt is not a valid date`);
  const now = at.getTime();
  const insert = db.insertInto("timers").values({
    id: newId(),
    kind: input.kind,
    key: input.key ?? null,
    due_at: dueAt,
    payload: JSON.stringify(input.payload ?? {}),
    token: randomUUID(),
    lease_owner: null,
    lease_until: null,
    status: "pending",
    attempts: 0,
    last_error: null,
    created_at: now,
    updated_at: now,
  });
  const row =
    input.key === undefined
      ? await insert.returningAll().executeTakeFirstOrThrow()
      : await insert
          // One statement, so two schedulers of the same key cannot both insert. The predicate is a
          // literal: PostgreSQL matches it against the partial index when planning, before parameters.
          .onConflict((conflict) =>
            conflict
              .column("key")
              .where(sql<boolean>`status = 'pending'`)
              // A new token: whoever holds the old one (a run in flight, an old reminder) is now stale.
              .doUpdateSet((eb) => ({
                kind: eb.ref("excluded.kind"),
                due_at: eb.ref("excluded.due_at"),
                payload: eb.ref("excluded.payload"),
                token: eb.ref("excluded.token"),
                lease_owner: null,
                lease_until: null,
                attempts: 0,
                last_error: null,
                updated_at: eb.ref("excluded.updated_at"),
              })),
          )
          .returningAll()
          .executeTakeFirstOrThrow();
  return toTimer(row);
}

/** Cancels the pending timer with this key on `db`, which may be a transaction. */
export async function cancelTimer(db: Kysely<Database>, at: Date, key: string): Promise<boolean> {
  const result = await db
    .updateTable("timers")
    .set({ status: "cancelled", lease_owner: null, lease_until: null, updated_at: at.getTime() })
    .where("key", "=", key)
    .where("status", "=", "pending")
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

function toTimer(row: Selectable<TimersTable>): Timer {
  return {
    id: row.id,
    kind: row.kind,
    ...(row.key === null ? {} : { key: row.key }),
    dueAt: new Date(row.due_at),
    payload: JSON.parse(row.payload) as Record<string, unknown>,
    token: row.token,
    attempts: row.attempts,
    ...(row.last_error === null ? {} : { lastError: row.last_error }),
  };
}
