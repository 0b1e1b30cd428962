import type { z } from "zod";
import { formatDuration } from "../../config/duration.js";
import { Secret } from "../../config/secret.js";
import { AlertmanagerError, type AlertmanagerErrorInit } from "./errors.js";

/** Where an Alertmanager is, split so that its credentials never reach a message. */
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
  // Alertmanager may sit under a path prefix (--web.route-prefix or a reverse proxy).
  if (!base.pathname.endsWith("/")) base.pathname += "/";
  const label = `${base.origin}${base.pathname.replace(/\/$/, "")}`;
  return { base, label, timeoutMs, ...(authorization ? { authorization } : {}) };
}

export interface RequestOptions {
  method?: "GET" | "POST";
  /** Relative to the base URL, e.g. "api/v2/alerts". */
  path: string;
  query?: Record<string, string | readonly string[] | undefined>;
  body?: unknown;
  signal?: AbortSignal;
}

/**
 * One call, bounded by the endpoint's timeout and the caller's signal. Resolves to the body
 * checked against `schema` (undefined for an empty body when no schema is given); anything
 * else is an AlertmanagerError that says whether trying again may help.
 */
export async function requestJson<T = undefined>(endpoint: Endpoint, options: RequestOptions, schema?: z.ZodType<T>): Promise<T> {
  const method = options.method ?? "GET";
  const url = new URL(options.path, endpoint.base);
  for (const [name, value] of Object.entries(options.query ?? {})) {
    for (const v of typeof value === "string" ? [value] : (value ?? [])) url.searchParams.append(name, v);
  }
  const request = `${method} ${endpoint.label}/${options.path}`;
  const fail = (init: Omit<AlertmanagerErrorInit, "request">) => new AlertmanagerError({ ...init, request });

  const timeout = AbortSignal.timeout(endpoint.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const headers: Record<string, string> = { accept: "application/json" };
  if (endpoint.authorization) headers.authorization = endpoint.authorization.reveal();
  if (options.body !== undefined) headers["content-type"] = "application/json";

  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method,
      headers,
      signal,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
    text = await response.text();
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

  if (!response.ok) {
    const said = errorText(text);
    // A 404 on an API path almost always means the URL is not an Alertmanager API v2.
    const hint = response.status === 404 ? " (is this an Alertmanager 0.16 or newer? gameops uses API v2)" : "";
    throw fail({
      failure: "http-status",
      reason: `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""}${said ? `: ${said}` : ""}${hint}`,
      retryable: response.status === 408 || response.status === 425 || response.status === 429 || response.status >= 500,
      status: response.status,
    });
  }

  let body: unknown;
  if (text.trim() !== "") {
    try {
      body = JSON.parse(text);
    } catch (error) {
      const type = response.headers.get("content-type") ?? "no content type";
      throw fail({ failure: "bad-body", reason: `answer is not JSON (${type}): ${excerpt(text)}`, retryable: false, cause: error });
    }
  }
  if (!schema) return undefined as T;
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const at = issue.path.length > 0 ? issue.path.join(".") : "body";
    throw fail({ failure: "bad-body", reason: `unexpected answer, not Alertmanager API v2: ${at}: ${issue.message}`, retryable: false, cause: parsed.error });
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

/** Alertmanager's errors are a JSON string or {code, message}; anything else is shown briefly. */
function errorText(text: string): string {
  try {
    const body: unknown = JSON.parse(text);
    if (typeof body === "string") return excerpt(body);
    if (typeof (body as { message?: unknown })?.message === "string") return excerpt((body as { message: string }).message);
  } catch {
    // not JSON: fall through to the raw text
  }
  return excerpt(text);
}

function excerpt(text: string, max = 200): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}
