import type { Config } from "../../../config/load.js";
import { BackupError } from "../../../domain/backups/backup-error.js";
import { describeManifest } from "../../../domain/backups/manifest.js";
import type { StepSpec } from "../../../domain/runbooks/schema.js";
import { bytes } from "../../../domain/checks/redis.js";
import type { Store } from "../../../store/store.js";
import { openBackupStorage } from "../../backups/backup-storage.js";
import { pruneBackups } from "../../backups/prune-backups.js";
import { applyRestore, planRestore, type RestorePlan, type RestoreRequest } from "../../backups/restore-backup.js";
import { takeBackup } from "../../backups/take-backup.js";
import { verifyBackup } from "../../backups/verify-backup.js";
import { StepFailure, type RenderedAction, type StepContext, type StepResult } from "../step-kind.js";

type BackupSpec = StepSpec<"backup">;

/** The module is the StepKind (loaded lazily by ./index.ts). */
export const kind = "backup";

// Taking and verifying a set only add to storage, a restore without overwrite only adds a new
// database and files: what removes or replaces data is prune and an overwriting restore.
const harmless = new Set<BackupSpec["action"]>(["backup", "verify", "restore-plan"]);

export function describe(spec: BackupSpec, config: Config): RenderedAction {
  const where = config.backups.storage.kind === "local" ? config.backups.storage.directory : `s3://${config.backups.storage.bucket}`;
  const set = spec.set ?? "latest";
  const summaries: Record<BackupSpec["action"], string> = {
    backup: `take a backup set of ${spec.components || "every configured component"} into ${where}`,
    verify: `verify backup set ${set}${flag(spec.deep) ? " deeply (restore into scratch servers and fingerprint)" : " (re-read and re-hash every artifact)"}`,
    prune: `${flag(spec.dry_run) ? "list" : "remove"} backup sets retention lets go (never below ${config.backups.retention.minGood} verified)`,
    "restore-plan": `verify backup set ${set} and plan its restore${flag(spec.overwrite) ? " OVER the live data" : ""} (changes nothing)`,
    restore: `restore backup set ${set}${flag(spec.overwrite) ? " OVER the live data, after a safety set" : " into new places"}, as plan ${spec.approved_plan ?? "(none approved)"}`,
  };
  return {
    summary: summaries[spec.action],
    detail: { ...spec },
    ...(where ? { target: where } : {}),
    destructive: !harmless.has(spec.action) && !(spec.action === "prune" && flag(spec.dry_run)) && !(spec.action === "restore" && !flag(spec.overwrite)),
  };
}

export async function execute(spec: BackupSpec, context: StepContext): Promise<StepResult> {
  const { config, signal } = context;
  try {
    const storage = await openBackupStorage(config);
    const store = context.store;
    const by = context.run.startedBy ?? `run ${context.run.id}`;
    switch (spec.action) {
      case "backup": {
        const progress = throttledBytes(context);
        const manifest = await takeBackup({
          config,
          store,
          storage,
          ...(spec.components ? { components: commaList(spec.components) } : {}),
          startedBy: `${by} (run ${context.run.id})`,
          signal,
          now: context.now,
          onProgress: (event) => {
            if (event.kind === "set") context.log(`backup set ${event.id}: ${event.components.join(", ")}`);
            else if (event.kind === "bytes") progress(event.component, event.bytes, event.expected);
            else if (event.state !== "running") context.log(`${event.component}: ${event.state}${event.size === undefined ? "" : `, ${bytes(event.size)} stored`}${event.error ? ` — ${event.error}` : ""}`);
          },
        });
        context.log(describeManifest(manifest));
        return { outputs: { set: manifest.id, size: manifest.components.reduce((s, c) => s + c.artifacts.reduce((t, a) => t + a.size, 0), 0), components: manifest.components.map((c) => c.name) } };
      }
      case "verify": {
        const id = await resolveSet(store, spec.set, ["written", "verified"]);
        const progress = throttledBytes(context);
        const outcome = await verifyBackup({
          config,
          store,
          storage,
          id,
          deep: flag(spec.deep),
          signal,
          now: context.now,
          onProgress: (event) => {
            if (event.kind === "artifact" && event.state === "ok") context.log(`${event.component}/${event.artifact}: ${bytes(event.size)}, sha256 matches`);
            if (event.kind === "deep") context.log(`${event.component}: ${event.state === "running" ? "restoring into a scratch server…" : `restored: ${event.detail}`}`);
            if (event.kind === "restoring") progress(`${event.component} restoring`, event.bytes, event.size);
          },
        });
        context.log(`backup set ${id} verified${outcome.fingerprintRecorded ? "; its fingerprint is recorded for later verifies and restores" : ""}`);
        return { outputs: { set: id, deep: outcome.deep, fingerprintRecorded: outcome.fingerprintRecorded, artifacts: outcome.artifacts.length } };
      }
      case "prune": {
        const outcome = await pruneBackups({ config, store, storage, dryRun: flag(spec.dry_run), by, now: context.now });
        for (const set of outcome.plan.remove) context.log(`${flag(spec.dry_run) ? "would remove" : "removed"} ${set.id}: ${set.reason}`);
        for (const set of outcome.plan.keep) context.log(`keep ${set.id}: ${set.reasons.join(", ")}`);
        return { outputs: { keep: outcome.plan.keep.map((s) => s.id), remove: outcome.plan.remove.map((s) => s.id), removed: outcome.removed } };
      }
      case "restore-plan": {
        const request = await restoreRequest(spec, store);
        const plan = await planRestore({ config, storage, request, signal });
        for (const line of describePlan(plan)) context.log(line);
        return { outputs: { set: plan.id, digest: plan.digest, overwrite: plan.overwrite, replaces: plan.replaces, components: plan.components, plan } };
      }
      case "restore": {
        if (!spec.approved_plan) throw new StepFailure("backup restore needs approved_plan: the digest output of the restore-plan step the approval was about", { retryable: false });
        const request = await restoreRequest(spec, store);
        const progress = throttledBytes(context);
        const outcome = await applyRestore({
          config,
          store,
          storage,
          request,
          approvedDigest: spec.approved_plan,
          startedBy: by,
          signal,
          now: context.now,
          onProgress: (event) => {
            if (event.kind === "restoring") progress(`${event.component} restoring`, event.bytes, event.size);
            else context.log(event.kind === "safety-set" ? `safety set ${event.id} taken of what the restore replaces` : `${event.component}: ${event.state === "running" ? "restoring…" : event.detail}`);
          },
        });
        return { outputs: { ...outcome } };
      }
    }
  } catch (error) {
    if (error instanceof StepFailure) throw error;
    const retryable = (error as { retryable?: boolean }).retryable === true;
    throw new StepFailure((error as Error).message, { retryable, cause: error });
  }
}

