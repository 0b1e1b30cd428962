import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { promisify } from "node:util";
import { gunzip, gzip } from "node:zlib";
import { parseAllDocuments, stringify } from "yaml";
import { BackupError } from "../../domain/backups/backup-error.js";
import type { Artifact, Component } from "../../domain/backups/manifest.js";
import { openSecretBox, sealSecretBox } from "../../domain/backups/secret-box.js";
import { ChildFailure, startChild } from "../process/child.js";
import type { BackupStorage } from "../storage/storage.js";
import { KubernetesError, type KubeObject, type KubernetesCluster } from "./cluster.js";

/**
 * The `kubernetes` component of a backup set: a namespace's ConfigMaps as multi-document YAML,
 * compressed, and its Secrets as YAML sealed with the backup key (AES-256-GCM, secret-box.ts).
 * Its restore is two steps: a plan, made with server-side dry runs and shown to a person, and
 * an apply of exactly that plan, refused when the cluster moved on since.
 *
 * What is kept of each object is a pick-list (name, namespace, labels, annotations and the
 * kind's content), not a drop-list, so a field a newer server adds is never restored by
 * accident. Dropped on purpose:
 * - uid, resourceVersion, creationTimestamp, generation, managedFields, selfLink: the server
 *   sets them; sent back they fail the write or mislead it.
 * - ownerReferences: they name the owner by uid. Restored into a rebuilt cluster or another
 *   namespace the owner's uid differs, and the garbage collector deletes an object whose owner
 *   is gone: the restored object would vanish. An owned object is its controller's to remake.
 * - finalizers: a controller adds its own; one restored without its controller blocks deletion.
 * Annotations are kept whole, `kubectl.kubernetes.io/last-applied-configuration` included:
 * without it the next `kubectl apply` cannot remove keys it had set.
 *
 * Skipped objects, each made by the cluster rather than by the people running it:
 * - ConfigMap kube-root-ca.crt: the cluster's CA, published into every namespace; another
 *   cluster's CA restored there would be wrong, and the publisher rewrites it anyway.
 * - Secrets of type kubernetes.io/service-account-token: tokens minted for one service
 *   account's uid; elsewhere they name an account that does not exist.
 * - Secrets of type helm.sh/release.v1: Helm's release history (up to 1 MiB each). Restored
 *   without the objects they describe, Helm would believe in releases that are not there;
 *   releases come back with Helm itself.
 */

export type ObjectsCompression = "zstd" | "gzip";

const encryptedSecretsName = "secrets.yaml.enc";
const skippedConfigMaps: ReadonlySet<string> = new Set(["kube-root-ca.crt"]);
const skippedSecretTypes: ReadonlySet<string> = new Set(["kubernetes.io/service-account-token", "helm.sh/release.v1"]);

/** YAML 1.1 quoting: kubectl (go-yaml) reads an unquoted `yes`, `on` or `0755` as a bool or a number, not the string it was. */
const yamlOptions = { version: "1.1", lineWidth: 0 } as const;

const makeKey = "make one with `openssl rand -base64 32 > key; chmod 600 key`";

export interface ObjectsBackupOptions {
  cluster: KubernetesCluster;
  namespace: string;
  storage: BackupStorage;
  /** The set id: artifacts go to `${prefix}/configmaps.yaml.zst` and `${prefix}/secrets.yaml.enc`. */
  prefix: string;
  compression: ObjectsCompression;
  /** The 32-byte key Secrets are sealed with (backups.kubernetes.secretsKeyFile). */
  secretsKey: Buffer | undefined;
  includeSecrets: boolean;
  signal: AbortSignal;
}

/**
 * Lists first, writes after: a listing refused half-way (secrets are often forbidden) leaves no
 * artifact behind. Secrets are never written unencrypted, so asking for them without a key is
 * refused before anything is read.
 */
