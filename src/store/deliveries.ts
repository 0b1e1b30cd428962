import type { Kysely, Selectable } from "kysely";
import { newId } from "./ids.js";
import { deliveryTimerKey, type DeliveryAttempt, type DeliveryRecord, type DeliveryRepository, type NewDelivery, type Recipient } from "./store.js";
import type { Database, DeliveriesTable, DeliveryAttemptsTable } from "./tables.js";
import { scheduleTimer } from "./timers.js";

const maxDetailChars = 2000;

/**
 * Queues deliveries on `trx` with their send timers, in the commit of what caused them: a page
 * never exists without its notifications queued. The inbox needs no sending: it is delivered here.
 */
export async function insertDeliveries(trx: Kysely<Database>, now: Date, pageId: string | undefined, deliveries: NewDelivery[]): Promise<string[]> {
  const at = now.getTime();
  const ids: string[] = [];
  for (const delivery of deliveries) {
    const id = newId();
    const inbox = delivery.channel === "inbox";
    await trx
      .insertInto("deliveries")
      .values({
        id,
        page_id: pageId ?? null,
        person_id: delivery.personId ?? null,
        recipient: JSON.stringify(delivery.recipient),
        channel: delivery.channel,
        notice: JSON.stringify(delivery.notice),
        status: inbox ? "sent" : "pending",
        attempts: 0,
        last_error: null,
        coalesced_into: null,
        created_at: at,
        sent_at: inbox ? at : null,
        read_at: null,
        updated_at: at,
      })
      .execute();
    if (!inbox && delivery.timer) await scheduleTimer(trx, now, { ...delivery.timer, key: deliveryTimerKey(id), payload: { deliveryId: id } });
    ids.push(id);
  }
  return ids;
}

