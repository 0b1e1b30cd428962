/** high-cpu against a real demo fleet with a CPU burn injected by the demo-drill runbook. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Secret } from "../../../src/config/secret.js";
import { startDemoFleet, type DemoFleet } from "../../../src/demo/fleet.js";
import { ApprovalRefused } from "../../../src/engine/runbooks/executor.js";
import { builtIn, envConfig, openDesk, show, stepsById, tempDir, type Desk } from "./support.js";

let fleet: DemoFleet;
let desk: Desk;

beforeAll(async () => {
  fleet = await startDemoFleet({ dataDir: tempDir("high-cpu"), playerIntervalMs: 0, initialPlayers: 2 });
  const token = (fleet.target as { token: Secret }).token.reveal();
  desk = await openDesk(envConfig({ GAMEOPS_FLEET_URL: fleet.url, GAMEOPS_FLEET_TOKEN: token }));
});

afterAll(async () => {
  await desk?.close();
  await fleet?.close();
});

describe("high-cpu on the demo fleet", () => {
  it("names the burning server, profiles it, waits for a second person, restarts it", { timeout: 240_000 }, async () => {
    const { executor, starter, approver, store } = desk;
    const drill = await executor.start(builtIn("demo-drill"), { server: "game-2", fault: "cpu-burn" }, { startedBy: starter.personId, through: "cli" });
    expect((await executor.runUntilBlocked(drill)).status).toBe("succeeded");
    const burning = fleet.servers().find((s) => s.id === "game-2")!;

    // A loaded 2-core machine may not give the burn a whole core: half of one is hot enough here.
    const runId = await executor.start(builtIn("high-cpu"), { cpu_percent: 50 }, { startedBy: starter.personId, through: "cli" });
    const waiting = await executor.runUntilBlocked(runId);
    expect(waiting).toMatchObject({ status: "waiting_approval", waiting: { for: "approval", stepId: "confirm_restart" } });

    const detail = (await executor.getRun(runId))!;
    const steps = stepsById(detail);
    expect(steps.get("hot")!.outputs!.hottest).toMatchObject({ server: "game-2" });
    expect((steps.get("hot")!.outputs!.hottest as { cpuPercent: number }).cpuPercent).toBeGreaterThanOrEqual(50);
    // Not on Kubernetes: no HPA, no kubectl top.
    expect(["hpa", "top"].map((id) => steps.get(id)?.status)).toEqual(["skipped", "skipped"]);

    const profile = steps.get("profile")!.outputs as { server: string; artifact: string; hottest: { function: string; selfPercent: number }[] };
    expect(profile.server).toBe("game-2");
    expect(profile.hottest[0]!.function).toBe("burnCpu");
    const artifact = (await store.runbookRuns.getArtifact(profile.artifact))!;
    expect(artifact).toMatchObject({ runId, stepId: "profile", contentType: "application/json" });
    expect(artifact.name).toMatch(/^game-2-.*\.cpuprofile$/);
    expect(JSON.parse(Buffer.from(artifact.data).toString("utf8"))).toHaveProperty("nodes");

    const [approval] = detail.approvals;
    expect(approval).toMatchObject({ stepId: "confirm_restart", approvers: ["operator", "lead"], selfApproval: false });
    expect(approval!.prompt).toMatch(
      new RegExp(`^Restart game-2\\? It is at \\d+(\\.\\d+)? % CPU; its busiest function is burnCpu \\([\\d.]+ % of the samples, .*faults\\.(ts|js):\\d+\\)\\. A restart starts a new process; the players on it are disconnected\\. CPU profile: artifact ${profile.artifact}\\.$`),
    );
    show(detail);

    // The starter is a lead and an operator, and still may not approve their own run.
    const refused = await executor.approve(runId, "confirm_restart", starter, "approve", "cli").catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ApprovalRefused);
    expect((refused as Error).message).toBe(`mina started run ${runId} and may not approve its step "confirm_restart": the step does not allow self_approval; ask one of operator, lead`);
    expect(fleet.servers().find((s) => s.id === "game-2")!.pid).toBe(burning.pid);

    await executor.approve(runId, "confirm_restart", approver, "approve", "cli");
    const done = await executor.runUntilBlocked(runId);
    const after = (await executor.getRun(runId))!;
    show(after);
    expect(done.status).toBe("succeeded");
    const finished = stepsById(after);
    expect(finished.get("restart")!.outputs).toEqual({ before: [{ server: "game-2", pid: burning.pid }], after: [{ server: "game-2", pid: expect.any(Number) }] });
    const restarted = fleet.servers().find((s) => s.id === "game-2")!;
    expect(restarted.pid).not.toBe(burning.pid);
    expect(restarted.restarts).toBe(1);
    expect(fleet.servers().filter((s) => s.id !== "game-2").every((s) => s.restarts === 0)).toBe(true);
    expect(["confirm_scale", "scale_up", "cooled", "healthy"].map((id) => finished.get(id)?.status)).toEqual(["skipped", "skipped", "succeeded", "skipped"]);
    expect(after.approvals[0]).toMatchObject({ decision: "approve", decidedBy: "joon", through: "cli" });
  });
});
