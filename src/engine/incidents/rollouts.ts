/**
 * The recent rollouts an incident's war room lists: for each deployment the incident is about,
 * the revisions rolled out around it, each of which the rollback-deployment runbook can restore.
 */
import type { Config } from "../../config/load.js";
import { affectedDeployments, type DeploymentRef } from "../../domain/incidents/affected-deployments.js";
import { KubernetesError, type KubernetesCluster, type RolloutRevision } from "../../integrations/kubernetes/cluster.js";
import type { IncidentRecord, Store } from "../../store/store.js";

/** The incident's window opens this long before its declaration: yesterday's release can be today's incident. */
export const windowBeforeDeclarationMs = 24 * 3_600_000;

/** Alerts read per page of the incident, for the deployments they name. */
const alertsPerPage = 200;

/** Each call to the cluster: a war room that cannot reach it says so rather than hang. */
const callTimeoutMs = 10_000;

const notConfigured = "kubernetes is not configured: set GAMEOPS_KUBECONFIG and GAMEOPS_K8S_NAMESPACE or targets.kubernetes";

export interface DeploymentRollouts extends DeploymentRef {
  /** Newest first. */
  revisions: RolloutRevision[];
  /** Why there are no revisions: the deployment does not exist, or gameops may not read it. */
  problem?: string;
}

export interface IncidentRollouts {
  deployments: DeploymentRollouts[];
  /** Why nothing could be read: no Kubernetes target, the cluster unreachable, no deployment to look at. */
  problem?: string;
}

/**
 * Per deployment, the revisions created since `since`, the current one whenever it was made, and
 * the one before the oldest of those — what rolling them all back returns to (with no rollout
 * in the window, that is the previous revision, where a plain rollback goes). A revision a
 * rollback brought back keeps its first creation time (the controller reuses the replica set),
 * so it shows only while current or as that baseline.
 *
 * A deployment that is missing or forbidden gets its own `problem`; any other failure (the
 * cluster unreachable, a timeout) concerns them all and is thrown.
 */
export async function recentRollouts(input: { cluster: KubernetesCluster; deployments: readonly DeploymentRef[]; since: Date; signal?: AbortSignal }): Promise<DeploymentRollouts[]> {
  const { cluster, since, signal } = input;
  return Promise.all(
    input.deployments.map(async ({ namespace, name }): Promise<DeploymentRollouts> => {
      let history: RolloutRevision[];
      try {
        history = await cluster.rolloutHistory(namespace, name, signal ? { signal } : {});
      } catch (error) {
        if (error instanceof KubernetesError && (error.kind === "not-found" || error.kind === "forbidden")) return { namespace, name, revisions: [], problem: error.message };
        throw error;
      }
      const recent = history.filter((r) => r.current || r.createdAt.getTime() >= since.getTime());
      const oldest = Math.min(...recent.map((r) => r.revision));
      const baseline = history.find((r) => r.revision < oldest);
      return { namespace, name, revisions: baseline ? [...recent, baseline] : recent };
    }),
  );
}

/** The deployments an incident is about: its labels, its pages' alerts, the Kubernetes fleet. */
export async function incidentDeployments(store: Store, config: Config, incident: IncidentRecord): Promise<DeploymentRef[]> {
  const pages = await store.incidents.pages(incident.id);
  const groups = [...new Set(pages.flatMap((p) => (p.groupKey ? [p.groupKey] : [])))];
  const alerts = (await Promise.all(groups.map((groupKey) => store.alerts.list({ groupKey, limit: alertsPerPage })))).flat();
  return affectedDeployments(incident, config, [...pages.map((p) => p.labels), ...alerts.map((a) => a.labels)]);
}

/**
 * The war room's rollouts: the incident's deployments with their recent revisions, from its
 * window (a day before its declaration) until now. Never throws for the cluster's sake: what
 * went wrong is the `problem`, and the deployments are listed without revisions.
 */
export async function incidentRollouts(input: { store: Store; config: Config; incident: IncidentRecord; signal?: AbortSignal }): Promise<IncidentRollouts> {
  const { store, config, incident, signal } = input;
  const deployments = await incidentDeployments(store, config, incident);
  const unread = (problem: string): IncidentRollouts => ({ deployments: deployments.map((d) => ({ ...d, revisions: [] })), problem });
  if (deployments.length === 0) {
    return unread("no deployment to look at: the incident's labels and alerts name none (labels namespace and deployment), and targets.fleet is not a Kubernetes fleet");
  }
  const target = config.targets.kubernetes;
  if (!target) return unread(notConfigured);
  try {
    // Loaded here: a war room without Kubernetes never pays for the client.
    const { openKubernetesCluster } = await import("../../integrations/kubernetes/client-node-cluster.js");
    const cluster = openKubernetesCluster(target, { timeoutMs: callTimeoutMs });
    const since = new Date(Date.parse(incident.declaredAt) - windowBeforeDeclarationMs);
    return { deployments: await recentRollouts({ cluster, deployments, since, ...(signal ? { signal } : {}) }) };
  } catch (error) {
    if (error instanceof KubernetesError) return unread(`the rollouts could not be read: ${error.message}`);
    throw error;
  }
}
