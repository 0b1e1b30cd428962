import { randomUUID } from "node:crypto";
import { apiVersionOf, resourceKey, type ResourceType } from "./resources.js";
import { alreadyExists, conflict, invalid, notFound } from "./status.js";

/**
 * A Kubernetes object as JSON. The emulator treats every kind generically, as the apiserver's
 * unstructured paths do, so objects stay untyped here.
 */
export type KubeObject = any;

export type EventType = "ADDED" | "MODIFIED" | "DELETED";

export interface StoredEvent {
  resourceVersion: number;
  type: EventType;
  resource: string;
  object: KubeObject;
  /** The object before the change, so filtered watches can tell "left the selection" apart. */
  previous?: KubeObject;
}

export type Listener = (event: StoredEvent) => void;

/** RFC 3339 to the second, as metadata timestamps are written. */
export const timestamp = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");

/**
 * The objects, one etcd-like revision counter shared by every resource, and the history of
 * changes that watches replay from a resourceVersion.
 */
export class ObjectStore {
  private revision = 1;
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly history: StoredEvent[] = [];
  private readonly listeners = new Set<Listener>();

  constructor(private readonly now: () => Date) {}

  get currentRevision(): number {
    return this.revision;
  }

  private bucket(type: ResourceType): Map<string, KubeObject> {
    const key = resourceKey(type);
    let bucket = this.objects.get(key);
    if (!bucket) this.objects.set(key, (bucket = new Map()));
    return bucket;
  }

  private static id(namespace: string | undefined, name: string) {
    return `${namespace ?? ""}/${name}`;
  }

  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const found = this.bucket(type).get(ObjectStore.id(type.namespaced ? namespace : undefined, name));
    return found === undefined ? undefined : structuredClone(found);
  }

  mustGet(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const found = this.get(type, namespace, name);
    if (!found) throw notFound(type, name);
    return found;
  }

  /** Sorted by namespace then name, as etcd keys are. */
  list(type: ResourceType, namespace?: string): KubeObject[] {
    return [...this.bucket(type).values()]
      .filter((o) => !type.namespaced || namespace === undefined || o.metadata.namespace === namespace)
      .sort((a, b) => ObjectStore.id(a.metadata.namespace, a.metadata.name).localeCompare(ObjectStore.id(b.metadata.namespace, b.metadata.name)))
      .map((o) => structuredClone(o));
  }

  create(type: ResourceType, object: KubeObject, options: { dryRun?: boolean } = {}): KubeObject {
    const o = structuredClone(object);
    o.apiVersion = apiVersionOf(type);
    o.kind = type.kind;
    o.metadata ??= {};
    if (!o.metadata.name && o.metadata.generateName) o.metadata.name = `${o.metadata.generateName}${randomSuffix()}`;
    if (!type.namespaced) delete o.metadata.namespace;
    const errors = type.validate?.(o, undefined) ?? [];
    if (errors.length > 0) throw invalid(type, o.metadata.name ?? "", errors);
    const id = ObjectStore.id(o.metadata.namespace, o.metadata.name);
    if (this.bucket(type).has(id)) throw alreadyExists(type, o.metadata.name);
    o.metadata.uid ??= randomUUID();
    o.metadata.creationTimestamp ??= timestamp(this.now());
    if (type.generation) o.metadata.generation = 1;
    delete o.metadata.resourceVersion;
    if (options.dryRun) return o;
    return this.commit(type, "ADDED", o, undefined);
  }

  /**
   * Replace an object. A resourceVersion in the new object is a precondition (409 when stale);
   * without one the update is unconditional, as the real server allows for these resources.
   */
  update(type: ResourceType, object: KubeObject, options: { dryRun?: boolean; withStatus?: boolean } = {}): KubeObject {
    const current = this.mustGet(type, object.metadata?.namespace, object.metadata?.name);
    const o = structuredClone(object);
    const wanted = o.metadata.resourceVersion;
    if (wanted !== undefined && wanted !== "" && wanted !== current.metadata.resourceVersion) throw conflict(type, current.metadata.name);
    o.apiVersion = apiVersionOf(type);
    o.kind = type.kind;
    for (const field of ["uid", "creationTimestamp", "name", "namespace", "generation", "deletionTimestamp"]) {
      if (current.metadata[field] === undefined) delete o.metadata[field];
      else o.metadata[field] = current.metadata[field];
    }
    // Writes through the main resource never change status; the emulator's own controllers and seed helpers do.
    if (!options.withStatus && current.status !== undefined) o.status = current.status;
    const errors = type.validate?.(o, current) ?? [];
    if (errors.length > 0) throw invalid(type, o.metadata.name, errors);
    if (type.generation && !deepEqual(o.spec, current.spec)) o.metadata.generation = (current.metadata.generation ?? 1) + 1;
    o.metadata.resourceVersion = current.metadata.resourceVersion;
    if (deepEqual(o, current)) return current; // a no-op write keeps the resourceVersion
    if (options.dryRun) return o;
    return this.commit(type, "MODIFIED", o, current);
  }

  /** Controller-side status write: never bumps generation, never validates. */
  writeStatus(type: ResourceType, namespace: string | undefined, name: string, status: KubeObject): KubeObject | undefined {
    const current = this.get(type, namespace, name);
    if (!current) return undefined;
    if (deepEqual(current.status, status)) return current;
    return this.commit(type, "MODIFIED", { ...current, status }, current);
  }

  delete(type: ResourceType, namespace: string | undefined, name: string, options: { dryRun?: boolean } = {}): KubeObject {
    const current = this.mustGet(type, namespace, name);
    if (options.dryRun) return current;
    this.bucket(type).delete(ObjectStore.id(current.metadata.namespace, name));
    const deleted = { ...current, metadata: { ...current.metadata, resourceVersion: String(++this.revision) } };
    this.record({ resourceVersion: this.revision, type: "DELETED", resource: resourceKey(type), object: deleted, previous: current });
    return deleted;
  }

  private commit(type: ResourceType, event: EventType, o: KubeObject, previous: KubeObject | undefined): KubeObject {
    o.metadata.resourceVersion = String(++this.revision);
    this.bucket(type).set(ObjectStore.id(o.metadata.namespace, o.metadata.name), structuredClone(o));
    this.record({ resourceVersion: this.revision, type: event, resource: resourceKey(type), object: structuredClone(o), previous });
    return o;
  }

  private record(event: StoredEvent) {
    this.history.push(event);
    for (const listener of this.listeners) listener(event);
  }

  /** Changes after a revision, in order; the emulator keeps its whole history. */
  since(resourceVersion: number, resource: string): StoredEvent[] {
    return this.history.filter((e) => e.resourceVersion > resourceVersion && e.resource === resource);
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

const suffixAlphabet = "bcdfghjklmnpqrstvwxz2456789";

/** The 5-character suffix of generateName (k8s.io/apimachinery/pkg/util/rand.String). */
export function randomSuffix(length = 5): string {
  let out = "";
  for (let i = 0; i < length; i++) out += suffixAlphabet[Math.floor(Math.random() * suffixAlphabet.length)];
  return out;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as KubeObject)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as KubeObject)[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => deepEqual((a as KubeObject)[k], (b as KubeObject)[k]));
}
