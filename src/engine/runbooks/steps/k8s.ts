import type { Config } from "../../../config/load.js";
import { parseQuantity } from "../../../domain/checks/kubernetes.js";
import type { StepSpec } from "../../../domain/runbooks/schema.js";
import { KubernetesError, type KubernetesCluster, type PodFacts, type RolloutState } from "../../../integrations/kubernetes/cluster.js";
import { StepFailure, type RenderedAction, type StepContext, type StepResult } from "../step-kind.js";

type K8sSpec = StepSpec<"k8s">;
type Action = K8sSpec["action"];

/** The module is the StepKind (loaded lazily by ./index.ts). */
export const kind = "k8s";

/** Each API call's bound. */
const callTimeoutMs = 30_000;
/** rollout-status waits at most this long (less if the step's timeout comes first). */
const rolloutWaitMs = 5 * 60_000;
/** exec: the command's backstop; the step's timeout is the one that matters. */
const execBackstopMs = 10 * 60_000;
/** logs: lines per pod, pods per step, characters kept. */
const tailLines = 1000;
const maxLogPods = 10;
const maxText = 65_536;
/** get-pods: pods listed in the outputs; `count` says how many there were. */
const maxPods = 500;

const notConfigured = "kubernetes is not configured: set GAMEOPS_KUBECONFIG and GAMEOPS_K8S_NAMESPACE or targets.kubernetes";

const destructiveActions: ReadonlySet<Action> = new Set(["scale", "rollout-restart", "rollout-undo", "patch-configmap", "exec"]);

type ResourceKind = "deployment" | "configmap" | "pod" | "node";
const kindNames: Record<string, ResourceKind> = {
  deployment: "deployment",
  deployments: "deployment",
  deploy: "deployment",
  "deployment.apps": "deployment",
  "deployments.apps": "deployment",
  configmap: "configmap",
  configmaps: "configmap",
  cm: "configmap",
  pod: "pod",
  pods: "pod",
  po: "pod",
  node: "node",
  nodes: "node",
  no: "node",
};

/** What each action may name in `resource`, in the form shown in messages. */
const accepted: Record<Action, { kinds: ResourceKind[]; shape: string; required: boolean }> = {
  scale: { kinds: ["deployment"], shape: "deployment/NAME", required: true },
  "rollout-restart": { kinds: ["deployment"], shape: "deployment/NAME", required: true },
  "rollout-status": { kinds: ["deployment"], shape: "deployment/NAME", required: true },
  "rollout-undo": { kinds: ["deployment"], shape: "deployment/NAME", required: true },
  "patch-configmap": { kinds: ["configmap"], shape: "configmap/NAME", required: true },
  "get-pods": { kinds: ["pod", "deployment"], shape: "pod/NAME or deployment/NAME (or a selector)", required: false },
  logs: { kinds: ["pod", "deployment"], shape: "pod/NAME or deployment/NAME (or a selector)", required: false },
  exec: { kinds: ["pod", "deployment"], shape: "pod/NAME or deployment/NAME (or a selector)", required: false },
  top: { kinds: ["pod", "deployment", "node"], shape: "pods (default), pod/NAME, deployment/NAME, nodes or node/NAME", required: false },
};

interface Resource {
  kind: ResourceKind;
  /** Absent for `nodes`: all of them. */
  name?: string;
}

function invalid(action: Action, message: string): StepFailure {
  return new StepFailure(`k8s ${action}: ${message}`, { retryable: false });
}

function resourceOf(spec: K8sSpec): Resource | undefined {
  const rule = accepted[spec.action];
  if (spec.resource === undefined || spec.resource === "") {
    if (rule.required) throw invalid(spec.action, `needs resource: ${rule.shape}`);
    return undefined;
  }
  const [type, name, ...rest] = spec.resource.split("/");
  const kind = kindNames[type!.toLowerCase()];
  if (kind === "pod" && name === undefined && spec.action === "top") return undefined;
  if (kind === "node" && name === undefined && spec.action === "top") return { kind };
  if (!kind || !rule.kinds.includes(kind) || !name || rest.length > 0) {
    throw invalid(spec.action, `resource "${spec.resource}" is not one this action takes: ${rule.shape}`);
  }
  return { kind, name };
}

const namespaceOf = (spec: K8sSpec, config: Config) => spec.namespace ?? config.targets.kubernetes?.namespace ?? "default";

