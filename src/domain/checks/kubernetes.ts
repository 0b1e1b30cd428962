import type { Thresholds } from "../../config/schema.js";
import { grade, pct, round, worst, type Status, type Verdict } from "./verdict.js";

export interface ContainerState {
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
}

export interface PodState {
  name: string;
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
  containers: ContainerState[];
}

export interface NodeState {
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
  containers: { name: string; cpu: string; memory: string }[];
}

/** Why a part of the facts could not be collected; the rest is still judged. */
export interface Unavailable {
  unavailable: string;
}

export interface KubernetesFacts {
  namespace: string;
  labelSelector?: string;
  pods: PodState[];
  nodes: NodeState[] | Unavailable;
  metrics: { nodes: NodeUsage[]; pods: PodUsage[] } | Unavailable;
}

const restartWindowMs = 24 * 3_600_000;

/** Waiting reasons a container does not leave without someone changing something. */
const stuckReasons = new Set([
  "CrashLoopBackOff",
  "ImagePullBackOff",
  "ErrImagePull",
  "InvalidImageName",
  "CreateContainerConfigError",
  "CreateContainerError",
  "RunContainerError",
]);

const binarySuffix: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const decimalSuffix: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/**
 * A Kubernetes resource quantity as a plain number: cores for CPU (`250m` → 0.25,
 * `123456789n` → 0.123…), bytes for memory (`1Gi`, `123456Ki`, `1e9`, `1.5`).
 */
