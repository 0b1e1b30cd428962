import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  ServerConfiguration,
  VersionApi,
  createConfiguration,
  type Configuration,
  type V1ConfigMap,
  type V1Container,
  type V1ContainerStatus,
  type V1Node,
  type V1Pod,
  type V1Secret,
} from "@kubernetes/client-node";
import {
  KubernetesError,
  type AppliedObject,
  type ApplyOptions,
  type CallOptions,
  type ConfigMapChange,
  type ContainerFacts,
  type ExecOptions,
  type ExecResult,
  type KubeObject,
  type KubernetesCluster,
  type KubernetesErrorKind,
  type NodeFacts,
  type NodeUsage,
  type PodFacts,
  type PodLogOptions,
  type PodUsage,
  type RolloutRevision,
  type RolloutState,
  type RolloutUndo,
  type RolloutWaitOptions,
} from "./cluster.js";
import { execInPod } from "./pod-exec.js";
import {
  RolloutHistoryError,
  ownedReplicaSets,
  revisionAnnotation,
  revisionToRestore,
  rollbackPatch,
  rolloutHistory,
  rolloutState,
  sameTemplate,
  selectorString,
} from "./rollout.js";

export interface KubernetesTarget {
  /** Path of the kubeconfig; without it the usual search (KUBECONFIG, ~/.kube/config, in-cluster). */
  kubeconfig?: string;
  context?: string;
}

export interface OpenOptions {
  /** Bound of every call that does not give its own; 10 s by default. */
  timeoutMs?: number;
  /** Resolves a relative kubeconfig path. */
  cwd?: string;
}

/** Loads the kubeconfig and returns the cluster it points at; makes no request yet. */
export function openKubernetesCluster(target: KubernetesTarget, options: OpenOptions = {}): KubernetesCluster {
  const kc = loadKubeconfig(target, options.cwd ?? process.cwd());
  return new ClientNodeCluster(kc, options.timeoutMs ?? 10_000);
}

