import type { z } from "zod";
import type { Endpoint } from "../http/endpoint.js";
import { excerpt, statusLine } from "../http/http-error.js";
import { send, type HttpRequest } from "../http/send.js";
import { PrometheusError } from "./errors.js";

export type RequestOptions = Pick<HttpRequest, "path" | "query" | "signal">;

/** A GET of the HTTP API v1: its `{status, data}` envelope checked, `data` checked against `schema`. */
export async function requestApi<T>(endpoint: Endpoint, options: RequestOptions, schema: z.ZodType<T>): Promise<T> {
  const answer = await send(endpoint, options, PrometheusError);
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
      reason: `${statusLine(answer)}${said ? `: ${said}` : ""}${hint}`,
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
