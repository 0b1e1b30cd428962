import { componentNames, describeManifest, parseManifest } from "../../domain/backups/manifest.js";
import type { RetentionPlan } from "../../domain/backups/retention.js";
import { bytes } from "../../domain/checks/redis.js";
import { openBackupStorage } from "../../engine/backups/backup-storage.js";
import { pruneBackups } from "../../engine/backups/prune-backups.js";
import type { BackupSetRecord } from "../../store/store.js";
import { localActor, openLocalStore, printJson, targetFor, withLocalStore, type GlobalOptions } from "../session.js";
import { paint, renderTable } from "../table.js";
import { UsageError } from "../usage-error.js";
import { run } from "./runbook.js";

/**
 * `gameops backup …`, `gameops restore …`, `gameops db-maintenance`. Taking, verifying and
 * restoring are runs of the `backup`, `restore` and `db-maintenance` runbooks — here or on the
 * server of GAMEOPS_URL — so they have the runbooks' progress, approvals, audit and exit codes
 * (0 succeeded, 1 failed, 2 usage, 4 waiting for an approval, 5 cancelled).
 */

interface RunFlags {
  json?: boolean;
  yes?: boolean;
  as?: string;
}

export async function take(global: GlobalOptions, options: RunFlags & { components?: string; verify?: string }): Promise<number> {
  const components = checkComponents(options.components);
  const verify = options.verify ?? "none";
  if (!["none", "shallow", "deep"].includes(verify)) throw new UsageError(`--verify must be none, shallow or deep, not "${verify}"`);
  return run(global, "backup", { param: [`components=${components}`, `verify=${verify}`], yes: true, ...runFlags(options) });
}

export async function verify(global: GlobalOptions, set: string | undefined, options: RunFlags & { deep?: boolean }): Promise<number> {
  return run(global, "backup", { param: [`set=${set ?? "latest"}`, `verify=${options.deep ? "deep" : "shallow"}`], yes: true, ...runFlags(options) });
}

export async function restore(
  global: GlobalOptions,
  set: string,
  options: RunFlags & { components?: string; targetDb?: string; overwrite?: boolean; to?: string; namespace?: string; maintenance: boolean; dryRun?: boolean },
): Promise<number> {
  const param = [
    `set=${set}`,
    `components=${checkComponents(options.components)}`,
    `target_db=${options.targetDb ?? ""}`,
    `overwrite=${options.overwrite === true}`,
    `to=${options.to ?? ""}`,
    `namespace=${options.namespace ?? ""}`,
    `maintenance=${options.maintenance}`,
  ];
  return run(global, "restore", { param, ...(options.dryRun ? { dryRun: true } : {}), ...runFlags(options) });
}

export async function dbMaintenance(global: GlobalOptions, options: RunFlags & { dryRun?: boolean; rebuildBigTables?: boolean }): Promise<number> {
  return run(global, "db-maintenance", { param: [`dry_run=${options.dryRun === true}`, `rebuild_big_tables=${options.rebuildBigTables === true}`], ...runFlags(options) });
}

export async function list(global: GlobalOptions, options: { limit: string; json?: boolean }): Promise<number> {
  const limit = Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError(`--limit must be a whole number from 1 to 1000, not "${options.limit}"`);
  const target = targetFor(global);
  const sets =
    target.kind === "remote"
      ? (await target.api.request<{ sets: BackupSetRecord[] }>("GET", `/api/backups?limit=${limit}`)).sets
      : await withLocalStore(target.config, (store) => store.backups.list({ limit }));
  if (options.json) {
    printJson(sets);
    return 0;
  }
  if (sets.length === 0) {
    process.stdout.write("no backup sets yet — `gameops backup` takes one\n");
    return 0;
  }
  const colour = Boolean(process.stdout.isTTY);
  const rows = sets.map((s) => [
    s.id,
    paintSetStatus(s.status, colour) + (s.status === "verified" && s.manifest?.fingerprint ? " (deep)" : ""),
    s.components.join(","),
    s.size > 0 ? bytes(s.size) : "",
    s.startedAt.replace(/\.\d+Z$/, "Z"),
    s.verifiedAt?.replace(/\.\d+Z$/, "Z") ?? "",
    s.error ? s.error.slice(0, 60) : "",
  ]);
  process.stdout.write(`${renderTable(["set", "status", "components", "size", "started", "verified", "error"], rows)}\n`);
  return 0;
}

