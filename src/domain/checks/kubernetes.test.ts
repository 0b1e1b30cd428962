import { describe, expect, it } from "vitest";
import { configSchema } from "../../config/schema.js";
import {
  judgeKubernetes,
  parseQuantity,
  restartsInWindow,
  type ContainerState,
  type KubernetesFacts,
  type NodeState,
  type PodState,
} from "./kubernetes.js";

const now = new Date("2026-03-02T09:00:00Z");
const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000);
const limits = configSchema.parse({}).thresholds.kubernetes;

const container = (o: Partial<ContainerState> = {}): ContainerState => ({
  name: "game-server",
  init: false,
  ready: true,
  restartCount: 0,
  state: "running",
  limits: {},
  ...o,
});

const pod = (name: string, o: Partial<PodState> = {}): PodState => ({
  name,
  phase: "Running",
  ready: true,
  createdAt: hoursAgo(72),
  deleting: false,
  nodeName: "node-a",
  containers: [container()],
  ...o,
});

const node = (name: string, o: Partial<NodeState> = {}): NodeState => ({
  name,
  ready: true,
  unschedulable: false,
  pressures: [],
  allocatable: { cpu: "4", memory: "16Gi" },
  ...o,
});

/** Twelve healthy game-server pods on two nodes, node-a at 41 % cpu / 63 % memory. */
const healthy = (): KubernetesFacts => ({
  namespace: "game",
  labelSelector: "app=game-server",
  pods: Array.from({ length: 12 }, (_, i) => pod(`game-${i}`, { nodeName: i % 2 ? "node-b" : "node-a" })),
  nodes: [node("node-a"), node("node-b", { allocatable: { cpu: "3900m", memory: "15Gi" } })],
  metrics: {
    nodes: [
      { name: "node-a", cpu: "1640m", memory: `${Math.round(16 * 1024 * 1024 * 0.63)}Ki` },
      { name: "node-b", cpu: "1000000000n", memory: "4Gi" },
    ],
    pods: [{ name: "game-0", containers: [{ name: "game-server", cpu: "250m", memory: "512Mi" }] }],
  },
});

describe("parseQuantity", () => {
  it.each([
    ["250m", 0.25],
    ["1", 1],
    ["1.5", 1.5],
    [".5", 0.5],
    ["123456789n", 0.123456789],
    ["500u", 0.0005],
    ["2k", 2000],
    ["1e3", 1000],
    ["1E", 1e18],
    ["1Gi", 2 ** 30],
    ["123456Ki", 123456 * 1024],
    ["1.5Mi", 1.5 * 2 ** 20],
    ["64M", 64e6],
  ])("reads %s as %d", (text, value) => {
    expect(parseQuantity(text)).toBeCloseTo(value, 12);
  });

  it.each(["", "abc", "1Gb", "1.2.3", "Ki"])("refuses %j with the fix in the message", (text) => {
    expect(() => parseQuantity(text)).toThrow(`"${text}" is not a Kubernetes quantity (like 250m, 1.5, 1Gi or 123456Ki)`);
  });
});

describe("restartsInWindow", () => {
  it("counts every restart of a pod created inside the last 24 h", () => {
    expect(restartsInWindow({ createdAt: hoursAgo(5) }, { restartCount: 4, lastTerminatedAt: hoursAgo(1) }, now)).toEqual({ count: 4, exact: true });
  });

  it("counts at least one when an older pod's latest restart is inside the window", () => {
    expect(restartsInWindow({ createdAt: hoursAgo(24 * 30) }, { restartCount: 40, lastTerminatedAt: hoursAgo(2) }, now)).toEqual({ count: 1, exact: false });
  });

  it("counts none when the latest restart is older than 24 h", () => {
    expect(restartsInWindow({ createdAt: hoursAgo(24 * 30) }, { restartCount: 40, lastTerminatedAt: hoursAgo(25) }, now)).toEqual({ count: 0, exact: true });
  });
});