export class Deliveries implements DeliveryRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => Date,
    /** A delivery's attempt changes its page's record: the page's watchers hear of it. */
    private readonly pageChanged: (pageId: string) => void = () => undefined,
  ) {}

  /** Deliveries not tied to a page (a test page, a shift notice), with their timers. */
  async queue(deliveries: NewDelivery[]): Promise<string[]> {
    return this.db.transaction().execute((trx) => insertDeliveries(trx, this.now(), undefined, deliveries));
  }

  async get(id: string): Promise<DeliveryRecord | undefined> {
    const row = await this.db.selectFrom("deliveries").selectAll().where("id", "=", id).executeTakeFirst();
    return row && toDelivery(row);
  }

  async pending(channel: string, recipientId: string): Promise<DeliveryRecord[]> {
    const rows = await this.db
      .selectFrom("deliveries")
      .selectAll()
      .where("channel", "=", channel)
      .where("status", "=", "pending")
      .where("person_id", "=", recipientId)
      .orderBy("created_at")
      .orderBy("id")
      .execute();
    return rows.map(toDelivery);
  }

  async pendingCounts(): Promise<Record<string, number>> {
    const rows = await this.db
      .selectFrom("deliveries")
      .select(["channel", (eb) => eb.fn.countAll<string | number>().as("count")])
      .where("status", "=", "pending")
      .groupBy("channel")
      .execute();
    return Object.fromEntries(rows.map((r) => [r.channel, Number(r.count)]));
  }

  async sentSince(channel: string, since: Date): Promise<number> {
    const row = await this.db
      .selectFrom("deliveries")
      .select((eb) => eb.fn.countAll<string | number>().as("count"))
      .where("channel", "=", channel)
      .where("status", "=", "sent")
      .where("sent_at", ">=", since.getTime())
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  async recordAttempt(
    id: string,
    attempt: { outcome: "sent" | "failed" | "retry"; retryable: boolean; detail: string; durationMs: number; covers?: string[] },
  ): Promise<DeliveryRecord | undefined> {
    const recorded = await this.db.transaction().execute(async (trx) => {
      const at = this.now().getTime();
      const detail = attempt.detail.slice(0, maxDetailChars);
      const row = await trx
        .updateTable("deliveries")
        .set((eb) => ({
          attempts: eb("attempts", "+", 1),
          status: attempt.outcome === "retry" ? "pending" : attempt.outcome,
          last_error: attempt.outcome === "sent" ? null : detail,
          sent_at: attempt.outcome === "sent" ? at : null,
          updated_at: at,
        }))
        .where("id", "=", id)
        .where("status", "=", "pending")
        .returningAll()
        .executeTakeFirst();
      if (!row) return undefined;
      await trx
        .insertInto("delivery_attempts")
        .values({
          delivery_id: id,
          attempt: row.attempts,
          at,
          ok: attempt.outcome === "sent" ? 1 : 0,
          retryable: attempt.retryable ? 1 : 0,
          detail,
          duration_ms: Math.round(attempt.durationMs),
        })
        .execute();
      const covers = (attempt.covers ?? []).filter((other) => other !== id);
      if (attempt.outcome !== "retry" && covers.length > 0) {
        await trx
          .updateTable("deliveries")
          .set({ status: attempt.outcome === "sent" ? "coalesced" : "failed", coalesced_into: id, last_error: attempt.outcome === "sent" ? null : detail, updated_at: at })
          .where("id", "in", covers)
          .where("status", "=", "pending")
          .execute();
        // Their own send timers have nothing left to send.
        await trx
          .updateTable("timers")
          .set({ status: "cancelled", lease_owner: null, lease_until: null, updated_at: at })
          .where("key", "in", covers.map(deliveryTimerKey))
          .where("status", "=", "pending")
          .execute();
      }
      return toDelivery(row);
    });
    if (recorded?.pageId) this.pageChanged(recorded.pageId);
    return recorded;
  }

  async listForPage(pageId: string): Promise<Array<DeliveryRecord & { attemptLog: DeliveryAttempt[] }>> {
    const rows = await this.db.selectFrom("deliveries").selectAll().where("page_id", "=", pageId).orderBy("created_at").orderBy("id").execute();
    if (rows.length === 0) return [];
    const attempts = await this.db
      .selectFrom("delivery_attempts")
      .selectAll()
      .where(
        "delivery_id",
        "in",
        rows.map((r) => r.id),
      )
      .orderBy("delivery_id")
      .orderBy("attempt")
      .execute();
    const byDelivery = new Map<string, DeliveryAttempt[]>();
    for (const a of attempts) {
      const list = byDelivery.get(a.delivery_id) ?? [];
      list.push(toAttempt(a));
      byDelivery.set(a.delivery_id, list);
    }
    return rows.map((row) => ({ ...toDelivery(row), attemptLog: byDelivery.get(row.id) ?? [] }));
  }

  async inbox(personId: string, options: { limit: number; unreadOnly?: boolean }): Promise<DeliveryRecord[]> {
    let query = this.db
      .selectFrom("deliveries")
      .selectAll()
      .where("person_id", "=", personId)
      .where("channel", "=", "inbox")
      .orderBy("created_at", "desc")
      .orderBy("id", "desc")
      .limit(options.limit);
    if (options.unreadOnly) query = query.where("read_at", "is", null);
    return (await query.execute()).map(toDelivery);
  }

  async markRead(personId: string, ids: string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const result = await this.db
      .updateTable("deliveries")
      .set({ read_at: this.now().getTime() })
      .where("person_id", "=", personId)
      .where("channel", "=", "inbox")
      .where("id", "in", ids)
      .where("read_at", "is", null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }
}

function toDelivery(row: Selectable<DeliveriesTable>): DeliveryRecord {
  const iso = (ms: number | null) => (ms === null ? undefined : new Date(Number(ms)).toISOString());
  const sentAt = iso(row.sent_at);
  const readAt = iso(row.read_at);
  return {
    id: row.id,
    ...(row.page_id === null ? {} : { pageId: row.page_id }),
    ...(row.person_id === null ? {} : { personId: row.person_id }),
    recipient: JSON.parse(row.recipient) as Recipient,
    channel: row.channel,
    notice: JSON.parse(row.notice) as Record<string, unknown>,
    status: row.status,
    attempts: row.attempts,
    ...(row.last_error === null ? {} : { lastError: row.last_error }),
    ...(row.coalesced_into === null ? {} : { coalescedInto: row.coalesced_into }),
    createdAt: new Date(Number(row.created_at)).toISOString(),
    ...(sentAt ? { sentAt } : {}),
    ...(readAt ? { readAt } : {}),
  };
}

function toAttempt(row: Selectable<DeliveryAttemptsTable>): DeliveryAttempt {
  return {
    deliveryId: row.delivery_id,
    attempt: row.attempt,
    at: new Date(Number(row.at)).toISOString(),
    ok: row.ok === 1,
    retryable: row.retryable === 1,
    detail: row.detail,
    durationMs: row.duration_ms,
  };
}
