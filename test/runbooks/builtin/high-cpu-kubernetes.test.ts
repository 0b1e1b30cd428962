/**
 * high-cpu on a Kubernetes fleet: the local API emulation (no cluster runs here), real demo
 * game servers as its pods (../../fleet/pod-runner.ts), the real kubectl for the HPA.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/load.js";
import { configMap, deployment, horizontalPodAutoscaler, node, nodeMetrics, podMetrics, startKubernetesEmulator, type KubernetesEmulator } from "../../k8s-emulator/index.js";
import { PodRunner } from "../../fleet/pod-runner.js";
import { adminToken } from "../../fleet/support.js";
import { builtIn, openDesk, show, stepsById, tempDir, type Desk } from "./support.js";

const namespace = "game";
let emulator: KubernetesEmulator;
let runner: PodRunner;
let desk: Desk;

const pods = () => emulator.list("pods", namespace).map((p) => p.metadata.name as string).sort();

beforeAll(async () => {
  emulator = await startKubernetesEmulator({
    rolloutDelayMs: 100,
    objects: [
      node("node-a", { cpu: "8", memory: "32Gi" }),
      nodeMetrics("node-a", { cpu: "2500m", memory: "6Gi" }),
      deployment("game-server", { namespace, replicas: 2, labels: { app: "game-server" } }),
      configMap("game-server-config", { maintenance_mode: "false" }, { namespace }),
      horizontalPodAutoscaler("game-server", { namespace, target: "game-server", min: 2, max: 6, cpuTargetPct: 70, cpuCurrentPct: 95, currentReplicas: 2 }),
    ],
  });
  emulator.proxy.addService({ namespace, name: "game-server", selector: { app: "game-server" }, ports: [{ name: "admin", port: 8080 }] });
  runner = new PodRunner(emulator, { namespace, selector: { app: "game-server" }, port: 8080, configMap: "game-server-config", adminToken, logDir: tempDir("high-cpu-pods"), initialPlayers: 2 });
  await runner.settled();
  emulator.apply(...pods().map((pod, i) => podMetrics(pod, { namespace, labels: { app: "game-server" }, containers: [{ name: "game-server", cpu: i === 0 ? "950m" : "40m", memory: "80Mi" }] })));

  const dir = tempDir("high-cpu-k8s-config");
  writeFileSync(join(dir, "gameops.yaml"), "targets:\n  fleet:\n    kind: kubernetes\n    deployment: game-server\n    configMap: game-server-config\n    service: game-server\n    adminPort: 8080\n");
  const { config } = loadConfig({ cwd: dir, env: { GAMEOPS_KUBECONFIG: emulator.kubeconfigPath, GAMEOPS_K8S_NAMESPACE: namespace, GAMEOPS_FLEET_TOKEN: adminToken } });
  desk = await openDesk(config);
});

afterAll(async () => {
  await desk?.close();
  await runner?.close();
  await emulator?.close();
});

describe("high-cpu on a Kubernetes fleet", () => {
  it("shows the HPA and kubectl top, and scales the Deployment up after a second person approves", { timeout: 240_000 }, async () => {
    const { executor, starter, approver } = desk;
    const [hot] = pods();
    const drill = await executor.start(builtIn("demo-drill"), { server: hot!, fault: "cpu-burn" }, { startedBy: starter.personId, through: "cli" });
    expect((await executor.runUntilBlocked(drill)).status).toBe("succeeded");

    const runId = await executor.start(builtIn("high-cpu"), { cpu_percent: 50, replicas: 3 }, { startedBy: starter.personId, through: "cli" });
    expect(await executor.runUntilBlocked(runId)).toMatchObject({ status: "waiting_approval", waiting: { for: "approval", stepId: "confirm_scale" } });
    const detail = (await executor.getRun(runId))!;
    show(detail);
    const steps = stepsById(detail);
    expect(steps.get("hot")!.outputs).toMatchObject({ hottest: { server: hot }, desired: 2, label: "deployment/game-server in namespace game", service: { name: "game-server", reachable: true } });
    expect((steps.get("profile")!.outputs!.hottest as { function: string }[])[0]!.function).toBe("burnCpu");

    // kubectl against the emulated API server, in the fleet's namespace.
    expect(steps.get("hpa")).toMatchObject({ status: "succeeded", action: { summary: `sh -c: kubectl get hpa --namespace "\${FLEET##* in namespace }" -o wide` } });
    const hpa = (steps.get("hpa")!.outputs!.stdout as string).trim().split("\n");
    expect(hpa[0]).toMatch(/^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE$/);
    expect(hpa[1]).toMatch(/^game-server\s+Deployment\/game-server\s+cpu: 95%\/70%\s+2\s+6\s+2\s+/);
    expect(steps.get("top")!.status).toBe("succeeded");
    expect(steps.get("top")!.output).toContain(hot);
    expect(steps.get("confirm_restart")!.status).toBe("skipped");

    const [approval] = detail.approvals;
    expect(approval!.prompt).toMatch(
      new RegExp(`^Scale deployment/game-server in namespace game from 2 to 3 pods\\? ${hot} is at [\\d.]+ % CPU; its busiest function is burnCpu \\([\\d.]+ % of the samples\\)\\. An HPA on the Deployment`),
    );

    await executor.approve(runId, "confirm_scale", approver, "approve", "api");
    // The load spreads over the new pod; in this drill, the burn ends.
    const calm = await executor.start(builtIn("demo-drill"), { server: hot!, fault: "none" }, { startedBy: starter.personId, through: "cli" });
    expect((await executor.runUntilBlocked(calm)).status).toBe("succeeded");
    const done = await executor.runUntilBlocked(runId);
    const after = (await executor.getRun(runId))!;
    show(after);
    expect(done.status).toBe("succeeded");
    const finished = stepsById(after);
    expect(finished.get("scale_up")!.outputs).toMatchObject({ from: 2, to: 3 });
    expect(emulator.get("deployments", namespace, "game-server")!.spec.replicas).toBe(3);
    expect(["restart", "cooled", "healthy"].map((id) => finished.get(id)!.status)).toEqual(["skipped", "succeeded", "succeeded"]);
    await runner.settled();
    expect(runner.processes.size).toBe(3);
  });
});
