/** The client-node adapter against the emulator: facts mapped, calls bounded, failures classified. */
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KubernetesError, type KubernetesCluster } from "../../src/integrations/kubernetes/cluster.js";
import { openKubernetesCluster } from "../../src/integrations/kubernetes/client-node-cluster.js";
import { deployment, node, nodeMetrics, pod, podMetrics, startKubernetesEmulator, type KubernetesEmulator } from "../k8s-emulator/index.js";

const hour = 3_600_000;
let emulator: KubernetesEmulator;
let cluster: KubernetesCluster;
const createdAt = new Date(Math.floor(Date.now() / 1000) * 1000 - 5 * hour);
const lastRestart = new Date(Math.floor(Date.now() / 1000) * 1000 - hour);

async function rejection(promise: Promise<unknown>): Promise<KubernetesError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KubernetesError);
  return error as KubernetesError;
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  emulator = await startKubernetesEmulator({
    objects: [
      node("node-a", { cpu: "4", memory: "16Gi", allocatableCpu: "3900m", allocatableMemory: "15Gi" }),
      node("node-b", { ready: false }),
      pod("game-0", {
        namespace: "game",
        labels: { app: "game-server" },
        node: "node-a",
        createdAt,
        containers: [
          { name: "game-server", restarts: 2, lastTerminatedAt: lastRestart, lastTerminatedReason: "OOMKilled", limits: { cpu: "1", memory: "2Gi" }, requests: { cpu: "500m", memory: "1Gi" } },
          { name: "envoy" },
        ],
      }),
      pod("tools-0", { namespace: "game", labels: { app: "tools" } }),
      deployment("lobby", { namespace: "game", replicas: 1, labels: { app: "lobby" } }),
      nodeMetrics("node-a", { cpu: "1234567890n", memory: "2097152Ki" }),
      podMetrics("game-0", { namespace: "game", containers: [{ name: "game-server", cpu: "250m", memory: "512Mi" }, { name: "envoy", cpu: "5m", memory: "20Mi" }] }),
    ],
    logs: [
      {
        namespace: "game",
        pod: "game-0",
        container: "game-server",
        lines: [
          { time: new Date(Date.now() - 3 * hour), text: "ERROR old" },
          { time: new Date(Date.now() - 60_000), text: "ERROR new" },
        ],
      },
    ],
  });
  cluster = openKubernetesCluster({ kubeconfig: emulator.kubeconfigPath }, { timeoutMs: 5000 });
});

afterAll(async () => {
  await emulator?.close();
});

describe("reading the cluster", () => {
  it("says where it points and what version answers", async () => {
    expect(cluster.server).toBe(emulator.url);
    expect(cluster.context).toBe("emulator");
    expect(await cluster.version()).toBe("v1.32.4");
  });

  it("lists pods by label selector as facts", async () => {
    const pods = await cluster.listPods("game", "app=game-server");
    expect(pods).toEqual([
      {
        name: "game-0",
        namespace: "game",
        uid: expect.any(String),
        phase: "Running",
        ready: true,
        createdAt,
        deleting: false,
        nodeName: "node-a",
        containers: [
          {
            name: "game-server",
            init: false,
            ready: true,
            restartCount: 2,
            state: "running",
            lastTerminatedAt: lastRestart,
            lastTerminationReason: "OOMKilled",
            limits: { cpu: "1", memory: "2Gi" },
            requests: { cpu: "500m", memory: "1Gi" },
          },
          { name: "envoy", init: false, ready: true, restartCount: 0, state: "running", limits: {}, requests: {} },
        ],
      },
    ]);
    const request = emulator.requests.find((r) => r.path === "/api/v1/namespaces/game/pods");
    expect(request).toMatchObject({ method: "GET", query: { labelSelector: "app=game-server" }, userAgent: "gameops" });
  });

  it("names a pod's controlling owner", async () => {
    const [lobby] = await cluster.listPods("game", "app=lobby");
    expect(lobby?.owner).toEqual({ kind: "ReplicaSet", name: expect.stringMatching(/^lobby-/) });
  });

  it("lists nodes with readiness and allocatable", async () => {
    expect(await cluster.listNodes()).toEqual([
      { name: "node-a", ready: true, unschedulable: false, pressures: [], allocatable: { cpu: "3900m", memory: "15Gi" } },
      { name: "node-b", ready: false, unschedulable: false, pressures: [], allocatable: { cpu: "4", memory: "16Gi" } },
    ]);
  });

  it("reads node and pod usage from metrics.k8s.io", async () => {
    expect(await cluster.nodeMetrics()).toEqual([{ name: "node-a", cpu: "1234567890n", memory: "2097152Ki" }]);
    expect(await cluster.podMetrics("game", "app=game-server")).toEqual([
      {
        name: "game-0",
        namespace: "game",
        containers: [
          { name: "game-server", cpu: "250m", memory: "512Mi" },
          { name: "envoy", cpu: "5m", memory: "20Mi" },
        ],
      },
    ]);
  });

  it("reads a container's log since a time", async () => {
    expect(await cluster.podLogs("game", "game-0", { container: "game-server" })).toBe("ERROR old\nERROR new\n");
    expect(await cluster.podLogs("game", "game-0", { container: "game-server", sinceSeconds: 3600 })).toBe("ERROR new\n");
    const request = emulator.requests.filter((r) => r.path === "/api/v1/namespaces/game/pods/game-0/log").at(-1);
    expect(request?.query).toMatchObject({ container: "game-server", sinceSeconds: "3600" });
  });
});

