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

/** A deployment's rollout as `kubectl rollout status` judges it. */
export interface RolloutState {
  /** Every wanted replica is updated and available, and the spec change was observed. */
  done: boolean;
  /** The controller gave up (condition Progressing, reason ProgressDeadlineExceeded): waiting longer will not help. */
  progressDeadlineExceeded: boolean;
  /** What kubectl would print, e.g. `Waiting for deployment "game" rollout to finish: 1 out of 3 new replicas have been updated...`. */
  message: string;
  /** Wanted (spec.replicas). */
  replicas: number;
  updated: number;
  ready: number;
  available: number;
  /** `deployment.kubernetes.io/revision`, when the controller has written it. */
  revision?: number;
}

export interface RolloutWaitOptions extends CallOptions {
  /** How long to wait for the rollout to finish; 0 reads it once. Each read is bounded by the call timeout. */
  waitMs: number;
  /** Between reads; 1 s by default. */
  pollMs?: number;
  /** Each state read while waiting. */
  onProgress?(state: RolloutState): void;
}

export interface RolloutUndo {
  /** The revision running before. */
  from: number;
  /** The revision whose pod template was restored (the controller then numbers it anew). */
  to: number;
  /** That revision's template was already running: nothing changed (kubectl's "skipped rollback"). */
  skipped: boolean;
}

/** One revision of a deployment: a replica set it owns, as `kubectl rollout history` lists them. */
export interface RolloutRevision {
  revision: number;
  /**
   * When its replica set was made. A rollback reuses the old replica set under a new number, so
   * the revision a rollback brought back keeps its first time.
   */
  createdAt: Date;
  /** Its containers' images, in order. */
  images: string[];
  /** Annotation `kubernetes.io/change-cause`, which the controller copies from the deployment. */
  changeCause?: string;
  /** Its pods now (status.replicas): all of them for the running revision, 0 for the others once rolled out. */
  replicas: number;
  /** The deployment's template is this revision's: the one it runs or is rolling out. */
  current: boolean;
}

export interface ConfigMapChange {
  /** Keys whose value changed or that were added. */
  changed: string[];
  /** Their values before, `null` where the key did not exist: what a rollback writes back. */
  previous: Record<string, string | null>;
}

export interface ExecOptions extends CallOptions {
  /** Without it, the pod's default container (annotation `kubectl.kubernetes.io/default-container`, else the first), as kubectl picks. */
  container?: string;
  /** stdout and stderr each keep their last this many bytes; 64 KiB by default. */
  maxOutputBytes?: number;
}

export interface ExecResult {
  container: string;
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Output was longer than maxOutputBytes; the tail is kept. */
  truncated: boolean;
}

/**
 * An API object as JSON, as the server serves it: what a backup stores and a restore sends back
 * whole, with no field renamed or defaulted on the way.
 */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [field: string]: unknown;
  };
  [field: string]: unknown;
}

export interface ApplyOptions extends CallOptions {
  /** Server-side `dryRun=All`: validated and admitted as the real write would be, nothing stored. */
  dryRun: boolean;
  /**
   * The live resourceVersion the caller planned against: replace exactly that version (409
   * Conflict otherwise); `null`: create only, the object must not exist (409 AlreadyExists
   * otherwise). Without it: create if absent, else replace whatever is live now.
   */
  expectedResourceVersion?: string | null;
}

export interface AppliedObject {
  action: "created" | "replaced";
  /** What the server stored or, for a dry run, would store. */
  object: KubeObject;
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
  /** The label selector of a deployment's pods, as a string for listPods. */
  deploymentSelector(namespace: string, name: string, options?: CallOptions): Promise<string>;
  /** Through the scale subresource, guarded by its resourceVersion: `from` is exactly what was replaced. */
  scaleDeployment(namespace: string, name: string, replicas: number, options?: CallOptions): Promise<{ from: number; to: number }>;
  /** `kubectl rollout restart`: stamps the pod template so every pod is replaced. */
  restartDeployment(namespace: string, name: string, at: Date, options?: CallOptions): Promise<{ restartedAt: string }>;
  /** Reads the rollout until it is done or `waitMs` has passed; returns the last state either way. */
  rolloutStatus(namespace: string, name: string, options: RolloutWaitOptions): Promise<RolloutState>;
  /** `kubectl rollout history`: the deployment's revisions (the replica sets it controls), newest first. */
  rolloutHistory(namespace: string, name: string, options?: CallOptions): Promise<RolloutRevision[]>;
  /** `kubectl rollout undo [--to-revision]`: the given revision's template from its replica set, or the previous one's (no revision, or 0 as in kubectl). */
  undoRollout(namespace: string, name: string, toRevision?: number, options?: CallOptions): Promise<RolloutUndo>;
  /** Sets keys of a config map's `data`, guarded by its resourceVersion. */
  patchConfigMap(namespace: string, name: string, data: Record<string, string>, options?: CallOptions): Promise<ConfigMapChange>;
  /** Runs a command in a container (exec subresource over WebSocket); a non-zero exit is a result, not an error. */
  exec(namespace: string, pod: string, command: string[], options?: ExecOptions): Promise<ExecResult>;
  /** Every config map of the namespace, as JSON, read page by page. */
  listConfigMaps(namespace: string, options?: CallOptions): Promise<KubeObject[]>;
  /** Every secret of the namespace, as JSON (values base64 in `data`), read page by page. */
  listSecrets(namespace: string, options?: CallOptions): Promise<KubeObject[]>;
  /**
   * Creates a ConfigMap or Secret if absent, else replaces it guarded by its resourceVersion
   * (see `expectedResourceVersion`). Server-set metadata in `object` (uid, resourceVersion,
   * creationTimestamp, managedFields, …) is not sent.
   */
  applyObject(object: KubeObject, options: ApplyOptions): Promise<AppliedObject>;
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
