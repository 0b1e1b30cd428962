import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Config } from "../../config/load.js";
import { BackupError } from "../../domain/backups/backup-error.js";
import { manifestSchema, needsThaw, parseManifest, type Artifact, type BackupManifest, type Component, type Fingerprint } from "../../domain/backups/manifest.js";
import { MeasuringStream } from "../../integrations/storage/measuring-stream.js";
import { StorageError, type BackupStorage } from "../../integrations/storage/storage.js";
import type { Store } from "../../store/store.js";
import { mysqlTargetOf, readSecretsKey, type Compression } from "./set-components.js";
import { manifestKey, messageOf, writeManifest } from "./take-backup.js";

/**
 * A set is good only once it has been read back: every artifact re-read from storage and
 * re-hashed against the manifest, and with `deep` restored — the dump into a scratch database,
 * the RDB into a scratch redis-server — and fingerprinted. The first deep verify's fingerprint is
 * written into the manifest; every later verify and every restore must match it. (Checksums of the
 * live database would not do: under writes they differ from the dump's snapshot.)
 */

/** The set's bytes or contents are not what its manifest says: the set is marked failed. */
export class CorruptSetError extends BackupError {
  constructor(
    message: string,
    /** `component/artifact`, when one artifact is to blame. */
    readonly artifact?: string,
  ) {
    super(message);
    this.name = "CorruptSetError";
  }
}

export type VerifyProgress =
  | { kind: "artifact"; component: string; artifact: string; size: number; state: "reading" | "ok" }
  /** The dump's stored bytes read so far by its scratch restore, of `size`. */
  | { kind: "restoring"; component: string; bytes: number; size: number }
  | { kind: "deep"; component: string; state: "running" | "ok"; detail?: string };

export interface VerifyOptions {
  config: Config;
  store: Pick<Store, "backups">;
  storage: BackupStorage;
  id: string;
  deep: boolean;
  signal: AbortSignal;
  now: () => Date;
  onProgress?: (event: VerifyProgress) => void;
}

export interface VerifyOutcome {
  manifest: BackupManifest;
  deep: boolean;
  /** Every artifact read back, with its size. */
  artifacts: { component: string; artifact: string; size: number }[];
  /** The fingerprint this verify took (deep only). */
  fingerprint?: Fingerprint;
  /** This was the set's first deep verify: its fingerprint became the set's. */
  fingerprintRecorded: boolean;
}

export async function readManifest(storage: BackupStorage, id: string, signal?: AbortSignal): Promise<BackupManifest> {
  let text: string;
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of await storage.get(manifestKey(id), signal ? { signal } : {})) chunks.push(chunk as Buffer);
    text = Buffer.concat(chunks).toString("utf8");
  } catch (error) {
    if (error instanceof StorageError && error.failure === "not-found")
      throw new BackupError(`no backup set ${id} in ${storage.label}: \`gameops backup list\` shows the sets there`, { cause: error });
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CorruptSetError(`backup set ${id}: its manifest.json is not JSON (${messageOf(error)}); the set cannot be trusted`, "manifest.json");
  }
  const manifest = parseManifest(json, `${storage.label}/${manifestKey(id)}`);
  if (manifest.id !== id) throw new CorruptSetError(`backup set ${id}: its manifest says it is set ${manifest.id}; the set cannot be trusted`, "manifest.json");
  return manifest;
}

export async function verifyBackup(options: VerifyOptions): Promise<VerifyOutcome> {
  const { storage, id, signal, store } = options;
  const manifest = await readManifest(storage, id, signal);
  if (needsThaw(manifest))
    throw new BackupError(`backup set ${id} is in ${manifest.storage.storageClass}: restore (thaw) its objects in S3 first (aws s3api restore-object … for each key under ${id}/), then verify`);
  try {
    const artifacts = await checkArtifacts(storage, manifest, signal, options.onProgress);
    let fingerprint: Fingerprint | undefined;
    if (options.deep) {
      fingerprint = await deepFingerprint(options, manifest);
      compareFingerprints(id, manifest.fingerprint, fingerprint);
    }
    const recorded = fingerprint !== undefined && manifest.fingerprint === undefined;
    const verified = manifestSchema.parse({
      ...manifest,
      status: "verified",
      verifiedAt: options.now().toISOString(),
      ...(recorded ? { fingerprint } : {}),
    });
    await writeManifest(storage, verified, signal);
    await store.backups.recordVerification(id, { ok: true, manifest: verified });
    return { manifest: verified, deep: options.deep, artifacts, ...(fingerprint ? { fingerprint } : {}), fingerprintRecorded: recorded };
  } catch (error) {
    // Only proof that the set itself is bad marks it failed: a scratch server that would not
    // start or a store that did not answer says nothing about the set.
    if (error instanceof CorruptSetError && !signal.aborted) {
      const failed = manifestSchema.parse({ ...manifest, status: "failed", verifiedAt: undefined });
      await writeManifest(storage, failed).catch(() => undefined);
      await store.backups.recordVerification(id, { ok: false, manifest: failed, error: error.message });
    }
    throw error;
  }
}

