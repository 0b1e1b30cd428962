import type { Config } from "../../config/load.js";
import { openKubernetesCluster } from "../../integrations/kubernetes/client-node-cluster.js";
import { KubernetesError } from "../../integrations/kubernetes/cluster.js";
import { LineScanner, type ScanOptions, type StreamScan } from "../../integrations/logs/file-scan.js";

/** Most a single container's log may bring back: a log storm must not exhaust the check. */
const limitBytes = 16 * 1024 * 1024;

/**
 * Scans the logs of the pods matching a label selector, every app container, over the window.
 * The API dates each line (`timestamps`), so undated application lines still fall in the window.
 */
export async function scanPodLogs(
  config: Config,
  source: { labelSelector: string; container?: string },
  options: ScanOptions,
  into: StreamScan,
): Promise<{ streams: number; problems: string[] }> {
  const target = config.targets.kubernetes;
  if (!target) return { streams: 0, problems: ["kubernetes logs need targets.kubernetes (GAMEOPS_KUBECONFIG and GAMEOPS_K8S_NAMESPACE)"] };
  const problems: string[] = [];
  let streams = 0;
  try {
    const cluster = openKubernetesCluster(target);
    const pods = await cluster.listPods(target.namespace, source.labelSelector, { signal: options.signal });
    if (pods.length === 0) problems.push(`no pod matches ${source.labelSelector} in ${target.namespace}`);
    const sinceSeconds = Math.max(1, Math.ceil((Date.now() - options.since) / 1000));
    await Promise.all(
      pods.flatMap((pod) =>
        pod.containers
          .filter((c) => !c.init && (source.container === undefined || c.name === source.container))
          .map(async (container) => {
            try {
              const text = await cluster.podLogs(target.namespace, pod.name, { container: container.name, sinceSeconds, timestamps: true, limitBytes, signal: options.signal });
              new LineScanner(options, into).feed(text.split("\n"));
              streams++;
            } catch (error) {
              if (options.signal.aborted) throw error;
              problems.push(`${pod.name}/${container.name}: ${(error as Error).message}`);
            }
          }),
      ),
    );
  } catch (error) {
    if (error instanceof KubernetesError) problems.push(error.message);
    else throw error;
  }
  return { streams, problems };
}
