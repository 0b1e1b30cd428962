/** The k8s step's actions against the Kubernetes API emulation (kept honest by test/kubernetes/emulator-kubectl*.test.ts). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StepSpec } from "../../../src/domain/runbooks/schema.js";
import { describe as describeStep, execute } from "../../../src/engine/runbooks/steps/k8s.js";
import { configMap, deployment, node, nodeMetrics, pod, podMetrics, startKubernetesEmulator, type KubernetesEmulator } from "../../k8s-emulator/index.js";
import { envConfig, failureOf, stepContext, stepTimeout } from "./support.js";

let emulator: KubernetesEmulator;
let config: ReturnType<typeof envConfig>;

const k8s = (spec: Omit<StepSpec<"k8s">, "action"> & { action: StepSpec<"k8s">["action"] }, context = stepContext(config)) => execute(spec, context);

beforeAll(async () => {
  const now = Date.now();
  emulator = await startKubernetesEmulator({
    rolloutDelayMs: 50,
    namespace: "game",
    objects: [
      node("node-a", { cpu: "4", memory: "16Gi" }),
      deployment("lobby", { namespace: "game", replicas: 1, containers: [{ name: "lobby", image: "registry.example.com/lobby:1.0.0" }] }),
      pod("game-0", { namespace: "game", labels: { app: "game-server" }, node: "node-a", containers: [{ name: "game-server", restarts: 2 }, { name: "envoy" }] }),
      pod("game-1", { namespace: "game", labels: { app: "game-server" }, node: "node-a", containers: [{ name: "game-server", state: "waiting", reason: "CrashLoopBackOff", ready: false }, { name: "envoy" }] }),
      configMap("game-config", { maintenance_mode: "false", motd: "welcome" }, { namespace: "game" }),
      nodeMetrics("node-a", { cpu: "1500m", memory: "8Gi" }),
      podMetrics("game-0", { namespace: "game", containers: [{ name: "game-server", cpu: "250m", memory: "512Mi" }, { name: "envoy", cpu: "5m", memory: "32Mi" }] }),
      podMetrics("game-1", { namespace: "game", containers: [{ name: "game-server", cpu: "900m", memory: "1Gi" }, { name: "envoy", cpu: "5m", memory: "32Mi" }] }),
    ],
    logs: [
      {
        namespace: "game",
        pod: "game-0",
        container: "game-server",
        lines: [
          { time: new Date(now - 3_600_000), text: "INFO old news" },
          { time: new Date(now - 60_000), text: "ERROR match 17 lost its host" },
          { time: new Date(now - 30_000), text: "INFO match 18 created" },
        ],
      },
    ],
  });
  config = envConfig({ GAMEOPS_KUBECONFIG: emulator.kubeconfigPath, GAMEOPS_K8S_NAMESPACE: "game" });
});

afterAll(async () => {
  await emulator?.close();
});

describe("k8s step: deployments", () => {
  it("scales through the scale subresource and says from what to what", async () => {
    const context = stepContext(config);
    const result = await k8s({ action: "scale", resource: "deployment/lobby", replicas: 3 }, context);
    expect(result.outputs).toEqual({ deployment: "lobby", from: 1, to: 3 });
    expect(emulator.get("deployments", "game", "lobby")!.spec.replicas).toBe(3);
    expect(emulator.requests.some((r) => r.method === "PUT" && r.path === "/apis/apps/v1/namespaces/game/deployments/lobby/scale")).toBe(true);
    expect(context.lines).toEqual(["deployment game/lobby scaled from 1 to 3"]);
  });

  it("restarts, waits for the rollout, and rolls back to the previous revision", async () => {
    const restarted = await k8s({ action: "rollout-restart", resource: "deploy/lobby" });
    expect(restarted.outputs).toEqual({ deployment: "lobby", restartedAt: "2026-11-26T09:00:00Z" });
    expect(emulator.get("deployments", "game", "lobby")!.spec.template.metadata.annotations).toEqual({ "kubectl.kubernetes.io/restartedAt": "2026-11-26T09:00:00Z" });
    const patch = emulator.requests.filter((r) => r.method === "PATCH" && r.path === "/apis/apps/v1/namespaces/game/deployments/lobby").at(-1);
    expect(patch?.contentType).toBe("application/strategic-merge-patch+json");

    const status = await k8s({ action: "rollout-status", resource: "deployment/lobby" });
    expect(status.outputs).toEqual({ done: true, replicas: 3, updated: 3, ready: 3, available: 3, revision: 2, message: 'deployment "lobby" successfully rolled out' });

    const undo = await k8s({ action: "rollout-undo", resource: "deployment/lobby" });
    expect(undo.outputs).toEqual({ deployment: "lobby", from: 2, to: 1, skipped: false });
    expect(emulator.get("deployments", "game", "lobby")!.spec.template.metadata.annotations).toBeUndefined();
    await k8s({ action: "rollout-status", resource: "deployment/lobby" });
    expect(emulator.get("deployments", "game", "lobby")!.metadata.annotations["deployment.kubernetes.io/revision"]).toBe("3");
    expect(emulator.list("replicasets", "game").filter((rs) => rs.metadata.labels.app === "lobby")).toHaveLength(2);
  });

  it("rolls back to a given revision, skips one already running, and names one that does not exist", async () => {
    const context = stepContext(config);
    const to2 = await k8s({ action: "rollout-undo", resource: "deployment/lobby", revision: 2 }, context);
    expect(to2.outputs).toEqual({ deployment: "lobby", from: 3, to: 2, skipped: false });
    await k8s({ action: "rollout-status", resource: "deployment/lobby" });
    const same = await k8s({ action: "rollout-undo", resource: "deployment/lobby", revision: 4 }, context);
    expect(same.outputs).toEqual({ deployment: "lobby", from: 4, to: 4, skipped: true });
    expect(context.lines.at(-1)).toBe("deployment game/lobby already runs revision 4's template: nothing to roll back");
    const missing = await failureOf(k8s({ action: "rollout-undo", resource: "deployment/lobby", revision: 42 }));
    expect(missing.message).toBe("rolling back deployment game/lobby to revision 42: unable to find specified revision 42 in history");
    expect(missing.options.retryable).toBe(false);
  });

  it("refuses to restart or roll back a paused deployment, as kubectl does", async () => {
    const frozen = deployment("frozen", { namespace: "game", replicas: 1 });
    frozen.spec.paused = true;
    emulator.apply(frozen);
    expect((await failureOf(k8s({ action: "rollout-restart", resource: "deployment/frozen" }))).message).toBe(
      "restarting deployment game/frozen: the deployment is paused; resume it first (kubectl rollout resume deployment/frozen)",
    );
    expect((await failureOf(k8s({ action: "rollout-undo", resource: "deployment/frozen" }))).message).toBe(
      "rolling back deployment game/frozen: the deployment is paused; resume it first (kubectl rollout resume deployment/frozen)",
    );
  });

  it("says when a deployment does not exist, in the server's words", async () => {
    const failure = await failureOf(k8s({ action: "scale", resource: "deployment/nope", replicas: 2 }));
    expect(failure.message).toBe('scaling deployment game/nope to 2: deployments.apps "nope" not found');
    expect(failure.options.retryable).toBe(false);
  });
});

describe("k8s step: rollout-status is a bounded wait", () => {
  let slow: KubernetesEmulator;
  beforeAll(async () => {
    // A controller that takes ten minutes: the rollout never finishes within the test.
    slow = await startKubernetesEmulator({ rolloutDelayMs: 600_000, namespace: "game", objects: [node("node-a"), deployment("arena", { namespace: "game", replicas: 2 })] });
  });
  afterAll(async () => {
    await slow?.close();
  });

  it("fails at the step's timeout with the last state it saw", async () => {
    const slowConfig = envConfig({ GAMEOPS_KUBECONFIG: slow.kubeconfigPath, GAMEOPS_K8S_NAMESPACE: "game" });
    await k8s({ action: "rollout-restart", resource: "deployment/arena" }, stepContext(slowConfig));
    const context = stepContext(slowConfig, { onLog: (line, ctx) => line.includes("new replicas have been updated") && ctx.abort(stepTimeout()) });
    const failure = await failureOf(k8s({ action: "rollout-status", resource: "deployment/arena" }, context));
    expect(failure.message).toBe(
      'deployment game/arena did not finish rolling out before the step timed out: Waiting for deployment "arena" rollout to finish: 0 out of 2 new replicas have been updated...',
    );
    expect(failure.options).toMatchObject({ retryable: true, outputs: { done: false, replicas: 2, updated: 0 } });
  });

  it("reads the rollout once when asked not to wait, and reports it unfinished", async () => {
    const { openKubernetesCluster } = await import("../../../src/integrations/kubernetes/client-node-cluster.js");
    const cluster = openKubernetesCluster({ kubeconfig: slow.kubeconfigPath });
    const state = await cluster.rolloutStatus("game", "arena", { waitMs: 0 });
    expect(state).toMatchObject({ done: false, progressDeadlineExceeded: false, replicas: 2 });
  });
});

describe("k8s step: config maps", () => {
  it("sets keys with a merge patch and returns what they were, for a rollback", async () => {
    const result = await k8s({ action: "patch-configmap", resource: "configmap/game-config", data: { maintenance_mode: "true", banner: "back at 05:00", motd: "welcome" } });
    expect(result.outputs).toEqual({ configMap: "game-config", changed: ["maintenance_mode", "banner"], previous: { maintenance_mode: "false", banner: null } });
    expect(emulator.get("configmaps", "game", "game-config")!.data).toEqual({ maintenance_mode: "true", motd: "welcome", banner: "back at 05:00" });
    const patch = emulator.requests.filter((r) => r.method === "PATCH" && r.path === "/api/v1/namespaces/game/configmaps/game-config").at(-1);
    expect(patch?.contentType).toBe("application/merge-patch+json");

    const again = await k8s({ action: "patch-configmap", resource: "cm/game-config", data: { maintenance_mode: "true" } });
    expect(again.outputs).toEqual({ configMap: "game-config", changed: [], previous: {} });
  });
});

describe("k8s step: pods", () => {
  it("lists pods by selector with their state", async () => {
    const context = stepContext(config);
    const result = await k8s({ action: "get-pods", selector: "app=game-server" }, context);
    expect(result.outputs).toMatchObject({ count: 2, ready: 1 });
    const pods = result.outputs.pods as any[];
    expect(pods.map((p) => [p.name, p.phase, p.ready, p.restarts, p.node])).toEqual([
      ["game-0", "Running", true, 2, "node-a"],
      ["game-1", "Running", false, 0, "node-a"],
    ]);
    expect(pods[1].containers[0]).toEqual({ name: "game-server", ready: false, state: "waiting", restarts: 0, reason: "CrashLoopBackOff" });
    expect(context.lines).toEqual(["2 pods match app=game-server in namespace game, 1 ready"]);
    expect((await k8s({ action: "get-pods", resource: "deployment/lobby" })).outputs).toMatchObject({ count: 3, ready: 3 });
  });

  it("reads a pod's log since a time, and every selected pod's with a prefix", async () => {
    const context = stepContext(config);
    const result = await k8s({ action: "logs", resource: "pod/game-0", container: "game-server", since: 10 * 60_000 }, context);
    expect(result.outputs).toEqual({ pods: ["game-0"], text: "ERROR match 17 lost its host\nINFO match 18 created", lines: 2 });
    expect(context.lines).toEqual(["ERROR match 17 lost its host", "INFO match 18 created"]);
    const request = emulator.requests.filter((r) => r.path === "/api/v1/namespaces/game/pods/game-0/log").at(-1);
    expect(request?.query).toMatchObject({ container: "game-server", sinceSeconds: "600", tailLines: "1000" });

    emulator.appendLogs({ namespace: "game", pod: "game-1", container: "game-server", lines: [{ time: new Date(), text: "panic: nil map" }] });
    const both = await k8s({ action: "logs", selector: "app=game-server", container: "game-server", since: 10 * 60_000 });
    expect(both.outputs.text).toBe("[pod/game-0] ERROR match 17 lost its host\n[pod/game-0] INFO match 18 created\n[pod/game-1] panic: nil map");
  });

  it("passes on the server's word for a pod with several containers and none named", async () => {
    const failure = await failureOf(k8s({ action: "logs", resource: "pod/game-0" }));
    expect(failure.message).toBe("reading the log of pod game/game-0: a container name must be specified for pod game-0, choose one of: [game-server envoy]");
  });

  it("runs a command in a container: stdout, stderr and the exit code", async () => {
    const context = stepContext(config);
    const result = await k8s({ action: "exec", resource: "pod/game-0", container: "game-server", command: ["sh", "-c", 'echo "players: 12 on $HOSTNAME"; echo warming >&2'] }, context);
    expect(result).toEqual({ outputs: { pod: "game-0", container: "game-server", exitCode: 0, stdout: "players: 12 on game-0\n", stderr: "warming\n" }, exitCode: 0 });
    expect(context.lines).toEqual(["players: 12 on game-0", "warming"]);

    const failure = await failureOf(k8s({ action: "exec", resource: "pod/game-0", command: ["sh", "-c", "echo dumping; echo 'no space left' >&2; exit 3"] }));
    expect(failure.message).toBe("sh in pod game/game-0 exited with code 3; last lines:\nno space left");
    expect(failure.options).toMatchObject({ exitCode: 3, retryable: false, outputs: { container: "game-server", stdout: "dumping\n" } });
  });

  it("execs in a Ready pod of a deployment", async () => {
    const result = await k8s({ action: "exec", resource: "deployment/lobby", command: ["printenv", "HOSTNAME"] });
    expect(String(result.outputs.stdout).trim()).toBe(result.outputs.pod);
    expect(String(result.outputs.pod)).toMatch(/^lobby-/);
  });

  it("says what is wrong with an exec: a container the pod lacks, a program that is not there", async () => {
    const container = await failureOf(k8s({ action: "exec", resource: "pod/game-0", container: "nginx", command: ["true"] }));
    expect(container.message).toBe('running true in pod game/game-0: the pod has no container "nginx"; it has game-server, envoy');
    const program = await failureOf(k8s({ action: "exec", resource: "pod/game-0", command: ["gameops-no-such-tool", "--version"] }));
    expect(program.message).toBe(
      'running gameops-no-such-tool in pod game/game-0 container game-server: Internal error occurred: error executing command in container: failed to exec in container: failed to start exec "game-server": OCI runtime exec failed: exec failed: unable to start container process: exec: "gameops-no-such-tool": executable file not found in $PATH: unknown',
    );
    expect(program.options.retryable).toBe(false);
  });

  it("refuses an exec the server forbids, with its status", async () => {
    const allow = emulator.deny({ resource: "pods/exec", namespace: "game" });
    try {
      const failure = await failureOf(k8s({ action: "exec", resource: "pod/game-0", command: ["true"] }));
      expect(failure.message).toBe("running true in pod game/game-0 container game-server: the API server refused the exec stream (HTTP 403)");
      expect(failure.options.retryable).toBe(false);
    } finally {
      allow();
    }
  });
});

describe("k8s step: top", () => {
  it("lists pod usage, hungriest first, with totals", async () => {
    const result = await k8s({ action: "top", selector: "app=game-server" });
    expect(result.outputs).toEqual({
      pods: [
        {
          name: "game-1",
          cpu: "905m",
          memory: "1056Mi",
          cpuMillicores: 905,
          memoryBytes: 1_107_296_256,
          containers: [
            { name: "game-server", cpuMillicores: 900, memoryBytes: 1_073_741_824 },
            { name: "envoy", cpuMillicores: 5, memoryBytes: 33_554_432 },
          ],
        },
        expect.objectContaining({ name: "game-0", cpu: "255m", memory: "544Mi" }),
      ],
      count: 2,
      total: { cpuMillicores: 1160, memoryBytes: 1_677_721_600 },
    });
    const one = await k8s({ action: "top", resource: "pod/game-0" });
    expect((one.outputs.pods as any[]).map((p) => p.name)).toEqual(["game-0"]);
  });

  it("lists node usage against allocatable", async () => {
    const result = await k8s({ action: "top", resource: "nodes" });
    expect(result.outputs).toEqual({
      nodes: [{ name: "node-a", cpu: "1500m", memory: "8192Mi", cpuMillicores: 1500, memoryBytes: 8_589_934_592, cpuPercent: 38, memoryPercent: 50 }],
      count: 1,
    });
  });

  it("says when metrics.k8s.io is not there", async () => {
    emulator.setMetrics("absent");
    try {
      const failure = await failureOf(k8s({ action: "top" }));
      expect(failure.message).toBe('reading pod metrics (metrics.k8s.io) in namespace "game": HTTP 404: 404 page not found');
    } finally {
      emulator.setMetrics("available");
    }
  });
});

describe("k8s step: bad specs", () => {
  it("names what each action needs", async () => {
    const cases: [StepSpec<"k8s">, string][] = [
      [{ action: "scale", replicas: 2 }, "k8s scale: needs resource: deployment/NAME"],
      [{ action: "scale", resource: "configmap/game-config", replicas: 2 }, 'k8s scale: resource "configmap/game-config" is not one this action takes: deployment/NAME'],
      [{ action: "scale", resource: "deployment/lobby" }, "k8s scale: needs replicas: the number of pods wanted"],
      [{ action: "scale", resource: "deployment/lobby", replicas: "many" }, 'k8s scale: replicas must be a whole number of 0 or more, got "many"'],
      [{ action: "rollout-undo", resource: "statefulset/db" }, 'k8s rollout-undo: resource "statefulset/db" is not one this action takes: deployment/NAME'],
      [{ action: "patch-configmap", resource: "configmap/game-config" }, 'k8s patch-configmap: needs data: the keys to set, e.g. { maintenance_mode: "true" }'],
      [{ action: "exec", resource: "pod/game-0" }, "k8s exec: needs command: the program and its arguments, e.g. [jcmd, 1, GC.heap_info]"],
      [{ action: "logs", resource: "deployment" }, 'k8s logs: resource "deployment" is not one this action takes: pod/NAME or deployment/NAME (or a selector)'],
    ];
    for (const [spec, message] of cases) expect((await failureOf(k8s(spec))).message, JSON.stringify(spec)).toBe(message);
  });

  it("says how to configure Kubernetes when it is not", async () => {
    const failure = await failureOf(execute({ action: "get-pods" }, stepContext(envConfig())));
    expect(failure.message).toBe("kubernetes is not configured: set GAMEOPS_KUBECONFIG and GAMEOPS_K8S_NAMESPACE or targets.kubernetes");
  });
});

describe("k8s step: describe", () => {
  it("shows each action as the kubectl command, the namespace from the spec or the config", () => {
    expect(describeStep({ action: "scale", resource: "deployment/lobby", replicas: 5 }, config)).toEqual({
      summary: "kubectl scale deployment/lobby --replicas=5 -n game",
      detail: { action: "scale", namespace: "game", resource: "deployment/lobby", replicas: 5 },
      target: "kubernetes namespace game",
      destructive: true,
    });
    const lines = (
      [
        [{ action: "rollout-restart", resource: "deployment/game-server", namespace: "game-production" }, "kubectl rollout restart deployment/game-server -n game-production", true],
        [{ action: "rollout-status", resource: "deployment/lobby" }, "kubectl rollout status deployment/lobby -n game --timeout=5m", false],
        [{ action: "rollout-undo", resource: "deployment/lobby", revision: 3 }, "kubectl rollout undo deployment/lobby --to-revision=3 -n game", true],
        [{ action: "patch-configmap", resource: "configmap/game-config", data: { maintenance_mode: "true" } }, `kubectl patch configmap/game-config -n game --type=merge -p '{"data":{"maintenance_mode":"true"}}'`, true],
        [{ action: "get-pods", selector: "app=game-server" }, "kubectl get pods -l app=game-server -n game", false],
        [{ action: "logs", resource: "pod/game-0", container: "game-server", since: 300_000 }, "kubectl logs pod/game-0 -c game-server --since=300s --tail=1000 -n game", false],
        [{ action: "exec", resource: "pod/game-0", command: ["jcmd", "1", "GC.heap_dump", "/tmp/heap 1.hprof"] }, "kubectl exec pod/game-0 -n game -- jcmd 1 GC.heap_dump '/tmp/heap 1.hprof'", true],
        [{ action: "top", selector: "app=game-server" }, "kubectl top pods -l app=game-server -n game", false],
        [{ action: "top", resource: "nodes" }, "kubectl top nodes", false],
      ] as [StepSpec<"k8s">, string, boolean][]
    ).map(([spec]) => describeStep(spec, config));
    expect(lines.map((a) => [a.summary, a.destructive])).toEqual([
      ["kubectl rollout restart deployment/game-server -n game-production", true],
      ["kubectl rollout status deployment/lobby -n game --timeout=5m", false],
      ["kubectl rollout undo deployment/lobby --to-revision=3 -n game", true],
      [`kubectl patch configmap/game-config -n game --type=merge -p '{"data":{"maintenance_mode":"true"}}'`, true],
      ["kubectl get pods -l app=game-server -n game", false],
      ["kubectl logs pod/game-0 -c game-server --since=300s --tail=1000 -n game", false],
      ["kubectl exec pod/game-0 -n game -- jcmd 1 GC.heap_dump '/tmp/heap 1.hprof'", true],
      ["kubectl top pods -l app=game-server -n game", false],
      ["kubectl top nodes", false],
    ]);
  });
});
