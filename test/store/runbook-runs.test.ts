import { createHash } from "node:crypto";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runbookSchema, type Runbook } from "../../src/domain/runbooks/schema.js";
import { RunCancelRequested, RunLeaseLost, type NewRunbookRun, type Store } from "../../src/store/store.js";
import { createTestStores, dialects, type TestStores } from "./test-stores.js";

const t0 = new Date("2026-03-01T00:00:00.000Z");

const runbook: Runbook = runbookSchema.parse({
  name: "restart-fleet",
  title: "Restart the fleet",
  params: { region: { default: "eu-1" }, password: { secret: true } },
  locks: ["fleet/${{ params.region }}"],
  steps: [
    { id: "sessions", shell: ["echo", "12"] },
    { id: "restart", shell: ["echo", "restarted"] },
  ],
  finally: [{ id: "notify", shell: ["echo", "done"] }],
});

const runbookTables = ["runbook_artifacts", "runbook_locks", "runbook_approvals", "runbook_events", "runbook_steps", "runbook_runs"];

describe.each(dialects)("runbook runs on %s", (dialect) => {
  let stores: TestStores;
  let store: Store;
  let clock: Date;
  const now = () => clock;
  const later = (ms: number) => (clock = new Date(clock.getTime() + ms));

  function newRun(extra: Partial<NewRunbookRun> = {}): NewRunbookRun {
    return {
      runbook,
      params: { region: "eu-1", password: "<secret>" },
      secretParams: ["password"],
      locks: ["fleet/eu-1"],
      startedBy: "mina",
      through: "cli",
      ...extra,
    };
  }

  async function claimed(owner = "executor-a") {
    await store.runbookRuns.createRun(newRun());
    const claim = await store.runbookRuns.claimRun({ owner, leaseMs: 30_000 });
    if (!claim) throw new Error("nothing claimed");
    return claim;
  }

  beforeAll(async () => {
    stores = await createTestStores(dialect);
  });
  afterAll(async () => {
    await stores?.dispose();
  });
  beforeEach(async () => {
    await stores.reset();
    clock = t0;
    store = await stores.open({ now });
    if (dialect === "postgres") await stores.raw(`truncate ${runbookTables.join(", ")}`);
  });
  afterEach(async () => {
    await store.close();
    await stores.assertAllClosed();
  });

  it("is migration 002", async () => {
    const migrations = await stores.raw(`select name from kysely_migration order by name`);
    expect(migrations.map((row) => row.name)).toContain("002-runbook-runs");
  });

  describe("a run", () => {
    it("is committed queued with its definition, params and a first event", async () => {
      const { run, token } = await store.runbookRuns.createRun(newRun());
      expect(token).toBeUndefined();
      expect(run).toMatchObject({
        runbook: "restart-fleet",
        title: "Restart the fleet",
        params: { region: "eu-1", password: "<secret>" },
        secretParams: ["password"],
        locks: ["fleet/eu-1"],
        status: "queued",
        phase: "main",
        cursor: 0,
        outcome: "succeeded",
        startedBy: "mina",
        through: "cli",
        createdAt: t0.toISOString(),
        lastEventSeq: 1,
      });
      expect(run.definition).toEqual(runbook);
      expect(await store.runbookRuns.getRun(run.id)).toEqual(run);
      const events = await store.runbookRuns.listEvents(run.id);
      expect(events).toEqual([
        {
          runId: run.id,
          seq: 1,
          at: t0.toISOString(),
          type: "run.created",
          data: { runbook: "restart-fleet", startedBy: "mina", through: "cli", params: { region: "eu-1", password: "<secret>" }, locks: ["fleet/eu-1"] },
        },
      ]);
    });

    it("can be leased to its starter at once", async () => {
      const { run, token } = await store.runbookRuns.createRun(newRun({ leaseTo: { owner: "cli-1", leaseMs: 30_000 } }));
      expect(token).toEqual(expect.any(String));
      expect(run.status).toBe("running");
      expect(run.lease).toEqual({ owner: "cli-1", until: new Date(t0.getTime() + 30_000).toISOString() });
      // Nobody else can take it while the lease runs…
      expect(await store.runbookRuns.claimRun({ owner: "server", leaseMs: 30_000 })).toBeUndefined();
      // …but its holder can, by id.
      const again = await store.runbookRuns.claimRun({ owner: "cli-1", leaseMs: 30_000, runId: run.id });
      expect(again?.takenOver).toBeUndefined();
      expect(again?.token).not.toBe(token);
    });

    it("lists newest first, pages back and filters", async () => {
      const a = (await store.runbookRuns.createRun(newRun())).run;
      later(1000);
      const b = (await store.runbookRuns.createRun(newRun({ startedBy: "joon" }))).run;
      later(1000);
      const c = (await store.runbookRuns.createRun(newRun())).run;
      await store.runbookRuns.requestCancel(c.id, "mina");
      expect((await store.runbookRuns.listRuns({ limit: 10 })).map((r) => r.id)).toEqual([c.id, b.id, a.id]);
      expect((await store.runbookRuns.listRuns({ limit: 10, before: c.createdAt })).map((r) => r.id)).toEqual([b.id, a.id]);
      expect((await store.runbookRuns.listRuns({ limit: 10, status: ["cancelled"] })).map((r) => r.id)).toEqual([c.id]);
      expect(await store.runbookRuns.listRuns({ limit: 10, runbook: "other" })).toEqual([]);
    });
  });

  describe("claims and leases", () => {
    it("gives a run to exactly one of two executors claiming at once", async () => {
      // Two replicas: separate pools on PostgreSQL. On SQLite one process serves the file (a second
      // synchronous connection in the same process would block the event loop holding the first).
      const other = dialect === "postgres" ? await stores.open({ now }) : store;
      try {
        for (let i = 0; i < 6; i++) await store.runbookRuns.createRun(newRun());
        const owners = new Map<string, string[]>();
        for (;;) {
          const [a, b] = await Promise.all([
            store.runbookRuns.claimRun({ owner: "a", leaseMs: 30_000 }),
            other.runbookRuns.claimRun({ owner: "b", leaseMs: 30_000 }),
          ]);
          for (const claim of [a, b]) if (claim) owners.set(claim.run.id, [...(owners.get(claim.run.id) ?? []), claim.run.lease!.owner]);
          if (!a && !b) break;
        }
        expect(owners.size).toBe(6);
        expect([...owners.values()].every((o) => o.length === 1)).toBe(true);
      } finally {
        if (other !== store) await other.close();
      }
    });

    it("lets another executor take a run whose lease ran out, and fences the old owner out", async () => {
      const first = await claimed("a");
      expect(await store.runbookRuns.claimRun({ owner: "b", leaseMs: 30_000 })).toBeUndefined();
      later(30_000);
      const second = await store.runbookRuns.claimRun({ owner: "b", leaseMs: 30_000 });
      expect(second?.run.id).toBe(first.run.id);
      expect(second?.takenOver).toEqual({ owner: "a" });
      expect(await store.runbookRuns.heartbeat(first.run.id, first.token, 30_000)).toEqual({ held: false, cancelRequested: false });
      const ref = { phase: "main" as const, position: 0, attempt: 1 };
      await expect(
        store.runbookRuns.recordStepStarted(first.run.id, first.token, { ...ref, stepId: "sessions", kind: "shell", action: { summary: "echo 12", destructive: false } }),
      ).rejects.toThrow(RunLeaseLost);
      await expect(store.runbookRuns.finishRun(first.run.id, first.token, { status: "succeeded" })).rejects.toThrow(
        `run ${first.run.id}: this executor's lease is gone (another executor took the run over after the lease ran out); it stopped`,
      );
      expect(await store.runbookRuns.heartbeat(first.run.id, second!.token, 30_000)).toEqual({ held: true, cancelRequested: false });
      const events = await store.runbookRuns.listEvents(first.run.id);
      expect(events.filter((e) => e.type === "run.claimed").map((e) => e.data)).toEqual([{ owner: "a" }, { owner: "b", takenOverFrom: "a" }]);
    });

    it("keeps a lease alive with heartbeats", async () => {
      const claim = await claimed("a");
      later(20_000);
      await store.runbookRuns.heartbeat(claim.run.id, claim.token, 30_000);
      later(20_000);
      expect(await store.runbookRuns.claimRun({ owner: "b", leaseMs: 30_000 })).toBeUndefined();
    });
  });

  describe("steps", () => {
    it("commits running before, the end and the next position after, with ordered events", async () => {
      const { run, token } = await claimed();
      const ref = { phase: "main" as const, position: 0, attempt: 1 };
      await store.runbookRuns.recordStepStarted(run.id, token, { ...ref, stepId: "sessions", kind: "shell", action: { summary: "echo 12", destructive: false } });
      expect((await store.runbookRuns.listSteps(run.id))[0]).toMatchObject({ stepId: "sessions", status: "running", startedAt: t0.toISOString() });
      later(250);
      await store.runbookRuns.recordStepFinished(
        run.id,
        token,
        { ...ref, status: "succeeded", exitCode: 0, outputs: { count: 12 }, output: "12\n" },
        { phase: "main", cursor: 1, outcome: "succeeded" },
      );
      const [step] = await store.runbookRuns.listSteps(run.id);
      expect(step).toEqual({
        runId: run.id,
        phase: "main",
        position: 0,
        attempt: 1,
        stepId: "sessions",
        kind: "shell",
        status: "succeeded",
        action: { summary: "echo 12", destructive: false },
        startedAt: t0.toISOString(),
        finishedAt: new Date(t0.getTime() + 250).toISOString(),
        exitCode: 0,
        outputs: { count: 12 },
        output: "12\n",
      });
      expect((await store.runbookRuns.getRun(run.id))?.cursor).toBe(1);
      // A finished attempt never finishes again.
      await expect(store.runbookRuns.recordStepFinished(run.id, token, { ...ref, status: "failed" }, undefined)).rejects.toThrow(
        `run ${run.id}: step attempt main[0] attempt 1 is not running`,
      );
      // Nor starts again.
      await expect(
        store.runbookRuns.recordStepStarted(run.id, token, { ...ref, stepId: "sessions", kind: "shell", action: { summary: "echo 12", destructive: false } }),
      ).rejects.toThrow();
      const events = await store.runbookRuns.listEvents(run.id);
      expect(events.map((e) => [e.seq, e.type])).toEqual([
        [1, "run.created"],
        [2, "run.claimed"],
        [3, "step.started"],
        [4, "step.finished"],
      ]);
      expect(events[3]!.data).toEqual({ phase: "main", position: 0, attempt: 1, status: "succeeded", durationMs: 250, exitCode: 0, outputs: { count: 12 } });
      expect((await store.runbookRuns.listEvents(run.id, { after: 2 })).map((e) => e.seq)).toEqual([3, 4]);
    });

    it("records a skipped step and a phase change", async () => {
      const { run, token } = await claimed();
      await store.runbookRuns.recordStepSkipped(
        run.id,
        token,
        { phase: "main", position: 1, attempt: 1, stepId: "restart", kind: "shell", reason: "when: false" },
        { phase: "finally", cursor: 0, outcome: "succeeded" },
      );
      const events = await store.runbookRuns.listEvents(run.id, { after: 2 });
      expect(events.map((e) => [e.type, e.data])).toEqual([
        ["step.skipped", { phase: "main", position: 1, reason: "when: false" }],
        ["run.phase", { phase: "finally", outcome: "succeeded" }],
      ]);
    });

    it("keeps an interrupted attempt as evidence and takes a person's decision once", async () => {
      const { run, token } = await claimed();
      const ref = { phase: "main" as const, position: 1, attempt: 1 };
      await store.runbookRuns.recordStepStarted(run.id, token, { ...ref, stepId: "restart", kind: "shell", action: { summary: "echo restarted", destructive: true } });
      await store.runbookRuns.markStepInterrupted(run.id, token, ref, { startedAt: t0.toISOString() });
      await store.runbookRuns.parkRun(run.id, token, { status: "waiting_decision", waiting: { for: "decision", stepId: "restart", ...ref } });
      expect(await store.runbookRuns.decideStep(run.id, { stepId: "sessions", choice: "skip", by: "mina" })).toBe(false);
      expect(await store.runbookRuns.decideStep(run.id, { stepId: "restart", choice: "skip", by: "mina" })).toBe(true);
      expect(await store.runbookRuns.decideStep(run.id, { stepId: "restart", choice: "retry", by: "joon" })).toBe(false);
      const [step] = await store.runbookRuns.listSteps(run.id);
      expect(step).toMatchObject({ status: "interrupted", decision: { choice: "skip", by: "mina", at: t0.toISOString() } });
      expect((await store.runbookRuns.getRun(run.id))?.status).toBe("queued");
    });
  });

  describe("waiting and cancelling", () => {
    it("parks with the lease released and wakes only from the status asked", async () => {
      const { run, token } = await claimed();
      await store.runbookRuns.parkRun(run.id, token, {
        status: "waiting_lock",
        waiting: { for: "lock", lock: "fleet/eu-1", heldBy: "other", retryAt: t0.toISOString() },
      });
      const parked = await store.runbookRuns.getRun(run.id);
      expect(parked).toMatchObject({ status: "waiting_lock", waiting: { for: "lock", lock: "fleet/eu-1" } });
      expect(parked?.lease).toBeUndefined();
      expect(await store.runbookRuns.wakeRun(run.id, ["waiting_approval"], { type: "run.woken" })).toBe(false);
      expect(await store.runbookRuns.wakeRun(run.id, ["waiting_lock"], { type: "run.woken", data: { reason: "retry" } })).toBe(true);
      expect(await store.runbookRuns.getRun(run.id)).toMatchObject({ status: "queued" });
      expect((await store.runbookRuns.getRun(run.id))?.waiting).toBeUndefined();
    });

    it("ends a run that never started at once when cancelled", async () => {
      const { run } = await store.runbookRuns.createRun(newRun());
      const cancelled = await store.runbookRuns.requestCancel(run.id, "joon");
      expect(cancelled).toMatchObject({ status: "cancelled", cancelRequested: { by: "joon", at: t0.toISOString() }, finishedAt: t0.toISOString() });
      expect(await store.runbookRuns.requestCancel("no-such-run", "joon")).toBeUndefined();
    });

    it("leaves a running run to its owner, who sees the cancel at its heartbeat and cannot park it away", async () => {
      const { run, token } = await claimed();
      expect((await store.runbookRuns.requestCancel(run.id, "joon"))?.status).toBe("running");
      expect(await store.runbookRuns.heartbeat(run.id, token, 30_000)).toEqual({ held: true, cancelRequested: true });
      await expect(store.runbookRuns.parkRun(run.id, token, { status: "waiting_decision" })).rejects.toThrow(RunCancelRequested);
      // Going back to the queue stays possible: whoever claims it next runs `finally`.
      await store.runbookRuns.parkRun(run.id, token, { status: "queued" });
    });

    it("closes a pending approval and queues its run when cancelled", async () => {
      const { run, token } = await claimed();
      const approval = await store.runbookRuns.requestApproval(run.id, token, {
        id: "approval-1",
        phase: "main",
        position: 1,
        attempt: 1,
        stepId: "restart",
        prompt: "Restart 12 sessions?",
        approvers: ["ops"],
        selfApproval: false,
        onTimeout: "abort",
      });
      expect(approval).toMatchObject({ id: "approval-1", approvers: ["ops"], selfApproval: false, requestedAt: t0.toISOString() });
      expect((await store.runbookRuns.listApprovals({ pending: true })).map((a) => a.id)).toEqual(["approval-1"]);
      expect((await store.runbookRuns.requestCancel(run.id, "joon"))?.status).toBe("queued");
      expect(await store.runbookRuns.getApproval("approval-1")).toMatchObject({ decision: "cancelled", decidedBy: "joon" });
      expect(await store.runbookRuns.listApprovals({ pending: true })).toEqual([]);
    });
  });

  describe("approvals", () => {
    it("parks the run, lets the first decision win, and wakes the run", async () => {
      const { run, token } = await claimed();
      const ref = { phase: "main" as const, position: 1, attempt: 1 };
      await store.runbookRuns.requestApproval(run.id, token, {
        ...ref,
        id: "approval-1",
        stepId: "restart",
        prompt: "Restart?",
        approvers: ["ops", "lead"],
        selfApproval: false,
        timeoutAt: new Date(t0.getTime() + 60_000),
        onTimeout: "continue",
      });
      expect(await store.runbookRuns.getRun(run.id)).toMatchObject({ status: "waiting_approval", waiting: { for: "approval", approvalId: "approval-1", stepId: "restart" } });
      later(5000);
      const first = await store.runbookRuns.decideApproval("approval-1", { decision: "approve", by: "joon", through: "console", comment: "go" });
      const late = await store.runbookRuns.decideApproval("approval-1", { decision: "timeout", by: "system", through: "timeout" });
      expect(first?.decided).toBe(true);
      expect(late?.decided).toBe(false);
      expect(late?.approval).toEqual({
        id: "approval-1",
        runId: run.id,
        stepId: "restart",
        ...ref,
        prompt: "Restart?",
        approvers: ["ops", "lead"],
        selfApproval: false,
        requestedAt: t0.toISOString(),
        timeoutAt: new Date(t0.getTime() + 60_000).toISOString(),
        onTimeout: "continue",
        decision: "approve",
        decidedBy: "joon",
        decidedAt: new Date(t0.getTime() + 5000).toISOString(),
        through: "console",
        comment: "go",
      });
      expect(await store.runbookRuns.approvalFor(run.id, ref)).toEqual(late?.approval);
      expect(await store.runbookRuns.decideApproval("nope", { decision: "approve", by: "joon", through: "api" })).toBeUndefined();
      expect((await store.runbookRuns.getRun(run.id))?.status).toBe("queued");
      const decided = (await store.runbookRuns.listEvents(run.id)).filter((e) => e.type === "approval.decided");
      expect(decided.map((e) => e.data)).toEqual([{ approvalId: "approval-1", decision: "approve", by: "joon", through: "console", comment: "go" }]);
    });
  });

  describe("locks", () => {
    it("takes all or none, names the holder, and frees them with the run's end, waking waiters", async () => {
      const a = await claimed("a");
      const b = await claimed("b");
      expect(await store.runbookRuns.acquireLocks(a.run.id, a.token, ["fleet/eu-1", "db/main"])).toEqual({ acquired: true });
      expect(await store.runbookRuns.acquireLocks(b.run.id, b.token, ["cache", "fleet/eu-1"])).toEqual({
        acquired: false,
        lock: "fleet/eu-1",
        heldBy: a.run.id,
      });
      // "cache" sorted before "fleet/eu-1" was taken, then given back with the rest.
      expect((await store.runbookRuns.listLocks()).map((l) => [l.name, l.runId])).toEqual([
        ["db/main", a.run.id],
        ["fleet/eu-1", a.run.id],
      ]);
      await store.runbookRuns.parkRun(b.run.id, b.token, { status: "waiting_lock", waiting: { for: "lock", lock: "fleet/eu-1", heldBy: a.run.id, retryAt: t0.toISOString() } });
      await store.runbookRuns.finishRun(a.run.id, a.token, { status: "failed", failedStep: "restart", error: "exit 1" });
      expect(await store.runbookRuns.listLocks()).toEqual([]);
      expect((await store.runbookRuns.getRun(b.run.id))?.status).toBe("queued");
      const woken = (await store.runbookRuns.listEvents(b.run.id)).at(-1);
      expect(woken).toMatchObject({ type: "run.woken", data: { reason: "locks released", by: a.run.id, locks: ["db/main", "fleet/eu-1"] } });
    });

    it("lets a child work under its parent's locks", async () => {
      const parent = await claimed("a");
      await store.runbookRuns.acquireLocks(parent.run.id, parent.token, ["fleet/eu-1"]);
      const child = await claimed("a");
      expect(await store.runbookRuns.acquireLocks(child.run.id, child.token, ["fleet/eu-1", "db"], [parent.run.id])).toEqual({ acquired: true });
      expect((await store.runbookRuns.listLocks()).map((l) => [l.name, l.runId])).toEqual([
        ["db", child.run.id],
        ["fleet/eu-1", parent.run.id],
      ]);
    });
  });

  describe("child runs", () => {
    it("parks the parent with the child in one commit and wakes it when the child ends", async () => {
      const parent = await claimed("a");
      const { run: child } = await store.runbookRuns.createRun(
        newRun({ through: "runbook", parent: { runId: parent.run.id, token: parent.token, stepId: "sub", phase: "main", position: 0, attempt: 1 } }),
      );
      expect(child.parent).toEqual({ runId: parent.run.id, stepId: "sub", phase: "main", position: 0, attempt: 1 });
      expect(await store.runbookRuns.getRun(parent.run.id)).toMatchObject({ status: "waiting_child", waiting: { for: "child", runId: child.id, stepId: "sub" } });
      const claim = await store.runbookRuns.claimRun({ owner: "a", leaseMs: 30_000 });
      expect(claim?.run.id).toBe(child.id);
      await store.runbookRuns.finishRun(child.id, claim!.token, { status: "succeeded" });
      expect((await store.runbookRuns.getRun(parent.run.id))?.status).toBe("queued");
      expect((await store.runbookRuns.listRuns({ limit: 5, parentRunId: parent.run.id })).map((r) => r.id)).toEqual([child.id]);
    });

    it("wakes the parent of a child cancelled before it started", async () => {
      const parent = await claimed("a");
      const { run: child } = await store.runbookRuns.createRun(
        newRun({ through: "runbook", parent: { runId: parent.run.id, token: parent.token, stepId: "sub", phase: "main", position: 0, attempt: 1 } }),
      );
      expect((await store.runbookRuns.requestCancel(child.id, "joon"))?.status).toBe("cancelled");
      expect((await store.runbookRuns.getRun(parent.run.id))?.status).toBe("queued");
    });
  });

  describe("events", () => {
    it("numbers concurrent appends 1, 2, 3 … without gaps or collisions", async () => {
      const { run } = await store.runbookRuns.createRun(newRun());
      const other = dialect === "postgres" ? await stores.open({ now }) : store;
      try {
        await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            (i % 2 === 0 ? store : other).runbookRuns.appendEvents(run.id, [{ type: "step.log", stepId: "sessions", data: { line: `line ${i}` } }]),
          ),
        );
      } finally {
        if (other !== store) await other.close();
      }
      const events = await store.runbookRuns.listEvents(run.id);
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
      expect((await store.runbookRuns.getRun(run.id))?.lastEventSeq).toBe(21);
    });

    it("tells this process's watchers after the commit", async () => {
      const seen: string[] = [];
      const stop = store.runbookRuns.onEvents((runId) => seen.push(runId));
      const { run } = await store.runbookRuns.createRun(newRun());
      stop();
      await store.runbookRuns.appendEvents(run.id, [{ type: "step.log", data: { line: "x" } }]);
      expect(seen).toEqual([run.id]);
    });
  });

  describe("artifacts", () => {
    it("keeps the bytes with their size and sha256", async () => {
      const { run } = await store.runbookRuns.createRun(newRun());
      const data = new TextEncoder().encode('{"nodes":[]}');
      const saved = await store.runbookRuns.saveArtifact({ runId: run.id, stepId: "heap", name: "game-1.heapsnapshot", contentType: "application/json", data });
      expect(saved).toEqual({
        id: expect.any(String),
        runId: run.id,
        stepId: "heap",
        name: "game-1.heapsnapshot",
        contentType: "application/json",
        size: 12,
        sha256: createHash("sha256").update('{"nodes":[]}').digest("hex"),
        createdAt: t0.toISOString(),
      });
      const read = await store.runbookRuns.getArtifact(saved.id);
      expect(new TextDecoder().decode(read!.data)).toBe('{"nodes":[]}');
      expect(await store.runbookRuns.listArtifacts(run.id)).toEqual([saved]);
    });

    it("refuses an artifact over 64 MiB", async () => {
      const { run } = await store.runbookRuns.createRun(newRun());
      await expect(
        store.runbookRuns.saveArtifact({ runId: run.id, stepId: "heap", name: "big.bin", contentType: "application/octet-stream", data: new Uint8Array(64 * 1024 * 1024 + 1) }),
      ).rejects.toThrow('artifact "big.bin" is 67108865 bytes; the store keeps at most 67108864 bytes (64 MiB) per artifact');
    });
  });
});
