import { createHash } from "node:crypto";
import { isAbsolute, join, resolve } from "node:path";
import type { Config } from "../../config/load.js";
import { BackupError } from "../../domain/backups/backup-error.js";
import { componentNames, needsThaw, type BackupManifest, type ComponentName } from "../../domain/backups/manifest.js";
import type { KubernetesRestorePlan } from "../../integrations/kubernetes/objects-backup.js";
import type { BackupStorage } from "../../integrations/storage/storage.js";
import type { Store } from "../../store/store.js";
import { mysqlTargetOf, openCluster, readSecretsKey } from "./set-components.js";
import { takeBackup } from "./take-backup.js";
import { checkArtifacts, compressionOf, fingerprintDifferences, listed, only, readManifest } from "./verify-backup.js";

/**
 * Restore, in two halves so a person can approve what will happen before it does:
 * `planRestore` verifies the set (re-hashing every artifact: a corrupted set is refused, the bad
 * artifact named) and says where each component goes — with the Kubernetes objects' dry-run
 * diff — changing nothing; `applyRestore` does exactly that plan, refusing if what it would do
 * has changed since (`digest`).
 *
 * Safe by default: MySQL into a new database, Redis into a scratch redis-server of its own, files
 * under a folder. Only `overwrite` replaces live data (the database in place, the Redis
 * dataset), and then a safety set of what it replaces is taken first.
 */

export interface RestoreRequest {
  id: string;
  /** Every component of the set when absent. */
  components?: readonly string[];
  /** The new database MySQL is restored into; `<db>_restore_<set>` by default. */
  targetDb?: string;
  /** Replace the live database and Redis dataset (after a safety set). */
  overwrite: boolean;
  /** Where files (and, without overwrite, the scratch Redis and its RDB) go; `<dataDir>/restores/<set>` by default. */
  to?: string;
  /** The namespace Kubernetes objects are applied in; the one they were backed up from by default. */
  namespace?: string;
}

export interface RestorePlan {
  id: string;
  createdAt: string;
  components: ComponentName[];
  overwrite: boolean;
  mysql?: { server: string; database: string; mode: "new database" | "replace live database" };
  redis?: { mode: "scratch server" | "replace live dataset"; where: string };
  files?: { to: string };
  kubernetes?: KubernetesRestorePlan;
  /** Live data this restore replaces, one line each; empty for a restore that only adds. */
  replaces: string[];
  /** A hash of everything above: apply refuses a plan whose digest no longer matches a fresh one. */
  digest: string;
}

export interface PlanRestoreOptions {
  config: Config;
  storage: BackupStorage;
  request: RestoreRequest;
  signal: AbortSignal;
}

export async function planRestore(options: PlanRestoreOptions): Promise<RestorePlan> {
  const { config, storage, request, signal } = options;
  const manifest = await readManifest(storage, request.id, signal);
  if (needsThaw(manifest))
    throw new BackupError(`backup set ${request.id} is in ${manifest.storage.storageClass}: restore (thaw) its objects in S3 first, then restore the set`);
  if (manifest.status === "failed") throw new BackupError(`backup set ${request.id} failed its verification; restore another set (\`gameops backup list\`)`);
  const components = chosenComponents(manifest, request.components);
  // Verify first: a set whose bytes are not what its manifest says is never restored.
  await checkArtifacts(storage, manifest, signal);

  const to = resolve(request.to ?? join(config.dataDir, "restores", manifest.id));
  const replaces: string[] = [];
  const plan: Omit<RestorePlan, "digest"> = { id: manifest.id, createdAt: manifest.createdAt, components, overwrite: request.overwrite, replaces };
  if (components.includes("mysql")) {
    const target = mysqlTargetOf(config);
    const database = request.overwrite ? target.database! : (request.targetDb ?? defaultRestoreDatabase(target.database!, manifest.id));
    if (request.overwrite && request.targetDb !== undefined && request.targetDb !== target.database)
      throw new BackupError(`--target-db ${request.targetDb} and --overwrite: overwrite replaces the configured database ${target.database}; drop one of them`);
    plan.mysql = { server: target.label, database, mode: request.overwrite ? "replace live database" : "new database" };
    if (request.overwrite) replaces.push(`MySQL database ${database} on ${target.label}: every table in the set is dropped and loaded from it`);
  }
  if (components.includes("redis")) {
    const target = config.targets.redis;
    if (request.overwrite && !target) throw new BackupError("--overwrite of redis: no Redis target is configured (GAMEOPS_REDIS_URL or targets.redis.url)");
    plan.redis = request.overwrite ? { mode: "replace live dataset", where: target!.label } : { mode: "scratch server", where: join(to, "redis") };
    if (request.overwrite) replaces.push(`Redis ${target!.label}: every key in every database is replaced by the set's`);
  }
  if (components.includes("files")) {
    if (request.to !== undefined && !isAbsolute(request.to) && request.to.split(/[\\/]/).includes(".."))
      throw new BackupError(`--to ${request.to}: name the folder without '..'`);
    if (to === "/") throw new BackupError("--to /: files are restored under a folder of their own, never over the root; name an empty folder");
    plan.files = { to: join(to, "files") };
  }
  if (components.includes("kubernetes")) {
    const { planKubernetesRestore } = await import("../../integrations/kubernetes/objects-backup.js");
    const objects = await kubernetesObjects(config, storage, manifest, signal);
    const namespace = request.namespace ?? config.backups.kubernetes?.namespace ?? config.targets.kubernetes?.namespace ?? "default";
    plan.kubernetes = await planKubernetesRestore({ cluster: await openCluster(config), namespace, objects, signal });
    const changing = plan.kubernetes.changes.filter((c) => c.action !== "unchanged");
    if (changing.length > 0) replaces.push(`Kubernetes namespace ${namespace}: ${changing.map((c) => `${c.action} ${c.kind}/${c.name}`).join(", ")}`);
  }
  return { ...plan, digest: digestOf(plan) };
}

