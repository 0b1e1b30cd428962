import { z } from "zod";
import type { Store } from "../../store/store.js";
import { hasRole } from "../auth.js";
import { ApiError, invalidRequest, notFound } from "../errors.js";
import type { ApiRoutes } from "../route.js";
import { idParams, tokenBody, tokenRecordSchema } from "../schemas.js";

export function registerTokenRoutes(routes: ApiRoutes, deps: { store: Store }): void {
  const { store } = deps;

  routes.add({
    method: "POST",
    url: "/api/tokens",
    operationId: "createToken",
    summary: "Create a token for a person; the response is the only time the token is shown",
    tag: "tokens",
    access: "admin",
    body: tokenBody,
    responses: {
      201: { description: "created", schema: z.object({ token: z.string(), record: tokenRecordSchema }) },
    },
    handler: async ({ body, actor, reply }) => {
      if (!(await store.people.getPerson(body.personId))) {
        throw invalidRequest([{ path: "personId", message: `no person "${body.personId}"; add them first with POST /api/people` }]);
      }
      const created = await store.tokens.create(body);
      await store.audit.append({
        actor: actor.name,
        action: "token.create",
        subject: `token:${created.record.id}`,
        details: { personId: body.personId, role: body.role, label: body.label },
      });
      reply.code(201);
      return created;
    },
  });

  routes.add({
    method: "GET",
    url: "/api/tokens",
    operationId: "listTokens",
    summary: "Tokens (never the token itself: only its hash is stored)",
    tag: "tokens",
    access: "admin",
    responses: { 200: { description: "tokens", schema: z.object({ tokens: z.array(tokenRecordSchema) }) } },
    handler: async () => ({ tokens: await store.tokens.list() }),
  });

  routes.add({
    method: "DELETE",
    url: "/api/tokens/:id",
    operationId: "revokeToken",
    summary: "Revoke a token: an admin may revoke any, anyone their own person's",
    tag: "tokens",
    access: "viewer",
    params: idParams,
    responses: { 204: { description: "revoked" }, 404: { description: "no such active token" } },
    handler: async ({ params, actor, reply }) => {
      const token = (await store.tokens.list()).find((t) => t.id === params.id && !t.revokedAt);
      if (!token) throw notFound(`no active token with id "${params.id}"`);
      const own = actor.personId !== undefined && token.personId === actor.personId;
      if (!own && !hasRole(actor.role, "admin")) {
        throw new ApiError(403, "forbidden", `this needs the admin role, unless the token is your own; your token has the ${actor.role} role`);
      }
      if (!(await store.tokens.revoke(params.id))) throw notFound(`no active token with id "${params.id}"`);
      await store.audit.append({ actor: actor.name, action: "token.revoke", subject: `token:${params.id}`, details: { personId: token.personId } });
      return reply.code(204).send();
    },
  });
}
