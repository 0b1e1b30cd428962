/**
 * rollback-deployment against the local Kubernetes API emulation (no cluster runs here): a
 * Deployment released twice with the real kubectl, then rolled back by the runbook after a
 * second person approves — to the previous revision, to a named one, or not at all.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApprovalRefused } from "../../../src/engine/runbooks/executor.js";
import { deployment, node, startKubernetesEmulator, type KubernetesEmulator } from "../../k8s-emulator/index.js";
import { builtIn, envConfig, openDesk, show, stepsById, type Desk } from "./support.js";

const namespace = "live";
const image = (version: string) => `registry.example.com/game-server:${version}`;
let emulator: KubernetesEmulator;
let desk: Desk;

async function kubectl(args: string[]): Promise<string> {
  const run = promisify(execFile);
  const { stdout } = await run("kubectl", ["--kubeconfig", emulator.kubeconfigPath, "--cache-dir", emulator.cacheDir, "--namespace", namespace, ...args], { timeout: 60_000 });
  return stdout;
}

async function release(version: string) {
  await kubectl(["set", "image", "deployment/game-server", `game-server=${image(version)}`]);
  await kubectl(["annotate", "deployment/game-server", `kubernetes.io/change-cause=release ${version}`, "--overwrite"]);
  await kubectl(["rollout", "status", "deployment/game-server", "--timeout=60s"]);
}

const running = () => emulator.get("deployments", namespace, "game-server")!;
const imageNow = () => running().spec.template.spec.containers[0].image as string;
const revisionNow = () => running().metadata.annotations["deployment.kubernetes.io/revision"] as string;
const start = (params: Record<string, string | number>) =>
  desk.executor.start(builtIn("rollback-deployment"), { namespace, deployment: "game-server", ...params }, { startedBy: desk.starter.personId, through: "api" });

beforeAll(async () => {
  emulator = await startKubernetesEmulator({
    rolloutDelayMs: 100,
    objects: [node("node-a", { cpu: "8", memory: "32Gi" }), deployment("game-server", { namespace, replicas: 2, labels: { app: "game-server" }, containers: [{ name: "game-server", image: image("1.0.0") }] })],
  });
  await release("1.1.0");
  await release("1.2.0");
  desk = await openDesk(envConfig({ GAMEOPS_KUBECONFIG: emulator.kubeconfigPath, GAMEOPS_K8S_NAMESPACE: namespace }));
});

afterAll(async () => {
  await desk?.close();
  await emulator?.close();
});

describe("rollback-deployment", () => {
  it("plans the history, an approval gate for a second person, the undo, the wait and the health check", async () => {
    const plan = await desk.executor.plan(builtIn("rollback-deployment"), { namespace, deployment: "game-server", incident: "INC-42" }, { startedBy: "mina" });
    show(plan);
    expect(plan.params).toEqual({ namespace, deployment: "game-server", revision: 0, incident: "INC-42" });
    expect(plan.locks).toEqual(["deployment/live/game-server"]);
    expect(plan.steps.map((s) => [s.id, s.kind, s.destructive ? "destructive" : "reads", s.approval ? s.approval.approvers.join("|") : ""])).toEqual([
      ["history", "shell", "reads", ""],
      ["confirm", "approve", "reads", "operator|lead"],
      ["rollback", "k8s", "destructive", ""],
      ["rolled_out", "k8s", "reads", ""],
      ["healthy", "check", "reads", ""],
    ]);
    const byId = new Map(plan.steps.map((s) => [s.id, s]));
    expect(byId.get("confirm")!.approval).toMatchObject({ selfApproval: false, prompt: expect.stringMatching(/^Roll deployment live\/game-server back to its previous revision\? .* Incident: INC-42\.$/) });
    expect(byId.get("rollback")!.action.summary).toBe("kubectl rollout undo deployment/game-server -n live");
    const named = await desk.executor.plan(builtIn("rollback-deployment"), { namespace, deployment: "game-server", revision: 2 });
    expect(named.steps.find((s) => s.id === "rollback")!.action.summary).toBe("kubectl rollout undo deployment/game-server --to-revision=2 -n live");
  });

  it("shows the history, waits for a second person, then restores the previous revision, waits for it and checks health", { timeout: 120_000 }, async () => {
    const runId = await start({ incident: "INC-42" });
    expect(await desk.executor.runUntilBlocked(runId)).toMatchObject({ status: "waiting_approval", waiting: { for: "approval", stepId: "confirm" } });
    const waiting = (await desk.executor.getRun(runId))!;
    show(waiting);
    const history = stepsById(waiting).get("history")!;
    expect(history.status).toBe("succeeded");
    expect(history.output).toMatch(/game-server\s+2\/2\s+2\s+2\s+.*registry\.example\.com\/game-server:1\.2\.0/);
    expect(history.output).toMatch(/REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+release 1\.1\.0\n3\s+release 1\.2\.0/);
    expect(waiting.approvals[0]!.prompt).toMatch(/^Roll deployment live\/game-server back to its previous revision\? .* Incident: INC-42\.$/);

    // The one who started it may not approve it.
    await expect(desk.executor.approve(runId, "confirm", desk.starter, "approve", "api")).rejects.toBeInstanceOf(ApprovalRefused);
    expect(imageNow()).toBe(image("1.2.0"));

    await desk.executor.approve(runId, "confirm", desk.approver, "approve", "api");
    const done = await desk.executor.runUntilBlocked(runId);
    const after = (await desk.executor.getRun(runId))!;
    show(after);
    expect(done.status).toBe("succeeded");
    const steps = stepsById(after);
    expect(steps.get("rollback")!.outputs).toEqual({ deployment: "game-server", from: 3, to: 2, skipped: false });
    expect(steps.get("rolled_out")!.outputs).toMatchObject({ done: true, replicas: 2, revision: 4 });
    expect(steps.get("healthy")!.status).toBe("succeeded");
    expect(imageNow()).toBe(image("1.1.0"));
    expect(revisionNow()).toBe("4");
  });

  it("restores a named revision, showing its template before the approval", { timeout: 120_000 }, async () => {
    const runId = await start({ revision: 1 });
    expect((await desk.executor.runUntilBlocked(runId)).status).toBe("waiting_approval");
    const waiting = (await desk.executor.getRun(runId))!;
    expect(stepsById(waiting).get("history")!.output).toMatch(/deployment\.apps\/game-server with revision #1\nPod Template:[\s\S]*Image:\s+registry\.example\.com\/game-server:1\.0\.0/);
    expect(waiting.approvals[0]!.prompt).toMatch(/^Roll deployment live\/game-server back to revision 1\? .* Incident: none named\.$/);

    await desk.executor.approve(runId, "confirm", desk.approver, "approve", "api");
    expect((await desk.executor.runUntilBlocked(runId)).status).toBe("succeeded");
    expect(stepsById((await desk.executor.getRun(runId))!).get("rollback")!.outputs).toEqual({ deployment: "game-server", from: 4, to: 1, skipped: false });
    expect(imageNow()).toBe(image("1.0.0"));
    expect(revisionNow()).toBe("5");
  });

  it("changes nothing when the approver rejects it", { timeout: 60_000 }, async () => {
    const runId = await start({});
    expect((await desk.executor.runUntilBlocked(runId)).status).toBe("waiting_approval");
    await desk.executor.approve(runId, "confirm", desk.approver, "reject", "api", "the errors began before the release");
    const done = await desk.executor.runUntilBlocked(runId);
    expect(done).toMatchObject({ status: "failed", failedStep: "confirm" });
    const steps = stepsById((await desk.executor.getRun(runId))!);
    expect(steps.get("confirm")!.error).toBe("rejected by joon: the errors began before the release");
    expect(steps.has("rollback")).toBe(false);
    expect(imageNow()).toBe(image("1.0.0"));
  });

  it("fails at the undo, in kubectl's words, for a revision the history does not have", { timeout: 60_000 }, async () => {
    const runId = await start({ revision: 42 });
    expect((await desk.executor.runUntilBlocked(runId)).status).toBe("waiting_approval");
    await desk.executor.approve(runId, "confirm", desk.approver, "approve", "api");
    const done = await desk.executor.runUntilBlocked(runId);
    const steps = stepsById((await desk.executor.getRun(runId))!);
    expect(done).toMatchObject({ status: "failed", failedStep: "rollback" });
    expect(steps.get("history")!.status).toBe("failed");
    expect(steps.get("rollback")!.error).toBe("rolling back deployment live/game-server to revision 42: unable to find specified revision 42 in history");
    expect(imageNow()).toBe(image("1.0.0"));
  });
});
