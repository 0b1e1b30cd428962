import { readFileSync } from "node:fs";
import type { RequestOptions } from "node:https";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeConfig } from "@kubernetes/client-node";
import type { FleetTarget } from "../../config/load.js";
import { formatDuration } from "../../config/duration.js";
import { AdminApi } from "./admin-api.js";
import { onEachServer, selectServers, summarize } from "./each-server.js";
import { FleetError } from "./errors.js";
import type {
  Broadcasted,
  CallOptions,
  CpuProfile,
  FleetFault,
  FleetMember,
  FleetServer,
  FleetSessions,
  FleetStatus,
  GameFleet,
  HeapSnapshot,
  Injected,
  InjectOptions,
  Restarted,
  Scaled,
  ScopedOptions,
} from "./fleet.js";
import { fetchText } from "./request.js";

type KubernetesFleetTarget = Extract<FleetTarget, { kind: "kubernetes" }>;

export interface ClusterTarget {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
}

/** A pod of the fleet, as far as the fleet cares. */
interface Pod {
  server: string;
  region?: string;
  up: boolean;
  /** Why it is not up: Pending, not Ready, no IP. */
  problem?: string;
}

type KubeObject = Record<string, any>;

const apiTimeoutMs = 10_000;
/** How long a restart or a scale waits for the Deployment to be rolled out, unless the caller says. */
const rolloutTimeoutMs = 180_000;
const pollMs = 1000;
const restartedAtAnnotation = "kubectl.kubernetes.io/restartedAt";

/**
 * A Deployment of game servers in Kubernetes. Restart and scale are Deployment operations (as
 * `kubectl rollout restart` and `kubectl scale` do them), maintenance is the ConfigMap key
 * `maintenance_mode` that pods read when they start plus each running pod's admin API, and the
 * admin API is reached through the API server's pod proxy
 * (`/api/v1/namespaces/{ns}/pods/{pod}:{port}/proxy/…`): a Service's proxy reaches one pod at
 * random, and a fleet operation must reach each. The Service's proxy is what status checks:
 * whether players reach any pod at all.
 *
 * The API server keeps the Authorization header for itself, so the admin token travels as
 * `X-Admin-Token`.
 */
export class KubernetesFleet implements GameFleet {
  readonly kind = "kubernetes" as const;
  readonly label: string;
  private readonly kc: KubeConfig;
  private readonly server: string;
  private readonly namespace: string;

  constructor(
    private readonly target: KubernetesFleetTarget,
    cluster: ClusterTarget,
  ) {
    this.kc = loadKubeconfig(cluster);
    this.server = this.kc.getCurrentCluster()!.server.replace(/\/$/, "");
    this.namespace = target.namespace ?? cluster.namespace ?? this.kc.getContextObject(this.kc.getCurrentContext())?.namespace ?? "default";
    this.label = `deployment/${target.deployment} in namespace ${this.namespace}`;
  }

  private get ns(): string {
    return encodeURIComponent(this.namespace);
  }

  private async tls(): Promise<RequestOptions> {
    const options: RequestOptions = {};
    await this.kc.applyToHTTPSOptions(options);
    return options;
  }

