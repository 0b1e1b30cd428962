import { judgeKubernetes, type KubernetesFacts, type Unavailable } from "../../domain/checks/kubernetes.js";
import type { Status, Verdict } from "../../domain/checks/verdict.js";
import { KubernetesError, type KubernetesCluster } from "../../integrations/kubernetes/cluster.js";
import { openKubernetesCluster } from "../../integrations/kubernetes/client-node-cluster.js";
import { CheckFailure, type CheckContext } from "./check.js";

/** Pods must be listed; nodes and metrics are judged when they can be had, and said missing when not. */
export async function run(context: CheckContext): Promise<Verdict> {
  const target = context.config.targets.kubernetes;
  if (!target) throw new CheckFailure("unknown", "not configured: set GAMEOPS_KUBECONFIG and GAMEOPS_K8S_NAMESPACE or targets.kubernetes");
  let cluster: KubernetesCluster;
  try {
    // The config loader made the kubeconfig path absolute.
    cluster = openKubernetesCluster(target, { timeoutMs: context.timeoutMs });
  } catch (error) {
    throw failure(error, context);
  }

  const call = { signal: context.signal };
  const { namespace, labelSelector } = target;
  const [pods, nodes, nodeUsage, podUsage] = await Promise.allSettled([
    cluster.listPods(namespace, labelSelector, call),
    cluster.listNodes(call),
    cluster.nodeMetrics(call),
    cluster.podMetrics(namespace, labelSelector, call),
  ]);
  if (pods.status === "rejected") throw failure(pods.reason, context, cluster);

  const facts: KubernetesFacts = {
    namespace,
    ...(labelSelector ? { labelSelector } : {}),
    pods: pods.value,
    nodes: nodes.status === "fulfilled" ? nodes.value : { unavailable: messageOf(nodes.reason) },
    metrics:
      nodeUsage.status === "fulfilled" && podUsage.status === "fulfilled"
        ? { nodes: nodeUsage.value, pods: podUsage.value }
        : metricsUnavailable(nodeUsage.status === "rejected" ? nodeUsage.reason : (podUsage as PromiseRejectedResult).reason),
  };
  const verdict = judgeKubernetes(facts, context.config.thresholds.kubernetes, context.now());
  return { ...verdict, details: { server: cluster.server, context: cluster.context, ...verdict.details } };
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

function metricsUnavailable(error: unknown): Unavailable {
  if (error instanceof KubernetesError && error.kind === "not-found") {
    return { unavailable: "metrics.k8s.io is not served (404): is metrics-server installed?" };
  }
  if (error instanceof KubernetesError && error.kind === "unavailable") {
    return { unavailable: `metrics.k8s.io answered ${error.statusCode ?? "5xx"}: metrics-server is registered but not serving` };
  }
  return { unavailable: messageOf(error) };
}

/**
 * An API server that cannot be reached or does not answer is critical: the fleet cannot be seen
 * and may be down with it. Refused credentials or permissions and a broken kubeconfig are unknown:
 * the cluster may be fine, gameops is not allowed to tell.
 */
function failure(error: unknown, context: CheckContext, cluster?: KubernetesCluster): CheckFailure {
  if (!(error instanceof KubernetesError)) return new CheckFailure("critical", messageOf(error), {}, { cause: error });
  const where = cluster ? { server: cluster.server, context: cluster.context } : {};
  const details = { ...where, kind: error.kind, retryable: error.retryable, ...(error.statusCode ? { statusCode: error.statusCode } : {}) };
  if (error.kind === "timeout" || error.kind === "aborted") {
    const seconds = context.timeoutMs % 1000 === 0 ? `${context.timeoutMs / 1000} s` : `${context.timeoutMs} ms`;
    return new CheckFailure("critical", `the Kubernetes API at ${cluster?.server ?? "?"} did not answer within ${seconds}`, details, { cause: error });
  }
  const status: Status = ["config", "unauthorized", "forbidden", "tls", "invalid", "not-found"].includes(error.kind) ? "unknown" : "critical";
  return new CheckFailure(status, error.message, details, { cause: error });
}
