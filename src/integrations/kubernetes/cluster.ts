/**
 * What gameops asks of a Kubernetes cluster, in its own words. The implementation over
 * @kubernetes/client-node is in client-node-cluster.ts; nothing here loads it.
 */

export interface ContainerFacts {
  name: string;
  /** An init or sidecar container (`initContainerStatuses`). */
  init: boolean;
  ready: boolean;
  /** Restarts over the pod's whole life; the API keeps no per-day count. */
  restartCount: number;
  state: "running" | "waiting" | "terminated" | "unknown";
  /** Why it is waiting or terminated: CrashLoopBackOff, ImagePullBackOff, OOMKilled, Completed… */
  reason?: string;
  /** When the previous instance ended (`lastState.terminated.finishedAt`): the latest restart. */
  lastTerminatedAt?: Date;
  lastTerminationReason?: string;
  limits: { cpu?: string; memory?: string };
  requests: { cpu?: string; memory?: string };
}

export interface PodFacts {
  name: string;
  namespace: string;
  uid: string;
  /** Pending, Running, Succeeded, Failed or Unknown. */
  phase: string;
  /** The pod's Ready condition. */
  ready: boolean;
  /** `status.reason`, e.g. Evicted. */
  reason?: string;
  createdAt?: Date;
  /** Being deleted (has a deletionTimestamp). */
  deleting: boolean;
  nodeName?: string;
  owner?: { kind: string; name: string };
  containers: ContainerFacts[];
}

export interface NodeFacts {
  name: string;
  ready: boolean;
  /** Cordoned. */
  unschedulable: boolean;
  /** Conditions other than Ready that are True: MemoryPressure, DiskPressure, PIDPressure… */
  pressures: string[];
  /** Quantities as the API gives them ("3900m", "15Gi"). */
  allocatable: { cpu?: string; memory?: string };
}

/** metrics.k8s.io usage; quantities as given ("123456789n", "1048576Ki"). */
export interface NodeUsage {
  name: string;
  cpu: string;
  memory: string;
}

export interface PodUsage {
  name: string;
  namespace: string;
  containers: { name: string; cpu: string; memory: string }[];
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
