import type { z } from "zod";
import { formatDuration } from "../../config/duration.js";
import { Secret } from "../../config/secret.js";
import { PrometheusError, type PrometheusErrorInit } from "./errors.js";

/** Where a Prometheus is, split so that its credentials never reach a message. */
export interface Endpoint {
  /** Base URL ending in "/", credentials removed (fetch refuses URLs that carry them). */
  base: URL;
  /** The base URL as printed in messages: never the user or password. */
  label: string;
  /** Basic credentials from `http://user:pass@host`, sent as a header. */
  authorization?: Secret;
  timeoutMs: number;
}

export function endpointOf(url: string, timeoutMs: number): Endpoint {
  const base = new URL(url);
  let authorization: Secret | undefined;
  if (base.username !== "" || base.password !== "") {
    const pair = `${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`;
    authorization = new Secret(`Basic ${Buffer.from(pair).toString("base64")}`);
    base.username = "";
    base.password = "";
  }
  base.search = "";
  base.hash = "";
  // Prometheus may sit under a path prefix (--web.route-prefix or a reverse proxy).
  if (!base.pathname.endsWith("/")) base.pathname += "/";
  const label = `${base.origin}${base.pathname.replace(/\/$/, "")}`;
  return { base, label, timeoutMs, ...(authorization ? { authorization } : {}) };
}

export interface RequestOptions {
  /** Relative to the base URL, e.g. "api/v1/query". */
  path: string;
  query?: Record<string, string | undefined>;
  signal?: AbortSignal;
}

export interface Answer {
  request: string;
  status: number;
  statusText: string;
  text: string;
}

/** One GET, bounded by the endpoint's timeout and the caller's signal; throws only when no HTTP answer came. */
export async function request(endpoint: Endpoint, options: RequestOptions): Promise<Answer> {
  const url = new URL(options.path, endpoint.base);
  for (const [name, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(name, value);
  const request = `GET ${endpoint.label}/${options.path}`;
  const fail = (init: Omit<PrometheusErrorInit, "request">) => new PrometheusError({ ...init, request });

  const timeout = AbortSignal.timeout(endpoint.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const headers: Record<string, string> = {};
  if (endpoint.authorization) headers.authorization = endpoint.authorization.reveal();
  try {
    const response = await fetch(url, { headers, signal });
    return { request, status: response.status, statusText: response.statusText, text: await response.text() };
  } catch (error) {
    if (timeout.aborted) {
      throw fail({ failure: "timeout", reason: `no answer within ${formatDuration(endpoint.timeoutMs)}`, retryable: true, cause: error });
    }
    if (options.signal?.aborted) {
      const deadline = (options.signal.reason as { name?: string } | undefined)?.name === "TimeoutError";
      throw deadline
        ? fail({ failure: "timeout", reason: "no answer before the deadline", retryable: true, cause: error })
        : fail({ failure: "aborted", reason: "cancelled", retryable: false, cause: error });
    }
    throw fail({ failure: "unreachable", ...networkReason(error), cause: error });
  }
}

/** A call to the HTTP API v1: its `{status, data}` envelope checked, `data` checked against `schema`. */
export async function requestApi<T>(endpoint: Endpoint, options: RequestOptions, schema: z.ZodType<T>): Promise<T> {
  const answer = await request(endpoint, options);
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch (error) {
    if (answer.status >= 200 && answer.status < 300) {
      throw new PrometheusError({ failure: "bad-body", reason: `answer is not JSON: ${excerpt(answer.text)}`, request: answer.request, retryable: false, cause: error });
    }
  }
  const envelope = body as { status?: unknown; errorType?: unknown; error?: unknown; data?: unknown } | undefined;
  if (answer.status < 200 || answer.status >= 300 || envelope?.status === "error") {
    // Prometheus explains itself: {"status":"error","errorType":"bad_data","error":"…parse error…"}.
    const said =
      typeof envelope?.error === "string" ? `${typeof envelope.errorType === "string" ? `${envelope.errorType}: ` : ""}${envelope.error}` : excerpt(answer.text);
    const hint = answer.status === 404 ? " (is this a Prometheus? gameops uses its HTTP API v1)" : "";
    throw new PrometheusError({
      failure: "http-status",
      reason: `HTTP ${answer.status}${answer.statusText ? ` ${answer.statusText}` : ""}${said ? `: ${said}` : ""}${hint}`,
      request: answer.request,
      // 503 is Prometheus starting or a query timeout; 422 is a query that cannot run; 400 a malformed one.
      retryable: answer.status === 408 || answer.status === 429 || answer.status >= 500,
      status: answer.status,
    });
  }
  const parsed = schema.safeParse(envelope?.data);
  if (envelope?.status !== "success" || !parsed.success) {
    const issue = parsed.error?.issues[0];
    const at = issue ? `data${issue.path.length > 0 ? `.${issue.path.join(".")}` : ""}: ${issue.message}` : 'status is not "success"';
    throw new PrometheusError({ failure: "bad-body", reason: `unexpected answer, not the Prometheus HTTP API v1: ${at}`, request: answer.request, retryable: false });
  }
  return parsed.data;
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

export function excerpt(text: string, max = 200): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}
