import { z } from "zod";
import type { Config } from "../../config/load.js";
import type { Store } from "../../store/store.js";
import type { ServerMetrics } from "../metrics.js";
import type { ApiRoutes } from "../route.js";
import { meSchema } from "../schemas.js";

export function registerSystemRoutes(
  routes: ApiRoutes,
  deps: { config: Config; store: Store; metrics: ServerMetrics; openApi: () => Record<string, unknown> },
): void {
  const { config, store, metrics, openApi } = deps;

  routes.add({
    method: "GET",
    url: "/healthz",
    operationId: "getHealthz",
    summary: "Liveness of the gameops server itself",
    tag: "system",
    access: "public",
    responses: {
      200: { description: "serving", schema: z.object({ status: z.literal("ok"), store: z.enum(["sqlite", "postgres"]) }) },
    },
    handler: async () => ({ status: "ok" as const, store: store.dialect }),
  });

  routes.add({
    method: "GET",
    url: "/metrics",
    operationId: "getMetrics",
    summary: "Prometheus metrics of this server: process, check verdicts and durations, runs, HTTP requests",
    tag: "system",
    access: "public",
    responses: { 200: { description: "Prometheus text format", contentType: "text/plain" } },
    handler: async ({ reply }) => {
      const { contentType, body } = await metrics.render();
      return reply.header("content-type", contentType).send(body);
    },
  });

  routes.add({
    method: "GET",
    url: "/openapi.json",
    operationId: "getOpenApi",
    summary: "This document",
    tag: "system",
    access: "public",
    responses: { 200: { description: "OpenAPI 3.1 document", contentType: "application/json" } },
    handler: async () => openApi(),
  });

  routes.add({
    method: "GET",
    url: "/api/me",
    operationId: "getMe",
    summary: "Who the token belongs to, its role, and the team's name and time zone",
    tag: "system",
    access: "viewer",
    responses: { 200: { description: "the caller", schema: meSchema } },
    handler: async ({ actor }) => ({
      actor: { name: actor.name, role: actor.role, tokenLabel: actor.label },
      person: actor.personId ? ((await store.people.getPerson(actor.personId)) ?? null) : null,
      team: { name: config.team.name, timeZone: config.team.timeZone },
    }),
  });
}