  /** One Kubernetes API call; a metav1.Status answer becomes a FleetError in its words. */
  private async api(method: "GET" | "POST" | "PATCH" | "DELETE", path: string, what: string, options: CallOptions & { body?: unknown; contentType?: string } = {}): Promise<KubeObject> {
    const answer = await fetchText({
      method,
      url: new URL(`${this.server}${path}`),
      headers: { Accept: "application/json", "User-Agent": "gameops", ...(options.body === undefined ? {} : { "Content-Type": options.contentType ?? "application/json" }) },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      what,
      timeoutMs: options.timeoutMs ?? apiTimeoutMs,
      ...(options.signal ? { signal: options.signal } : {}),
      tls: await this.tls(),
    });
    let body: KubeObject | undefined;
    try {
      body = JSON.parse(answer.text) as KubeObject;
    } catch {
      body = undefined;
    }
    if (answer.status >= 200 && answer.status < 300 && body) return body;
    const said = typeof body?.message === "string" ? body.message : `HTTP ${answer.status}`;
    const status = answer.status;
    if (status === 401) throw new FleetError("unauthorized", `${what}: the Kubernetes API at ${this.server} refused the kubeconfig's credentials`, { status });
    if (status === 403) throw new FleetError("forbidden", `${what}: ${said}`, { status });
    if (status === 404) throw new FleetError("config", `${what}: ${said} in namespace ${this.namespace}; check targets.fleet`, { status });
    if (status === 409 || status === 429 || status >= 500) throw new FleetError("unavailable", `${what}: ${said}`, { status });
    if (status >= 200 && status < 300) throw new FleetError("bad-answer", `${what}: the Kubernetes API answered something other than JSON`, { status });
    throw new FleetError("refused", `${what}: ${said}`, { status });
  }

  private deployment(options: CallOptions): Promise<KubeObject> {
    return this.api("GET", `/apis/apps/v1/namespaces/${this.ns}/deployments/${encodeURIComponent(this.target.deployment)}`, `reading ${this.label}`, options);
  }

