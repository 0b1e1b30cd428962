/** The `kubernetes` health check end to end: config from the environment, the emulator as the cluster. */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadConfig, type Config } from "../../src/config/load.js";
import { CheckFailure, type CheckContext } from "../../src/engine/health/check.js";
import { run } from "../../src/engine/health/kubernetes-check.js";
import { node, nodeMetrics, pod, podMetrics, startKubernetesEmulator, type KubernetesEmulator } from "../k8s-emulator/index.js";

const hour = 3_600_000;
let emulator: KubernetesEmulator;
let cwd: string;

const gamePod = (name: string, nodeName: string, extra: Parameters<typeof pod>[1] = {}) =>
  pod(name, { namespace: "game", labels: { app: "game-server" }, node: nodeName, createdAt: new Date(Date.now() - 72 * hour), ...extra });

/** Three ready game servers on two nodes; node-a at 41 % cpu and 63 % memory of allocatable. */
const healthyFleet = () => [
  node("node-a", { cpu: "4", memory: "16Gi" }),
  node("node-b", { cpu: "8", memory: "32Gi" }),
  gamePod("game-0", "node-a"),
  gamePod("game-1", "node-a"),
  gamePod("game-2", "node-b"),
  pod("grafana-0", { namespace: "monitoring", labels: { app: "grafana" }, containers: [{ name: "grafana", state: "waiting", reason: "CrashLoopBackOff", ready: false, restarts: 9 }] }),
  nodeMetrics("node-a", { cpu: "1640m", memory: `${Math.round(16 * 1024 * 1024 * 0.63)}Ki` }),
  nodeMetrics("node-b", { cpu: "2", memory: "8Gi" }),
  ...["game-0", "game-1", "game-2"].map((name) => podMetrics(name, { namespace: "game", containers: [{ name: "game-server", cpu: "300m", memory: "700Mi" }] })),
];

function configFor(env: Record<string, string>): Config {
  return loadConfig({ cwd, env: { GAMEOPS_KUBECONFIG: emulator.kubeconfigPath, GAMEOPS_K8S_NAMESPACE: "game", GAMEOPS_K8S_LABEL_SELECTOR: "app=game-server", ...env } }).config;
}

function context(config: Config, timeoutMs = 5000): CheckContext {
  return { config, signal: AbortSignal.timeout(timeoutMs), timeoutMs, now: () => new Date() };
}

async function failure(promise: Promise<unknown>): Promise<CheckFailure> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CheckFailure);
  return error as CheckFailure;
}

beforeAll(async () => {
  cwd = mkdtempSync(join(tmpdir(), "gameops-k8s-check-"));
  emulator = await startKubernetesEmulator({ objects: healthyFleet() });
});

afterAll(async () => {
  await emulator?.close();
  rmSync(cwd, { recursive: true, force: true });
});

beforeEach(() => {
  emulator.setMetrics("available");
  emulator.apply(...healthyFleet());
});

