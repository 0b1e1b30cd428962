import { z } from "zod";
import { ChecklistRefused, type ChecklistService } from "../../engine/checklists/checklist-service.js";
import { invalidRequest, notFound } from "../errors.js";
import type { ApiRoutes } from "../route.js";

const tag = "checklists";

const signoffSchema = z.object({
  checklist: z.string(),
  period: z.string(),
  itemId: z.string(),
  doneAt: z.string(),
  doneBy: z.string(),
  evidence: z.record(z.string(), z.unknown()).optional(),
  note: z.string().optional(),
});

const viewSchema = z.object({
  cadence: z.enum(["daily", "weekly", "monthly"]),
  period: z.object({ key: z.string(), start: z.string(), end: z.string() }),
  items: z.array(
    z.object({
      id: z.string(),
      title: z.string(),
      proof: z.string().optional().describe("what ticks it on its own: daily-check, alerts-reviewed, backup-verified"),
      team: z.string(),
      signoff: signoffSchema.optional(),
      overdue: z.boolean(),
    }),
  ),
  done: z.number().int(),
});

const cadenceParams = z.object({ cadence: z.string().min(1).describe("daily, weekly or monthly") });

function refusal(error: unknown): never {
  if (error instanceof ChecklistRefused) {
    if (error.kind === "not_found") throw notFound(error.message);
    const [path, ...rest] = error.message.split(": ");
    throw invalidRequest([{ path: path!, message: rest.join(": ") }]);
  }
  throw error;
}

export function registerChecklistRoutes(routes: ApiRoutes, deps: { checklists: ChecklistService }): void {
  const { checklists } = deps;

  routes.add({
    method: "GET",
    url: "/api/checklists/:cadence",
    operationId: "getChecklist",
    summary: "A checklist for a period (the current one by default): items, who signed each off, what automation proved, what is overdue",
    tag,
    access: "viewer",
    params: cadenceParams,
    query: z.object({ period: z.string().min(1).optional().describe("2026-11-26, 2026-W48 or 2026-11") }),
    responses: { 200: { description: "the checklist", schema: viewSchema } },
    handler: async ({ params, query }) => checklists.view(params.cadence, query.period).catch(refusal),
  });

  routes.add({
    method: "GET",
    url: "/api/checklists/:cadence/history",
    operationId: "checklistHistory",
    summary: "The last periods of a checklist, newest first",
    tag,
    access: "viewer",
    params: cadenceParams,
    query: z.object({ periods: z.coerce.number({ error: "must be a whole number from 1 to 52" }).int().min(1, "must be a whole number from 1 to 52").max(52, "must be a whole number from 1 to 52").default(8) }),
    responses: { 200: { description: "periods", schema: z.object({ history: z.array(viewSchema) }) } },
    handler: async ({ params, query }) => ({ history: await checklists.history(params.cadence, query.periods).catch(refusal) }),
  });

  routes.add({
    method: "POST",
    url: "/api/checklists/:cadence/items/:item",
    operationId: "signOffChecklistItem",
    summary: "Sign an item off for a period (the current one by default); the first sign-off stands",
    tag,
    access: "responder",
    params: cadenceParams.extend({ item: z.string().min(1) }),
    body: z.strictObject({ note: z.string().trim().max(1000).optional(), period: z.string().min(1).optional() }).optional(),
    responses: { 200: { description: "the sign-off", schema: signoffSchema } },
    handler: async ({ params, body, actor }) =>
      checklists
        .signOff({ cadence: params.cadence, itemId: params.item, by: actor.personId ?? actor.name, ...(body?.note ? { note: body.note } : {}), ...(body?.period ? { period: body.period } : {}) })
        .catch(refusal),
  });
}
