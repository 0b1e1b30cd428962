import type { Config } from "../../config/load.js";

/** A Kubernetes Deployment by namespace and name. */
export interface DeploymentRef {
  namespace: string;
  name: string;
}

type Labels = Record<string, string>;

/** DNS-1123: a namespace is a label, a deployment's name a subdomain (kubectl refuses anything else). */
const namespacePattern = /^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const namePattern = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * The deployments an incident is about, whose recent rollouts its war room lists: those its
 * labels name, then those its alerts name (an alert group's common labels drop a `deployment`
 * its alerts do not share), then the game fleet's Deployment when the fleet runs in Kubernetes.
 * Labels are kube-state-metrics' `namespace` and `deployment`; without `namespace`, the
 * configured one (as a k8s runbook step takes it). A value that cannot be a Kubernetes name is
 * not a deployment. No duplicates, in that order.
 */
export function affectedDeployments(incident: { labels: Labels }, config: { targets: Pick<Config["targets"], "kubernetes" | "fleet"> }, alerts: readonly Labels[] = []): DeploymentRef[] {
  const configuredNamespace = config.targets.kubernetes?.namespace ?? "default";
  const found: DeploymentRef[] = [];
  const add = (namespace: string, name: string) => {
    if (!namespacePattern.test(namespace) || !namePattern.test(name)) return;
    if (!found.some((d) => d.namespace === namespace && d.name === name)) found.push({ namespace, name });
  };
  for (const labels of [incident.labels, ...alerts]) {
    if (labels.deployment !== undefined) add(labels.namespace ?? configuredNamespace, labels.deployment);
  }
  const fleet = config.targets.fleet;
  if (fleet?.kind === "kubernetes") add(fleet.namespace ?? configuredNamespace, fleet.deployment);
  return found;
}