function loadKubeconfig(target: KubernetesTarget, cwd: string): KubeConfig {
  const kc = new KubeConfig();
  const source = target.kubeconfig ? resolve(cwd, target.kubeconfig) : "the default kubeconfig";
  if (target.kubeconfig) {
    let text: string;
    try {
      text = readFileSync(source, "utf8");
    } catch (error) {
      throw new KubernetesError("config", `cannot read kubeconfig ${source} (${(error as NodeJS.ErrnoException).code ?? "error"}); point GAMEOPS_KUBECONFIG or targets.kubernetes.kubeconfig at a readable file`);
    }
    try {
      kc.loadFromString(text);
    } catch {
      // The parser's message can quote the file, tokens included: say where, not what.
      throw new KubernetesError("config", `kubeconfig ${source} is not a valid kubeconfig (YAML with clusters, users and contexts)`);
    }
    kc.makePathsAbsolute(dirname(source));
  } else {
    try {
      kc.loadFromDefault();
    } catch {
      throw new KubernetesError("config", "cannot load the default kubeconfig (KUBECONFIG, ~/.kube/config or the in-cluster service account); set GAMEOPS_KUBECONFIG");
    }
  }
  if (target.context) {
    if (!kc.getContextObject(target.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new KubernetesError("config", `context "${target.context}" is not in ${source}; it has: ${known.length > 0 ? known.join(", ") : "no contexts"}`);
    }
    kc.setCurrentContext(target.context);
  }
  if (!kc.getCurrentCluster()) {
    throw new KubernetesError("config", `${source} has no current context with a cluster; set GAMEOPS_K8S_CONTEXT or targets.kubernetes.context`);
  }
  return kc;
}

type ApiClass<T> = new (configuration: Configuration) => T;

class ClientNodeCluster implements KubernetesCluster {
  readonly server: string;
  readonly context: string;

  constructor(
    private readonly kc: KubeConfig,
    private readonly timeoutMs: number,
  ) {
    this.server = kc.getCurrentCluster()!.server;
    this.context = kc.getCurrentContext();
  }

  /** Work bounded by the call's timeout and the caller's signal; whatever it throws comes out classified. */
  private async bounded<R>(what: string, options: CallOptions, work: (signal: AbortSignal) => Promise<R>): Promise<R> {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    try {
      signal.throwIfAborted();
      return await work(signal);
    } catch (error) {
      throw this.classify(error, what, timeout.aborted ? timeoutMs : undefined, options.signal);
    }
  }

  /**
   * One API client per call: its signal travels in the request context, the only per-request
   * hook the generated client has that works the same in client-node 1.x and 2.x. A patch says
   * its kind in `contentType` (the generated client would send every patch as a JSON patch).
   */
  private call<A, R>(Api: ApiClass<A>, what: string, options: CallOptions & { contentType?: string }, work: (api: A) => Promise<R>): Promise<R> {
    return this.bounded(what, options, (signal) =>
      work(
        new Api(
          createConfiguration({
            baseServer: new ServerConfiguration(this.server, {}),
            authMethods: { default: this.kc },
            promiseMiddleware: [
              {
                pre: async (context) => {
                  context.setSignal(signal);
                  context.setHeaderParam("User-Agent", "gameops");
                  if (options.contentType) context.setHeaderParam("Content-Type", options.contentType);
                  return context;
                },
                post: async (response) => response,
              },
            ],
          }),
        ),
      ),
    );
  }

  private classify(error: unknown, what: string, timedOutAfterMs: number | undefined, callerSignal: AbortSignal | undefined): KubernetesError {
    if (error instanceof KubernetesError) return error;
    if (timedOutAfterMs !== undefined) {
      return new KubernetesError("timeout", `${what}: the Kubernetes API at ${this.server} did not answer within ${formatMs(timedOutAfterMs)}`, undefined, { cause: error });
    }
    if (callerSignal?.aborted) {
      return new KubernetesError("aborted", `${what}: cancelled before the Kubernetes API at ${this.server} answered`, undefined, { cause: error });
    }
    if (error instanceof ApiException) {
      const kind = kindOfStatus(error.code);
      return new KubernetesError(kind, `${what}: ${statusMessage(error)}`, error.code, { cause: error });
    }
    // A refused WebSocket upgrade (exec) only says the status; the Status body is not read.
    const upgrade = /Unexpected server response: (\d+)/.exec(error instanceof Error ? error.message : "");
    if (upgrade) {
      const status = Number(upgrade[1]);
      return new KubernetesError(kindOfStatus(status), `${what}: the API server refused the exec stream (HTTP ${status})`, status, { cause: error });
    }
    const code = networkCode(error);
    if (code && tlsCodes.test(code)) {
      return new KubernetesError("tls", `${what}: TLS to ${this.server} failed (${code}); check the kubeconfig's certificate-authority`, undefined, { cause: error });
    }
    if (code && networkCodes[code]) {
      return new KubernetesError("unreachable", `${what}: cannot reach the Kubernetes API at ${this.server}: ${networkCodes[code]} (${code})`, undefined, { cause: error });
    }
    const message = error instanceof Error ? error.message : String(error);
    return new KubernetesError("unknown", `${what}: ${message}`, undefined, { cause: error });
  }

  version(options: CallOptions = {}): Promise<string> {
    return this.call(VersionApi, "reading the server version", options, async (api) => (await api.getCode()).gitVersion);
  }

  listPods(namespace: string, labelSelector?: string, options: CallOptions = {}): Promise<PodFacts[]> {
    return this.call(CoreV1Api, `listing pods in namespace "${namespace}"${labelSelector ? ` with selector ${labelSelector}` : ""}`, options, async (api) => {
      const list = await api.listNamespacedPod({ namespace, ...(labelSelector ? { labelSelector } : {}) });
      return list.items.map(podFacts);
    });
  }

  listNodes(options: CallOptions = {}): Promise<NodeFacts[]> {
    return this.call(CoreV1Api, "listing nodes", options, async (api) => (await api.listNode()).items.map(nodeFacts));
  }

  nodeMetrics(options: CallOptions = {}): Promise<NodeUsage[]> {
    return this.call(CustomObjectsApi, "reading node metrics (metrics.k8s.io)", options, async (api) => {
      const list = await api.listClusterCustomObject({ group: "metrics.k8s.io", version: "v1beta1", plural: "nodes" });
      return ((list?.items ?? []) as any[]).map((m) => ({ name: String(m.metadata?.name), cpu: String(m.usage?.cpu ?? "0"), memory: String(m.usage?.memory ?? "0") }));
    });
  }

  podMetrics(namespace: string, labelSelector?: string, options: CallOptions = {}): Promise<PodUsage[]> {
    return this.call(CustomObjectsApi, `reading pod metrics (metrics.k8s.io) in namespace "${namespace}"`, options, async (api) => {
      const list = await api.listNamespacedCustomObject({
        group: "metrics.k8s.io",
        version: "v1beta1",
        namespace,
        plural: "pods",
        ...(labelSelector ? { labelSelector } : {}),
      });
      return ((list?.items ?? []) as any[]).map((m) => ({
        name: String(m.metadata?.name),
        namespace: String(m.metadata?.namespace ?? namespace),
        containers: ((m.containers ?? []) as any[]).map((c) => ({ name: String(c.name), cpu: String(c.usage?.cpu ?? "0"), memory: String(c.usage?.memory ?? "0") })),
      }));
    });
  }

  podLogs(namespace: string, pod: string, options: PodLogOptions = {}): Promise<string> {
    const { signal: _s, timeoutMs: _t, ...query } = options;
    return this.call(CoreV1Api, `reading the log of pod ${namespace}/${pod}${query.container ? ` container ${query.container}` : ""}`, options, async (api) => {
      const text = await api.readNamespacedPodLog({ name: pod, namespace, ...query });
      return typeof text === "string" ? text : String(text ?? "");
    });
  }

  deploymentSelector(namespace: string, name: string, options: CallOptions = {}): Promise<string> {
    return this.call(AppsV1Api, `reading deployment ${namespace}/${name}`, options, async (api) => {
      const deployment = await api.readNamespacedDeployment({ name, namespace });
      return selectorString(deployment.spec?.selector);
    });
  }

  scaleDeployment(namespace: string, name: string, replicas: number, options: CallOptions = {}): Promise<{ from: number; to: number }> {
    return this.call(AppsV1Api, `scaling deployment ${namespace}/${name} to ${replicas}`, options, async (api) => {
      const scale = await api.readNamespacedDeploymentScale({ name, namespace });
      // The resourceVersion makes the write a compare-and-set: if an autoscaler or a person scaled
      // in between, this is a 409 Conflict rather than `from` naming a count that was not replaced.
      await api.replaceNamespacedDeploymentScale({
        name,
        namespace,
        body: { apiVersion: "autoscaling/v1", kind: "Scale", metadata: { name, namespace, resourceVersion: scale.metadata?.resourceVersion }, spec: { replicas } },
      });
      return { from: scale.spec?.replicas ?? 0, to: replicas };
    });
  }

  async restartDeployment(namespace: string, name: string, at: Date, options: CallOptions = {}): Promise<{ restartedAt: string }> {
    const what = `restarting deployment ${namespace}/${name}`;
    const deployment = await this.call(AppsV1Api, what, options, (api) => api.readNamespacedDeployment({ name, namespace }));
    if (deployment.spec?.paused) throw new KubernetesError("invalid", `${what}: the deployment is paused; resume it first (kubectl rollout resume deployment/${name})`);
    // kubectl's own restart: a pod-template annotation, so the controller rolls every pod.
    const restartedAt = at.toISOString().replace(/\.\d{3}Z$/, "Z");
    const body = { spec: { template: { metadata: { annotations: { "kubectl.kubernetes.io/restartedAt": restartedAt } } } } };
    await this.call(AppsV1Api, what, { ...options, contentType: "application/strategic-merge-patch+json" }, (api) => api.patchNamespacedDeployment({ name, namespace, body }));
    return { restartedAt };
  }

  async rolloutStatus(namespace: string, name: string, options: RolloutWaitOptions): Promise<RolloutState> {
    const { waitMs, pollMs = 1000, onProgress, ...call } = options;
    const what = `reading the rollout of deployment ${namespace}/${name}`;
    const deadline = Date.now() + waitMs;
    for (;;) {
      const state = rolloutState(await this.call(AppsV1Api, what, call, (api) => api.readNamespacedDeployment({ name, namespace })));
      onProgress?.(state);
      const left = deadline - Date.now();
      if (state.done || state.progressDeadlineExceeded || left <= 0) return state;
      try {
        await sleep(Math.min(pollMs, left), undefined, call.signal ? { signal: call.signal } : {});
      } catch (error) {
        throw new KubernetesError("aborted", `waiting for the rollout of deployment ${namespace}/${name}: cancelled (${state.message})`, undefined, { cause: error });
      }
    }
  }

  /** The deployment and the replica sets it controls, as raw JSON: what kubectl's history and rollback read. */
  private async withReplicaSets(namespace: string, name: string, what: string, options: CallOptions): Promise<{ deployment: any; replicaSets: any[] }> {
    // Raw JSON, not the generated models: a template goes back to the server as it came, with no field renamed or defaulted on the way.
    const raw = { group: "apps", version: "v1", namespace };
    const deployment = await this.call(CustomObjectsApi, what, options, (api) => api.getNamespacedCustomObject({ ...raw, plural: "deployments", name }));
    const list = await this.call(CustomObjectsApi, what, options, (api) =>
      api.listNamespacedCustomObject({ ...raw, plural: "replicasets", labelSelector: selectorString(deployment.spec?.selector) }),
    );
    return { deployment, replicaSets: ownedReplicaSets(deployment, (list?.items ?? []) as any[]) };
  }

  async rolloutHistory(namespace: string, name: string, options: CallOptions = {}): Promise<RolloutRevision[]> {
    const { deployment, replicaSets } = await this.withReplicaSets(namespace, name, `reading the rollout history of deployment ${namespace}/${name}`, options);
    return rolloutHistory(deployment, replicaSets);
  }

  async undoRollout(namespace: string, name: string, toRevision?: number, options: CallOptions = {}): Promise<RolloutUndo> {
    const what = `rolling back deployment ${namespace}/${name}${toRevision ? ` to revision ${toRevision}` : ""}`;
    const { deployment, replicaSets } = await this.withReplicaSets(namespace, name, what, options);
    if (deployment.spec?.paused) throw new KubernetesError("invalid", `${what}: the deployment is paused; resume it first (kubectl rollout resume deployment/${name})`);
    let target: ReturnType<typeof revisionToRestore>;
    try {
      target = revisionToRestore(name, replicaSets, toRevision);
    } catch (error) {
      if (error instanceof RolloutHistoryError) throw new KubernetesError("not-found", `${what}: ${error.message}`, undefined, { cause: error });
      throw error;
    }
    const from = Number(deployment.metadata?.annotations?.[revisionAnnotation] ?? 0);
    if (sameTemplate(target.replicaSet.spec?.template, deployment.spec?.template)) return { from, to: target.revision, skipped: true };
    const body = rollbackPatch(deployment, target.replicaSet);
    await this.call(AppsV1Api, what, { ...options, contentType: "application/json-patch+json" }, (api) => api.patchNamespacedDeployment({ name, namespace, body }));
    return { from, to: target.revision, skipped: false };
  }

  async patchConfigMap(namespace: string, name: string, data: Record<string, string>, options: CallOptions = {}): Promise<ConfigMapChange> {
    const what = `patching config map ${namespace}/${name}`;
    const current = await this.call(CoreV1Api, what, options, (api) => api.readNamespacedConfigMap({ name, namespace }));
    const before: Record<string, string> = current.data ?? {};
    const changed = Object.keys(data).filter((key) => before[key] !== data[key]);
    const previous = Object.fromEntries(changed.map((key) => [key, before[key] ?? null]));
    if (changed.length === 0) return { changed, previous };
    // The resourceVersion in the patch is a precondition: `previous` is exactly what was overwritten.
    const body = { metadata: { resourceVersion: current.metadata?.resourceVersion }, data: Object.fromEntries(changed.map((key) => [key, data[key]])) };
    await this.call(CoreV1Api, what, { ...options, contentType: "application/merge-patch+json" }, (api) => api.patchNamespacedConfigMap({ name, namespace, body }));
    return { changed, previous };
  }

  listConfigMaps(namespace: string, options: CallOptions = {}): Promise<KubeObject[]> {
    return this.listPages("ConfigMap", `listing config maps in namespace "${namespace}"`, options, (api, page) => api.listNamespacedConfigMap({ namespace, ...page }));
  }

  listSecrets(namespace: string, options: CallOptions = {}): Promise<KubeObject[]> {
    return this.listPages("Secret", `listing secrets in namespace "${namespace}"`, options, (api, page) => api.listNamespacedSecret({ namespace, ...page }));
  }

  /** Each page is its own bounded call, so a long list is not cut by one call's timeout. */
  private async listPages(
    kind: "ConfigMap" | "Secret",
    what: string,
    options: CallOptions,
    read: (api: CoreV1Api, page: { limit: number; _continue?: string }) => Promise<{ items: (V1ConfigMap | V1Secret)[]; metadata?: { _continue?: string } }>,
  ): Promise<KubeObject[]> {
    const objects: KubeObject[] = [];
    let next: string | undefined;
    do {
      const page = { limit: listPageSize, ...(next ? { _continue: next } : {}) };
      const list = await this.call(CoreV1Api, what, options, (api) => read(api, page));
      objects.push(...list.items.map((item) => plainObject(item, kind)));
      next = list.metadata?._continue || undefined;
    } while (next);
    return objects;
  }

  async applyObject(object: KubeObject, options: ApplyOptions): Promise<AppliedObject> {
    const { dryRun, expectedResourceVersion, ...call } = options;
    const { name, namespace } = object.metadata;
    const kind = object.kind;
    const what = `${dryRun ? "dry-run " : ""}applying ${kind === "ConfigMap" ? "config map" : kind === "Secret" ? "secret" : kind} ${namespace ?? "?"}/${name}`;
    if (kind !== "ConfigMap" && kind !== "Secret") throw new KubernetesError("invalid", `${what}: only ConfigMap and Secret objects can be applied`);
    if (!namespace) throw new KubernetesError("invalid", `${what}: metadata.namespace is missing; set the namespace the object goes to`);
    let expected = expectedResourceVersion;
    if (expected === undefined) {
      expected = await this.call(CoreV1Api, what, call, async (api) => {
        try {
          const live = kind === "ConfigMap" ? await api.readNamespacedConfigMap({ name, namespace }) : await api.readNamespacedSecret({ name, namespace });
          return live.metadata?.resourceVersion ?? null;
        } catch (error) {
          if (error instanceof ApiException && error.code === 404) return null;
          throw error;
        }
      });
    }
    const metadata: Record<string, unknown> = { ...object.metadata };
    for (const field of serverSetMetadata) delete metadata[field];
    // On a replace, the resourceVersion is the precondition: the server refuses with 409 Conflict
    // if the object changed since `expected` was read, rather than overwrite that change.
    if (expected !== null) metadata.resourceVersion = expected;
    const body = { ...object, metadata };
    const server = dryRun ? { dryRun: "All" } : {};
    const written = await this.call(CoreV1Api, what, call, (api): Promise<V1ConfigMap | V1Secret> => {
      if (kind === "ConfigMap") {
        const configMap = body as V1ConfigMap;
        return expected === null ? api.createNamespacedConfigMap({ namespace, body: configMap, ...server }) : api.replaceNamespacedConfigMap({ name, namespace, body: configMap, ...server });
      }
      const secret = body as V1Secret;
      return expected === null ? api.createNamespacedSecret({ namespace, body: secret, ...server }) : api.replaceNamespacedSecret({ name, namespace, body: secret, ...server });
    });
    return { action: expected === null ? "created" : "replaced", object: plainObject(written, kind) };
  }

  async exec(namespace: string, pod: string, command: string[], options: ExecOptions = {}): Promise<ExecResult> {
    const what = `running ${command[0] ?? "nothing"} in pod ${namespace}/${pod}`;
    if (command.length === 0) throw new KubernetesError("invalid", `${what}: no command given`);
    const found = await this.call(CoreV1Api, what, options, (api) => api.readNamespacedPod({ name: pod, namespace }));
    const names = (found.spec?.containers ?? []).map((c) => c.name);
    const all = [...names, ...(found.spec?.initContainers ?? []).map((c) => c.name)];
    if (options.container !== undefined && !all.includes(options.container)) {
      throw new KubernetesError("invalid", `${what}: the pod has no container "${options.container}"; it has ${names.join(", ")}`);
    }
    const phase = found.status?.phase;
    if (phase === "Succeeded" || phase === "Failed") throw new KubernetesError("invalid", `${what}: cannot exec into a container in a completed pod; current phase is ${phase}`);
    const container = options.container ?? found.metadata?.annotations?.["kubectl.kubernetes.io/default-container"] ?? names[0]!;
    const result = await this.bounded(`${what} container ${container}`, options, (signal) =>
      execInPod(this.kc, { namespace, pod, container, command }, { signal, maxOutputBytes: options.maxOutputBytes ?? 65_536, what: `${what} container ${container}` }),
    );
    return { container, ...result };
  }
}

/** Items per list request: a namespace of large Helm release secrets must not come back as one huge answer. */
const listPageSize = 100;

/** Set by the server; sent back, they fail the write (uid, creationTimestamp) or mislead it. */
const serverSetMetadata = ["uid", "resourceVersion", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "managedFields", "selfLink"];

/** A generated model back to the JSON the server sent: its field names are the wire names for these kinds, dates become RFC 3339 strings. */
function plainObject(model: V1ConfigMap | V1Secret, kind: "ConfigMap" | "Secret"): KubeObject {
  // List items carry no apiVersion and kind; the object as a whole needs them to be sent back.
  const { apiVersion: _a, kind: _k, ...fields } = JSON.parse(JSON.stringify(model)) as KubeObject;
  return { apiVersion: "v1", kind, ...fields };
}

const formatMs = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);

