import type { FastifyError, FastifyInstance } from "fastify";
import { z } from "zod";
import { UnknownCheckError } from "../engine/health/run-checks.js";

export interface Issue {
  path: string;
  message: string;
}

/** The one error a handler throws on purpose; mapped to its status at the edge and nowhere else. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly issues?: Issue[],
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export const notFound = (message: string) => new ApiError(404, "not_found", message);

/** A request that fails its schema: each issue names the field and how to fix it. */
export function invalidRequest(issues: Issue[]): ApiError {
  const message = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ");
  return new ApiError(400, "invalid_request", message, issues);
}

export function issuesOf(error: z.ZodError): Issue[] {
  return error.issues.flatMap((issue) => {
    const path = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({
        path: path ? `${path}.${key}` : key,
        message: "unknown field; remove it (/openapi.json lists the fields this accepts)",
      }));
    }
    return [{ path: path || "body", message: issue.message }];
  });
}

/**
 * Wording for the issues a schema leaves to zod's defaults ("Invalid input: expected string,
 * received undefined"); a schema's own message, which names the fix, always wins over this.
 */
export const requestErrorMap: z.core.$ZodErrorMap = (issue) => {
  if (issue.code !== "invalid_type") return undefined;
  if (issue.input === undefined) return "is required";
  return `must be ${/^[aeiou]/.test(issue.expected) ? "an" : "a"} ${issue.expected}`;
};

/**
 * The edge: every error becomes `{ error, message, issues? }` with the right status. Fastify's
 * own 4xx (malformed JSON, wrong content type, body too large) keep their status; anything
 * else is a 500 whose details go to the log, never into the response. A ZodError is not mapped
 * here on purpose: only the request's own schemas make a 400 (in route.ts); a schema failing
 * on stored data is a bug, a 500.
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    if (error instanceof ApiError) {
      if (error.statusCode === 401) reply.header("www-authenticate", 'Bearer realm="gameops"');
      return reply.code(error.statusCode).send({ error: error.code, message: error.message, ...(error.issues ? { issues: error.issues } : {}) });
    }
    if (error instanceof UnknownCheckError) {
      const mapped = invalidRequest([{ path: "only", message: error.message }]);
      return reply.code(400).send({ error: mapped.code, message: mapped.message, issues: mapped.issues });
    }
    const status = (error as FastifyError).statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      return reply.code(status).send(clientError(error as FastifyError));
    }
    request.log.error({ err: error }, "request failed");
    return reply.code(500).send({ error: "internal", message: `internal error; the server log has the details (request ${request.id})` });
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split("?")[0];
    return reply.code(404).send({ error: "not_found", message: `no route ${request.method} ${path}; see /openapi.json for the routes` });
  });
}

function clientError(error: FastifyError): { error: string; message: string } {
  switch (error.code) {
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return { error: "invalid_json", message: "the request body is not valid JSON; send a JSON object such as {}" };
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return { error: "invalid_json", message: "the request body is empty but content-type is application/json; send {} or drop the header" };
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return { error: "unsupported_media_type", message: "send the request body as JSON with content-type: application/json" };
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return { error: "payload_too_large", message: "the request body is too large" };
    default:
      return { error: "bad_request", message: error.message };
  }
}