function replicasOf(spec: K8sSpec): number {
  const n = typeof spec.replicas === "string" ? Number(spec.replicas) : spec.replicas;
  if (n === undefined || !Number.isInteger(n) || n < 0) {
    throw invalid("scale", spec.replicas === undefined ? "needs replicas: the number of pods wanted" : `replicas must be a whole number of 0 or more, got ${JSON.stringify(spec.replicas)}`);
  }
  return n;
}

/** A rendered revision; 0 (or none) is the previous one, as kubectl's --to-revision=0. */
function revisionOf(spec: K8sSpec): number | undefined {
  const n = typeof spec.revision === "string" ? Number(spec.revision) : spec.revision;
  if (n !== undefined && (!Number.isInteger(n) || n < 0)) {
    throw invalid("rollout-undo", `revision must be a whole number (0 for the previous one), got ${JSON.stringify(spec.revision)}`);
  }
  return n;
}

/** The step as the kubectl command a person would type for it. */
function kubectlLine(spec: K8sSpec, namespace: string): string {
  const ns = `-n ${namespace}`;
  const selector = spec.selector ? ` -l ${quote(spec.selector)}` : "";
  const container = spec.container ? ` -c ${spec.container}` : "";
  const resource = spec.resource ?? "";
  switch (spec.action) {
    case "scale":
      return `kubectl scale ${resource} --replicas=${spec.replicas ?? "?"} ${ns}`;
    case "rollout-restart":
      return `kubectl rollout restart ${resource} ${ns}`;
    case "rollout-status":
      return `kubectl rollout status ${resource} ${ns} --timeout=5m`;
    case "rollout-undo":
      return `kubectl rollout undo ${resource}${spec.revision ? ` --to-revision=${spec.revision}` : ""} ${ns}`;
    case "patch-configmap":
      return `kubectl patch ${resource} ${ns} --type=merge -p ${quote(JSON.stringify({ data: spec.data ?? {} }))}`;
    case "get-pods":
      return `kubectl get pods${selector || (spec.resource ? ` (of ${resource})` : "")} ${ns}`;
    case "logs":
      return `kubectl logs ${resource || `-l ${quote(spec.selector ?? "")}`}${container}${spec.since !== undefined ? ` --since=${Math.ceil(spec.since / 1000)}s` : ""} --tail=${tailLines} ${ns}`;
    case "exec":
      return `kubectl exec ${resource || `(a Ready pod of -l ${quote(spec.selector ?? "")})`}${container} ${ns} -- ${(spec.command ?? []).map(quote).join(" ")}`;
    case "top": {
      const nodes = /^(nodes?|no)(\/|$)/i.test(resource);
      if (nodes) return `kubectl top ${resource.includes("/") ? `node ${resource.split("/")[1]}` : "nodes"}`;
      return `kubectl top ${resource && !/^pods?$/i.test(resource) ? resource : "pods"}${selector} ${ns}`;
    }
  }
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function describe(spec: K8sSpec, config: Config): RenderedAction {
  const namespace = namespaceOf(spec, config);
  const context = config.targets.kubernetes?.context;
  const { action: _a, ...rest } = spec;
  return {
    summary: kubectlLine(spec, namespace),
    detail: { action: spec.action, namespace, ...rest },
    target: `kubernetes${context ? ` context ${context}` : ""} namespace ${namespace}`,
    destructive: destructiveActions.has(spec.action),
  };
}

function failure(error: unknown): StepFailure {
  if (error instanceof StepFailure) return error;
  if (error instanceof KubernetesError) return new StepFailure(error.message, { retryable: error.retryable, cause: error });
  return new StepFailure(error instanceof Error ? error.message : String(error), { retryable: false, cause: error });
}

export async function execute(spec: K8sSpec, context: StepContext): Promise<StepResult> {
  const target = context.config.targets.kubernetes;
  if (!target) throw new StepFailure(notConfigured, { retryable: false });
  const resource = resourceOf(spec);
  context.signal.throwIfAborted();
  try {
    // Loaded here: a runbook without k8s steps never pays for the Kubernetes client.
    const { openKubernetesCluster } = await import("../../../integrations/kubernetes/client-node-cluster.js");
    const cluster = openKubernetesCluster(target, { timeoutMs: callTimeoutMs });
    return await actions[spec.action]({ spec, resource, namespace: namespaceOf(spec, context.config), cluster, context });
  } catch (error) {
    throw failure(error);
  }
}

interface Run {
  spec: K8sSpec;
  resource: Resource | undefined;
  namespace: string;
  cluster: KubernetesCluster;
  context: StepContext;
}

const call = (run: Run) => ({ signal: run.context.signal });

/** The pods an action works on: a named pod, a deployment's, or a selector's (all pods without either). */
async function podsOf(run: Run): Promise<{ pods: PodFacts[]; selector?: string }> {
  const { resource, namespace, cluster } = run;
  if (resource?.kind === "pod") {
    const pods = await cluster.listPods(namespace, undefined, call(run));
    const pod = pods.find((p) => p.name === resource.name);
    if (!pod) throw new StepFailure(`pod ${namespace}/${resource.name} not found`, { retryable: false });
    return { pods: [pod] };
  }
  const selector = resource?.kind === "deployment" ? await cluster.deploymentSelector(namespace, resource.name!, call(run)) : run.spec.selector;
  return { pods: await cluster.listPods(namespace, selector, call(run)), ...(selector ? { selector } : {}) };
}

const whose = (run: Run, selector: string | undefined) =>
  run.resource?.kind === "deployment" ? `of deployment ${run.namespace}/${run.resource.name}` : selector ? `match ${selector} in namespace ${run.namespace}` : `in namespace ${run.namespace}`;

const restartsOf = (pod: PodFacts) => pod.containers.reduce((sum, c) => sum + c.restartCount, 0);

const actions: Record<Action, (run: Run) => Promise<StepResult>> = {
  async scale(run) {
    const replicas = replicasOf(run.spec);
    const { from, to } = await run.cluster.scaleDeployment(run.namespace, run.resource!.name!, replicas, call(run));
    run.context.log(`deployment ${run.namespace}/${run.resource!.name} scaled from ${from} to ${to}`);
    return { outputs: { deployment: run.resource!.name, from, to } };
  },

  async "rollout-restart"(run) {
    const { restartedAt } = await run.cluster.restartDeployment(run.namespace, run.resource!.name!, run.context.now(), call(run));
    run.context.log(`deployment ${run.namespace}/${run.resource!.name} restarted at ${restartedAt}`);
    return { outputs: { deployment: run.resource!.name, restartedAt } };
  },

  async "rollout-status"(run) {
    const name = run.resource!.name!;
    let last: RolloutState | undefined;
    let state: RolloutState;
    try {
      state = await run.cluster.rolloutStatus(run.namespace, name, {
        ...call(run),
        waitMs: rolloutWaitMs,
        onProgress: (s) => {
          if (s.message !== last?.message) run.context.log(s.message);
          last = s;
        },
      });
    } catch (error) {
      if (error instanceof KubernetesError && error.kind === "aborted" && last) {
        const timeout = (run.context.signal.reason as { name?: string } | undefined)?.name === "TimeoutError";
        throw new StepFailure(`deployment ${run.namespace}/${name} did not finish rolling out before ${timeout ? "the step timed out" : "the step was cancelled"}: ${last.message}`, {
          retryable: timeout,
          outputs: rolloutOutputs(last),
          cause: error,
        });
      }
      throw error;
    }
    if (!state.done) {
      const why = state.progressDeadlineExceeded ? state.message : `not rolled out within ${rolloutWaitMs / 60_000} minutes: ${state.message}`;
      throw new StepFailure(`deployment ${run.namespace}/${name} ${why}`, { retryable: !state.progressDeadlineExceeded, outputs: rolloutOutputs(state) });
    }
    return { outputs: rolloutOutputs(state) };
  },

  async "rollout-undo"(run) {
    const name = run.resource!.name!;
    const undo = await run.cluster.undoRollout(run.namespace, name, revisionOf(run.spec), call(run));
    run.context.log(
      undo.skipped
        ? `deployment ${run.namespace}/${name} already runs revision ${undo.to}'s template: nothing to roll back`
        : `deployment ${run.namespace}/${name} rolled back from revision ${undo.from} to revision ${undo.to}'s template`,
    );
    return { outputs: { deployment: name, ...undo } };
  },

  async "patch-configmap"(run) {
    const data = run.spec.data ?? {};
    if (Object.keys(data).length === 0) throw invalid("patch-configmap", "needs data: the keys to set, e.g. { maintenance_mode: \"true\" }");
    const name = run.resource!.name!;
    const change = await run.cluster.patchConfigMap(run.namespace, name, data, call(run));
    run.context.log(change.changed.length === 0 ? `config map ${run.namespace}/${name} already had these values` : `config map ${run.namespace}/${name}: set ${change.changed.join(", ")}`);
    return { outputs: { configMap: name, ...change } };
  },

  async "get-pods"(run) {
    const { pods, selector } = await podsOf(run);
    const shown = pods.slice(0, maxPods).map((p) => ({
      name: p.name,
      phase: p.phase,
      ready: p.ready,
      restarts: restartsOf(p),
      ...(p.reason ? { reason: p.reason } : {}),
      ...(p.nodeName ? { node: p.nodeName } : {}),
      ...(p.createdAt ? { createdAt: p.createdAt.toISOString() } : {}),
      ...(p.deleting ? { deleting: true } : {}),
      containers: p.containers.map((c) => ({ name: c.name, ready: c.ready, state: c.state, restarts: c.restartCount, ...(c.reason ? { reason: c.reason } : {}) })),
    }));
    const ready = pods.filter((p) => p.ready).length;
    run.context.log(`${pods.length} pod${pods.length === 1 ? "" : "s"} ${whose(run, selector)}, ${ready} ready`);
    return { outputs: { pods: shown, count: pods.length, ready, ...(pods.length > maxPods ? { truncated: true } : {}) } };
  },

  async logs(run) {
    let names: string[];
    if (run.resource?.kind === "pod") names = [run.resource.name!];
    else {
      const { pods, selector } = await podsOf(run);
      if (pods.length === 0) throw new StepFailure(`no pods ${whose(run, selector)}`, { retryable: true });
      names = pods.map((p) => p.name);
    }
    const total = names.length;
    names = names.slice(0, maxLogPods);
    const prefix = run.resource?.kind !== "pod";
    const texts = await Promise.all(
      names.map(async (pod) => {
        const text = await run.cluster.podLogs(run.namespace, pod, {
          ...call(run),
          tailLines,
          ...(run.spec.container ? { container: run.spec.container } : {}),
          ...(run.spec.since !== undefined ? { sinceSeconds: Math.ceil(run.spec.since / 1000) } : {}),
        });
        const lines = text.split("\n").filter((line, i, all) => line !== "" || i < all.length - 1);
        return prefix ? lines.map((line) => `[pod/${pod}] ${line}`) : lines;
      }),
    );
    const lines = texts.flat();
    let text = lines.join("\n");
    const truncated = text.length > maxText;
    if (truncated) text = text.slice(text.length - maxText).replace(/^[^\n]*\n/, "");
    for (const line of text.split("\n")) if (line) run.context.log(line);
    return { outputs: { pods: names, text, lines: lines.length, ...(truncated || total > maxLogPods ? { truncated: true } : {}) } };
  },

  async exec(run) {
    const command = run.spec.command ?? [];
    if (command.length === 0) throw invalid("exec", "needs command: the program and its arguments, e.g. [jcmd, 1, GC.heap_info]");
    let pod = run.resource?.kind === "pod" ? run.resource.name! : undefined;
    if (!pod) {
      const { pods, selector } = await podsOf(run);
      const ready = pods.filter((p) => p.phase === "Running" && p.ready && !p.deleting).sort((a, b) => a.name.localeCompare(b.name));
      if (!ready[0]) throw new StepFailure(`no Running and Ready pod ${whose(run, selector)} to exec in`, { retryable: true });
      pod = ready[0].name;
    }
    const result = await run.cluster.exec(run.namespace, pod, command, {
      ...call(run),
      timeoutMs: execBackstopMs,
      ...(run.spec.container ? { container: run.spec.container } : {}),
    });
    for (const line of `${result.stdout}${result.stderr}`.split("\n")) if (line) run.context.log(line);
    const outputs = { pod, container: result.container, exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr, ...(result.truncated ? { truncated: true } : {}) };
    if (result.exitCode !== 0) {
      const tail = (result.stderr.trim() || result.stdout.trim()).split("\n").slice(-5);
      throw new StepFailure(`${command[0]} in pod ${run.namespace}/${pod} exited with code ${result.exitCode}${tail[0] ? `; last lines:\n${tail.join("\n")}` : ""}`, {
        retryable: false,
        exitCode: result.exitCode,
        outputs,
      });
    }
    return { outputs, exitCode: 0 };
  },

  async top(run) {
    if (run.resource?.kind === "node") return topNodes(run);
    let selector = run.spec.selector;
    if (run.resource?.kind === "deployment") selector = await run.cluster.deploymentSelector(run.namespace, run.resource.name!, call(run));
    let usage = await run.cluster.podMetrics(run.namespace, selector, call(run));
    if (run.resource?.kind === "pod") {
      usage = usage.filter((u) => u.name === run.resource!.name);
      if (usage.length === 0) throw new StepFailure(`no metrics for pod ${run.namespace}/${run.resource.name} (metrics.k8s.io has none: is it running?)`, { retryable: true });
    }
    const pods = usage
      .map((u) => {
        const containers = u.containers.map((c) => ({ name: c.name, ...amounts(c.cpu, c.memory) }));
        const cpuMillicores = containers.reduce((sum, c) => sum + c.cpuMillicores, 0);
        const memoryBytes = containers.reduce((sum, c) => sum + c.memoryBytes, 0);
        return { name: u.name, cpu: `${cpuMillicores}m`, memory: mebibytes(memoryBytes), cpuMillicores, memoryBytes, containers };
      })
      // Hungriest first: what a high-CPU runbook reads.
      .sort((a, b) => b.cpuMillicores - a.cpuMillicores || b.memoryBytes - a.memoryBytes);
    const total = { cpuMillicores: pods.reduce((s, p) => s + p.cpuMillicores, 0), memoryBytes: pods.reduce((s, p) => s + p.memoryBytes, 0) };
    for (const p of pods) run.context.log(`${p.name}  ${p.cpu}  ${p.memory}`);
    return { outputs: { pods, count: pods.length, total } };
  },
};

async function topNodes(run: Run): Promise<StepResult> {
  const [usage, nodes] = await Promise.all([run.cluster.nodeMetrics(call(run)), run.cluster.listNodes(call(run))]);
  const wanted = run.resource?.name;
  const shown = usage
    .filter((u) => wanted === undefined || u.name === wanted)
    .map((u) => {
      const amount = amounts(u.cpu, u.memory);
      const allocatable = nodes.find((n) => n.name === u.name)?.allocatable;
      const pct = (used: number, of: string | undefined, scale: number) => (of === undefined ? undefined : Math.round((used / (safeQuantity(of) * scale)) * 100));
      const cpuPercent = pct(amount.cpuMillicores, allocatable?.cpu, 1000);
      const memoryPercent = pct(amount.memoryBytes, allocatable?.memory, 1);
      return {
        name: u.name,
        cpu: `${amount.cpuMillicores}m`,
        memory: mebibytes(amount.memoryBytes),
        ...amount,
        ...(cpuPercent !== undefined && Number.isFinite(cpuPercent) ? { cpuPercent } : {}),
        ...(memoryPercent !== undefined && Number.isFinite(memoryPercent) ? { memoryPercent } : {}),
      };
    })
    .sort((a, b) => b.cpuMillicores - a.cpuMillicores);
  if (wanted !== undefined && shown.length === 0) throw new StepFailure(`no metrics for node ${wanted}`, { retryable: true });
  for (const n of shown) run.context.log(`${n.name}  ${n.cpu}${n.cpuPercent !== undefined ? ` (${n.cpuPercent} %)` : ""}  ${n.memory}${n.memoryPercent !== undefined ? ` (${n.memoryPercent} %)` : ""}`);
  return { outputs: { nodes: shown, count: shown.length } };
}

const safeQuantity = (text: string) => {
  try {
    return parseQuantity(text);
  } catch {
    return Number.NaN;
  }
};

/** metrics.k8s.io quantities as whole millicores and bytes. */
function amounts(cpu: string, memory: string): { cpuMillicores: number; memoryBytes: number } {
  return { cpuMillicores: Math.round(safeQuantity(cpu) * 1000) || 0, memoryBytes: Math.round(safeQuantity(memory)) || 0 };
}

/** As kubectl top prints memory. */
const mebibytes = (bytes: number) => `${Math.round(bytes / 1_048_576)}Mi`;

function rolloutOutputs(state: RolloutState): Record<string, unknown> {
  return {
    done: state.done,
    replicas: state.replicas,
    updated: state.updated,
    ready: state.ready,
    available: state.available,
    ...(state.revision !== undefined ? { revision: state.revision } : {}),
    message: state.message,
  };
}
