import type { z } from "zod";
import type { Endpoint } from "../http/endpoint.js";
import { excerpt, statusLine } from "../http/http-error.js";
import { send } from "../http/send.js";
import { AlertmanagerError } from "./errors.js";

export interface RequestOptions {
  method?: "GET" | "POST" | "DELETE";
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
  const json = options.body !== undefined;
  const answer = await send(
    endpoint,
    {
      ...(options.method ? { method: options.method } : {}),
      path: options.path,
      ...(options.query ? { query: options.query } : {}),
      headers: { accept: "application/json", ...(json ? { "content-type": "application/json" } : {}) },
      ...(json ? { body: JSON.stringify(options.body) } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    },
    AlertmanagerError,
  );
  const { request, status, text } = answer;

  if (status < 200 || status >= 300) {
    const said = errorText(text);
    // A 404 on an API path almost always means the URL is not an Alertmanager API v2.
    const hint = status === 404 ? " (is this an Alertmanager 0.16 or newer? gameops uses API v2)" : "";
    throw new AlertmanagerError({
      failure: "http-status",
      reason: `${statusLine(answer)}${said ? `: ${said}` : ""}${hint}`,
      request,
      retryable: status === 408 || status === 425 || status === 429 || status >= 500,
      status,
    });
  }

  let body: unknown;
  if (text.trim() !== "") {
    try {
      body = JSON.parse(text);
    } catch (error) {
      const type = answer.headers.get("content-type") ?? "no content type";
      throw new AlertmanagerError({ failure: "bad-body", reason: `answer is not JSON (${type}): ${excerpt(text)}`, request, retryable: false, cause: error });
    }
  }
  if (!schema) return undefined as T;
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const at = issue.path.length > 0 ? issue.path.join(".") : "body";
    throw new AlertmanagerError({
      failure: "bad-body",
      reason: `unexpected answer, not Alertmanager API v2: ${at}: ${issue.message}`,
      request,
      retryable: false,
      cause: parsed.error,
    });
  }
  return parsed.data;
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
