import { formatDuration } from "../../config/duration.js";
import type { Endpoint } from "./endpoint.js";
import type { HttpErrorClass, HttpErrorInit } from "./http-error.js";

export interface HttpRequest {
  method?: "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Relative to the endpoint's base URL, e.g. "api/v2/alerts". */
  path: string;
  /** A list repeats the parameter: `filter=a&filter=b`. */
  query?: Record<string, string | readonly string[] | undefined>;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

export interface HttpAnswer {
  /** The request, safe to print (never credentials): "GET http://127.0.0.1:9093/api/v2/alerts". */
  request: string;
  status: number;
  statusText: string;
  headers: Headers;
  text: string;
}

/**
 * One call, bounded by the endpoint's timeout and the caller's signal. Any HTTP answer resolves,
 * whatever its status: what an error status means is the service's to say. No answer at all
 * rejects with an `errors` that says whether trying again may help.
 */
export async function send(endpoint: Endpoint, request: HttpRequest, errors: HttpErrorClass): Promise<HttpAnswer> {
  const method = request.method ?? "GET";
  const url = new URL(request.path, endpoint.base);
  for (const [name, value] of Object.entries(request.query ?? {})) {
    for (const v of typeof value === "string" ? [value] : (value ?? [])) url.searchParams.append(name, v);
  }
  const label = `${method} ${endpoint.label}/${request.path}`;

  const timeout = AbortSignal.timeout(endpoint.timeoutMs);
  const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
  const headers = { ...request.headers, ...(endpoint.authorization ? { authorization: endpoint.authorization.reveal() } : {}) };
  try {
    const response = await fetch(url, { method, headers, signal, ...(request.body !== undefined ? { body: request.body } : {}) });
    return { request: label, status: response.status, statusText: response.statusText, headers: response.headers, text: await response.text() };
  } catch (error) {
    const fail = (init: Omit<HttpErrorInit, "request" | "cause">) => new errors({ ...init, request: label, cause: error });
    if (timeout.aborted) throw fail({ failure: "timeout", reason: `no answer within ${formatDuration(endpoint.timeoutMs)}`, retryable: true });
    if (request.signal?.aborted) {
      // A caller's deadline (AbortSignal.timeout) is a timeout too, not someone giving up.
      const deadline = (request.signal.reason as { name?: string } | undefined)?.name === "TimeoutError";
      throw deadline
        ? fail({ failure: "timeout", reason: "no answer before the deadline", retryable: true })
        : fail({ failure: "aborted", reason: "cancelled", retryable: false });
    }
    throw fail({ failure: "unreachable", ...networkReason(error) });
  }
}

/** fetch's "fetch failed" hides the reason in `cause`; an operator needs it in words. */
function networkReason(error: unknown): { reason: string; retryable: boolean } {
  const cause = (error as { cause?: unknown }).cause ?? error;
  const first = cause instanceof AggregateError ? (cause.errors[0] as unknown) : cause;
  const code = (first as { code?: unknown })?.code ?? (cause as { code?: unknown })?.code;
  const message = first instanceof Error ? first.message : String(first);
  switch (code) {
    case "ECONNREFUSED":
      return { reason: "connection refused", retryable: true };
    case "ECONNRESET":
    case "EPIPE":
    case "UND_ERR_SOCKET":
      return { reason: "connection closed by the server", retryable: true };
    case "ENOTFOUND":
      return { reason: "host not found (DNS)", retryable: false };
    case "EAI_AGAIN":
      return { reason: "host lookup failed for now (DNS)", retryable: true };
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return { reason: "no route to host", retryable: true };
    case "ETIMEDOUT":
    case "UND_ERR_CONNECT_TIMEOUT":
      return { reason: "connect timed out", retryable: true };
  }
  if (typeof code === "string" && (code.startsWith("ERR_TLS") || /CERT|SSL/.test(code))) {
    return { reason: `TLS: ${message}`, retryable: false };
  }
  return { reason: message, retryable: true };
}