function kindOfStatus(code: number): KubernetesErrorKind {
  if (code === 400 || code === 422) return "invalid";
  if (code === 401) return "unauthorized";
  if (code === 403) return "forbidden";
  if (code === 404) return "not-found";
  if (code === 409 || code === 410) return "conflict";
  if (code === 429) return "throttled";
  if (code >= 500) return "unavailable";
  return "unknown";
}

/** The server's own words (a metav1.Status message) when it sent them. */
function statusMessage(error: ApiException<unknown>): string {
  let body: unknown = error.body;
  if (typeof body === "string") {
    const text = body.trim();
    try {
      body = JSON.parse(text);
    } catch {
      if (text) return `HTTP ${error.code}: ${text.split("\n")[0]!.slice(0, 200)}`;
    }
  }
  const message = (body as { message?: unknown } | undefined)?.message;
  if (typeof message === "string" && message) return message;
  if (error.code === 401) return "Unauthorized: the kubeconfig's credentials were refused";
  return `HTTP ${error.code}`;
}

const networkCodes: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host name lookup failed",
  EHOSTUNREACH: "no route to host",
  ENETUNREACH: "network unreachable",
  ETIMEDOUT: "connection timed out",
  EPIPE: "connection closed",
  UND_ERR_CONNECT_TIMEOUT: "connection timed out",
  UND_ERR_SOCKET: "connection closed",
  UND_ERR_CLOSED: "connection closed",
};