  private async selector(options: CallOptions): Promise<string> {
    if (this.target.labelSelector) return this.target.labelSelector;
    const labels: Record<string, string> = (await this.deployment(options)).spec?.selector?.matchLabels ?? {};
    return Object.entries(labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(",");
  }

  private async pods(options: CallOptions): Promise<Pod[]> {
    const selector = await this.selector(options);
    const list = await this.api("GET", `/api/v1/namespaces/${this.ns}/pods?labelSelector=${encodeURIComponent(selector)}`, `listing the pods of ${this.label}`, options);
    return ((list.items ?? []) as KubeObject[])
      .filter((p) => !p.metadata?.deletionTimestamp)
      .map((p) => {
        const ready = (p.status?.conditions ?? []).some((c: KubeObject) => c.type === "Ready" && c.status === "True");
        const phase: string = p.status?.phase ?? "Unknown";
        const problem = phase !== "Running" ? phase : !ready ? "not Ready" : !p.status?.podIP ? "no pod IP yet" : undefined;
        return { server: String(p.metadata?.name), ...(p.metadata?.labels?.region ? { region: String(p.metadata.labels.region) } : {}), up: problem === undefined, ...(problem ? { problem } : {}) };
      });
  }

  private admin(pod: string, tls: RequestOptions): AdminApi {
    const base = `${this.server}/api/v1/namespaces/${this.ns}/pods/${encodeURIComponent(pod)}:${this.target.adminPort}/proxy/`;
    return new AdminApi(pod, {
      url: (path) => new URL(`${base}${path}`),
      headers: this.target.token ? { "X-Admin-Token": this.target.token.reveal() } : {},
      tls,
    });
  }

  private async upPods(options: ScopedOptions): Promise<Pod[]> {
    return selectServers(await this.pods(options), options.scope, this.label).filter((p) => p.up);
  }

  private async onePod(server: string, options: CallOptions): Promise<Pod> {
    const [pod] = selectServers(await this.pods(options), { server }, this.label);
    if (!pod!.up) throw new FleetError("unavailable", `pod ${server} is not up (${pod!.problem}); try again when it is Ready`, { server });
    return pod!;
  }

  private async maintenanceSwitch(options: CallOptions): Promise<{ on: boolean; message?: string }> {
    try {
      const cm = await this.api("GET", `/api/v1/namespaces/${this.ns}/configmaps/${encodeURIComponent(this.target.configMap)}`, `reading configmap ${this.target.configMap}`, options);
      const message = cm.data?.maintenance_message;
      return { on: cm.data?.maintenance_mode === "true", ...(typeof message === "string" && message ? { message } : {}) };
    } catch (error) {
      if (error instanceof FleetError && error.details.status === 404) return { on: false };
      throw error;
    }
  }

  async status(options: ScopedOptions = {}): Promise<FleetStatus> {
    const [deployment, pods, maintenance, tls] = await Promise.all([this.deployment(options), this.pods(options), this.maintenanceSwitch(options), this.tls()]);
    const selected = selectServers(pods, options.scope, this.label);
    const address = (pod: string) => `pod/${pod}:${this.target.adminPort}`;
    const servers = await Promise.all(
      selected.map(async (p): Promise<FleetServer> => {
        if (!p.up) return { server: p.server, address: address(p.server), up: false, problem: p.problem! };
        try {
          return { server: p.server, address: address(p.server), up: true, status: await this.admin(p.server, tls).status(options) };
        } catch (error) {
          return { server: p.server, address: address(p.server), up: false, problem: (error as Error).message };
        }
      }),
    );
    return {
      kind: this.kind,
      label: this.label,
      servers,
      desired: deployment.spec?.replicas ?? 1,
      maintenance,
      ...summarize(servers),
      service: await this.probeService(tls, options),
    };
  }

  /** What players see: whether the Service routes to a pod that answers. */
  private async probeService(tls: RequestOptions, options: CallOptions): Promise<NonNullable<FleetStatus["service"]>> {
    const name = this.target.service;
    try {
      const answer = await fetchText({
        method: "GET",
        url: new URL(`${this.server}/api/v1/namespaces/${this.ns}/services/${encodeURIComponent(name)}:${this.target.adminPort}/proxy/healthz`),
        headers: { Accept: "application/json" },
        what: `probing service ${name}`,
        timeoutMs: options.timeoutMs ?? apiTimeoutMs,
        ...(options.signal ? { signal: options.signal } : {}),
        tls,
      });
      if (answer.status === 200) return { name, reachable: true };
      let said = `HTTP ${answer.status}`;
      try {
        const body = JSON.parse(answer.text) as { message?: unknown };
        if (typeof body.message === "string") said = body.message;
      } catch {
        // not JSON: keep the status
      }
      return { name, reachable: false, problem: said };
    } catch (error) {
      return { name, reachable: false, problem: (error as Error).message };
    }
  }

  async sessions(options: ScopedOptions = {}): Promise<FleetSessions> {
    const [pods, tls] = await Promise.all([this.upPods(options), this.tls()]);
    const servers = await onEachServer(pods, `listing sessions of ${this.label}`, (p) => this.admin(p.server, tls).sessions(options));
    return { count: servers.reduce((sum, s) => sum + s.count, 0), servers: servers.map((s, i) => ({ ...s, server: pods[i]!.server })) };
  }

  async setMaintenance(on: boolean, message?: string, options: ScopedOptions = {}): Promise<FleetServer[]> {
    // The ConfigMap first: a pod that starts while this runs comes up in the mode asked for.
    if (!options.scope) await this.writeMaintenanceSwitch(on, message, options);
    const [pods, tls] = await Promise.all([this.upPods(options), this.tls()]);
    const statuses = await onEachServer(pods, `turning maintenance ${on ? "on" : "off"}`, (p) => this.admin(p.server, tls).setMaintenance(on, message, options));
    return statuses.map((status, i) => ({ server: pods[i]!.server, address: `pod/${pods[i]!.server}:${this.target.adminPort}`, up: true, status }));
  }

  private async writeMaintenanceSwitch(on: boolean, message: string | undefined, options: CallOptions): Promise<void> {
    const name = this.target.configMap;
    const data = { maintenance_mode: on ? "true" : "false", maintenance_message: on && message ? message : null };
    const what = `setting maintenance_mode=${on} in configmap ${name}`;
    try {
      await this.api("PATCH", `/api/v1/namespaces/${this.ns}/configmaps/${encodeURIComponent(name)}`, what, { ...options, body: { data }, contentType: "application/merge-patch+json" });
    } catch (error) {
      if (!(error instanceof FleetError && error.details.status === 404)) throw error;
      const created = Object.fromEntries(Object.entries(data).filter(([, v]) => v !== null));
      await this.api("POST", `/api/v1/namespaces/${this.ns}/configmaps`, what, { ...options, body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data: created } });
    }
  }

