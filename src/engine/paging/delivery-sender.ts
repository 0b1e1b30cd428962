import { retryDelayMs, type RetryPolicy } from "../../domain/schedule/retry-delay.js";
import { DeliveryError, type NotifyChannel } from "../../integrations/notify/channel.js";
import type { Notice } from "../../integrations/notify/notice.js";
import { deliveryTimerKey, type DeliveryRecord, type Store } from "../../store/store.js";
import type { TimerHandler, TimerLoop } from "../timer-loop.js";

export const deliveryTimer = "delivery.send";

/** Pages must reach someone: retry quickly at first, and keep trying for about half an hour. */
const defaultRetry: RetryPolicy = { firstDelayMs: 5_000, maxDelayMs: 5 * 60_000 };
const maxAttempts = 10;
/** A delivery behind the oldest pending one of its recipient waits for it to send them all. */
const behindHeadDelayMs = 2_000;
const rateWindowMs = 60_000;

export interface ChannelSetup {
  channel: NotifyChannel;
  /** Sends per minute on this channel; past it, notices wait and go out together as one digest. */
  perMinute: number;
}

/**
 * Sends queued deliveries, one timer each, oldest first per recipient and channel. When a
 * recipient's backlog is more than the channel's rate limit has room for, the oldest delivery
 * carries all of it as one digest: a burst reaches a person as one message, and nothing is dropped. Failures the channel calls retryable are tried again
 * with backoff (honouring Retry-After); the rest fail at once. Every attempt is recorded.
 */
export class DeliverySender {
  private readonly channels: Map<string, ChannelSetup>;

  constructor(
    private readonly deps: {
      store: Store;
      channels: ChannelSetup[];
      retry?: RetryPolicy;
      now?: () => Date;
      log?: (message: string, fields: Record<string, unknown>) => void;
    },
  ) {
    this.channels = new Map(deps.channels.map((setup) => [setup.channel.name, setup]));
  }

  get channelNames(): string[] {
    return [...this.channels.keys()];
  }

  register(timers: TimerLoop): void {
    timers.handle(deliveryTimer, this.handler);
  }

  readonly handler: TimerHandler = async (timer, { signal }) => {
    const { store } = this.deps;
    const delivery = await store.deliveries.get(String(timer.payload.deliveryId));
    if (!delivery || delivery.status !== "pending") return;
    const now = this.now();
    const setup = this.channels.get(delivery.channel);
    if (!setup) {
      await store.deliveries.recordAttempt(delivery.id, {
        outcome: "failed",
        retryable: false,
        detail: `channel "${delivery.channel}" is not configured any more (paging.channels)`,
        durationMs: 0,
      });
      return;
    }
    const batch = delivery.personId ? await store.deliveries.pending(delivery.channel, delivery.personId) : [delivery];
    if (batch.length > 0 && batch[0]!.id !== delivery.id) return this.retryAt(delivery, new Date(now.getTime() + behindHeadDelayMs));

    const room = setup.perMinute - (await store.deliveries.sentSince(delivery.channel, new Date(now.getTime() - rateWindowMs)));
    if (room <= 0) {
      // Wait for room; whatever queues meanwhile goes out with this one.
      return this.retryAt(delivery, new Date(now.getTime() + Math.ceil(rateWindowMs / setup.perMinute)));
    }
    // One by one while the channel has room for the backlog; past that, one digest of it all.
    const covered = batch.length > room ? batch : [delivery];
    const notice = covered.length === 1 ? (delivery.notice as unknown as Notice) : digestOf(covered);
    const started = Date.now();
    try {
      const { detail } = await setup.channel.send(notice, delivery.recipient, signal);
      await store.deliveries.recordAttempt(delivery.id, {
        outcome: "sent",
        retryable: false,
        detail: covered.length > 1 ? `${detail} (digest of ${covered.length})` : detail,
        durationMs: Date.now() - started,
        covers: covered.map((d) => d.id),
      });
      await this.nextInLine(batch, covered);
    } catch (error) {
      const failure = error instanceof DeliveryError ? error : new DeliveryError(`${delivery.channel}: ${messageOf(error)}`, { retryable: true, cause: error });
      const attempt = delivery.attempts + 1;
      const retry = failure.retryable && attempt < maxAttempts;
      const detail = retry || !failure.retryable ? failure.message : `${failure.message} (gave up after ${attempt} attempts)`;
      await store.deliveries.recordAttempt(delivery.id, {
        outcome: retry ? "retry" : "failed",
        retryable: failure.retryable,
        detail,
        durationMs: Date.now() - started,
        covers: covered.map((d) => d.id),
      });
      this.deps.log?.(`delivery ${retry ? "will be retried" : "failed"}: ${detail}`, { delivery: delivery.id, channel: delivery.channel, attempt });
      if (!retry) await this.nextInLine(batch, covered);
      if (retry) {
        const policy = this.deps.retry ?? defaultRetry;
        const backoff = retryDelayMs(attempt, policy);
        await this.retryAt(delivery, new Date(this.now().getTime() + Math.max(backoff, Math.min(failure.retryAfterMs ?? 0, policy.maxDelayMs))));
      }
    }
  };

  /** The recipient's next pending delivery, waiting behind this one, is due now. */
  private async nextInLine(batch: DeliveryRecord[], covered: DeliveryRecord[]): Promise<void> {
    const next = batch.find((d) => !covered.includes(d));
    if (next) await this.retryAt(next, this.now());
  }

  /** Moves the delivery's own timer; the loop then sees the claimed token as stale and leaves the timer pending. */
  private async retryAt(delivery: DeliveryRecord, dueAt: Date): Promise<void> {
    await this.deps.store.timers.schedule({ kind: deliveryTimer, key: deliveryTimerKey(delivery.id), dueAt, payload: { deliveryId: delivery.id } });
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }
}

function digestOf(deliveries: DeliveryRecord[]): Notice {
  const items = deliveries.map((d) => d.notice as unknown as Notice);
  const pages = items.filter((n) => n.kind === "page").length;
  return {
    kind: "digest",
    title: `${items.length} notifications${pages > 0 ? ` (${pages} pages)` : ""}`,
    text: items.map((n) => `• ${n.pageNumber !== undefined ? `P#${n.pageNumber} ` : ""}${n.title}`).join("\n"),
    links: {},
    items,
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}
