/**
 * Deployment rollouts the way kubectl reads and reverts them (k8s.io/kubectl/pkg/polymorphichelpers:
 * `DeploymentStatusViewer`, `DeploymentHistoryViewer`, `DeploymentRollbacker`), over the API's
 * JSON objects, so that gameops and kubectl agree on what "rolled out", a revision and "the
 * previous revision" mean.
 */
import type { RolloutRevision, RolloutState } from "./cluster.js";

type Json = any;

export const revisionAnnotation = "deployment.kubernetes.io/revision";
const changeCauseAnnotation = "kubernetes.io/change-cause";
const hashLabel = "pod-template-hash";

/** Deployment annotations a rollback keeps from the deployment, not from the replica set (kubectl's annotationsToSkip). */
const kept = new Set([
  "kubectl.kubernetes.io/last-applied-configuration",
  revisionAnnotation,
  "deployment.kubernetes.io/revision-history",
  "deployment.kubernetes.io/desired-replicas",
  "deployment.kubernetes.io/max-replicas",
  "deprecated.deployment.rollback.to",
]);

const revisionOf = (o: Json): number | undefined => {
  const text = o?.metadata?.annotations?.[revisionAnnotation];
  const n = Number(text);
  return text !== undefined && Number.isInteger(n) ? n : undefined;
};

/** `kubectl rollout status` for one read of the deployment. */
export function rolloutState(deployment: Json): RolloutState {
  const name = deployment.metadata?.name;
  const status = deployment.status ?? {};
  const replicas: number = deployment.spec?.replicas ?? 1;
  const updated: number = status.updatedReplicas ?? 0;
  const available: number = status.availableReplicas ?? 0;
  const total: number = status.replicas ?? 0;
  const revision = revisionOf(deployment);
  const state = (done: boolean, message: string, progressDeadlineExceeded = false): RolloutState => ({
    done,
    progressDeadlineExceeded,
    message,
    replicas,
    updated,
    ready: status.readyReplicas ?? 0,
    available,
    ...(revision !== undefined ? { revision } : {}),
  });
  if ((deployment.metadata?.generation ?? 0) > (status.observedGeneration ?? 0)) {
    return state(false, "Waiting for deployment spec update to be observed...");
  }
  const progressing = (status.conditions ?? []).find((c: Json) => c.type === "Progressing");
  if (progressing?.reason === "ProgressDeadlineExceeded") return state(false, `deployment "${name}" exceeded its progress deadline`, true);
  if (updated < replicas) return state(false, `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${replicas} new replicas have been updated...`);
  if (total > updated) return state(false, `Waiting for deployment "${name}" rollout to finish: ${total - updated} old replicas are pending termination...`);
  if (available < updated) return state(false, `Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...`);
  return state(true, `deployment "${name}" successfully rolled out`);
}

/** metav1.LabelSelector as the string form list calls take. */
export function selectorString(selector: Json): string {
  const parts = Object.entries<string>(selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of selector?.matchExpressions ?? []) {
    const values = (e.values ?? []).join(",");
    if (e.operator === "In") parts.push(`${e.key} in (${values})`);
    else if (e.operator === "NotIn") parts.push(`${e.key} notin (${values})`);
    else if (e.operator === "Exists") parts.push(e.key);
    else if (e.operator === "DoesNotExist") parts.push(`!${e.key}`);
  }
  return parts.join(",");
}

/** The replica sets the deployment controls, whatever else matches its selector (as kubectl picks them). */
export function ownedReplicaSets(deployment: Json, replicaSets: Json[]): Json[] {
  return replicaSets.filter((rs) => (rs.metadata?.ownerReferences ?? []).some((r: Json) => r.controller && r.uid === deployment.metadata?.uid));
}

/**
 * `kubectl rollout history` over the replica sets the deployment controls, newest first; one
 * without a revision (not made by the deployment controller) is left out, as kubectl does.
 */