  async setAcceptingSessions(on: boolean, options: ScopedOptions = {}): Promise<FleetServer[]> {
    const [pods, tls] = await Promise.all([this.upPods(options), this.tls()]);
    const statuses = await onEachServer(pods, `${on ? "accepting" : "refusing"} new sessions`, (p) => this.admin(p.server, tls).setAccepting(on, options));
    return statuses.map((status, i) => ({ server: pods[i]!.server, address: `pod/${pods[i]!.server}:${this.target.adminPort}`, up: true, status }));
  }

  async broadcast(message: string, options: ScopedOptions = {}): Promise<Broadcasted> {
    const [pods, tls] = await Promise.all([this.upPods(options), this.tls()]);
    const sent = await onEachServer(pods, "broadcasting", (p) => this.admin(p.server, tls).broadcast(message, options));
    const perServer = sent.map((s, i) => ({ server: pods[i]!.server, delivered: s.delivered }));
    return { delivered: perServer.reduce((sum, s) => sum + s.delivered, 0), servers: perServer };
  }

  /** Each pod's pid where it answers: what shows a restart really replaced the processes. */
  private async members(pods: Pod[], options: CallOptions): Promise<FleetMember[]> {
    const tls = await this.tls();
    return Promise.all(
      pods.map(async (p) => {
        if (!p.up) return { server: p.server };
        try {
          return { server: p.server, pid: (await this.admin(p.server, tls).status({ ...options, timeoutMs: 2000 })).pid };
        } catch {
          return { server: p.server };
        }
      }),
    );
  }

  async restart(server: string | undefined, options: CallOptions = {}): Promise<Restarted> {
    const deadline = this.deadline(options);
    const pods = await this.pods(deadline);
    const selected = server === undefined ? pods : selectServers(pods, { server }, this.label);
    const before = await this.members(selected, deadline);
    if (server === undefined) {
      // What `kubectl rollout restart` does: a new template annotation, so a new ReplicaSet.
      const patch = { spec: { template: { metadata: { annotations: { [restartedAtAnnotation]: new Date().toISOString() } } } } };
      await this.api("PATCH", `/apis/apps/v1/namespaces/${this.ns}/deployments/${encodeURIComponent(this.target.deployment)}`, `restarting ${this.label}`, {
        ...deadline,
        body: patch,
        contentType: "application/strategic-merge-patch+json",
      });
    } else {
      // The pod's ReplicaSet replaces it with a new pod.
      await this.api("DELETE", `/api/v1/namespaces/${this.ns}/pods/${encodeURIComponent(server)}`, `deleting pod ${server} to restart it`, deadline);
    }
    const gone = new Set(selected.map((p) => p.server));
    const fresh = await this.waitRolledOut(deadline, (now) => (server === undefined ? true : now.some((p) => !pods.some((old) => old.server === p.server)) && !now.some((p) => gone.has(p.server))));
    const after = await this.members(fresh.filter((p) => !pods.some((old) => old.server === p.server)), deadline);
    return { before, after };
  }

  async scale(servers: number, options: CallOptions = {}): Promise<Scaled> {
    if (!Number.isInteger(servers) || servers < 0) throw new FleetError("refused", `a fleet scales to a whole number of servers, not ${servers}`);
    const deadline = this.deadline(options);
    const path = `/apis/apps/v1/namespaces/${this.ns}/deployments/${encodeURIComponent(this.target.deployment)}/scale`;
    const current = await this.api("GET", path, `reading the scale of ${this.label}`, deadline);
    await this.api("PATCH", path, `scaling ${this.label} to ${servers}`, { ...deadline, body: { spec: { replicas: servers } }, contentType: "application/merge-patch+json" });
    const pods = await this.waitRolledOut(deadline, (now) => now.filter((p) => p.up).length === servers);
    return { from: current.spec?.replicas ?? 0, to: servers, servers: await this.members(pods, deadline) };
  }