export function parseQuantity(text: string): number {
  const m = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:[eE]([+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not a Kubernetes quantity (like 250m, 1.5, 1Gi or 123456Ki)`);
  const value = Number(m[1]);
  if (m[2] !== undefined) return value * 10 ** Number(m[2]);
  const suffix = m[3] ?? "";
  return value * (binarySuffix[suffix] ?? decimalSuffix[suffix]!);
}

function quantity(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  try {
    return parseQuantity(text);
  } catch {
    return undefined;
  }
}

/**
 * Restarts of one container within the last 24 h. The API keeps only the lifetime
 * `restartCount` and the end of the latest restart (`lastState.terminated.finishedAt`), so:
 * - a pod created inside the window had all its restarts inside it: exact;
 * - otherwise, a latest restart inside the window proves at least one: a lower bound (`exact`
 *   false, shown as "3+"); the earlier ones may be days old, and counting them all would turn
 *   one restart today on a month-old pod into a page;
 * - a latest restart before the window means none inside it.
 * An ongoing crash loop is judged by its CrashLoopBackOff state, not by this count.
 */
export function restartsInWindow(pod: Pick<PodState, "createdAt">, c: Pick<ContainerState, "restartCount" | "lastTerminatedAt">, now: Date): { count: number; exact: boolean } {
  if (c.restartCount <= 0) return { count: 0, exact: true };
  const since = now.getTime() - restartWindowMs;
  if (pod.createdAt && pod.createdAt.getTime() >= since) return { count: c.restartCount, exact: true };
  if (c.lastTerminatedAt && c.lastTerminatedAt.getTime() >= since) return { count: 1, exact: false };
  return { count: 0, exact: true };
}

interface Problem {
  pod: string;
  status: Status;
  problem: string;
}

const list = (names: string[], max = 3) => (names.length > max ? `${names.slice(0, max).join(", ")}, …` : names.join(", "));
const isUnavailable = (v: unknown): v is Unavailable => typeof v === "object" && v !== null && "unavailable" in v;

export function judgeKubernetes(facts: KubernetesFacts, limits: Thresholds["kubernetes"], now: Date): Verdict {
  const statuses: Status[] = [];
  const parts: string[] = [];
  const problems: Problem[] = [];

  // Pods that should be running: Succeeded ones are finished jobs, Failed and terminating ones are told apart.
  const expected = facts.pods.filter((p) => !p.deleting && (p.phase === "Running" || p.phase === "Pending" || p.phase === "Unknown"));
  const ready = expected.filter((p) => p.phase === "Running" && p.ready);
  const completed = facts.pods.filter((p) => p.phase === "Succeeded").length;
  const failed = facts.pods.filter((p) => p.phase === "Failed" && !p.deleting);
  const terminating = facts.pods.filter((p) => p.deleting && p.phase !== "Succeeded").length;
  const crashLooping: string[] = [];
  const stuck: string[] = [];

  for (const p of expected) {
    const blocked = p.containers.filter((c) => c.state === "waiting" && c.reason && stuckReasons.has(c.reason));
    for (const c of blocked) {
      problems.push({ pod: p.name, status: "critical", problem: `container ${c.name} ${c.reason} (${c.restartCount} restarts${c.lastTerminationReason ? `, last exit ${c.lastTerminationReason}` : ""})` });
    }
    if (blocked.some((c) => c.reason === "CrashLoopBackOff")) crashLooping.push(p.name);
    else if (blocked.length > 0) stuck.push(`${p.name} ${blocked[0]!.reason}`);
    else if (!(p.phase === "Running" && p.ready)) {
      const waiting = p.containers.find((c) => c.state === "waiting" && c.reason);
      const unready = p.containers.filter((c) => !c.init && !c.ready).map((c) => c.name);
      const why = waiting ? `container ${waiting.name} ${waiting.reason}` : unready.length > 0 ? `containers not ready: ${unready.join(", ")}` : "not ready";
      problems.push({ pod: p.name, status: "warning", problem: `${p.phase}, ${why}` });
    }
  }
  for (const p of failed) problems.push({ pod: p.name, status: "warning", problem: `Failed${p.reason ? ` (${p.reason})` : ""}` });
  statuses.push(...problems.map((p) => p.status));

  if (facts.pods.length === 0) {
    statuses.push("warning");
    parts.push(`no pods in namespace ${facts.namespace}${facts.labelSelector ? ` matching ${facts.labelSelector}` : ""}`);
  } else {
    parts.push(`${ready.length}/${expected.length} pods ready`);
    if (expected.length > 0 && ready.length === 0) statuses.push("critical");
    if (crashLooping.length > 0) parts.push(`${crashLooping.length} in CrashLoopBackOff (${list(crashLooping)})`);
    if (stuck.length > 0) parts.push(`${stuck.length} stuck (${list(stuck)})`);
    if (failed.length > 0) parts.push(`${failed.length} failed`);
  }

  const byPod = facts.pods
    .map((p) => {
      const counts = p.containers.map((c) => restartsInWindow(p, c, now));
      return { pod: p.name, restarts: counts.reduce((n, c) => n + c.count, 0), exact: counts.every((c) => c.exact) };
    })
    .filter((r) => r.restarts > 0)
    .sort((a, b) => b.restarts - a.restarts);
  const totalRestarts = byPod.reduce((n, r) => n + r.restarts, 0);
  const restartsExact = byPod.every((r) => r.exact);
  // The band is per pod: one pod restarting all day matters whatever the size of the fleet.
  statuses.push(grade(byPod[0]?.restarts ?? 0, limits.restarts24h));
  parts.push(`${totalRestarts}${restartsExact ? "" : "+"} restarts in 24 h`);

  const nodeDetails = judgeNodes(facts, limits, statuses, parts);

  return {
    status: worst(statuses),
    summary: parts.join(", "),
    details: {
      namespace: facts.namespace,
      ...(facts.labelSelector ? { labelSelector: facts.labelSelector } : {}),
      pods: { total: facts.pods.length, expected: expected.length, ready: ready.length, completed, failed: failed.length, terminating },
      problems,
      restarts24h: { total: totalRestarts, exact: restartsExact, byPod },
      ...nodeDetails,
    },
  };
}

function judgeNodes(facts: KubernetesFacts, limits: Thresholds["kubernetes"], statuses: Status[], parts: string[]): Record<string, unknown> {
  const details: Record<string, unknown> = {};
  const nodes = isUnavailable(facts.nodes) ? [] : facts.nodes;
  if (isUnavailable(facts.nodes)) {
    statuses.push("warning");
    details.nodesUnavailable = facts.nodes.unavailable;
    parts.push("node list unavailable");
  }
  const usage = isUnavailable(facts.metrics) ? undefined : facts.metrics;
  if (isUnavailable(facts.metrics)) {
    statuses.push("warning");
    details.metrics = `unavailable: ${facts.metrics.unavailable}`;
  }

  const notReady = nodes.filter((n) => !n.ready).map((n) => n.name);
  const pressured = nodes.filter((n) => n.pressures.length > 0);
  if (notReady.length > 0 || pressured.length > 0) statuses.push("warning");

  const rows = nodes.map((n) => {
    const used = usage?.nodes.find((u) => u.name === n.name);
    const cpuAllocatable = quantity(n.allocatable.cpu);
    const memoryAllocatable = quantity(n.allocatable.memory);
    const cpu = quantity(used?.cpu);
    const memory = quantity(used?.memory);
    return {
      name: n.name,
      ready: n.ready,
      ...(n.unschedulable ? { cordoned: true } : {}),
      ...(n.pressures.length > 0 ? { pressures: n.pressures } : {}),
      ...(cpu !== undefined ? { cpuCores: round(cpu, 3) } : {}),
      ...(cpu !== undefined && cpuAllocatable ? { cpuPct: round(pct(cpu, cpuAllocatable)) } : {}),
      ...(memory !== undefined ? { memoryMiB: round(memory / 2 ** 20) } : {}),
      ...(memory !== undefined && memoryAllocatable ? { memoryPct: round(pct(memory, memoryAllocatable)) } : {}),
    };
  });
  if (!isUnavailable(facts.nodes)) details.nodes = rows;
  const cpuMax = Math.max(...rows.map((r) => r.cpuPct ?? -1));
  const memMax = Math.max(...rows.map((r) => r.memoryPct ?? -1));

  if (usage) {
    const withoutMetrics = nodes.filter((n) => !usage.nodes.some((u) => u.name === n.name)).map((n) => n.name);
    if (withoutMetrics.length > 0) details.nodesWithoutMetrics = withoutMetrics;
    if (cpuMax >= 0) statuses.push(grade(cpuMax, limits.nodeCpuPct));
    if (memMax >= 0) statuses.push(grade(memMax, limits.nodeMemoryPct));
    if (cpuMax >= 0 || memMax >= 0) {
      parts.push(`nodes cpu max ${cpuMax >= 0 ? Math.round(cpuMax) : "?"} %, mem max ${memMax >= 0 ? Math.round(memMax) : "?"} %`);
    }
    details.topPods = topPods(facts, usage.pods, nodes);
  } else {
    parts.push("metrics unavailable");
  }
  if (notReady.length > 0) parts.push(`${notReady.length} node${notReady.length > 1 ? "s" : ""} not ready (${list(notReady)})`);
  if (pressured.length > 0) parts.push(`${list(pressured.map((n) => `${n.name} ${n.pressures.join("+")}`))}`);
  return details;
}

/** The heaviest pods by CPU and by memory, against their limits and their node's allocatable. */
function topPods(facts: KubernetesFacts, usage: PodUsage[], nodes: NodeState[]) {
  const rows = usage.map((u) => {
    const pod = facts.pods.find((p) => p.name === u.name);
    const node = nodes.find((n) => n.name === pod?.nodeName);
    const cpu = u.containers.reduce((n, c) => n + (quantity(c.cpu) ?? 0), 0);
    const memory = u.containers.reduce((n, c) => n + (quantity(c.memory) ?? 0), 0);
    const limits = pod?.containers.filter((c) => !c.init) ?? [];
    const limitOf = (key: "cpu" | "memory") =>
      limits.length > 0 && limits.every((c) => quantity(c.limits[key]) !== undefined) ? limits.reduce((n, c) => n + quantity(c.limits[key])!, 0) : undefined;
    const cpuLimit = limitOf("cpu");
    const memoryLimit = limitOf("memory");
    const nodeCpu = quantity(node?.allocatable.cpu);
    const nodeMemory = quantity(node?.allocatable.memory);
    return {
      pod: u.name,
      ...(pod?.nodeName ? { node: pod.nodeName } : {}),
      cpuCores: round(cpu, 3),
      memoryMiB: round(memory / 2 ** 20),
      ...(cpuLimit ? { cpuPctOfLimit: round(pct(cpu, cpuLimit)) } : {}),
      ...(memoryLimit ? { memoryPctOfLimit: round(pct(memory, memoryLimit)) } : {}),
      ...(nodeCpu ? { cpuPctOfNode: round(pct(cpu, nodeCpu)) } : {}),
      ...(nodeMemory ? { memoryPctOfNode: round(pct(memory, nodeMemory)) } : {}),
    };
  });
  return {
    byCpu: [...rows].sort((a, b) => b.cpuCores - a.cpuCores).slice(0, 5),
    byMemory: [...rows].sort((a, b) => b.memoryMiB - a.memoryMiB).slice(0, 5),
  };
}