const tlsCodes = /^(ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_SSL_)/;

/** undici puts the socket error in `cause`, node-fetch on the error itself. */
function networkCode(error: unknown): string | undefined {
  let e: unknown = error;
  for (let depth = 0; depth < 5 && e && typeof e === "object"; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

const toDate = (v: unknown): Date | undefined => {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : v;
  if (typeof v === "string" && v) return toDate(new Date(v));
  return undefined;
};

function containerFacts(status: V1ContainerStatus, init: boolean, spec: V1Container | undefined): ContainerFacts {
  const state = status.state?.running ? "running" : status.state?.waiting ? "waiting" : status.state?.terminated ? "terminated" : "unknown";
  const reason = status.state?.waiting?.reason ?? status.state?.terminated?.reason;
  const last = status.lastState?.terminated;
  const lastTerminatedAt = toDate(last?.finishedAt);
  const pick = (r: Record<string, string> | undefined) => ({
    ...(r?.cpu !== undefined ? { cpu: String(r.cpu) } : {}),
    ...(r?.memory !== undefined ? { memory: String(r.memory) } : {}),
  });
  return {
    name: status.name,
    init,
    ready: Boolean(status.ready),
    restartCount: status.restartCount ?? 0,
    state,
    ...(reason ? { reason } : {}),
    ...(lastTerminatedAt ? { lastTerminatedAt } : {}),
    ...(last?.reason ? { lastTerminationReason: last.reason } : {}),
    limits: pick(spec?.resources?.limits),
    requests: pick(spec?.resources?.requests),
  };
}

function podFacts(pod: V1Pod): PodFacts {
  const specOf = (name: string) => [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((c) => c.name === name);
  const owner = pod.metadata?.ownerReferences?.find((o) => o.controller) ?? pod.metadata?.ownerReferences?.[0];
  const createdAt = toDate(pod.metadata?.creationTimestamp);
  return {
    name: pod.metadata?.name ?? "",
    namespace: pod.metadata?.namespace ?? "",
    uid: pod.metadata?.uid ?? "",
    phase: pod.status?.phase ?? "Unknown",
    ready: (pod.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True"),
    ...(pod.status?.reason ? { reason: pod.status.reason } : {}),
    ...(createdAt ? { createdAt } : {}),
    deleting: Boolean(pod.metadata?.deletionTimestamp),
    ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}),
    ...(owner ? { owner: { kind: owner.kind, name: owner.name } } : {}),
    containers: [
      ...(pod.status?.initContainerStatuses ?? []).map((s) => containerFacts(s, true, specOf(s.name))),
      ...(pod.status?.containerStatuses ?? []).map((s) => containerFacts(s, false, specOf(s.name))),
    ],
  };
}

function nodeFacts(node: V1Node): NodeFacts {
  const conditions = node.status?.conditions ?? [];
  const allocatable = (node.status?.allocatable ?? {}) as Record<string, string>;
  return {
    name: node.metadata?.name ?? "",
    ready: conditions.some((c) => c.type === "Ready" && c.status === "True"),
    unschedulable: Boolean(node.spec?.unschedulable),
    pressures: conditions.filter((c) => c.type !== "Ready" && c.status === "True").map((c) => c.type),
    allocatable: {
      ...(allocatable.cpu !== undefined ? { cpu: String(allocatable.cpu) } : {}),
      ...(allocatable.memory !== undefined ? { memory: String(allocatable.memory) } : {}),
    },
  };
}
