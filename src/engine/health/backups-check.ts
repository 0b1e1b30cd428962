import { judgeBackups, type SetSummary } from "../../domain/checks/backups.js";
import type { Verdict } from "../../domain/checks/verdict.js";
import { openBackupStorage } from "../backups/backup-storage.js";
import { readManifest } from "../backups/verify-backup.js";
import type { CheckContext } from "./check.js";

/** Sets read, newest first, looking for a verified one: a month of dailies and then some. */
const maxSetsRead = 60;

/**
 * Reads the sets' manifests from backup storage itself, not the store's index: a set is good
 * where a restore would read it.
 */
export async function run(context: CheckContext): Promise<Verdict> {
  const storage = await openBackupStorage(context.config);
  const ids = [...new Set((await storage.list("")).filter((o) => o.key.endsWith("/manifest.json")).map((o) => o.key.split("/")[0]!))].sort().reverse();
  const sets: SetSummary[] = [];
  for (const id of ids.slice(0, maxSetsRead)) {
    const manifest = await readManifest(storage, id, context.signal).catch(() => undefined);
    // An unreadable manifest is a set no restore could use: it counts as failed.
    sets.push(manifest ? { id, createdAt: manifest.createdAt, status: manifest.status, deep: manifest.fingerprint !== undefined } : { id, createdAt: idTime(id), status: "failed", deep: false });
    if (manifest?.status === "verified") break;
  }
  sets.sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
  const verdict = judgeBackups(sets, context.now().getTime(), context.config.backups.maxAge);
  return { ...verdict, details: { ...verdict.details, storage: storage.label } };
}

/** `20261126T030000Z-3f9a` → its time, for a set whose manifest cannot be read. */
function idTime(id: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/.exec(id);
  return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z` : new Date(0).toISOString();
}