export async function show(global: GlobalOptions, id: string, options: { json?: boolean }): Promise<number> {
  const target = targetFor(global);
  const set =
    target.kind === "remote"
      ? await target.api.request<BackupSetRecord>("GET", `/api/backups/${encodeURIComponent(id)}`)
      : await withLocalStore(target.config, (store) => store.backups.get(id));
  if (!set) throw new UsageError(`no backup set ${id}; \`gameops backup list\` shows them`);
  if (options.json) {
    printJson(set);
    return 0;
  }
  const out = [`${set.id} · ${set.status} · started ${set.startedAt} by ${set.startedBy} · ${set.storage.kind} ${set.storage.location}`];
  if (set.error) out.push(`error: ${set.error}`);
  if (set.manifest) {
    const manifest = parseManifest(set.manifest, `of set ${set.id}`);
    out.push(describeManifest(manifest));
    for (const component of manifest.components) {
      const source = component.source ? ` · binlog ${component.source.binlogFile ?? ""}:${component.source.binlogPosition ?? ""}${component.source.gtid ? ` gtid ${component.source.gtid}` : ""}` : "";
      out.push(`  ${component.name}${component.tool ? ` (${component.tool.name} ${component.tool.version})` : ""}${source}`);
      for (const a of component.artifacts) out.push(`    ${a.name}  ${bytes(a.size)}  sha256 ${a.sha256}${a.encrypted ? "  sealed" : ""}`);
    }
    if (manifest.fingerprint) {
      out.push(`  fingerprint (from the first deep verify's restore):`);
      for (const t of manifest.fingerprint.tables) out.push(`    ${t.name}: ${t.rows} rows, checksum ${t.checksum}`);
      if (manifest.fingerprint.redisKeys !== undefined) out.push(`    redis: ${manifest.fingerprint.redisKeys} keys`);
    }
  }
  process.stdout.write(`${out.join("\n")}\n`);
  return 0;
}

export async function prune(global: GlobalOptions, options: { dryRun?: boolean; json?: boolean }): Promise<number> {
  const target = targetFor(global);
  const dryRun = options.dryRun === true;
  let outcome: { plan: RetentionPlan; removed: string[] };
  if (target.kind === "remote") outcome = await target.api.request("POST", "/api/backups/prune", { dryRun });
  else {
    const store = await openLocalStore(target.config);
    try {
      outcome = await pruneBackups({ config: target.config, store, storage: await openBackupStorage(target.config), dryRun, by: localActor(), now: () => new Date() });
    } finally {
      await store.close();
    }
  }
  if (options.json) {
    printJson(outcome);
    return 0;
  }
  const colour = Boolean(process.stdout.isTTY);
  const rows = [
    ...outcome.plan.remove.map((s) => [s.id, paint(dryRun ? "would remove" : "removed", "red", colour), s.reason]),
    ...outcome.plan.keep.map((s) => [s.id, paint("keep", "green", colour), s.reasons.join(", ")]),
  ];
  if (rows.length === 0) process.stdout.write("no backup sets\n");
  else process.stdout.write(`${renderTable(["set", "", "why"], rows)}\n`);
  return 0;
}

/** Refused here, before a run starts, so a typo is a usage error (exit 2) and not a failed run. */
function checkComponents(text: string | undefined): string {
  const names = (text ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !(componentNames as readonly string[]).includes(n));
  if (unknown.length > 0) throw new UsageError(`--components: unknown ${unknown.map((n) => `"${n}"`).join(", ")}; choose from ${componentNames.join(", ")}`);
  return names.join(",");
}

function runFlags(options: RunFlags): RunFlags {
  return { ...(options.json ? { json: true } : {}), ...(options.yes ? { yes: true } : {}), ...(options.as ? { as: options.as } : {}) };
}

function paintSetStatus(status: BackupSetRecord["status"], colour: boolean): string {
  const colours = { verified: "green", written: "yellow", running: "blue", failed: "red" } as const;
  return paint(status, colours[status], colour);
}