export function rolloutHistory(deployment: Json, replicaSets: Json[]): RolloutRevision[] {
  const revisions: RolloutRevision[] = [];
  for (const replicaSet of replicaSets) {
    const revision = revisionOf(replicaSet);
    if (revision === undefined) continue;
    const changeCause: unknown = replicaSet.metadata?.annotations?.[changeCauseAnnotation];
    revisions.push({
      revision,
      createdAt: new Date(replicaSet.metadata?.creationTimestamp),
      images: ((replicaSet.spec?.template?.spec?.containers ?? []) as Json[]).map((c) => String(c.image ?? "")),
      ...(typeof changeCause === "string" && changeCause !== "" ? { changeCause } : {}),
      replicas: replicaSet.status?.replicas ?? 0,
      // The controller's own test for the new replica set (FindNewReplicaSet): right after a
      // rollback is patched in, that is already the old one, before it gets its new number.
      current: sameTemplate(replicaSet.spec?.template, deployment.spec?.template),
    });
  }
  return revisions.sort((a, b) => b.revision - a.revision);
}

/**
 * The replica set to go back to, among those the deployment controls: the given revision, or
 * the one before the newest when none is given or 0 (kubectl's `--to-revision=0`). Throws
 * kubectl's words when there is none.
 */
export function revisionToRestore(deploymentName: string, replicaSets: Json[], toRevision: number | undefined): { replicaSet: Json; revision: number } {
  let latest: { replicaSet: Json; revision: number } | undefined;
  let previous: { replicaSet: Json; revision: number } | undefined;
  const wanted = toRevision === 0 ? undefined : toRevision;
  for (const replicaSet of replicaSets) {
    const revision = revisionOf(replicaSet);
    if (revision === undefined) continue;
    if (wanted !== undefined) {
      if (revision === wanted) return { replicaSet, revision };
    } else if (!latest || revision > latest.revision) {
      previous = latest;
      latest = { replicaSet, revision };
    } else if (!previous || revision > previous.revision) {
      previous = { replicaSet, revision };
    }
  }
  if (wanted !== undefined) throw new RolloutHistoryError(`unable to find specified revision ${wanted} in history`);
  if (!previous) throw new RolloutHistoryError(`no rollout history found for deployment "${deploymentName}"`);
  return previous;
}

/** The history does not have the revision asked for. */
export class RolloutHistoryError extends Error {
  override name = "RolloutHistoryError";
}

/**
 * A pod template as Go's semantic equality sees it: keys sorted, null and empty maps and
 * lists dropped, the replica set's hash label ignored (deploymentutil.EqualIgnoreHash).
 */
function comparable(template: Json): string {
  const prune = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(prune);
    if (typeof value !== "object" || value === null) return value;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = prune((value as Json)[key]);
      if (v === null || v === undefined || (typeof v === "object" && Object.keys(v).length === 0)) continue;
      out[key] = v;
    }
    return out;
  };
  const { [hashLabel]: _, ...labels } = template?.metadata?.labels ?? {};
  return JSON.stringify(prune({ ...template, metadata: { ...template?.metadata, labels } }));
}

export const sameTemplate = (a: Json, b: Json) => comparable(a) === comparable(b);

/**
 * kubectl's rollback: one JSON patch replacing the pod template (without the hash label) and
 * the annotations (the replica set's, but the deployment's own revision bookkeeping).
 */
export function rollbackPatch(deployment: Json, replicaSet: Json): Json[] {
  const template = structuredClone(replicaSet.spec?.template ?? {});
  if (template.metadata?.labels) delete template.metadata.labels[hashLabel];
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries<string>(deployment.metadata?.annotations ?? {})) if (kept.has(k)) annotations[k] = v;
  for (const [k, v] of Object.entries<string>(replicaSet.metadata?.annotations ?? {})) if (!kept.has(k)) annotations[k] = v;
  return [
    { op: "replace", path: "/spec/template", value: template },
    // "replace" needs the member to exist; a deployment no controller has touched may have no annotations.
    { op: deployment.metadata?.annotations ? "replace" : "add", path: "/metadata/annotations", value: annotations },
  ];
}
