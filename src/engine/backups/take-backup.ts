import { Readable } from "node:stream";
import type { Config } from "../../config/load.js";
import { BackupError } from "../../domain/backups/backup-error.js";
import { manifestSchema, manifestSize, type BackupManifest, type Component, type ComponentName } from "../../domain/backups/manifest.js";
import type { BackupStorage } from "../../integrations/storage/storage.js";
import type { Store } from "../../store/store.js";
import { chooseComponents, takeComponent } from "./set-components.js";

export type BackupProgress =
  | { kind: "set"; id: string; components: ComponentName[] }
  | { kind: "component"; component: ComponentName; state: "running" | "done" | "failed"; size?: number; error?: string }
  /** Source bytes read so far by a component that counts them (mysql, files); `expected` is an estimate of the total. */
  | { kind: "bytes"; component: ComponentName; bytes: number; expected?: number };

export interface TakeBackupOptions {
  config: Config;
  store: Pick<Store, "backups">;
  storage: BackupStorage;
  /** Component names; `chooseComponents` decides when absent. */
  components?: readonly string[];
  startedBy: string;
  signal: AbortSignal;
  now: () => Date;
  onProgress?: (event: BackupProgress) => void;
}

export const manifestKey = (setId: string) => `${setId}/manifest.json`;

/** `20261126T030000Z-3f9a`: sorts by time, and two sets started in one second still differ. */
export function newSetId(at: Date): string {
  const stamp = at.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  return `${stamp}-${Math.floor(Math.random() * 0x10000).toString(16).padStart(4, "0")}`;
}

/**
 * Takes one backup set: every component at once, each streamed into storage, then the manifest
 * beside them. Any component failing fails the set: the others are cancelled, every artifact of
 * the set is removed, and the store records why. A set that comes back is `written`, not good:
 * only a verify makes it `verified`.
 */
export async function takeBackup(options: TakeBackupOptions): Promise<BackupManifest> {
  const { config, store, storage, onProgress } = options;
  const components = chooseComponents(config, options.components);
  const createdAt = options.now();
  const id = newSetId(createdAt);
  await store.backups.start({ id, components, storage: { kind: storage.kind, location: storage.label }, startedBy: options.startedBy });
  onProgress?.({ kind: "set", id, components });

  const cancel = new AbortController();
  const signal = AbortSignal.any([options.signal, cancel.signal]);
  const failures: { name: ComponentName; error: unknown }[] = [];
  const taken = await Promise.all(
    components.map(async (name): Promise<Component | undefined> => {
      onProgress?.({ kind: "component", component: name, state: "running" });
      try {
        const component = await takeComponent(name, { config, storage, setId: id, signal, onBytes: (bytes, expected) => onProgress?.({ kind: "bytes", component: name, bytes, ...(expected ? { expected } : {}) }) });
        onProgress?.({ kind: "component", component: name, state: "done", size: component.artifacts.reduce((s, a) => s + a.size, 0) });
        return component;
      } catch (error) {
        // The first failure stops the rest: the set is lost either way, and they would only load the servers.
        if (!cancel.signal.aborted) failures.push({ name, error });
        cancel.abort(error);
        onProgress?.({ kind: "component", component: name, state: "failed", error: messageOf(error) });
        return undefined;
      }
    }),
  );

  if (failures.length > 0 || options.signal.aborted) {
    const why = options.signal.aborted ? "cancelled" : failures.map((f) => `${f.name}: ${messageOf(f.error)}`).join("; ");
    await removeSetObjects(storage, id);
    await store.backups.finish(id, { status: "failed", size: 0, error: why });
    throw new BackupError(`backup set ${id} failed, nothing of it is kept: ${why}`, { cause: failures[0]?.error });
  }

  const manifest = manifestSchema.parse({
    id,
    createdAt: createdAt.toISOString(),
    components: taken as Component[],
    status: "written",
    storage: { kind: storage.kind, ...storageClassOf(config) },
  });
  try {
    await writeManifest(storage, manifest, options.signal);
  } catch (error) {
    await removeSetObjects(storage, id);
    await store.backups.finish(id, { status: "failed", size: 0, error: `writing the manifest: ${messageOf(error)}` });
    throw error;
  }
  await store.backups.finish(id, { status: "written", size: manifestSize(manifest), manifest });
  return manifest;
}

export async function writeManifest(storage: BackupStorage, manifest: BackupManifest, signal?: AbortSignal): Promise<void> {
  await storage.put(manifestKey(manifest.id), Readable.from([Buffer.from(JSON.stringify(manifest, null, 2) + "\n")]), {
    contentType: "application/json",
    ...(signal ? { signal } : {}),
  });
}

/** Every object under the set's folder, the manifest last so a half-removed set never looks whole. */
export async function removeSetObjects(storage: BackupStorage, id: string): Promise<void> {
  const objects = await storage.list(`${id}/`);
  for (const object of objects.filter((o) => o.key !== manifestKey(id))) await storage.remove(object.key);
  await storage.remove(manifestKey(id));
}

function storageClassOf(config: Config): { storageClass?: string } {
  const storage = config.backups.storage;
  return storage.kind === "s3" && storage.storageClass ? { storageClass: storage.storageClass } : {};
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
