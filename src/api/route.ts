import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { z } from "zod";
import type { Role, Store } from "../store/store.js";
import { authenticate, requireRole, type Actor } from "./auth.js";
import { authenticateIntake, type IntakeCredentials } from "./intake-auth.js";
import { invalidRequest, issuesOf, requestErrorMap } from "./errors.js";

declare module "fastify" {
  interface FastifyRequest {
    actor?: Actor;
    intakeActor?: IntakeActor;
  }
}

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** application/json unless said otherwise. */
  contentType?: string;
}

/** `intake`: the webhooks alert sources call, with their own credentials (intake-auth.ts). */
type Access = Role | "public" | "intake";

/**
 * One route: its schemas are the validation and the OpenAPI document at once, so the two
 * cannot drift apart.
 */
export interface RouteDefinition<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
  A extends Access = Access,
> {
  method: "GET" | "POST" | "DELETE";
  url: string;
  operationId: string;
  summary: string;
  tag: string;
  /** The least role that may call it, or public. */
  access: A;
  params?: P;
  query?: Q;
  body?: B;
  responses: Record<number, ResponseSpec>;
  /** Bytes; Fastify's 1 MiB when absent. */
  bodyLimit?: number;
  handler(context: {
    params: z.output<P>;
    query: z.output<Q>;
    body: z.output<B>;
    actor: A extends "public" ? undefined : A extends "intake" ? IntakeActor : Actor;
    request: FastifyRequest;
    reply: FastifyReply;
  }): Promise<unknown>;
}

/** Who sent an alert: `intake` (the configured credentials), `intake:USER` (basic auth) or a person. */
export interface IntakeActor {
  name: string;
}

export class ApiRoutes {
  readonly definitions: RouteDefinition[] = [];

  constructor(
    private readonly app: FastifyInstance,
    private readonly store: Store,
    private readonly intake: () => IntakeCredentials = () => ({}),
  ) {}

  add<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, A extends Access>(definition: RouteDefinition<P, Q, B, A>): void {
    this.definitions.push(definition as unknown as RouteDefinition);
    const { store } = this;
    this.app.route({
      method: definition.method,
      url: definition.url,
      // Authentication runs before the body is parsed: a caller without a token learns nothing
      // about what the route accepts.
      ...(definition.bodyLimit ? { bodyLimit: definition.bodyLimit } : {}),
      onRequest: async (request) => {
        if (definition.access === "public") return;
        if (definition.access === "intake") {
          request.intakeActor = { name: await authenticateIntake(store, this.intake(), request.headers.authorization) };
          return;
        }
        const actor = await authenticate(store, request.headers.authorization);
        requireRole(actor, definition.access);
        request.actor = actor;
      },
      handler: async (request, reply) => {
        const result = await definition.handler({
          params: parse(definition.params, request.params),
          query: parse(definition.query, request.query),
          body: parse(definition.body, request.body),
          actor: (definition.access === "intake" ? request.intakeActor : request.actor) as A extends "public" ? undefined : A extends "intake" ? IntakeActor : Actor,
          request,
          reply,
        });
        return reply.sent ? reply : result;
      },
    });
  }
}

function parse<T extends z.ZodType>(schema: T | undefined, input: unknown): z.output<T> {
  if (!schema) return undefined as z.output<T>;
  const parsed = schema.safeParse(input, { error: requestErrorMap });
  if (!parsed.success) throw invalidRequest(issuesOf(parsed.error));
  return parsed.data;
}
