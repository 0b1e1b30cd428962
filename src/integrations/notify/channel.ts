import type { Notice, Recipient } from "./notice.js";

/**
 * One way of reaching people. A channel sends once: retries, backoff and rate limits are the
 * notifier's, which records every attempt on the page and retries only what a DeliveryError
 * says may succeed later.
 */
export interface NotifyChannel {
  /** The name deliveries are recorded under: "email", "slack", "webhook:ops-bot". */
  readonly name: string;
  /** Resolves once the peer took the notice; `detail` is what it answered, for the page's record. Rejects with a DeliveryError. */
  send(notice: Notice, recipient: Recipient, signal: AbortSignal): Promise<{ detail: string }>;
}

export interface DeliveryErrorInit {
  /** Whether the same send may succeed later (a 503, a 429, a network blip, SMTP 4xx) or fails the same way until someone changes something. */
  retryable: boolean;
  /** The peer's own wait (Retry-After), uncapped: the notifier bounds it. */
  retryAfterMs?: number;
  cause?: unknown;
}

/** A send that did not reach the person. The message starts with the channel's name and never holds a secret. */
export class DeliveryError extends Error {
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, init: DeliveryErrorInit) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = "DeliveryError";
    this.retryable = init.retryable;
    this.retryAfterMs = init.retryAfterMs;
  }
}