export async function backupKubernetesObjects(o: ObjectsBackupOptions): Promise<Component> {
  const { cluster, namespace, storage, prefix, compression, signal } = o;
  const where = `kubernetes backup of namespace "${namespace}"`;
  if (o.includeSecrets && o.secretsKey === undefined) {
    throw new BackupError(
      `${where}: Secrets are only stored encrypted and backups.kubernetes.secretsKeyFile is not set; ${makeKey}, then set backups.kubernetes.secretsKeyFile to its path, or set backups.kubernetes.secrets: false`,
    );
  }
  signal.throwIfAborted();
  const version = await cluster.version({ signal });
  const configMaps = (await cluster.listConfigMaps(namespace, { signal })).filter((c) => !skippedConfigMaps.has(c.metadata.name)).map(keptFields);
  const secrets = o.includeSecrets ? (await cluster.listSecrets(namespace, { signal })).filter((s) => !skippedSecretTypes.has(String(s.type ?? "Opaque"))).map(keptFields) : [];

  const artifacts: Artifact[] = [];
  const configName = compression === "zstd" ? "configmaps.yaml.zst" : "configmaps.yaml.gz";
  const compressed = await compress(toYaml(configMaps), compression, signal, `${where}: compressing ${configName}`);
  artifacts.push({ name: configName, ...(await put(storage, `${prefix}/${configName}`, compressed, signal)), compression });
  if (o.includeSecrets) {
    const plain = toYaml(secrets);
    const sealed = sealSecretBox(plain, o.secretsKey!);
    // The clear text is not needed past this point; do not leave it for a heap dump.
    plain.fill(0);
    artifacts.push({ name: encryptedSecretsName, ...(await put(storage, `${prefix}/${encryptedSecretsName}`, sealed, signal)), compression: "none", encrypted: true });
  }
  return { name: "kubernetes", artifacts, tool: { name: "kube-apiserver", version } };
}

export interface BackedUpObjects {
  configMaps: KubeObject[];
  secrets: KubeObject[];
}

/**
 * The objects of a set's `kubernetes` component, each artifact checked against the manifest's
 * sha256 before it is read. Secrets need the key the set was written with.
 */
export async function readKubernetesObjects(o: { storage: BackupStorage; prefix: string; component: Component; secretsKey?: Buffer; signal: AbortSignal }): Promise<BackedUpObjects> {
  const { storage, prefix, component, signal } = o;
  if (component.name !== "kubernetes") throw new BackupError(`set ${prefix}: the ${component.name} component holds no Kubernetes objects`);
  const configArtifact = component.artifacts.find((a) => a.name.startsWith("configmaps.yaml"));
  if (!configArtifact) throw new BackupError(`set ${prefix}: the kubernetes component has no configmaps.yaml artifact; the manifest is damaged`);
  const secretsArtifact = component.artifacts.find((a) => a.name === encryptedSecretsName);
  if (secretsArtifact && o.secretsKey === undefined) {
    throw new BackupError(`set ${prefix} holds encrypted Secrets and no key was given; set backups.kubernetes.secretsKeyFile to the key the set was written with`);
  }
  const configMaps = parseObjects(await artifactBytes(storage, prefix, configArtifact, undefined, signal), "ConfigMap", `${prefix}/${configArtifact.name}`);
  const secrets = secretsArtifact ? parseObjects(await artifactBytes(storage, prefix, secretsArtifact, o.secretsKey, signal), "Secret", `${prefix}/${secretsArtifact.name}`) : [];
  return { configMaps, secrets };
}

export interface KubernetesRestoreChange {
  kind: "ConfigMap" | "Secret";
  name: string;
  action: "create" | "update" | "unchanged";
  /**
   * Key by key, what the restore does to the live object: "+ key" added, "- key" removed (a
   * restore replaces the whole object), "~ key" changed; "~ labels", "~ annotations", "~ type",
   * "~ immutable" for the rest. Never a value: Secrets are shown by key name only.
   */
  diff: string[];
  /** The live object's resourceVersion when planned; absent for a create. */
  liveResourceVersion?: string;
}

export interface KubernetesRestorePlan {
  namespace: string;
  changes: KubernetesRestoreChange[];
}

/**
 * What restoring `objects` into `namespace` (which may differ from the one backed up) would do,
 * each create and update tried with a server-side dry run: admission and validation answer as
 * they would for the real write, and nothing is stored.
 */
export async function planKubernetesRestore(o: { cluster: KubernetesCluster; namespace: string; objects: BackedUpObjects; signal: AbortSignal }): Promise<KubernetesRestorePlan> {
  const { cluster, namespace, signal } = o;
  const wanted = restoreObjects(o.objects, namespace);
  const live = await liveObjects(cluster, namespace, o.objects.secrets.length > 0, signal);
  const changes: KubernetesRestoreChange[] = [];
  for (const object of wanted) {
    const current = live.get(idOf(object));
    const change = changeOf(object, current);
    if (change.action !== "unchanged") {
      try {
        await cluster.applyObject(restoreBody(object, current), { dryRun: true, signal, expectedResourceVersion: change.liveResourceVersion ?? null });
      } catch (error) {
        throw refused(error, object, namespace, "planning the restore");
      }
    }
    changes.push(change);
  }
  return { namespace, changes };
}

