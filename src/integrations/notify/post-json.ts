import { endpointOf, type Endpoint } from "../http/endpoint.js";
import { excerpt, HttpError, statusLine } from "../http/http-error.js";
import { send, type HttpAnswer } from "../http/send.js";
import { DeliveryError } from "./channel.js";

/** Why a channel's POST got no answer; kept as the DeliveryError's cause, for logs. */
class ChannelHttpError extends HttpError {}

/**
 * Where a channel posts: exactly the configured URL, query included (an API base drops it),
 * credentials moved to a header. `label` replaces the URL in every message when the URL itself
 * is the secret (a Slack incoming webhook).
 */
export function postTarget(url: string, timeoutMs: number, label?: string): Endpoint {
  const endpoint = endpointOf(url, timeoutMs);
  const exact = new URL(url);
  exact.username = "";
  exact.password = "";
  exact.hash = "";
  return { ...endpoint, base: exact, label: label ?? endpoint.label };
}

/**
 * One POST of a JSON body. A 2xx resolves to the answer's status line for the page's record;
 * anything else rejects with a DeliveryError named after `channel`. Retryable as Alertmanager's
 * notifiers judge it: no answer, a 5xx, 408 and 429 may pass later, honouring the peer's
 * Retry-After; any other 4xx says the request itself is wrong.
 */
export async function postJson(channel: string, target: Endpoint, body: string, headers: Record<string, string>, signal: AbortSignal): Promise<{ detail: string }> {
  let answer: HttpAnswer;
  try {
    // "" resolves to the target URL itself.
    answer = await send(target, { method: "POST", path: "", headers: { "content-type": "application/json", "user-agent": "gameops", ...headers }, body, signal }, ChannelHttpError);
  } catch (error) {
    const failure = error as ChannelHttpError; // send rejects with nothing else
    throw new DeliveryError(`${channel}: ${failure.reason}`, { retryable: failure.retryable, cause: failure });
  }
  const said = excerpt(answer.text);
  const line = `${statusLine(answer)}${said ? `: ${said}` : ""}`;
  if (answer.status >= 200 && answer.status < 300) return { detail: line };
  const retryable = answer.status === 408 || answer.status === 429 || answer.status >= 500;
  const wait = retryable ? retryAfterMs(answer.headers.get("retry-after"), Date.now()) : undefined;
  throw new DeliveryError(`${channel}: ${line}`, { retryable, ...(wait !== undefined ? { retryAfterMs: wait } : {}) });
}

/** Retry-After as delay-seconds or an HTTP-date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
