import { podStatus, type ContainerOptions } from "./builders.js";
import { findType, type ResourceType } from "./resources.js";
import { deepEqual, randomSuffix, timestamp, type KubeObject, type ObjectStore, type StoredEvent } from "./store.js";

const deployments = findType("apps", "v1", "deployments")!;
const replicaSets = findType("apps", "v1", "replicasets")!;
const pods = findType("", "v1", "pods")!;
const nodes = findType("", "v1", "nodes")!;


const hashLabel = "pod-template-hash";
const revisionAnnotation = "deployment.kubernetes.io/revision";

/** Deployment annotations the controller keeps off its replica sets (deploymentutil's annotationsToSkip). */
const notCopied = new Set([
  "kubectl.kubernetes.io/last-applied-configuration",
  revisionAnnotation,
  "deployment.kubernetes.io/revision-history",
  "deployment.kubernetes.io/desired-replicas",
  "deployment.kubernetes.io/max-replicas",
  "deprecated.deployment.rollback.to",
]);

/**
 * The replica set's annotations with the deployment's copied over (copyDeploymentAnnotationsToReplicaSet):
 * added or overwritten, never removed — so `kubernetes.io/change-cause` reaches the revision it describes.
 */
function withDeploymentAnnotations(d: KubeObject, annotations: Record<string, string> = {}): Record<string, string> {
  const copied = Object.entries<string>(d.metadata.annotations ?? {}).filter(([k]) => !notCopied.has(k));
  return { ...annotations, ...Object.fromEntries(copied) };
}

/**
 * A pod template as the Go structs see it: keys sorted, and null, empty maps and empty lists
 * dropped (apimachinery's semantic equality treats nil and empty alike). A template that went
 * through a Go client (kubectl rollout undo sends one back with `creationTimestamp: null` and
 * `resources: {}`) is then the same template, as it is to the real controller.
 */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = canonical((value as KubeObject)[key]);
    if (v === null || v === undefined) continue;
    if (typeof v === "object" && Object.keys(v).length === 0) continue;
    out[key] = v;
  }
  return out;
}

/** The template without the label its replica set adds (deploymentutil.EqualIgnoreHash). */
function withoutHash(template: KubeObject): unknown {
  const { [hashLabel]: _, ...labels } = template?.metadata?.labels ?? {};
  return canonical({ ...template, metadata: { ...template?.metadata, labels } });
}

const sameTemplate = (a: KubeObject, b: KubeObject) => JSON.stringify(withoutHash(a)) === JSON.stringify(withoutHash(b));

/** k8s.io/kubernetes/pkg/controller.ComputeHash: fnv-32a, digits mapped by rand.SafeEncodeString. */
export function templateHash(template: unknown): string {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(JSON.stringify(withoutHash(template)))) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  const alphabet = "bcdfghjklmnpqrstvwxz2456789";
  return [...String(hash)].map((d) => alphabet[d.charCodeAt(0) % alphabet.length]).join("");
}

/**
 * The deployment and replica set controllers, simplified: a spec change is observed at once
 * (observedGeneration, updated counts still old), and after `rolloutDelayMs` the new replica set
 * has all its pods Running and Ready and the old ones none — one step instead of a surge/unavailable
 * dance, enough for `kubectl rollout status` to watch a real transition.
 */