/** Re-reads every artifact and compares its size and sha256 with the manifest; the first that differs is named. */
export async function checkArtifacts(
  storage: BackupStorage,
  manifest: BackupManifest,
  signal: AbortSignal,
  onProgress?: (event: VerifyProgress) => void,
): Promise<VerifyOutcome["artifacts"]> {
  const checked: VerifyOutcome["artifacts"] = [];
  for (const component of manifest.components) {
    for (const artifact of component.artifacts) {
      onProgress?.({ kind: "artifact", component: component.name, artifact: artifact.name, size: artifact.size, state: "reading" });
      const meter = new MeasuringStream();
      const name = `${component.name}/${artifact.name}`;
      try {
        await pipeline(await storage.get(`${manifest.id}/${artifact.name}`, { signal }), meter, discard(), { signal });
      } catch (error) {
        if (error instanceof StorageError && error.failure === "not-found")
          throw new CorruptSetError(`backup set ${manifest.id}: artifact ${name} is missing from ${storage.label}`, name);
        throw error;
      }
      const read = meter.result();
      if (read.size !== artifact.size || read.sha256 !== artifact.sha256)
        throw new CorruptSetError(
          `backup set ${manifest.id}: artifact ${name} is corrupted: ${read.size} bytes with sha256 ${read.sha256.slice(0, 16)}…, the manifest says ${artifact.size} bytes with sha256 ${artifact.sha256.slice(0, 16)}…`,
          name,
        );
      checked.push({ component: component.name, artifact: artifact.name, size: read.size });
      onProgress?.({ kind: "artifact", component: component.name, artifact: artifact.name, size: read.size, state: "ok" });
    }
  }
  return checked;
}

/** Restores each component somewhere scratch and reads what it holds; the components at once. */
async function deepFingerprint(options: VerifyOptions, manifest: BackupManifest): Promise<Fingerprint> {
  const { config, storage, signal, onProgress } = options;
  const byName = (name: Component["name"]) => manifest.components.find((c) => c.name === name);
  const mysql = byName("mysql");
  const redis = byName("redis");
  const kubernetes = byName("kubernetes");
  const files = byName("files");
  const step = async <T>(component: Component | undefined, run: (c: Component) => Promise<T>, describe: (result: T) => string): Promise<T | undefined> => {
    if (!component) return undefined;
    onProgress?.({ kind: "deep", component: component.name, state: "running" });
    const result = await run(component);
    onProgress?.({ kind: "deep", component: component.name, state: "ok", detail: describe(result) });
    return result;
  };
  const [tables, redisKeys] = await Promise.all([
    step(
      mysql,
      (c) => scratchMysqlFingerprint(config, storage, manifest.id, c, signal, (bytes, size) => onProgress?.({ kind: "restoring", component: "mysql", bytes, size })),
      (t) => `${t.length} tables, ${t.reduce((s, x) => s + x.rows, 0)} rows`,
    ),
    step(
      redis,
      async (c) => {
        const { verifyRdb } = await import("../../integrations/redis/rdb-backup.js");
        const artifact = only(c);
        const { keys } = await verifyRdb({ storage, key: `${manifest.id}/${artifact.name}`, compression: compressionOf(artifact), signal });
        return Object.values(keys).reduce((s, n) => s + n, 0);
      },
      (n) => `${n} keys`,
    ),
    step(
      kubernetes,
      async (c) => {
        const { readKubernetesObjects } = await import("../../integrations/kubernetes/objects-backup.js");
        const sealed = c.artifacts.some((a) => a.encrypted === true);
        const objects = await readKubernetesObjects({ storage, prefix: manifest.id, component: c, ...(sealed ? { secretsKey: await readSecretsKey(config) } : {}), signal });
        return objects;
      },
      (o) => `${o.configMaps.length} ConfigMaps, ${o.secrets.length} Secrets (decrypted)`,
    ),
    step(
      files,
      async (c) => {
        const { listFiles } = await import("../../integrations/files/tar-backup.js");
        const artifact = only(c);
        return listFiles({ storage, key: `${manifest.id}/${artifact.name}`, compression: compressionOf(artifact), signal });
      },
      (entries) => `${entries.length} entries, none outside the archive's root`,
    ),
  ]);
  return { tables: tables ?? [], ...(redisKeys === undefined ? {} : { redisKeys }) };
}