/** What the approval shows: where each component goes, what it replaces, the Kubernetes diff. */
export function describePlan(plan: RestorePlan): string[] {
  const lines = [`restore backup set ${plan.id} (${plan.createdAt}): every artifact re-read, sha256 matches the manifest`];
  if (plan.mysql) lines.push(`mysql → ${plan.mysql.mode} ${plan.mysql.database} on ${plan.mysql.server}`);
  if (plan.redis) lines.push(`redis → ${plan.redis.mode}: ${plan.redis.where}`);
  if (plan.files) lines.push(`files → under ${plan.files.to} (nothing outside it)`);
  if (plan.kubernetes) {
    lines.push(`kubernetes → namespace ${plan.kubernetes.namespace} (server-side dry run):`);
    for (const change of plan.kubernetes.changes) {
      lines.push(`  ${change.action} ${change.kind}/${change.name}`);
      for (const line of change.diff) lines.push(`      ${line}`);
    }
  }
  lines.push(plan.replaces.length === 0 ? "replaces no live data" : `REPLACES LIVE DATA:\n${plan.replaces.map((r) => `  - ${r}`).join("\n")}`);
  lines.push(`plan digest ${plan.digest}`);
  return lines;
}

async function restoreRequest(spec: BackupSpec, store: Pick<Store, "backups">): Promise<RestoreRequest> {
  return {
    id: await resolveSet(store, spec.set, ["verified"]),
    ...(spec.components ? { components: commaList(spec.components) } : {}),
    ...(spec.target_db ? { targetDb: spec.target_db } : {}),
    overwrite: flag(spec.overwrite),
    ...(spec.to ? { to: spec.to } : {}),
    ...(spec.namespace ? { namespace: spec.namespace } : {}),
  };
}

/** A set id as given, or `latest`: the newest set in one of `statuses`. */
export async function resolveSet(store: Pick<Store, "backups">, set: string | undefined, statuses: ("written" | "verified")[]): Promise<string> {
  if (set && set !== "latest") return set;
  const [newest] = await store.backups.list({ limit: 1, status: statuses });
  if (!newest) throw new BackupError(`no ${statuses.join(" or ")} backup set to use as "latest": take one with \`gameops backup\``);
  return newest.id;
}

export function commaList(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

function flag(value: boolean | string | undefined): boolean {
  return value === true || value === "true";
}

/**
 * A progress line per tenth of the expected size (or per 64 MiB when the size is unknown): a bar
 * the terminal and the console's run page both show, and a run record that stays readable.
 */
function throttledBytes(context: StepContext): (component: string, total: number, expected?: number) => void {
  const logged = new Map<string, number>();
  return (component, total, expected) => {
    const step = expected ? expected / 10 : 64 * 1024 * 1024;
    if (Math.floor(total / step) <= Math.floor((logged.get(component) ?? 0) / step)) return;
    logged.set(component, total);
    context.log(expected ? `${component} ${progressBar(total, expected)}` : `${component}: ${bytes(total)} read`);
  };
}

/** `▕██████░░░░▏ 60% · 512 MiB of ≈ 850 MiB`: the estimate is the server's, so the bar stops short of full until the end. */
export function progressBar(done: number, expected: number, width = 20): string {
  const fraction = Math.min(0.99, done / expected);
  const filled = Math.round(fraction * width);
  const amount = done > expected ? `${bytes(done)}, past the estimate of ${bytes(expected)}` : `${bytes(done)} of ≈ ${bytes(expected)}`;
  return `▕${"█".repeat(filled)}${"░".repeat(width - filled)}▏ ${Math.floor(fraction * 100)}% · ${amount}`;
}