  private deadline(options: CallOptions): CallOptions & { signal: AbortSignal } {
    const timeout = AbortSignal.timeout(options.timeoutMs ?? rolloutTimeoutMs);
    return { signal: options.signal ? AbortSignal.any([options.signal, timeout]) : timeout };
  }

  /** Polls until the Deployment is rolled out (as `kubectl rollout status` judges) and `settled` agrees. */
  private async waitRolledOut(options: { signal: AbortSignal }, settled: (pods: Pod[]) => boolean): Promise<Pod[]> {
    const started = Date.now();
    for (;;) {
      const d = await this.deployment(options);
      const want: number = d.spec?.replicas ?? 1;
      const s = d.status ?? {};
      const done = (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) && (s.updatedReplicas ?? 0) === want && (s.replicas ?? 0) === want && (s.availableReplicas ?? 0) === want;
      if (done) {
        const pods = await this.pods(options);
        if (pods.length === want && settled(pods)) return pods;
      }
      try {
        await sleep(pollMs, undefined, { signal: options.signal });
      } catch {
        throw new FleetError("timeout", `${this.label} was not rolled out after ${formatDuration(Date.now() - started)}: ${s.updatedReplicas ?? 0} of ${want} updated, ${s.availableReplicas ?? 0} available`);
      }
    }
  }

  async inject(server: string, fault: FleetFault, durationMs: number, options: InjectOptions = {}): Promise<Injected> {
    await this.onePod(server, options);
    return this.admin(server, await this.tls()).inject(fault, durationMs, options.thread, options);
  }

  async profile(server: string, durationMs: number, options: CallOptions = {}): Promise<CpuProfile> {
    const { timeoutMs: _ignored, ...rest } = options;
    await this.onePod(server, rest);
    return this.admin(server, await this.tls()).profile(durationMs, options);
  }

  async heapSnapshot(server: string, options: CallOptions = {}): Promise<HeapSnapshot> {
    const { timeoutMs: _ignored, ...rest } = options;
    await this.onePod(server, rest);
    return this.admin(server, await this.tls()).heapSnapshot(options);
  }
}

function loadKubeconfig(target: ClusterTarget): KubeConfig {
  const kc = new KubeConfig();
  const source = target.kubeconfig ?? "the default kubeconfig";
  if (target.kubeconfig) {
    let text: string;
    try {
      text = readFileSync(target.kubeconfig, "utf8");
    } catch (error) {
      throw new FleetError("config", `cannot read kubeconfig ${source} (${(error as NodeJS.ErrnoException).code ?? "error"}); point GAMEOPS_KUBECONFIG or targets.kubernetes.kubeconfig at a readable file`);
    }
    try {
      kc.loadFromString(text);
    } catch {
      // The parser's message can quote the file, tokens included.
      throw new FleetError("config", `kubeconfig ${source} is not a valid kubeconfig (YAML with clusters, users and contexts)`);
    }
    kc.makePathsAbsolute(dirname(target.kubeconfig));
  } else {
    try {
      kc.loadFromDefault();
    } catch {
      throw new FleetError("config", "cannot load the default kubeconfig (KUBECONFIG, ~/.kube/config or the in-cluster service account); set GAMEOPS_KUBECONFIG");
    }
  }
  if (target.context) {
    if (!kc.getContextObject(target.context)) throw new FleetError("config", `context "${target.context}" is not in ${source}`);
    kc.setCurrentContext(target.context);
  }
  if (!kc.getCurrentCluster()) throw new FleetError("config", `${source} has no current context with a cluster; set GAMEOPS_K8S_CONTEXT or targets.kubernetes.context`);
  return kc;
}
