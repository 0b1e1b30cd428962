import { z } from "zod";
import type { Config } from "../../config/load.js";
import { BackupError } from "../../domain/backups/backup-error.js";
import { openBackupStorage } from "../../engine/backups/backup-storage.js";
import { pruneBackups } from "../../engine/backups/prune-backups.js";
import type { Store } from "../../store/store.js";
import { invalidRequest, notFound } from "../errors.js";
import type { ApiRoutes } from "../route.js";

const tag = "backups";

const setSchema = z.object({
  id: z.string(),
  status: z.enum(["running", "written", "verified", "failed"]).describe("only verified sets are good; running is one being written (or left by a crash)"),
  components: z.array(z.string()),
  storage: z.object({ kind: z.string(), location: z.string() }),
  size: z.number().describe("bytes stored"),
  manifest: z.record(z.string(), z.unknown()).optional().describe("the set's manifest: artifacts with size and sha256, tool versions, binlog position, fingerprint"),
  error: z.string().optional(),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  verifiedAt: z.string().optional(),
  startedBy: z.string(),
});

const planSchema = z.object({
  keep: z.array(z.object({ id: z.string(), reasons: z.array(z.string()) })),
  remove: z.array(z.object({ id: z.string(), reason: z.string() })),
});

/**
 * Backup sets: history and retention. Taking, verifying and restoring a set are runbook runs
 * (`backup`, `restore`: POST /api/runbooks/{name}/runs), which carry their progress, approvals
 * and audit.
 */
export function registerBackupRoutes(routes: ApiRoutes, deps: { store: Store; config: Config }): void {
  const { store, config } = deps;

  routes.add({
    method: "GET",
    url: "/api/backups",
    operationId: "listBackups",
    summary: "Backup sets, newest first, with their status, size and manifest; and the retention policy",
    tag,
    access: "viewer",
    query: z.object({ limit: z.coerce.number({ error: "must be a whole number from 1 to 1000" }).int().min(1, "must be a whole number from 1 to 1000").max(1000, "must be a whole number from 1 to 1000").default(100) }),
    responses: {
      200: {
        description: "sets",
        schema: z.object({ sets: z.array(setSchema), storage: z.object({ kind: z.string() }), retention: z.record(z.string(), z.unknown()), maxAgeMs: z.number(), schedule: z.union([z.string(), z.literal(false)]) }),
      },
    },
    handler: async ({ query }) => ({
      sets: await store.backups.list({ limit: query.limit }),
      storage: { kind: config.backups.storage.kind },
      retention: config.backups.retention,
      maxAgeMs: config.backups.maxAge,
      schedule: config.backups.schedule,
    }),
  });

  routes.add({
    method: "GET",
    url: "/api/backups/:id",
    operationId: "getBackup",
    summary: "One backup set with its manifest",
    tag,
    access: "viewer",
    params: z.object({ id: z.string().min(1) }),
    responses: { 200: { description: "the set", schema: setSchema } },
    handler: async ({ params }) => {
      const set = await store.backups.get(params.id);
      if (!set) throw notFound(`no backup set ${params.id}; GET /api/backups lists them`);
      return set;
    },
  });

  routes.add({
    method: "POST",
    url: "/api/backups/prune",
    operationId: "pruneBackups",
    summary: "Apply the retention policy: with dryRun, only what would go; never below retention.minGood verified sets",
    tag,
    access: "operator",
    body: z.object({ dryRun: z.boolean().default(false) }).default({ dryRun: false }),
    responses: { 200: { description: "the plan, and the sets removed", schema: z.object({ plan: planSchema, removed: z.array(z.string()) }) } },
    handler: async ({ body, actor }) => {
      try {
        return await pruneBackups({ config, store, storage: await openBackupStorage(config), dryRun: body.dryRun, by: actor.personId ?? actor.name, now: () => new Date() });
      } catch (error) {
        if (error instanceof BackupError) throw invalidRequest([{ path: "backups", message: error.message }]);
        throw error;
      }
    },
  });
}