export type RestoreProgress =
  | { kind: "component"; component: ComponentName; state: "running" | "done"; detail?: string }
  | { kind: "safety-set"; id: string }
  /** The dump's stored bytes read so far, of `size`. */
  | { kind: "restoring"; component: ComponentName; bytes: number; size: number };

export interface RestoreOutcome {
  id: string;
  /** The safety set taken of what an overwrite replaced: the way back. */
  safetySet?: string;
  mysql?: { database: string; tables: number; rows: number; fingerprintMatches: boolean | "no fingerprint yet"; extraTables: string[] };
  redis?: { where: string; keys: number; passwordFile?: string; stopCommand?: string };
  files?: { to: string; files: number; bytes: number };
  kubernetes?: { applied: string[] };
}

export interface ApplyRestoreOptions {
  config: Config;
  store: Pick<Store, "backups">;
  storage: BackupStorage;
  request: RestoreRequest;
  /** The digest of the plan that was shown and approved. */
  approvedDigest: string;
  startedBy: string;
  signal: AbortSignal;
  now: () => Date;
  onProgress?: (event: RestoreProgress) => void;
}

export async function applyRestore(options: ApplyRestoreOptions): Promise<RestoreOutcome> {
  const { config, storage, request, signal, onProgress } = options;
  const plan = await planRestore({ config, storage, request, signal });
  if (plan.digest !== options.approvedDigest)
    throw new BackupError(`restore of ${request.id}: what it would do changed since the plan was approved (a live object or the set changed); plan it again and review the new plan`);
  const manifest = await readManifest(storage, request.id, signal);
  const outcome: RestoreOutcome = { id: plan.id };

  if (plan.overwrite && (plan.mysql || plan.redis)) {
    // What is about to be replaced is saved first: the overwrite's rollback.
    const safety = await takeBackup({
      config,
      store: options.store,
      storage,
      components: [...(plan.mysql ? ["mysql"] : []), ...(plan.redis ? ["redis"] : [])],
      startedBy: `${options.startedBy} (safety set before restoring ${plan.id})`,
      signal,
      now: options.now,
    });
    outcome.safetySet = safety.id;
    onProgress?.({ kind: "safety-set", id: safety.id });
  }

  const step = async <T>(component: ComponentName, run: () => Promise<T>, detail: (result: T) => string): Promise<T> => {
    onProgress?.({ kind: "component", component, state: "running" });
    const result = await run();
    onProgress?.({ kind: "component", component, state: "done", detail: detail(result) });
    return result;
  };

  if (plan.mysql) {
    const { restoreDump, fingerprint } = await import("../../integrations/mysql/dump.js");
    const target = mysqlTargetOf(config);
    const artifact = only(manifest.components.find((c) => c.name === "mysql")!);
    const database = plan.mysql.database;
    outcome.mysql = await step(
      "mysql",
      async () => {
        await restoreDump({
          target,
          storage,
          key: `${plan.id}/${artifact.name}`,
          compression: compressionOf(artifact),
          database,
          replace: plan.overwrite,
          signal,
          onProgress: (bytes) => onProgress?.({ kind: "restoring", component: "mysql", bytes, size: artifact.size }),
        });
        const restored = await fingerprint({ target, database, signal });
        let matches: boolean | "no fingerprint yet" = "no fingerprint yet";
        let extraTables: string[] = [];
        if (manifest.fingerprint) {
          const compared = fingerprintDifferences({ tables: manifest.fingerprint.tables }, restored);
          // Kept for inspection: the restore ran, and what differs is the evidence.
          if (compared.differences.length > 0)
            throw new BackupError(`restore of ${plan.id} into ${database}: the restored tables differ from the set's fingerprint (${listed(compared.differences)}); was something writing to ${database}?`);
          matches = true;
          extraTables = compared.extraTables;
        }
        return { database, tables: restored.tables.length, rows: restored.tables.reduce((s, t) => s + t.rows, 0), fingerprintMatches: matches, extraTables };
      },
      (r) =>
        `${r.tables} tables, ${r.rows} rows in ${database}${r.fingerprintMatches === true ? ", identical to the set's fingerprint" : ""}` +
        (r.extraTables.length > 0 ? `; tables not in the set were left as they were: ${r.extraTables.join(", ")}` : ""),
    );
  }
  if (plan.redis) {
    const artifact = only(manifest.components.find((c) => c.name === "redis")!);
    const key = `${plan.id}/${artifact.name}`;
    const redis = await import("../../integrations/redis/rdb-backup.js");
    outcome.redis = await step(
      "redis",
      async () => {
        if (plan.overwrite) {
          const { keys } = await redis.restoreRdbOnto({ target: config.targets.redis!, overwrite: true, storage, key, compression: compressionOf(artifact), signal });
          return { where: plan.redis!.where, keys: Object.values(keys).reduce((s, n) => s + n, 0) };
        }
        const scratch = await redis.serveRdb({ storage, key, compression: compressionOf(artifact), directory: plan.redis!.where, signal });
        return { where: scratch.url, keys: Object.values(scratch.keys).reduce((s, n) => s + n, 0), passwordFile: scratch.passwordFile, stopCommand: scratch.stopCommand };
      },
      (r) =>
        r.stopCommand
          ? `${r.keys} keys on a scratch redis-server at ${r.where} (password in ${r.passwordFile}); it keeps running until: ${r.stopCommand}`
          : `${r.keys} keys on ${r.where}`,
    );
  }
  if (plan.files) {
    const { restoreFiles } = await import("../../integrations/files/tar-backup.js");
    const artifact = only(manifest.components.find((c) => c.name === "files")!);
    outcome.files = await step(
      "files",
      () => restoreFiles({ storage, key: `${plan.id}/${artifact.name}`, compression: compressionOf(artifact), to: plan.files!.to, signal }),
      (r) => `${r.files} files, ${r.bytes} bytes under ${r.to}`,
    );
  }
  if (plan.kubernetes) {
    const { applyKubernetesRestore } = await import("../../integrations/kubernetes/objects-backup.js");
    const objects = await kubernetesObjects(config, storage, manifest, signal);
    outcome.kubernetes = await step(
      "kubernetes",
      async () => applyKubernetesRestore(plan.kubernetes!, { cluster: await openCluster(config), objects, signal }),
      (r) => `${r.applied.length} objects applied in ${plan.kubernetes!.namespace}`,
    );
  }
  return outcome;
}