/**
 * Applies an approved plan: its creates and updates, nothing else. Before writing anything,
 * every object the plan covers is read again and the plan recomputed; any difference (a
 * resourceVersion, an object made or deleted, other objects given) refuses the whole restore.
 * Each write is then guarded by the planned resourceVersion, so a change racing the apply is
 * refused by the server rather than overwritten.
 */
export async function applyKubernetesRestore(plan: KubernetesRestorePlan, o: { cluster: KubernetesCluster; objects: BackedUpObjects; signal: AbortSignal }): Promise<{ applied: string[] }> {
  const { cluster, signal } = o;
  const namespace = plan.namespace;
  const wanted = new Map(restoreObjects(o.objects, namespace).map((object) => [idOf(object), object]));
  const planned = new Set(plan.changes.map((c) => `${c.kind}/${c.name}`));
  const unplanned = [...wanted.keys()].filter((id) => !planned.has(id));
  const missing = [...planned].filter((id) => !wanted.has(id));
  if (unplanned.length > 0 || missing.length > 0) {
    const what = [...(unplanned.length > 0 ? [`not in the plan: ${unplanned.join(", ")}`] : []), ...(missing.length > 0 ? [`planned but not given: ${missing.join(", ")}`] : [])];
    throw new BackupError(`restore into namespace "${namespace}" refused: the objects are not the ones planned (${what.join("; ")}); plan again from the same set`);
  }

  const live = await liveObjects(cluster, namespace, o.objects.secrets.length > 0, signal);
  const stale = plan.changes.flatMap((change) => {
    const id = `${change.kind}/${change.name}`;
    const now = changeOf(wanted.get(id)!, live.get(id));
    if (now.liveResourceVersion === change.liveResourceVersion && now.action === change.action && now.diff.join("\n") === change.diff.join("\n")) return [];
    const before = change.liveResourceVersion ?? "absent";
    const after = now.liveResourceVersion ?? "absent";
    return [`${id} (${before === after ? "the objects to restore differ" : `resourceVersion ${before} → ${after}`})`];
  });
  if (stale.length > 0) {
    throw new BackupError(`restore into namespace "${namespace}" refused: the plan is stale, ${stale.join(", ")} changed since it was made; nothing was applied; plan again and review the new diff`);
  }

  const applied: string[] = [];
  for (const change of plan.changes) {
    if (change.action === "unchanged") continue;
    const id = `${change.kind}/${change.name}`;
    const object = wanted.get(id)!;
    try {
      await cluster.applyObject(restoreBody(object, live.get(id)), { dryRun: false, signal, expectedResourceVersion: change.liveResourceVersion ?? null });
    } catch (error) {
      const done = applied.length > 0 ? `already applied: ${applied.join(", ")}` : "nothing was applied";
      if (error instanceof KubernetesError && error.kind === "conflict") {
        throw new BackupError(`restore into namespace "${namespace}": ${id} changed while the restore ran (${error.message}); ${done}; plan again and review the new diff`, { cause: error });
      }
      throw refused(error, object, namespace, `restoring (${done})`);
    }
    applied.push(id);
  }
  return { applied };
}

/** The fields a backup keeps, in a fixed order (see the file's comment for what is dropped and why). */
function keptFields(object: KubeObject): KubeObject {
  const m = object.metadata;
  const metadata: KubeObject["metadata"] = {
    name: m.name,
    ...(m.namespace !== undefined ? { namespace: m.namespace } : {}),
    ...(m.labels && Object.keys(m.labels).length > 0 ? { labels: m.labels } : {}),
    ...(m.annotations && Object.keys(m.annotations).length > 0 ? { annotations: m.annotations } : {}),
  };
  const content = object.kind === "Secret" ? ["type", "immutable", "data"] : ["immutable", "data", "binaryData"];
  return {
    apiVersion: "v1",
    kind: object.kind,
    metadata,
    ...Object.fromEntries(content.filter((field) => object[field] !== undefined && object[field] !== null).map((field) => [field, object[field]])),
  };
}

function toYaml(objects: KubeObject[]): Buffer {
  const sorted = [...objects].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
  return Buffer.from(sorted.map((object) => `---\n${stringify(object, yamlOptions)}`).join(""), "utf8");
}