describe("failures, classified", () => {
  it("a pod with several containers needs one named: invalid, with the server's words", async () => {
    const error = await rejection(cluster.podLogs("game", "game-0"));
    expect(error).toMatchObject({ kind: "invalid", retryable: false, statusCode: 400 });
    expect(error.message).toBe('reading the log of pod game/game-0: a container name must be specified for pod game-0, choose one of: [game-server envoy]');
  });

  it("a missing pod is not-found", async () => {
    const error = await rejection(cluster.podLogs("game", "nope", { container: "x" }));
    expect(error).toMatchObject({ kind: "not-found", retryable: false, statusCode: 404 });
    expect(error.message).toBe('reading the log of pod game/nope container x: pods "nope" not found');
  });

  it("a denied list is forbidden, not retryable", async () => {
    const allow = emulator.deny({ verb: "list", resource: "nodes" });
    try {
      const error = await rejection(cluster.listNodes());
      expect(error).toMatchObject({ kind: "forbidden", retryable: false, statusCode: 403 });
      expect(error.message).toBe('listing nodes: nodes is forbidden: User "gameops" cannot list resource "nodes" in API group "" at the cluster scope');
    } finally {
      allow();
    }
  });

  it("a refused token is unauthorized", async () => {
    const other = openKubernetesCluster({ kubeconfig: emulator.writeKubeconfig("bad-token", { token: "wrong" }) });
    const error = await rejection(other.listPods("game"));
    expect(error).toMatchObject({ kind: "unauthorized", retryable: false, statusCode: 401 });
    expect(error.message).not.toContain("wrong");
  });

  it("an absent metrics API is not-found, a broken one unavailable and retryable", async () => {
    emulator.setMetrics("absent");
    try {
      expect(await rejection(cluster.nodeMetrics())).toMatchObject({ kind: "not-found", statusCode: 404, message: "reading node metrics (metrics.k8s.io): HTTP 404: 404 page not found" });
      emulator.setMetrics("unavailable");
      expect(await rejection(cluster.nodeMetrics())).toMatchObject({
        kind: "unavailable",
        retryable: true,
        statusCode: 503,
        message: "reading node metrics (metrics.k8s.io): the server is currently unable to handle the request",
      });
    } finally {
      emulator.setMetrics("available");
    }
  });

  it("a server that is down is unreachable and retryable", async () => {
    const port = await closedPort();
    const down = openKubernetesCluster({ kubeconfig: emulator.writeKubeconfig("down", { server: `https://127.0.0.1:${port}` }) });
    const error = await rejection(down.listPods("game"));
    expect(error).toMatchObject({ kind: "unreachable", retryable: true });
    expect(error.message).toBe(`listing pods in namespace "game": cannot reach the Kubernetes API at https://127.0.0.1:${port}: connection refused (ECONNREFUSED)`);
  });

  it("a server that does not answer times out at the call's bound", async () => {
    emulator.stall(true);
    try {
      const error = await rejection(cluster.listPods("game", undefined, { timeoutMs: 300 }));
      expect(error).toMatchObject({ kind: "timeout", retryable: true });
      expect(error.message).toBe(`listing pods in namespace "game": the Kubernetes API at ${emulator.url} did not answer within 300 ms`);
    } finally {
      emulator.stall(false);
    }
  });

  it("a caller that gives up gets aborted, not retryable", async () => {
    const controller = new AbortController();
    controller.abort(new Error("deadline"));
    const error = await rejection(cluster.listPods("game", undefined, { signal: controller.signal }));
    expect(error).toMatchObject({ kind: "aborted", retryable: false });
  });
});

describe("kubeconfig problems", () => {
  it("a missing file", () => {
    expect(() => openKubernetesCluster({ kubeconfig: "/nonexistent/kubeconfig" })).toThrow(
      "cannot read kubeconfig /nonexistent/kubeconfig (ENOENT); point GAMEOPS_KUBECONFIG or targets.kubernetes.kubeconfig at a readable file",
    );
  });

  it("a context that is not there, listing those that are", () => {
    expect(() => openKubernetesCluster({ kubeconfig: emulator.kubeconfigPath, context: "prod" })).toThrow(
      `context "prod" is not in ${emulator.kubeconfigPath}; it has: emulator`,
    );
  });
});
