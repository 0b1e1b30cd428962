/**
 * What gameops asks of a Kubernetes cluster, in its own words. The implementation over
 * @kubernetes/client-node is in client-node-cluster.ts; nothing here loads it.
 */
import type { ContainerState, NodeState, NodeUsage, PodState, PodUsage as PodUsageState } from "../../domain/checks/kubernetes.js";

/** The judge's facts (src/domain/checks/kubernetes.ts) are what a cluster must tell; these add what callers beyond the judge use. */
export interface ContainerFacts extends ContainerState {
  requests: { cpu?: string; memory?: string };
}

export interface PodFacts extends Omit<PodState, "containers"> {
  namespace: string;
  uid: string;
  owner?: { kind: string; name: string };
  containers: ContainerFacts[];
}

export type NodeFacts = NodeState;
export type { NodeUsage };

export interface PodUsage extends PodUsageState {
  namespace: string;
}

export interface CallOptions {
  /** The caller's deadline; the call is also bounded by its own timeout. */
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface PodLogOptions extends CallOptions {
  /** Needed when the pod has several containers. */
  container?: string;
  sinceSeconds?: number;
  tailLines?: number;
  timestamps?: boolean;
  /** The previous (crashed) instance's log. */
  previous?: boolean;
  limitBytes?: number;
}

export interface KubernetesCluster {
  /** The API server URL, safe to print. */
  readonly server: string;
  readonly context: string;
  version(options?: CallOptions): Promise<string>;
  listPods(namespace: string, labelSelector?: string, options?: CallOptions): Promise<PodFacts[]>;
  listNodes(options?: CallOptions): Promise<NodeFacts[]>;
  nodeMetrics(options?: CallOptions): Promise<NodeUsage[]>;
  podMetrics(namespace: string, labelSelector?: string, options?: CallOptions): Promise<PodUsage[]>;
  podLogs(namespace: string, pod: string, options?: PodLogOptions): Promise<string>;
}

export type KubernetesErrorKind =
  /** kubeconfig missing, unreadable, or without the context asked for. */
  | "config"
  /** Connection refused, host unknown, reset. */
  | "unreachable"
  /** The server's certificate is not trusted or does not match. */
  | "tls"
  | "timeout"
  /** The caller gave up (its signal). */
  | "aborted"
  | "unauthorized"
  | "forbidden"
  | "not-found"
  | "conflict"
  | "invalid"
  /** 5xx, e.g. an aggregated API (metrics-server) that is down. */
  | "unavailable"
  | "throttled"
  | "unknown";

const retryableKinds: ReadonlySet<KubernetesErrorKind> = new Set(["unreachable", "timeout", "unavailable", "throttled", "conflict"]);

/** A failed call, classified: `retryable` says whether the same call may succeed later. */
export class KubernetesError extends Error {
  readonly retryable: boolean;

  constructor(
    readonly kind: KubernetesErrorKind,
    message: string,
    readonly statusCode?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "KubernetesError";
    this.retryable = retryableKinds.has(kind);
  }
}
