import type { Endpoint } from "../http/endpoint.js";
import { excerpt, statusLine } from "../http/http-error.js";
import { send } from "../http/send.js";
import { PrometheusError } from "./errors.js";

/**
 * `/-/ready`: true once Prometheus serves queries, false while it starts (503, e.g. replaying
 * its WAL). Anything else means this is not a Prometheus and is an error.
 */
export async function isReady(endpoint: Endpoint, options: { signal?: AbortSignal } = {}): Promise<boolean> {
  const answer = await send(endpoint, { path: "-/ready", ...(options.signal ? { signal: options.signal } : {}) }, PrometheusError);
  if (answer.status === 200) return true;
  if (answer.status === 503) return false;
  throw new PrometheusError({
    failure: "http-status",
    reason: `${statusLine(answer)}: ${excerpt(answer.text)}`,
    request: answer.request,
    retryable: answer.status >= 500,
    status: answer.status,
  });
}