describe("kubernetes check", () => {
  it("is ok for a healthy fleet, and reads only the namespace and selector configured", async () => {
    const from = emulator.requests.length;
    const verdict = await run(context(configFor({})));
    expect(verdict.status).toBe("ok");
    expect(verdict.summary).toBe("3/3 pods ready, 0 restarts in 24 h, nodes cpu max 41 %, mem max 63 %");
    expect(verdict.details).toMatchObject({ server: emulator.url, context: "emulator", namespace: "game", labelSelector: "app=game-server", pods: { ready: 3, expected: 3 } });
    const paths = emulator.requests.slice(from).map((r) => `${r.path}${r.query.labelSelector ? `?${r.query.labelSelector}` : ""}`);
    expect(paths.sort()).toEqual([
      "/api/v1/namespaces/game/pods?app=game-server",
      "/api/v1/nodes",
      "/apis/metrics.k8s.io/v1beta1/namespaces/game/pods?app=game-server",
      "/apis/metrics.k8s.io/v1beta1/nodes",
    ]);
  });

  it("is critical for a game server in CrashLoopBackOff", async () => {
    emulator.apply(
      gamePod("game-1", "node-a", {
        containers: [{ name: "game-server", state: "waiting", reason: "CrashLoopBackOff", ready: false, restarts: 14, lastTerminatedAt: new Date(Date.now() - 120_000), lastTerminatedReason: "Error" }],
      }),
    );
    const verdict = await run(context(configFor({})));
    expect(verdict.status).toBe("critical");
    expect(verdict.summary).toBe("2/3 pods ready, 1 in CrashLoopBackOff (game-1), 1+ restarts in 24 h, nodes cpu max 41 %, mem max 63 %");
    expect(verdict.details.problems).toEqual([{ pod: "game-1", status: "critical", problem: "container game-server CrashLoopBackOff (14 restarts, last exit Error)" }]);
  });

  it("warns about a game server that runs but is not ready", async () => {
    emulator.apply(gamePod("game-2", "node-b", { ready: false, containers: [{ name: "game-server", ready: false }] }));
    const verdict = await run(context(configFor({})));
    expect(verdict.status).toBe("warning");
    expect(verdict.summary).toBe("2/3 pods ready, 0 restarts in 24 h, nodes cpu max 41 %, mem max 63 %");
    expect(verdict.details.problems).toEqual([{ pod: "game-2", status: "warning", problem: "Running, containers not ready: game-server" }]);
  });

  it("still judges the pods when metrics-server is not installed, and says metrics are unavailable", async () => {
    emulator.setMetrics("absent");
    const verdict = await run(context(configFor({})));
    expect(verdict.status).toBe("warning");
    expect(verdict.summary).toBe("3/3 pods ready, 0 restarts in 24 h, metrics unavailable");
    expect(verdict.details.metrics).toBe("unavailable: metrics.k8s.io is not served (404): is metrics-server installed?");
  });

  it("says so when metrics-server is registered but down", async () => {
    emulator.setMetrics("unavailable");
    const verdict = await run(context(configFor({})));
    expect(verdict.status).toBe("warning");
    expect(verdict.details.metrics).toBe("unavailable: metrics.k8s.io answered 503: metrics-server is registered but not serving");
  });

  it("judges the pods when nodes may not be listed", async () => {
    const allow = emulator.deny({ resource: "nodes", verb: "list" });
    try {
      const verdict = await run(context(configFor({})));
      expect(verdict.status).toBe("warning");
      expect(verdict.summary).toBe("3/3 pods ready, 0 restarts in 24 h, node list unavailable");
    } finally {
      allow();
    }
  });

  it("is unknown with the server's reason when pods may not be listed", async () => {
    const allow = emulator.deny({ resource: "pods", verb: "list", namespace: "game" });
    try {
      const error = await failure(run(context(configFor({}))));
      expect(error.status).toBe("unknown");
      expect(error.message).toBe(
        'listing pods in namespace "game" with selector app=game-server: pods is forbidden: User "gameops" cannot list resource "pods" in API group "" in the namespace "game"',
      );
      expect(error.details).toMatchObject({ kind: "forbidden", retryable: false, statusCode: 403 });
    } finally {
      allow();
    }
  });

  it("is critical when the API server is down", async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const kubeconfig = emulator.writeKubeconfig("down", { server: `https://127.0.0.1:${port}` });
    const error = await failure(run(context(configFor({ GAMEOPS_KUBECONFIG: kubeconfig }))));
    expect(error.status).toBe("critical");
    expect(error.message).toBe(
      `listing pods in namespace "game" with selector app=game-server: cannot reach the Kubernetes API at https://127.0.0.1:${port}: connection refused (ECONNREFUSED)`,
    );
    expect(error.details).toMatchObject({ kind: "unreachable", retryable: true });
  });

  it("is critical within its timeout when the API server accepts but never answers", async () => {
    emulator.stall(true);
    try {
      const error = await failure(run(context(configFor({}), 500)));
      expect(error.status).toBe("critical");
      expect(error.message).toBe(`the Kubernetes API at ${emulator.url} did not answer within 500 ms`);
    } finally {
      emulator.stall(false);
    }
  });

  it("is unknown, without the token, when the credentials are refused", async () => {
    const kubeconfig = emulator.writeKubeconfig("stale-token", { token: "expired-token-value" });
    const error = await failure(run(context(configFor({ GAMEOPS_KUBECONFIG: kubeconfig }))));
    expect(error.status).toBe("unknown");
    expect(error.message).toBe('listing pods in namespace "game" with selector app=game-server: Unauthorized: the kubeconfig\'s credentials were refused');
    expect(JSON.stringify(error.details)).not.toContain("expired-token-value");
  });

  it("is unknown with the fix when the kubeconfig or its context is wrong", async () => {
    const path = join(cwd, "missing", "kubeconfig");
    const missing = await failure(run(context(configFor({ GAMEOPS_KUBECONFIG: path }))));
    expect(missing.status).toBe("unknown");
    expect(missing.message).toBe(`cannot read kubeconfig ${path} (ENOENT); point GAMEOPS_KUBECONFIG or targets.kubernetes.kubeconfig at a readable file`);
    const context_ = await failure(run(context(configFor({ GAMEOPS_K8S_CONTEXT: "prod" }))));
    expect(context_.message).toBe(`context "prod" is not in ${emulator.kubeconfigPath}; it has: emulator`);
  });
});