/** Every document must be an object of `kind` with a name and string values: anything else is a damaged or foreign file. */
function parseObjects(bytes: Buffer, kind: "ConfigMap" | "Secret", where: string): KubeObject[] {
  const docs = parseAllDocuments(bytes.toString("utf8"), { version: "1.1" });
  const list = Array.isArray(docs) ? docs : [];
  return list.map((doc, i) => {
    const bad = (why: string) => new BackupError(`${where}: document ${i + 1} ${why}; the artifact is damaged or not a gameops backup`);
    if (doc.errors.length > 0) throw bad(`is not valid YAML (${doc.errors[0]!.message.split("\n")[0]})`);
    const value = doc.toJS() as Partial<KubeObject> | null;
    if (typeof value !== "object" || value === null || value.kind !== kind || value.apiVersion !== "v1") throw bad(`is not a v1 ${kind}`);
    if (typeof value.metadata?.name !== "string" || value.metadata.name === "") throw bad("has no metadata.name");
    for (const field of ["data", "binaryData"]) {
      const map = value[field];
      if (map === undefined) continue;
      if (typeof map !== "object" || map === null || Object.values(map).some((v) => typeof v !== "string")) throw bad(`has a ${field} whose values are not all strings`);
    }
    return value as KubeObject;
  });
}

/** The objects as they go into `namespace`: a restore may target another namespace than the one backed up. */
function restoreObjects(objects: BackedUpObjects, namespace: string): KubeObject[] {
  return [...objects.configMaps, ...objects.secrets].map((object) => {
    const kept = keptFields(object);
    return { ...kept, metadata: { ...kept.metadata, namespace } };
  });
}

/**
 * What is written over a live object: the backup's fields, with the live object's owner
 * references and finalizers kept, since they describe this cluster, which the backup does not.
 */
function restoreBody(object: KubeObject, live: KubeObject | undefined): KubeObject {
  if (!live) return object;
  const carried = Object.fromEntries(["ownerReferences", "finalizers"].filter((field) => live.metadata[field] !== undefined).map((field) => [field, live.metadata[field]]));
  return { ...object, metadata: { ...object.metadata, ...carried } };
}

const idOf = (object: KubeObject) => `${object.kind}/${object.metadata.name}`;

async function liveObjects(cluster: KubernetesCluster, namespace: string, withSecrets: boolean, signal: AbortSignal): Promise<Map<string, KubeObject>> {
  const configMaps = await cluster.listConfigMaps(namespace, { signal });
  // Secrets are listed only when some are restored: reading them may be forbidden, and needlessly so.
  const secrets = withSecrets ? await cluster.listSecrets(namespace, { signal }) : [];
  return new Map([...configMaps, ...secrets].map((object) => [idOf(object), object]));
}

function changeOf(object: KubeObject, live: KubeObject | undefined): KubernetesRestoreChange {
  const kind = object.kind as KubernetesRestoreChange["kind"];
  const name = object.metadata.name;
  if (!live) {
    const keys = [...Object.keys(stringMap(object.data)), ...Object.keys(stringMap(object.binaryData)).map((k) => `${k} (binaryData)`)];
    return { kind, name, action: "create", diff: keys.sort().map((k) => `+ ${k}`) };
  }
  const kept = keptFields(live);
  const diff = [
    ...keyDiff(stringMap(kept.data), stringMap(object.data), ""),
    ...keyDiff(stringMap(kept.binaryData), stringMap(object.binaryData), " (binaryData)"),
    ...(["labels", "annotations"] as const).filter((f) => !sameMap(kept.metadata[f], object.metadata[f])).map((f) => `~ ${f}`),
    ...(kind === "Secret" && String(kept.type ?? "Opaque") !== String(object.type ?? "Opaque") ? ["~ type"] : []),
    ...(Boolean(kept.immutable) !== Boolean(object.immutable) ? ["~ immutable"] : []),
  ];
  return { kind, name, action: diff.length === 0 ? "unchanged" : "update", diff, ...(live.metadata.resourceVersion !== undefined ? { liveResourceVersion: live.metadata.resourceVersion } : {}) };
}

function keyDiff(live: Record<string, string>, wanted: Record<string, string>, suffix: string): string[] {
  const keys = [...new Set([...Object.keys(live), ...Object.keys(wanted)])].sort();
  return keys.flatMap((k) => {
    if (!(k in live)) return [`+ ${k}${suffix}`];
    if (!(k in wanted)) return [`- ${k}${suffix}`];
    return live[k] === wanted[k] ? [] : [`~ ${k}${suffix}`];
  });
}

const stringMap = (value: unknown): Record<string, string> => (typeof value === "object" && value !== null ? (value as Record<string, string>) : {});

