import { z } from "zod";
import type { Config } from "../../config/load.js";
import { incidentReference } from "../../domain/incidents/reference.js";
import { ParamsError } from "../../domain/runbooks/validate.js";
import { IncidentRefused, type IncidentService } from "../../engine/incidents/incident-service.js";
import { incidentDeployments, incidentRollouts } from "../../engine/incidents/rollouts.js";
import { RunRefused, type RunbookExecutor } from "../../engine/runbooks/executor.js";
import type { Catalog } from "../../runbooks/catalog.js";
import type { Store } from "../../store/store.js";
import { throughOf } from "../auth.js";
import { ApiError, invalidRequest, notFound } from "../errors.js";
import type { ApiRoutes } from "../route.js";

export interface RolloutRouteDeps {
  store: Store;
  config: Config;
  incidents: IncidentService;
  executor: RunbookExecutor;
  /** Read on each request, as the runbook routes do: a runbook fixed or overridden in the folder counts at once. */
  catalog: () => Catalog;
}

const tag = "incidents";
/** The built-in runbook a rollback from the war room runs (a team's own of that name replaces it). */
const rollbackRunbook = "rollback-deployment";

const refParams = z.object({ ref: z.string().min(1).describe("the incident's number (42, INC-42) or id") });

const revisionSchema = z.object({
  revision: z.number(),
  createdAt: z.string().describe("when its replica set was made; a revision a rollback brought back keeps its first time"),
  images: z.array(z.string()),
  changeCause: z.string().optional().describe("annotation kubernetes.io/change-cause"),
  replicas: z.number().describe("its pods now"),
  current: z.boolean().describe("the deployment's template is this revision's"),
});

const rolloutsSchema = z.object({
  deployments: z.array(
    z.object({
      namespace: z.string(),
      name: z.string(),
      revisions: z.array(revisionSchema).describe("newest first: those rolled out from a day before the declaration until now, the current one, and the one before the oldest of them"),
      problem: z.string().optional().describe("why this deployment has no revisions: missing, or not readable"),
    }),
  ),
  problem: z.string().optional().describe("why nothing could be read: no Kubernetes target, the cluster unreachable, no deployment to look at"),
});

const rollbackBody = z.strictObject({
  namespace: z.string({ error: "must name the deployment's namespace, e.g. \"live\"" }).min(1, "must name the deployment's namespace, e.g. \"live\""),
  deployment: z.string({ error: "must name the deployment, e.g. \"game-server\"" }).min(1, "must name the deployment, e.g. \"game-server\""),
  revision: z
    .number({ error: "must be a revision number from the rollouts list" })
    .int("must be a revision number from the rollouts list")
    .min(1, "must be a revision number from the rollouts list")
    .optional()
    .describe("the revision to restore; the previous one when absent"),
});

const by = (actor: { personId?: string; name: string }) => actor.personId ?? actor.name;

async function incidentOf(incidents: IncidentService, ref: string) {
  try {
    return await incidents.get(ref);
  } catch (error) {
    if (error instanceof IncidentRefused && error.kind === "not_found") throw notFound(error.message);
    throw error;
  }
}

/**
 * The war room's rollouts: the incident's deployments with their recent revisions, and a
 * rollback of one of them through the rollback-deployment runbook, which waits for a second
 * person's approval like every change a runbook makes.
 */
export function registerRolloutRoutes(routes: ApiRoutes, deps: RolloutRouteDeps): void {
  const { store, config, incidents, executor, catalog } = deps;

  routes.add({
    method: "GET",
    url: "/api/incidents/:ref/rollouts",
    operationId: "listIncidentRollouts",
    summary: "Recent rollouts of the deployments the incident is about (its labels namespace and deployment, its alerts', the Kubernetes fleet's)",
    tag,
    access: "viewer",
    params: refParams,
    responses: { 200: { description: "each deployment with its revisions; `problem` instead of an error when the cluster cannot be read", schema: rolloutsSchema }, 404: { description: "no such incident" } },
    handler: async ({ params }) => {
      const incident = await incidentOf(incidents, params.ref);
      const { deployments, problem } = await incidentRollouts({ store, config, incident });
      return {
        deployments: deployments.map((d) => ({ ...d, revisions: d.revisions.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() })) })),
        ...(problem ? { problem } : {}),
      };
    },
  });

  routes.add({
    method: "POST",
    url: "/api/incidents/:ref/rollouts/rollback",
    operationId: "rollBackIncidentDeployment",
    summary: "Start the rollback-deployment runbook for one of the incident's deployments; it waits for a second person's approval. Recorded on the incident's timeline.",
    tag,
    access: "operator",
    params: refParams,
    body: rollbackBody,
    responses: {
      202: { description: "the run started; follow it at /api/runs/{id}", schema: z.object({ id: z.string() }) },
      400: { description: "not one of the incident's deployments, or a bad field" },
      404: { description: "no such incident" },
      409: { description: "the run cannot start: no Kubernetes target, the runbook is invalid, or the deployment is being rolled back already" },
    },
    handler: async ({ params, body, actor, request, reply }) => {
      const incident = await incidentOf(incidents, params.ref);
      const reference = incidentReference(incident.number);
      const deployments = await incidentDeployments(store, config, incident);
      if (!deployments.some((d) => d.namespace === body.namespace && d.name === body.deployment)) {
        const known = deployments.map((d) => `${d.namespace}/${d.name}`).join(", ");
        throw invalidRequest([
          {
            path: "deployment",
            message: `${body.namespace}/${body.deployment} is not one of ${reference}'s deployments (${known || "it names none"}); GET /api/incidents/${incident.number}/rollouts lists them, and the runbook ${rollbackRunbook} rolls back any other`,
          },
        ]);
      }
      const entry = catalog().get(rollbackRunbook);
      if (!entry?.runbook) {
        throw new ApiError(409, "invalid_runbook", `runbook "${rollbackRunbook}" ${entry ? `is invalid: ${entry.issues.join("; ")}` : "is missing from the catalogue"}`);
      }
      const startedBy = by(actor);
      let id: string;
      try {
        id = await executor.start(
          entry.runbook,
          { namespace: body.namespace, deployment: body.deployment, revision: body.revision ?? 0, incident: reference },
          { startedBy, through: throughOf(request.headers) },
        );
      } catch (error) {
        if (error instanceof RunRefused) throw new ApiError(409, "conflict", error.message);
        // A team's own rollback-deployment may take other params.
        if (error instanceof ParamsError) throw new ApiError(409, "invalid_runbook", `runbook "${rollbackRunbook}" does not take what a rollback gives: ${error.issues.join("; ")}`);
        throw error;
      }
      // On the timeline before the run does anything, so the run's own record follows it.
      await store.incidents.appendEvent(incident.id, {
        type: "incident.runbook_run",
        actor: startedBy,
        data: { run: id, runbook: rollbackRunbook, deployment: `${body.namespace}/${body.deployment}`, ...(body.revision !== undefined ? { revision: body.revision } : {}) },
      });
      executor.runInBackground(id);
      reply.code(202).header("location", `/api/runs/${id}`);
      return { id };
    },
  });
}
