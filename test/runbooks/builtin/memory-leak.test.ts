/** memory-leak against a real demo fleet with memory growth injected by the demo-drill runbook. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Secret } from "../../../src/config/secret.js";
import { startDemoFleet, type DemoFleet } from "../../../src/demo/fleet.js";
import { builtIn, envConfig, openDesk, show, stepsById, tempDir, type Desk } from "./support.js";

let fleet: DemoFleet;
let desk: Desk;

beforeAll(async () => {
  fleet = await startDemoFleet({ dataDir: tempDir("memory-leak"), playerIntervalMs: 0, initialPlayers: 2 });
  const token = (fleet.target as { token: Secret }).token.reveal();
  desk = await openDesk(envConfig({ GAMEOPS_FLEET_URL: fleet.url, GAMEOPS_FLEET_TOKEN: token }));
});

afterAll(async () => {
  await desk?.close();
  await fleet?.close();
});

describe("memory-leak on the demo fleet", () => {
  it("names the growing server, keeps its heap snapshot, and restarts nothing when the approval is rejected", { timeout: 240_000 }, async () => {
    const { executor, starter, approver, store } = desk;
    const pids = new Map(fleet.servers().map((s) => [s.id, s.pid]));
    const drill = await executor.start(builtIn("demo-drill"), { server: "game-3", fault: "memory-growth" }, { startedBy: starter.personId, through: "cli" });
    expect((await executor.runUntilBlocked(drill)).status).toBe("succeeded");

    const runId = await executor.start(builtIn("memory-leak"), {}, { startedBy: starter.personId, through: "cli" });
    expect(await executor.runUntilBlocked(runId)).toMatchObject({ status: "waiting_approval", waiting: { for: "approval", stepId: "confirm_restart" } });

    const detail = (await executor.getRun(runId))!;
    show(detail);
    const steps = stepsById(detail);
    expect(steps.get("top")!.status).toBe("skipped");
    expect(steps.get("window")!.status).toBe("succeeded");
    const largest = steps.get("window")!.outputs!.largest as { server: string; rssBytes: number };
    expect(largest.server).toBe("game-3");
    const firstLargest = (steps.get("before")!.outputs!.largest as { rssBytes: number }).rssBytes;
    expect(Number(steps.get("threshold")!.outputs!.stdout)).toBe(firstLargest + 32 * 1024 * 1024);
    expect(largest.rssBytes).toBeGreaterThanOrEqual(firstLargest + 32 * 1024 * 1024);

    const snapshot = steps.get("snapshot")!.outputs as { server: string; artifact: string; bytes: number };
    expect(snapshot.server).toBe("game-3");
    const artifact = (await store.runbookRuns.getArtifact(snapshot.artifact))!;
    expect(artifact).toMatchObject({ runId, stepId: "snapshot", contentType: "application/json", size: snapshot.bytes });
    expect(artifact.name).toMatch(/^game-3-.*\.heapsnapshot$/);
    expect(artifact.data.byteLength).toBeGreaterThan(0);
    // A .heapsnapshot opens with its header: {"snapshot":{"meta":{…},"node_count":…,"edge_count":…},
    const text = Buffer.from(artifact.data).toString("utf8");
    const header = JSON.parse(`${text.slice(0, text.indexOf(',\n"nodes":'))}}`) as { snapshot: { meta: { node_fields: string[] }; node_count: number } };
    expect(header.snapshot.meta.node_fields).toContain("name");
    expect(header.snapshot.node_count).toBeGreaterThan(0);
    // The drill's leak is there to be found.
    expect(text).toContain("LeakedMatchHistory");

    expect(detail.approvals[0]!.prompt).toMatch(
      new RegExp(
        `^Restart game-3\\? Its resident memory is ${largest.rssBytes} bytes, the fleet's largest\\. At the first sample the largest was game-\\d with \\d+ bytes; a server grew 32 MiB past that within the window: yes\\. A restart starts a new process and frees the memory, not the leak; the players on it are disconnected\\. Heap snapshot \\(${snapshot.bytes} bytes\\): artifact ${snapshot.artifact}\\.$`,
      ),
    );

    // While it waits, no second fleet runbook can ask to restart a server too.
    const second = await executor.start(builtIn("high-cpu"), {}, { startedBy: approver.personId, through: "cli" });
    expect(await executor.runUntilBlocked(second)).toMatchObject({
      status: "failed",
      error: `lock "fleet" is held by run ${runId} (memory-leak, started by mina); this runbook does not wait for locks (lock_wait: fail)`,
    });

    await executor.approve(runId, "confirm_restart", approver, "reject", "cli", "keep it up, the snapshot is enough for now");
    const done = await executor.runUntilBlocked(runId);
    const after = (await executor.getRun(runId))!;
    show(after);
    expect(done).toMatchObject({ status: "failed", failedStep: "confirm_restart" });
    expect(stepsById(after).get("confirm_restart")).toMatchObject({ status: "failed", error: "rejected by joon: keep it up, the snapshot is enough for now" });
    expect(stepsById(after).has("restart")).toBe(false);
    expect(new Map(fleet.servers().map((s) => [s.id, s.pid]))).toEqual(pids);
    expect(fleet.servers().every((s) => s.restarts === 0)).toBe(true);
  });
});