function sameMap(a: unknown, b: unknown): boolean {
  const entries = (m: unknown) => JSON.stringify(Object.entries(stringMap(m)).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
  return entries(a) === entries(b);
}

/** A write the server refused, as the operator's next step; failures of reach (timeouts, 5xx) pass through with their retryability. */
function refused(error: unknown, object: KubeObject, namespace: string, doing: string): unknown {
  if (!(error instanceof KubernetesError)) return error;
  const what = `${doing} into namespace "${namespace}": ${object.kind} ${object.metadata.name}`;
  if (error.kind === "not-found" && /namespaces? "?[^"]*"? not found/.test(error.message)) {
    return new BackupError(`${what}: the namespace does not exist; create it first (kubectl create namespace ${namespace})`, { cause: error });
  }
  if (error.kind === "invalid" && /immutable/.test(error.message)) {
    return new BackupError(`${what}: the server refuses to change it in place (${error.message}); delete it first (kubectl delete ${object.kind.toLowerCase()} ${object.metadata.name} -n ${namespace}) and plan again`, { cause: error });
  }
  if (error.kind === "invalid" || error.kind === "forbidden" || error.kind === "conflict") {
    return new BackupError(`${what}: the server refuses it: ${error.message}`, { cause: error });
  }
  return error;
}

async function put(storage: BackupStorage, key: string, bytes: Buffer, signal: AbortSignal): Promise<{ size: number; sha256: string }> {
  const { size, sha256 } = await storage.put(key, Readable.from([bytes]), { signal });
  return { size, sha256 };
}

/** An artifact's content: read whole, checked against the manifest, opened and decompressed. */
async function artifactBytes(storage: BackupStorage, prefix: string, artifact: Artifact, key: Buffer | undefined, signal: AbortSignal): Promise<Buffer> {
  const where = `${prefix}/${artifact.name}`;
  const chunks: Buffer[] = [];
  for await (const chunk of await storage.get(where, { signal })) chunks.push(chunk as Buffer);
  let bytes: Buffer = Buffer.concat(chunks);
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  if (bytes.length !== artifact.size || sha256 !== artifact.sha256) {
    throw new BackupError(`${where}: the stored bytes do not match the manifest (${bytes.length} bytes, sha256 ${sha256.slice(0, 12)}…; the manifest says ${artifact.size} bytes, ${artifact.sha256.slice(0, 12)}…); the artifact is damaged, restore from another set`);
  }
  if (artifact.encrypted) bytes = openSecretBox(bytes, key!, where);
  return decompress(bytes, artifact.compression, signal, `decompressing ${where}`);
}

async function compress(bytes: Buffer, compression: ObjectsCompression, signal: AbortSignal, where: string): Promise<Buffer> {
  if (compression === "gzip") return promisify(gzip)(bytes);
  return zstd(["-q", "-c"], bytes, signal, where);
}

async function decompress(bytes: Buffer, compression: Artifact["compression"], signal: AbortSignal, where: string): Promise<Buffer> {
  if (compression === "none") return bytes;
  if (compression === "gzip") {
    return promisify(gunzip)(bytes).catch((error: unknown) => {
      throw new BackupError(`${where}: ${(error as Error).message}; the artifact is damaged`, { cause: error });
    });
  }
  return zstd(["-d", "-q", "-c"], bytes, signal, where);
}

/**
 * The `zstd` program over a buffer (node:zlib has no zstd on Node 20). The objects of one
 * namespace fit in memory: the API server caps each at 1 MiB.
 */
async function zstd(args: string[], input: Buffer, signal: AbortSignal, where: string): Promise<Buffer> {
  signal.throwIfAborted();
  const child = startChild("zstd", args, { stdin: "pipe", stdout: "pipe" });
  const stop = () => child.stop();
  signal.addEventListener("abort", stop, { once: true });
  const chunks: Buffer[] = [];
  child.stdout!.on("data", (chunk: Buffer) => chunks.push(chunk));
  child.stdin!.end(input);
  try {
    await child.done;
    return Buffer.concat(chunks);
  } catch (error) {
    if (signal.aborted) throw new BackupError(`${where}: cancelled`, { cause: error });
    if (error instanceof ChildFailure && (error.cause as NodeJS.ErrnoException | undefined)?.code === "ENOENT") {
      throw new BackupError(`${where}: zstd is not on PATH; install it (apt install zstd) or set the compression to gzip`, { cause: error });
    }
    throw new BackupError(`${where}: ${(error as Error).message}`, { cause: error });
  } finally {
    signal.removeEventListener("abort", stop);
  }
}