export class DeploymentController {
  /** Failures inside a timer would crash the test process; they are kept here instead. */
  readonly errors: Error[] = [];
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private acting = false;
  private podCounter = 10;
  private readonly idleWaiters: (() => void)[] = [];
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: ObjectStore,
    private readonly rolloutDelayMs: number,
    private readonly now: () => Date,
  ) {
    this.unsubscribe = store.subscribe((event) => this.observe(event));
  }

  private observe(event: StoredEvent) {
    if (this.acting) return;
    const o = event.object;
    if (event.resource === "deployments.apps") {
      if (event.type === "DELETED") this.collectGarbage(o);
      else if (o.metadata.generation !== o.status?.observedGeneration) this.schedule(o.metadata.namespace, o.metadata.name, "progress", 0);
      // Metadata only (`kubectl annotate`): the controller syncs anyway, copying the annotations to the current replica set.
      else if (event.type === "MODIFIED") this.schedule(o.metadata.namespace, o.metadata.name, "annotations", 0);
    } else if (event.resource === "pods" && event.type === "DELETED") {
      const owner = this.owningDeployment(o);
      if (owner) this.schedule(o.metadata.namespace, owner, "complete", this.rolloutDelayMs);
    }
  }

  /** Seeding: writes made inside `work` are not reacted to, and deployments are brought to their finished state at once. */
  seed<T>(work: () => T): T {
    this.acting = true;
    try {
      const result = work();
      for (const d of this.store.list(deployments)) {
        if (d.metadata.generation !== d.status?.observedGeneration) this.reconcile(d.metadata.namespace, d.metadata.name, "complete");
      }
      return result;
    } finally {
      this.acting = false;
    }
  }

  /** Resolves once no rollout is in flight. */
  idle(): Promise<void> {
    return this.timers.size === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  close() {
    this.unsubscribe();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private schedule(namespace: string, name: string, phase: "progress" | "complete" | "annotations", delay: number) {
    // Its own timer: an annotation sync must not cancel a rollout's pending completion.
    const key = `${namespace}/${name}${phase === "annotations" ? "#annotations" : ""}`;
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        this.act(() => (phase === "annotations" ? this.copyAnnotations(namespace, name) : this.reconcile(namespace, name, phase)));
        if (phase === "progress") this.schedule(namespace, name, "complete", this.rolloutDelayMs);
        if (this.timers.size === 0) for (const w of this.idleWaiters.splice(0)) w();
      }, delay),
    );
  }

  private act(work: () => void) {
    this.acting = true;
    try {
      work();
    } catch (error) {
      this.errors.push(error as Error);
    } finally {
      this.acting = false;
    }
  }

  private owningDeployment(pod: KubeObject): string | undefined {
    const rsRef = (pod.metadata.ownerReferences ?? []).find((r: KubeObject) => r.kind === "ReplicaSet" && r.controller);
    if (!rsRef) return undefined;
    const rs = this.store.get(replicaSets, pod.metadata.namespace, rsRef.name);
    return (rs?.metadata.ownerReferences ?? []).find((r: KubeObject) => r.kind === "Deployment" && r.controller)?.name;
  }

  private ownedBy(type: ResourceType, namespace: string, owner: KubeObject): KubeObject[] {
    return this.store.list(type, namespace).filter((o) => (o.metadata.ownerReferences ?? []).some((r: KubeObject) => r.uid === owner.metadata.uid));
  }

  /** The deployment's annotations onto the replica set of its current template, if it has one yet. */
  private copyAnnotations(namespace: string, name: string) {
    const d = this.store.get(deployments, namespace, name);
    const current = d && this.ownedBy(replicaSets, namespace, d).find((rs) => sameTemplate(rs.spec.template, d.spec.template));
    if (!current) return;
    const annotations = withDeploymentAnnotations(d, current.metadata.annotations);
    if (!deepEqual(annotations, current.metadata.annotations ?? {})) this.store.update(replicaSets, { ...current, metadata: { ...current.metadata, annotations } });
  }

  /** Background cascading deletion, as the garbage collector does. */
  private collectGarbage(deployment: KubeObject) {
    this.act(() => {
      for (const rs of this.ownedBy(replicaSets, deployment.metadata.namespace, deployment)) {
        for (const p of this.ownedBy(pods, rs.metadata.namespace, rs)) this.store.delete(pods, p.metadata.namespace, p.metadata.name);
        this.store.delete(replicaSets, rs.metadata.namespace, rs.metadata.name);
      }
    });
  }

  private reconcile(namespace: string, name: string, phase: "progress" | "complete") {
    const d = this.store.get(deployments, namespace, name);
    if (!d) return;
    const desired: number = d.spec.replicas ?? 1;
    const hash = templateHash(d.spec.template);
    const owned = this.ownedBy(replicaSets, namespace, d);
    // The oldest replica set whose template matches, as FindNewReplicaSet picks it: after a
    // rollback that is an old one, which becomes the newest revision again.
    let current = owned
      .sort((a, b) => String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)))
      .find((rs) => sameTemplate(rs.spec.template, d.spec.template));
    const revision = Math.max(0, ...owned.map((rs) => Number(rs.metadata.annotations?.[revisionAnnotation] ?? 0)));
    if (!current) {
      current = this.store.create(replicaSets, {
        metadata: {
          name: `${name}-${hash}`,
          namespace,
          labels: { ...d.spec.template.metadata?.labels, "pod-template-hash": hash },
          annotations: withDeploymentAnnotations(d, {
            "deployment.kubernetes.io/desired-replicas": String(desired),
            "deployment.kubernetes.io/max-replicas": String(desired + Math.ceil(desired / 4)),
            "deployment.kubernetes.io/revision": String(revision + 1),
          }),
          ownerReferences: [{ apiVersion: "apps/v1", kind: "Deployment", name, uid: d.metadata.uid, controller: true, blockOwnerDeletion: true }],
        },
        spec: {
          replicas: desired,
          selector: { matchLabels: { ...d.spec.selector.matchLabels, "pod-template-hash": hash } },
          template: { ...d.spec.template, metadata: { ...d.spec.template.metadata, labels: { ...d.spec.template.metadata?.labels, "pod-template-hash": hash } } },
        },
      });
    } else {
      let annotations = withDeploymentAnnotations(d, current.metadata.annotations);
      if (Number(annotations[revisionAnnotation]) !== revision) {
        const old = annotations[revisionAnnotation];
        const history = [annotations["deployment.kubernetes.io/revision-history"], old].filter(Boolean).join(",");
        annotations = { ...annotations, [revisionAnnotation]: String(revision + 1), ...(history ? { "deployment.kubernetes.io/revision-history": history } : {}) };
      }
      if (!deepEqual(annotations, current.metadata.annotations ?? {})) current = this.store.update(replicaSets, { ...current, metadata: { ...current.metadata, annotations } });
    }
    // The deployment carries its current revision, as the controller writes it (kubectl rollout undo keeps it).
    const currentRevision = current.metadata.annotations?.[revisionAnnotation];
    if (d.metadata.annotations?.[revisionAnnotation] !== currentRevision) {
      this.store.update(deployments, { ...d, metadata: { ...d.metadata, annotations: { ...d.metadata.annotations, [revisionAnnotation]: currentRevision } } });
    }
    for (const rs of this.ownedBy(replicaSets, namespace, d)) {
      const replicas = rs.metadata.uid === current.metadata.uid ? desired : 0;
      if (rs.spec.replicas !== replicas) this.store.update(replicaSets, { ...rs, spec: { ...rs.spec, replicas } });
    }

    if (phase === "complete") {
      for (const rs of this.ownedBy(replicaSets, namespace, d)) this.syncPods(rs);
    }
    this.writeDeploymentStatus(d, current, phase);
  }

  private syncPods(rs: KubeObject) {
    const owned = this.ownedBy(pods, rs.metadata.namespace, rs).filter((p) => !p.metadata.deletionTimestamp);
    const want: number = rs.spec.replicas ?? 0;
    for (const extra of owned.slice(want)) this.store.delete(pods, extra.metadata.namespace, extra.metadata.name);
    for (let i = owned.length; i < want; i++) this.store.create(pods, this.newPod(rs));
    const ready = this.ownedBy(pods, rs.metadata.namespace, rs).filter(isReady).length;
    this.store.writeStatus(replicaSets, rs.metadata.namespace, rs.metadata.name, {
      replicas: want,
      fullyLabeledReplicas: want,
      ...(ready > 0 ? { readyReplicas: ready, availableReplicas: ready } : {}),
      observedGeneration: rs.metadata.generation,
    });
  }

  private newPod(rs: KubeObject): KubeObject {
    const ready = this.store.list(nodes).filter((n) => n.status?.conditions?.some((c: KubeObject) => c.type === "Ready" && c.status === "True"));
    const n = ready.length > 0 ? ready[this.podCounter % ready.length] : undefined;
    const name = `${rs.metadata.name}-${randomSuffix()}`;
    const hostIP = n?.status?.addresses?.find((a: KubeObject) => a.type === "InternalIP")?.address;
    const podIP = `10.244.${ready.indexOf(n)}.${this.podCounter++ % 250}`;
    const template = rs.spec.template;
    const containers: ContainerOptions[] = template.spec.containers.map((c: KubeObject) => ({ name: c.name, image: c.image }));
    return {
      metadata: {
        name,
        generateName: `${rs.metadata.name}-`,
        namespace: rs.metadata.namespace,
        labels: template.metadata?.labels,
        ...(template.metadata?.annotations ? { annotations: template.metadata.annotations } : {}),
        ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: rs.metadata.name, uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true }],
      },
      spec: { ...template.spec, ...(n ? { nodeName: n.metadata.name } : {}), serviceAccountName: "default", serviceAccount: "default", enableServiceLinks: true, priority: 0 },
      status: podStatus(name, containers, { started: this.now(), ...(hostIP ? { hostIP } : {}), podIP }),
    };
  }

  private writeDeploymentStatus(d: KubeObject, newRs: KubeObject, phase: "progress" | "complete") {
    const all = this.ownedBy(replicaSets, d.metadata.namespace, d).flatMap((rs) => this.ownedBy(pods, d.metadata.namespace, rs).map((p) => ({ p, rs })));
    const updated = all.filter(({ rs }) => rs.metadata.uid === newRs.metadata.uid).length;
    const ready = all.filter(({ p }) => isReady(p)).length;
    const desired: number = d.spec.replicas ?? 1;
    const now = timestamp(this.now());
    const previous: KubeObject[] = d.status?.conditions ?? [];
    const condition = (type: string, status: string, reason: string, message: string) => {
      const old = previous.find((c) => c.type === type);
      return { type, status, lastUpdateTime: now, lastTransitionTime: old?.status === status ? old.lastTransitionTime : now, reason, message };
    };
    const done = phase === "complete" && updated === desired && all.length === desired;
    const status: KubeObject = {
      observedGeneration: d.metadata.generation,
      replicas: all.length,
      updatedReplicas: updated,
      readyReplicas: ready,
      availableReplicas: ready,
      ...(desired - ready > 0 ? { unavailableReplicas: desired - ready } : {}),
      conditions: [
        ready >= desired - Math.floor(desired / 4)
          ? condition("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.")
          : condition("Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability."),
        done
          ? condition("Progressing", "True", "NewReplicaSetAvailable", `ReplicaSet "${newRs.metadata.name}" has successfully progressed.`)
          : condition("Progressing", "True", "ReplicaSetUpdated", `ReplicaSet "${newRs.metadata.name}" is progressing.`),
      ],
    };
    for (const key of ["readyReplicas", "availableReplicas", "updatedReplicas", "replicas"]) if (status[key] === 0) delete status[key];
    if (!deepEqual(d.status, status)) this.store.writeStatus(deployments, d.metadata.namespace, d.metadata.name, status);
  }
}

const isReady = (p: KubeObject) => (p.status?.conditions ?? []).some((c: KubeObject) => c.type === "Ready" && c.status === "True");
