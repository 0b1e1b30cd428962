import { isDeepStrictEqual } from "node:util";
import type { Config } from "../../../config/load.js";
import type { StepSpec } from "../../../domain/runbooks/schema.js";
import { endpointOf, type Endpoint } from "../../../integrations/http/endpoint.js";
import { excerpt, HttpError, statusLine } from "../../../integrations/http/http-error.js";
import { send } from "../../../integrations/http/send.js";
import { StepFailure, type RenderedAction, type StepContext, type StepResult } from "../step-kind.js";

type HttpSpec = StepSpec<"http">;

/** The module is the StepKind (loaded lazily by ./index.ts). */
export const kind = "http";

/** Failures of a runbook's own HTTP calls. */
export class HttpStepError extends HttpError {}

/**
 * The request bound. The step's timeout (its signal) is the one that matters; this is the
 * backstop for a step without one, long enough for a profile (`/debug/pprof/profile?seconds=60`).
 */
const backstopMs = 5 * 60_000;
/** Characters of a body kept in the outputs. */
const maxBody = 65_536;

/** Header values that are credentials: shown as `<secret>` in the plan and the audit. */
const credentialHeaders = /^(authorization|proxy-authorization|cookie|x-api-key|api-key|x-auth-token|private-token)$/i;

/**
 * A URL split for `send`: the endpoint is the URL's directory (credentials moved to a header,
 * never printed), the path its last segment, the query kept as given.
 */
function requestOf(spec: HttpSpec): { endpoint: Endpoint; path: string; query: Record<string, string[]> } {
  endpointOf(spec.url, backstopMs); // validates, and says what is wrong without the password
  const url = new URL(spec.url);
  const cut = url.pathname.lastIndexOf("/") + 1;
  const directory = new URL(url.href);
  directory.pathname = url.pathname.slice(0, cut);
  const endpoint = endpointOf(directory.href, backstopMs);
  const leaf = url.pathname.slice(cut);
  const query: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) (query[name] ??= []).push(value);
  // "a:b" alone would parse as a URL with the scheme "a:".
  return { endpoint, path: leaf.includes(":") ? `./${leaf}` : leaf, query };
}

/** The URL as printed: no credentials, query included. */
function shown(spec: HttpSpec): string {
  try {
    const { endpoint, path } = requestOf(spec);
    const search = new URL(spec.url).search;
    return `${endpoint.label}/${path}${search}`;
  } catch (error) {
    return (error as Error).message;
  }
}

export function describe(spec: HttpSpec, _config: Config): RenderedAction {
  const url = shown(spec);
  const headers = spec.headers ? Object.fromEntries(Object.entries(spec.headers).map(([k, v]) => [k, credentialHeaders.test(k) ? "<secret>" : v])) : undefined;
  let target = url;
  try {
    target = new URL(url).origin;
  } catch {
    // an invalid URL: the summary says so
  }
  return {
    summary: `${spec.method} ${url}`,
    detail: { method: spec.method, url, ...(headers ? { headers } : {}), ...(spec.body !== undefined ? { body: spec.body } : {}), ...(spec.expect ? { expect: spec.expect } : {}) },
    target,
    destructive: spec.method !== "GET" && spec.method !== "HEAD",
  };
}

/** A dot path into JSON: `data.items.0.name`. */
function at(json: unknown, path: string): { found: boolean; value?: unknown } {
  let node = json;
  for (const key of path.split(".")) {
    if (typeof node !== "object" || node === null || !Object.hasOwn(node, key)) return { found: false };
    node = (node as Record<string, unknown>)[key];
  }
  return { found: true, value: node };
}

const statusExpected = (expect: HttpSpec["expect"]) => (expect?.status === undefined ? "2xx" : Array.isArray(expect.status) ? expect.status.join(" or ") : String(expect.status));

function statusOk(status: number, expect: HttpSpec["expect"]): boolean {
  if (expect?.status === undefined) return status >= 200 && status < 300;
  return Array.isArray(expect.status) ? expect.status.includes(status) : status === expect.status;
}

