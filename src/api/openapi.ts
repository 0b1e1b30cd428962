import { z } from "zod";
import type { RouteDefinition } from "./route.js";
import { errorSchema } from "./schemas.js";

type JsonSchema = Record<string, unknown>;

/** OpenAPI 3.1 uses JSON Schema 2020-12, which is what zod emits. */
function jsonSchema(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as JsonSchema;
  return rest;
}

function parameters(schema: z.ZodType | undefined, where: "path" | "query"): JsonSchema[] {
  if (!schema) return [];
  const object = jsonSchema(schema, "input") as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(object.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: where,
      required: where === "path" || (object.required ?? []).includes(name),
      ...(description ? { description } : {}),
      schema: rest,
    };
  });
}

const errorResponses: Record<number, string> = {
  400: "the request is invalid; `issues` names each field and the fix",
  401: "missing or invalid token",
  403: "the token's role is not enough",
};

export function buildOpenApi(definitions: readonly RouteDefinition[], info: { version: string }): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const d of definitions) {
    const path = d.url.replace(/:(\w+)/g, "{$1}");
    const responses: Record<string, JsonSchema> = {};
    for (const [status, spec] of Object.entries(d.responses)) {
      responses[status] = {
        description: spec.description,
        ...(spec.schema || spec.contentType
          ? { content: { [spec.contentType ?? "application/json"]: spec.schema ? { schema: jsonSchema(spec.schema, "output") } : {} } }
          : {}),
      };
    }
    const errors = d.access === "public" ? [] : [401, 403];
    if (d.params || d.query || d.body) errors.unshift(400);
    for (const status of errors) {
      responses[status] ??= { description: errorResponses[status], content: { "application/json": { schema: jsonSchema(errorSchema, "output") } } };
    }
    (paths[path] ??= {})[d.method.toLowerCase()] = {
      operationId: d.operationId,
      summary: d.summary,
      tags: [d.tag],
      ...(d.access === "public"
        ? { security: [] }
        : d.access === "intake"
          ? {
              description: "Takes the intake credentials of paging.intake (bearer token or basic auth), or an API token with the operator role.",
              security: [{ bearer: [] }, { basic: [] }],
            }
          : { description: `Needs the ${d.access} role or above.`, "x-gameops-role": d.access }),
      parameters: [...parameters(d.params, "path"), ...parameters(d.query, "query")],
      ...(d.body
        ? {
            requestBody: {
              required: !d.body.safeParse(undefined).success,
              content: { "application/json": { schema: jsonSchema(d.body, "input") } },
            },
          }
        : {}),
      responses,
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "gameops",
      version: info.version,
      description: "Operations for live games. Send `Authorization: Bearer <token>` to every /api route; roles are viewer < responder < operator < admin.",
    },
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" }, basic: { type: "http", scheme: "basic" } } },
    security: [{ bearer: [] }],
    paths,
  };
}