async function scratchMysqlFingerprint(
  config: Config,
  storage: BackupStorage,
  id: string,
  component: Component,
  signal: AbortSignal,
  onBytes: (bytes: number, size: number) => void,
): Promise<Fingerprint["tables"]> {
  const { restoreDump, fingerprint, dropDatabase } = await import("../../integrations/mysql/dump.js");
  const target = mysqlTargetOf(config);
  const artifact = only(component);
  // A name no one else uses, removed whatever happens: a verify leaves no database behind.
  const database = `gameops_verify_${randomBytes(6).toString("hex")}`;
  try {
    await restoreDump({ target, storage, key: `${id}/${artifact.name}`, compression: compressionOf(artifact), database, signal, onProgress: (bytes) => onBytes(bytes, artifact.size) });
    return (await fingerprint({ target, database, signal })).tables;
  } finally {
    await dropDatabase(target, database).catch(() => undefined);
  }
}

/**
 * How `actual` differs from the set's fingerprint, one line per table (or the key count);
 * tables the fingerprint does not know are listed apart: a restore over a live database keeps
 * tables created after the backup.
 */
export function fingerprintDifferences(expected: Fingerprint, actual: Fingerprint): { differences: string[]; extraTables: string[] } {
  const differences: string[] = [];
  const actualTables = new Map(actual.tables.map((t) => [t.name, t]));
  for (const table of expected.tables) {
    const found = actualTables.get(table.name);
    if (!found) differences.push(`table ${table.name} is missing`);
    else if (found.rows !== table.rows || found.checksum !== table.checksum)
      differences.push(`table ${table.name}: ${found.rows} rows, checksum ${found.checksum}; the set's fingerprint says ${table.rows} rows, checksum ${table.checksum}`);
  }
  if (expected.redisKeys !== undefined && actual.redisKeys !== undefined && expected.redisKeys !== actual.redisKeys)
    differences.push(`redis holds ${actual.redisKeys} keys; the set's fingerprint says ${expected.redisKeys}`);
  const extraTables = [...actualTables.keys()].filter((name) => !expected.tables.some((t) => t.name === name));
  return { differences, extraTables };
}

/** A verify's restore must be exactly the first one's: any difference, an extra table too, means the set changed. */
function compareFingerprints(id: string, expected: Fingerprint | undefined, actual: Fingerprint): void {
  if (!expected) return;
  const { differences, extraTables } = fingerprintDifferences(expected, actual);
  const problems = [...differences, ...extraTables.map((name) => `table ${name} is not in the set's fingerprint`)];
  if (problems.length > 0) throw new CorruptSetError(`backup set ${id} does not restore to what its first verify saw: ${listed(problems)}`);
}

export function listed(problems: readonly string[]): string {
  return `${problems.slice(0, 5).join("; ")}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ""}`;
}

export function only(component: Component): Artifact {
  const artifact = component.artifacts[0];
  if (!artifact || component.artifacts.length !== 1) throw new BackupError(`the ${component.name} component should hold one artifact, it holds ${component.artifacts.length}`);
  return artifact;
}

export function compressionOf(artifact: Artifact): Compression {
  if (artifact.compression === "none") throw new BackupError(`artifact ${artifact.name} is not compressed; this version reads only zstd or gzip ones`);
  return artifact.compression;
}

function discard(): Writable {
  return new Writable({ write: (_chunk, _encoding, callback) => callback() });
}