export async function execute(spec: HttpSpec, context: StepContext): Promise<StepResult> {
  let request: ReturnType<typeof requestOf>;
  try {
    request = requestOf(spec);
  } catch (error) {
    throw new StepFailure(`http: ${(error as Error).message}`, { retryable: false });
  }
  if (spec.body !== undefined && (spec.method === "GET" || spec.method === "HEAD")) {
    throw new StepFailure(`http: a ${spec.method} request has no body; use POST, PUT or PATCH to send one`, { retryable: false });
  }
  const headers: Record<string, string> = { ...spec.headers };
  const has = (name: string) => Object.keys(headers).some((h) => h.toLowerCase() === name);
  if (!has("accept")) headers.accept = "application/json, text/plain;q=0.9, */*;q=0.8";
  if (spec.body !== undefined && !has("content-type")) headers["content-type"] = "application/json";

  let answer: Awaited<ReturnType<typeof send>>;
  try {
    answer = await send(
      request.endpoint,
      {
        method: spec.method,
        path: request.path,
        query: request.query,
        headers,
        ...(spec.body !== undefined ? { body: JSON.stringify(spec.body) } : {}),
        signal: context.signal,
      },
      HttpStepError,
    );
  } catch (error) {
    if (error instanceof HttpStepError) throw new StepFailure(error.message, { retryable: error.retryable, cause: error });
    throw error;
  }
  context.log(`${answer.request}: ${statusLine(answer)}`);

  let json: unknown;
  let isJson = false;
  if (answer.text.trim() !== "" && (/json/i.test(answer.headers.get("content-type") ?? "") || /^\s*[[{]/.test(answer.text))) {
    try {
      json = JSON.parse(answer.text);
      isJson = true;
    } catch {
      // a body that only looks like JSON stays text
    }
  }
  const outputs: Record<string, unknown> = {
    status: answer.status,
    // set-cookie carries sessions: not kept with the run.
    headers: Object.fromEntries([...answer.headers].filter(([name]) => name !== "set-cookie")),
  };
  if (isJson && answer.text.length <= maxBody) outputs.json = json;
  else {
    outputs.text = answer.text.slice(0, maxBody);
    if (answer.text.length > maxBody) outputs.truncated = true;
  }

  if (!statusOk(answer.status, spec.expect)) {
    const body = answer.text.trim() ? `: ${excerpt(answer.text)}` : "";
    // A 5xx or 429 may pass (a restart, a rate limit); another status will not change by itself.
    const retryable = answer.status >= 500 || answer.status === 429;
    throw new StepFailure(`${answer.request} answered ${statusLine(answer)}, expected ${statusExpected(spec.expect)}${body}`, { retryable, exitCode: answer.status, outputs });
  }
  const checks = Object.entries(spec.expect?.json ?? {});
  if (checks.length > 0) {
    if (!isJson) {
      throw new StepFailure(`${answer.request} answered ${answer.headers.get("content-type") ?? "no content type"}, not JSON, so its fields cannot be checked: ${excerpt(answer.text) || "(empty)"}`, {
        retryable: false,
        exitCode: answer.status,
        outputs,
      });
    }
    const wrong = checks.flatMap(([path, expected]) => {
      const actual = at(json, path);
      if (!actual.found) return [`${path} is missing (expected ${JSON.stringify(expected)})`];
      return isDeepStrictEqual(actual.value, expected) ? [] : [`${path} is ${JSON.stringify(actual.value)} (expected ${JSON.stringify(expected)})`];
    });
    // The service's state may change under a retry (a health that turns ok): retries are the step's choice.
    if (wrong.length > 0) throw new StepFailure(`${answer.request} answered JSON where ${wrong.join("; ")}`, { retryable: true, exitCode: answer.status, outputs });
  }
  return { outputs, exitCode: answer.status };
}
