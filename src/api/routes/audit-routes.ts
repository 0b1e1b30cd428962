import { z } from "zod";
import type { Store } from "../../store/store.js";
import type { ApiRoutes } from "../route.js";
import { auditQuery, auditRecordSchema } from "../schemas.js";

export function registerAuditRoutes(routes: ApiRoutes, deps: { store: Store }): void {
  const { store } = deps;

  routes.add({
    method: "GET",
    url: "/api/audit",
    operationId: "listAudit",
    summary: "The audit log, newest first",
    tag: "audit",
    access: "operator",
    query: auditQuery,
    responses: { 200: { description: "records", schema: z.object({ records: z.array(auditRecordSchema) }) } },
    handler: async ({ query }) => ({
      records: await store.audit.list({ limit: query.limit, ...(query.subject ? { subject: query.subject } : {}) }),
    }),
  });
}
