/**
 * server-down and high-error-rate on a Kubernetes fleet: the local API emulation (no cluster runs
 * here), real demo game servers as its pods (../fleet/pod-runner.ts), and the real kubectl for
 * the pods, events, logs and the rollback.
 */
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { PodRunner } from "../fleet/pod-runner.js";
import { adminToken } from "../fleet/support.js";
import { configMap, deployment, event, startKubernetesEmulator, type KubernetesEmulator } from "../k8s-emulator/index.js";
import { builtIn, openDesk, show, stepsById, tempDir, type Desk } from "../runbooks/builtin/support.js";

const namespace = "game";
let emulator: KubernetesEmulator;
let runner: PodRunner;
let desk: Desk;

const pods = () => emulator.list("pods", namespace).map((p) => p.metadata.name as string).sort();
const imageOf = () => emulator.get("deployments", namespace, "game-server")!.spec.template.spec.containers[0].image as string;

async function kubectl(args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)("kubectl", ["--kubeconfig", emulator.kubeconfigPath, "--cache-dir", emulator.cacheDir, "--namespace", namespace, ...args], { timeout: 60_000 });
  return stdout;
}

beforeAll(async () => {
  emulator = await startKubernetesEmulator({
    rolloutDelayMs: 100,
    objects: [deployment("game-server", { namespace, replicas: 2, labels: { app: "game-server" } }), configMap("game-server-config", { maintenance_mode: "false" }, { namespace })],
  });
  emulator.proxy.addService({ namespace, name: "game-server", selector: { app: "game-server" }, ports: [{ name: "admin", port: 8080 }] });
  runner = new PodRunner(emulator, { namespace, selector: { app: "game-server" }, port: 8080, configMap: "game-server-config", adminToken, logDir: tempDir("linked-k8s-pods"), initialPlayers: 2 });
  await runner.settled();

  const dir = tempDir("linked-k8s-config");
  writeFileSync(join(dir, "gameops.yaml"), "targets:\n  fleet:\n    kind: kubernetes\n    deployment: game-server\n    configMap: game-server-config\n    service: game-server\n    adminPort: 8080\n");
  const { config } = loadConfig({ cwd: dir, env: { GAMEOPS_KUBECONFIG: emulator.kubeconfigPath, GAMEOPS_K8S_NAMESPACE: namespace, GAMEOPS_FLEET_TOKEN: adminToken } });
  desk = await openDesk(config);
});

afterAll(async () => {
  await desk?.close();
  await runner?.close();
  await emulator?.close();
});

describe("the linked runbooks on a Kubernetes fleet", () => {
  it("server-down: the pods, the warning events and the crashed container's last words; no restart of a pod that is up", { timeout: 180_000 }, async () => {
    const [crashed] = pods();
    const pod = emulator.get("pods", namespace, crashed!)!;
    // The kubelet's record of a container that exited with 1 and was started again.
    const [container] = pod.status.containerStatuses;
    const finishedAt = new Date().toISOString();
    emulator.apply({
      ...pod,
      status: { ...pod.status, containerStatuses: [{ ...container, restartCount: 1, lastState: { terminated: { exitCode: 1, reason: "Error", startedAt: finishedAt, finishedAt } } }] },
    });
    emulator.apply(event(pod, { type: "Warning", reason: "BackOff", message: "Back-off restarting failed container game-server" }));
    emulator.appendLogs({ namespace, pod: crashed!, previous: true, lines: [{ time: new Date(), text: "FATAL cannot reach the session database: connection refused" }] });

    const runId = await desk.executor.start(builtIn("server-down"), { server: crashed! }, { startedBy: desk.starter.personId, through: "cli" });
    expect((await desk.executor.runUntilBlocked(runId)).status).toBe("succeeded");
    const detail = (await desk.executor.getRun(runId))!;
    show(detail);
    const steps = stepsById(detail);
    expect(steps.get("status")!.outputs).toMatchObject({ label: "deployment/game-server in namespace game", desired: 2, up: 2 });
    expect(steps.get("pods")!.output).toMatch(new RegExp(`^${crashed}\\s+1/1\\s+Running\\s+1 \\(`, "m"));
    expect(steps.get("events")!.output).toMatch(/Warning\s+BackOff\s+pod\/\S+\s+Back-off restarting failed container game-server/);
    expect(steps.get("crash_logs")!.output).toContain(`--- previous container of ${crashed}\nFATAL cannot reach the session database: connection refused\n--- current container of ${crashed}`);
    // It is up again (the kubelet restarted it): nothing to restart.
    expect(["target", "confirm_restart", "restart"].map((id) => steps.get(id)!.status)).toEqual(["succeeded", "skipped", "skipped"]);
  });

  it("high-error-rate: the rollout history and the pods' error lines, then a rollback after a second person approves", { timeout: 180_000 }, async () => {
    await kubectl(["set", "image", "deployment/game-server", "game-server=registry.example.com/game-server:1.1.0"]);
    await kubectl(["rollout", "status", "deployment/game-server", "--timeout=60s"]);
    await runner.settled();
    for (const pod of pods()) emulator.appendLogs({ namespace, pod, lines: [{ time: new Date(), text: `ERROR [${pod}] matchmaking rejected ticket: schema version 7 unknown` }] });

    const runId = await desk.executor.start(builtIn("high-error-rate"), {}, { startedBy: desk.starter.personId, through: "cli" });
    expect(await desk.executor.runUntilBlocked(runId)).toMatchObject({ status: "waiting_approval", waiting: { for: "approval", stepId: "confirm_rollback" } });
    const waiting = (await desk.executor.getRun(runId))!;
    show(waiting);
    const read = stepsById(waiting);
    expect(read.get("rollout")!.output).toMatch(/game-server\s+2\/2\s+2\s+2\s+.*registry\.example\.com\/game-server:1\.1\.0/);
    expect(read.get("rollout")!.output).toMatch(/REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/);
    for (const pod of pods()) expect(read.get("pod_errors")!.output).toContain(`[pod/${pod}/game-server] ERROR [${pod}] matchmaking rejected ticket: schema version 7 unknown`);
    expect(waiting.approvals[0]!.prompt).toMatch(/^Roll deployment\/game-server in namespace game back to its previous revision\? /);

    await desk.executor.approve(runId, "confirm_rollback", desk.approver, "approve", "cli");
    const done = await desk.executor.runUntilBlocked(runId);
    const after = (await desk.executor.getRun(runId))!;
    show(after);
    expect(done.status).toBe("succeeded");
    const steps = stepsById(after);
    expect(steps.get("rollback")!.output).toContain("deployment.apps/game-server rolled back");
    expect(steps.get("rolled_back")!.output).toContain('deployment "game-server" successfully rolled out');
    expect(["target", "confirm_restart", "restart", "healthy"].map((id) => steps.get(id)!.status)).toEqual(["skipped", "skipped", "skipped", "succeeded"]);
    expect(imageOf()).toBe("registry.example.com/game-server:1.0.0");
    await runner.settled();
    expect(runner.processes.size).toBe(2);
  });
});