describe("judgeKubernetes", () => {
  it("is ok for a healthy fleet, in one line", () => {
    const verdict = judgeKubernetes(healthy(), limits, now);
    expect(verdict.status).toBe("ok");
    expect(verdict.summary).toBe("12/12 pods ready, 0 restarts in 24 h, nodes cpu max 41 %, mem max 63 %");
    expect(verdict.details).toMatchObject({
      namespace: "game",
      labelSelector: "app=game-server",
      pods: { total: 12, expected: 12, ready: 12, completed: 0, failed: 0, terminating: 0 },
      problems: [],
      nodes: [
        { name: "node-a", ready: true, cpuCores: 1.64, cpuPct: 41, memoryPct: 63 },
        { name: "node-b", ready: true, cpuCores: 1, cpuPct: 25.6, memoryPct: 26.7 },
      ],
    });
  });

  it("leaves finished job pods out of the ready count", () => {
    const facts = healthy();
    facts.pods.push(pod("nightly-report-28471", { phase: "Succeeded", ready: false, containers: [container({ state: "terminated", reason: "Completed", ready: false })] }));
    const verdict = judgeKubernetes(facts, limits, now);
    expect(verdict.status).toBe("ok");
    expect(verdict.summary).toMatch(/^12\/12 pods ready,/);
    expect(verdict.details.pods).toMatchObject({ total: 13, completed: 1 });
  });

  it("is critical for a pod in CrashLoopBackOff and names it", () => {
    const facts = healthy();
    facts.pods[3] = pod("game-3", {
      ready: false,
      createdAt: hoursAgo(72),
      containers: [container({ ready: false, state: "waiting", reason: "CrashLoopBackOff", restartCount: 57, lastTerminatedAt: hoursAgo(0.1), lastTerminationReason: "OOMKilled" })],
    });
    const verdict = judgeKubernetes(facts, limits, now);
    expect(verdict.status).toBe("critical");
    expect(verdict.summary).toBe("11/12 pods ready, 1 in CrashLoopBackOff (game-3), 1+ restarts in 24 h, nodes cpu max 41 %, mem max 63 %");
    expect(verdict.details.problems).toEqual([{ pod: "game-3", status: "critical", problem: "container game-server CrashLoopBackOff (57 restarts, last exit OOMKilled)" }]);
  });

  it("is critical for an image that cannot be pulled", () => {
    const facts = healthy();
    facts.pods[0] = pod("game-0", { phase: "Pending", ready: false, containers: [container({ ready: false, state: "waiting", reason: "ImagePullBackOff" })] });
    const verdict = judgeKubernetes(facts, limits, now);
    expect(verdict.status).toBe("critical");
    expect(verdict.summary).toContain("11/12 pods ready, 1 stuck (game-0 ImagePullBackOff)");
  });

  it("warns about a running pod that is not ready", () => {
    const facts = healthy();
    facts.pods[5] = pod("game-5", { ready: false, containers: [container({ ready: false })] });
    const verdict = judgeKubernetes(facts, limits, now);
    expect(verdict.status).toBe("warning");
    expect(verdict.summary).toMatch(/^11\/12 pods ready, 0 restarts in 24 h,/);
    expect(verdict.details.problems).toEqual([{ pod: "game-5", status: "warning", problem: "Running, containers not ready: game-server" }]);
  });

  it("is critical when no pod is ready at all", () => {
    const facts = healthy();
    facts.pods = facts.pods.map((p) => ({ ...p, phase: "Pending", ready: false, containers: [container({ ready: false, state: "waiting", reason: "ContainerCreating" })] }));
    const verdict = judgeKubernetes(facts, limits, now);
    expect(verdict.status).toBe("critical");
    expect(verdict.summary).toMatch(/^0\/12 pods ready,/);
    expect(verdict.details.problems).toContainEqual({ pod: "game-0", status: "warning", problem: "Pending, container game-server ContainerCreating" });
  });

  it("warns about evicted pods and does not count terminating ones", () => {
    const facts = healthy();
    facts.pods.push(pod("game-old", { phase: "Failed", ready: false, reason: "Evicted", containers: [] }));
    facts.pods.push(pod("game-going", { deleting: true, ready: false }));
    const verdict = judgeKubernetes(facts, limits, now);
    expect(verdict.status).toBe("warning");
    expect(verdict.summary).toMatch(/^12\/12 pods ready, 1 failed,/);
    expect(verdict.details.pods).toMatchObject({ failed: 1, terminating: 1 });
    expect(verdict.details.problems).toEqual([{ pod: "game-old", status: "warning", problem: "Failed (Evicted)" }]);
  });

  it("grades restarts in 24 h per pod against the band", () => {
    const facts = healthy();
    facts.pods[1] = pod("game-1", { createdAt: hoursAgo(6), containers: [container({ restartCount: 2, lastTerminatedAt: hoursAgo(1) })] });
    expect(judgeKubernetes(facts, limits, now)).toMatchObject({ status: "warning", summary: expect.stringContaining("2 restarts in 24 h") });
    facts.pods[2] = pod("game-2", { createdAt: hoursAgo(6), containers: [container({ restartCount: 5, lastTerminatedAt: hoursAgo(1) })] });
    const verdict = judgeKubernetes(facts, limits, now);
    expect(verdict.status).toBe("critical");
    expect(verdict.summary).toContain("7 restarts in 24 h");
    expect(verdict.details.restarts24h).toEqual({
      total: 7,
      exact: true,
      byPod: [
        { pod: "game-2", restarts: 5, exact: true },
        { pod: "game-1", restarts: 2, exact: true },
      ],
    });
  });

  it("ignores restarts older than 24 h", () => {
    const facts = healthy();
    facts.pods[1] = pod("game-1", { containers: [container({ restartCount: 9, lastTerminatedAt: hoursAgo(30) })] });
    expect(judgeKubernetes(facts, limits, now)).toMatchObject({ status: "ok", summary: expect.stringContaining("0 restarts in 24 h") });
  });

  it("grades the busiest node's cpu and memory against allocatable", () => {
    const facts = healthy();
    const metrics = facts.metrics as Extract<KubernetesFacts["metrics"], { nodes: unknown }>;
    metrics.nodes[1] = { name: "node-b", cpu: "3.8", memory: "13Gi" };
    const verdict = judgeKubernetes(facts, limits, now);
    expect(verdict.status).toBe("critical");
    expect(verdict.summary).toBe("12/12 pods ready, 0 restarts in 24 h, nodes cpu max 97 %, mem max 87 %");
    metrics.nodes[1] = { name: "node-b", cpu: "1", memory: "13Gi" };
    expect(judgeKubernetes(facts, limits, now).status).toBe("warning");
  });

  it("still judges the pods when the metrics API is missing, and says so", () => {
    const facts: KubernetesFacts = { ...healthy(), metrics: { unavailable: "metrics.k8s.io is not served (404): is metrics-server installed?" } };
    const verdict = judgeKubernetes(facts, limits, now);
    expect(verdict.status).toBe("warning");
    expect(verdict.summary).toBe("12/12 pods ready, 0 restarts in 24 h, metrics unavailable");
    expect(verdict.details.metrics).toBe("unavailable: metrics.k8s.io is not served (404): is metrics-server installed?");
    expect(verdict.details.nodes).toEqual([
      { name: "node-a", ready: true },
      { name: "node-b", ready: true },
    ]);
  });

  it("still judges the pods when nodes may not be listed", () => {
    const facts: KubernetesFacts = { ...healthy(), nodes: { unavailable: 'nodes is forbidden: User "gameops" cannot list resource "nodes"' } };
    const verdict = judgeKubernetes(facts, limits, now);
    expect(verdict.status).toBe("warning");
    expect(verdict.summary).toBe("12/12 pods ready, 0 restarts in 24 h, node list unavailable");
    expect(verdict.details.nodesUnavailable).toContain("forbidden");
  });

  it("warns about a node that is not ready or under pressure", () => {
    const facts = healthy();
    facts.nodes = [node("node-a", { ready: false }), node("node-b", { pressures: ["MemoryPressure"] })];
    const verdict = judgeKubernetes(facts, limits, now);
    expect(verdict.status).toBe("warning");
    expect(verdict.summary).toBe("12/12 pods ready, 0 restarts in 24 h, nodes cpu max 41 %, mem max 63 %, 1 node not ready (node-a), node-b MemoryPressure");
  });

  it("warns when no pod matches, so a selector typo never looks green", () => {
    const verdict = judgeKubernetes({ ...healthy(), pods: [] }, limits, now);
    expect(verdict.status).toBe("warning");
    expect(verdict.summary).toMatch(/^no pods in namespace game matching app=game-server, 0 restarts in 24 h,/);
  });

  it("lists the heaviest pods against their limits and their node", () => {
    const facts = healthy();
    facts.pods[0] = pod("game-0", { containers: [container({ limits: { cpu: "500m", memory: "1Gi" } })] });
    const verdict = judgeKubernetes(facts, limits, now);
    expect(verdict.details.topPods).toEqual({
      byCpu: [{ pod: "game-0", node: "node-a", cpuCores: 0.25, memoryMiB: 512, cpuPctOfLimit: 50, memoryPctOfLimit: 50, cpuPctOfNode: 6.3, memoryPctOfNode: 3.1 }],
      byMemory: [{ pod: "game-0", node: "node-a", cpuCores: 0.25, memoryMiB: 512, cpuPctOfLimit: 50, memoryPctOfLimit: 50, cpuPctOfNode: 6.3, memoryPctOfNode: 3.1 }],
    });
  });
});