/** `game_restore_20261126T030000Z_3f9a`: MySQL names take '_', not the set id's '-'. */
export function defaultRestoreDatabase(database: string, setId: string): string {
  const name = `${database}_restore_${setId.replace(/-/g, "_")}`;
  if (name.length > 64) throw new BackupError(`the restore database ${name} is longer than MySQL's 64 characters; name one with --target-db`);
  return name;
}

function chosenComponents(manifest: BackupManifest, asked: readonly string[] | undefined): ComponentName[] {
  const inSet = manifest.components.map((c) => c.name);
  if (!asked || asked.length === 0) return componentNames.filter((n) => inSet.includes(n));
  const missing = asked.filter((name) => !(inSet as string[]).includes(name));
  if (missing.length > 0) throw new BackupError(`components: backup set ${manifest.id} holds ${inSet.join(", ")}, not ${missing.join(", ")}`);
  return componentNames.filter((n) => asked.includes(n));
}

async function kubernetesObjects(config: Config, storage: BackupStorage, manifest: BackupManifest, signal: AbortSignal) {
  const { readKubernetesObjects } = await import("../../integrations/kubernetes/objects-backup.js");
  const component = manifest.components.find((c) => c.name === "kubernetes")!;
  const sealed = component.artifacts.some((a) => a.encrypted === true);
  return readKubernetesObjects({ storage, prefix: manifest.id, component, ...(sealed ? { secretsKey: await readSecretsKey(config) } : {}), signal });
}

function digestOf(plan: Omit<RestorePlan, "digest">): string {
  return createHash("sha256").update(JSON.stringify(plan)).digest("hex").slice(0, 16);
}
