import { PrometheusError } from "./errors.js";
import { excerpt, request, type Endpoint } from "./request.js";

/**
 * `/-/ready`: true once Prometheus serves queries, false while it starts (503, e.g. replaying
 * its WAL). Anything else means this is not a Prometheus and is an error.
 */
export async function isReady(endpoint: Endpoint, options: { signal?: AbortSignal } = {}): Promise<boolean> {
  const answer = await request(endpoint, { path: "-/ready", ...(options.signal ? { signal: options.signal } : {}) });
  if (answer.status === 200) return true;
  if (answer.status === 503) return false;
  throw new PrometheusError({
    failure: "http-status",
    reason: `HTTP ${answer.status}${answer.statusText ? ` ${answer.statusText}` : ""}: ${excerpt(answer.text)}`,
    request: answer.request,
    retryable: answer.status >= 500,
    status: answer.status,
  });
}
