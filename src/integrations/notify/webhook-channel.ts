import { createHmac } from "node:crypto";
import type { Secret } from "../../config/secret.js";
import type { NotifyChannel } from "./channel.js";
import type { Notice, Recipient } from "./notice.js";
import { postJson, postTarget } from "./post-json.js";

export interface WebhookChannelOptions {
  /** Its name under paging.channels.webhooks; the channel is "webhook:<name>". */
  name: string;
  /** Credentials in the URL (https://user:pass@…) are sent as Basic auth and never printed; the query is kept. */
  url: string;
  /** The key of the HMAC signature; the receiver holds the same. */
  secret: Secret;
  /** Bound of one POST; default 10 s. */
  timeoutMs?: number;
}

/** What a receiver gets: the notice exactly as gameops modelled it, and whom it is for. */
export interface WebhookBody {
  version: 1;
  notice: Notice;
  recipient: Recipient;
  /** ISO 8601, when this attempt was made. */
  sentAt: string;
}

/**
 * POSTs `WebhookBody` as JSON, signed. Headers:
 *
 *   x-gameops-timestamp: 1767225600                     (Unix seconds of this attempt)
 *   x-gameops-signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>
 *
 * A receiver verifies before it trusts anything in the body:
 *   1. Read the raw body bytes; sign before any JSON parsing (re-serialising changes bytes).
 *   2. Reject a timestamp more than 5 minutes from its own clock: a captured request replayed
 *      later fails even though its signature is valid. To refuse replays inside the window too,
 *      remember the signatures seen in the last 5 minutes and reject a repeat.
 *   3. expected = "sha256=" + hex(HMAC-SHA256(secret, timestamp + "." + rawBody)), and compare
 *      it with the header in constant time (Node: crypto.timingSafeEqual on two equal-length
 *      Buffers, checking the lengths first; Python: hmac.compare_digest) so the comparison's
 *      duration tells an attacker nothing about how much of a forged signature was right.
 * A retried delivery is signed again with a new timestamp; the notice is the same.
 */
export function webhookChannel(options: WebhookChannelOptions): NotifyChannel {
  const name = `webhook:${options.name}`;
  const target = postTarget(options.url, options.timeoutMs ?? 10_000);
  return {
    name,
    send: (notice, recipient, signal) => {
      const sentAt = new Date();
      const body = JSON.stringify({ version: 1, notice, recipient, sentAt: sentAt.toISOString() } satisfies WebhookBody);
      const timestamp = String(Math.floor(sentAt.getTime() / 1000));
      const signature = createHmac("sha256", options.secret.reveal()).update(`${timestamp}.${body}`).digest("hex");
      return postJson(name, target, body, { "x-gameops-timestamp": timestamp, "x-gameops-signature": `sha256=${signature}` }, signal);
    },
  };
}
