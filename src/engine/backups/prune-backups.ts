import type { Config } from "../../config/load.js";
import { planRetention, type RetentionPlan, type RetentionSet } from "../../domain/backups/retention.js";
import type { BackupStorage } from "../../integrations/storage/storage.js";
import type { BackupSetRecord, Store } from "../../store/store.js";
import { removeSetObjects } from "./take-backup.js";

/** A set still `running` after this long was left by a process that died mid-backup. */
const abandonedAfterMs = 6 * 3_600_000;

export interface PruneOptions {
  config: Config;
  store: Pick<Store, "backups" | "audit">;
  storage: BackupStorage;
  dryRun: boolean;
  by: string;
  now: () => Date;
}

export interface PruneOutcome {
  plan: RetentionPlan;
  /** Empty on a dry run. */
  removed: string[];
}

/**
 * Retention over the sets the store knows: `planRetention` decides (never below `minGood`
 * verified sets, never the newest verified one), and each removed set's objects go first, its
 * record after, so a crash in between leaves a record pointing at nothing rather than files no
 * one knows about.
 */
export async function pruneBackups(options: PruneOptions): Promise<PruneOutcome> {
  const { config, store, storage } = options;
  const now = options.now().getTime();
  const records = await store.backups.list({ limit: 100_000 });
  const sets = records.flatMap((r) => retentionSet(r, now));
  const { grace, ...counts } = config.backups.retention;
  const plan = planRetention(sets, { ...counts, graceMs: grace }, now, config.team.timeZone);
  if (options.dryRun) return { plan, removed: [] };
  const removed: string[] = [];
  for (const { id, reason } of plan.remove) {
    await removeSetObjects(storage, id);
    await store.backups.remove(id);
    await store.audit.append({ actor: options.by, action: "backup.pruned", subject: `backup-set:${id}`, details: { reason, storage: storage.label } });
    removed.push(id);
  }
  return { plan, removed };
}

function retentionSet(record: BackupSetRecord, now: number): RetentionSet[] {
  const createdAt = record.startedAt;
  if (record.status !== "running") return [{ id: record.id, createdAt, status: record.status }];
  // A running set is being written unless it has run far longer than any backup does.
  return now - Date.parse(createdAt) > abandonedAfterMs ? [{ id: record.id, createdAt, status: "failed" }] : [];
}
