import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Runbook, RunbookInput } from "../../../src/domain/runbooks/schema.js";
import { ApprovalRefused, RunbookExecutor, RunRefused, type RunbookExecutorOptions } from "../../../src/engine/runbooks/executor.js";
import { TimerLoop } from "../../../src/engine/timer-loop.js";
import type { RunbookRun, RunEvent, Store } from "../../../src/store/store.js";
import { createTestStores, dialects, type TestStores } from "../../store/test-stores.js";
import { FakeClock, runbook, testConfig, testKinds } from "./support.js";

const runbookTables = ["runbook_artifacts", "runbook_locks", "runbook_approvals", "runbook_events", "runbook_steps", "runbook_runs"];
const t0 = Date.parse("2026-03-01T12:00:00.000Z");
const config = testConfig();

const record = (id: string, text = id, extra: Record<string, unknown> = {}) => ({ id, notify: { channel: "record", text }, ...extra });

describe.each(dialects)("runbook executor on %s", (dialect) => {
  let stores: TestStores;
  let store: Store;
  let clock: FakeClock;
  let kinds: ReturnType<typeof testKinds>;
  let errors: string[];
  const executors: RunbookExecutor[] = [];
  const runbooks = new Map<string, Runbook>();

  function executor(options: Partial<RunbookExecutorOptions> = {}): RunbookExecutor {
    const created = new RunbookExecutor({
      store,
      config,
      stepKinds: kinds.registry,
      clock,
      owner: `executor-${executors.length + 1}`,
      findRunbook: async (name) => runbooks.get(name),
      onError: (error) => errors.push(error.message),
      ...options,
    });
    executors.push(created);
    return created;
  }

  async function run(book: Runbook, params: Record<string, string | number | boolean> = {}, by = "mina"): Promise<RunbookRun> {
    const ex = executors[0] ?? executor();
    const id = await ex.start(book, params, { startedBy: by, through: "cli" });
    return ex.runUntilBlocked(id);
  }

  const stepStatuses = async (runId: string) =>
    (await store.runbookRuns.listSteps(runId)).map((s) => `${s.phase}:${s.stepId}#${s.attempt}=${s.status}`);
  const eventTypes = async (runId: string) => (await store.runbookRuns.listEvents(runId)).map((e) => e.type);

  beforeAll(async () => {
    stores = await createTestStores(dialect);
  });
  afterAll(async () => {
    await stores?.dispose();
  });
  beforeEach(async () => {
    await stores.reset();
    clock = new FakeClock(t0);
    kinds = testKinds();
    errors = [];
    runbooks.clear();
    store = await stores.open({ now: clock.now });
    if (dialect === "postgres") await stores.raw(`truncate ${runbookTables.join(", ")}`);
    await store.people.upsertTeam({ id: "live-ops", name: "Live Ops" });
    await store.people.upsertPerson({ id: "mina", name: "Mina", teamId: "live-ops", titles: [] });
    await store.people.upsertPerson({ id: "joon", name: "Joon", teamId: "live-ops", titles: ["lead"] });
    await store.people.upsertPerson({ id: "sora", name: "Sora", titles: [] });
  });
  afterEach(async () => {
    await Promise.all(executors.splice(0).map((e) => e.stop()));
    await store.close();
    await stores.assertAllClosed();
  });

  describe("steps", () => {
    it("runs the steps in order, feeds outputs forward, runs finally last, and records everything", async () => {
      const book = runbook({
        name: "ordered",
        params: { region: { default: "eu-1" } },
        steps: [record("first", "${{ params.region }}"), record("second", "after ${{ steps.first.outputs.text }}")],
        finally: [record("cleanup")],
      });
      const done = await run(book);
      expect(done.status).toBe("succeeded");
      expect(kinds.done).toEqual(["first:eu-1", "second:after eu-1", "cleanup:cleanup"]);
      const steps = await store.runbookRuns.listSteps(done.id);
      expect(steps.map((s) => [s.phase, s.stepId, s.status, s.action?.summary, s.outputs, s.output])).toEqual([
        ["main", "first", "succeeded", "record eu-1", { text: "eu-1" }, "recorded eu-1"],
        ["main", "second", "succeeded", "record after eu-1", { text: "after eu-1" }, "recorded after eu-1"],
        ["finally", "cleanup", "succeeded", "record cleanup", { text: "cleanup" }, "recorded cleanup"],
      ]);
      expect(await eventTypes(done.id)).toEqual([
        "run.created",
        "step.started",
        "step.log",
        "step.finished",
        "step.started",
        "step.log",
        "step.finished",
        "run.phase",
        "step.started",
        "step.log",
        "step.finished",
        "run.finished",
      ]);
      const audit = await store.audit.list({ limit: 5, subject: `runbook-run:${done.id}` });
      expect(audit.map((a) => [a.actor, a.action, a.details])).toEqual([["mina", "runbook.start", { runbook: "ordered", params: { region: "eu-1" }, through: "cli" }]]);
      expect(errors).toEqual([]);
    });

    it("skips a step whose when is false", async () => {
      const book = runbook({
        name: "conditional",
        params: { restart: { type: "boolean", default: false } },
        steps: [record("look"), record("restart", "restart", { when: "${{ params.restart }}" }), record("report", "${{ steps.restart.status }}")],
      });
      const done = await run(book);
      expect(done.status).toBe("succeeded");
      expect(kinds.done).toEqual(["look:look", "report:skipped"]);
      const skipped = (await store.runbookRuns.listEvents(done.id)).find((e) => e.type === "step.skipped");
      expect(skipped).toMatchObject({ stepId: "restart", data: { reason: "when ${{ params.restart }} is false" } });
    });

    it("retries a retryable failure with backoff and counts the first attempt", async () => {
      const book = runbook({
        name: "flaky",
        steps: [{ id: "shaky", notify: { channel: "flaky", text: "2" }, retries: { attempts: 3, backoff: "10s", factor: 2 } }],
      });
      const done = await run(book);
      expect(done.status).toBe("succeeded");
      expect(clock.sleeps).toEqual([10_000, 20_000]);
      expect(await stepStatuses(done.id)).toEqual(["main:shaky#1=failed", "main:shaky#2=failed", "main:shaky#3=succeeded"]);
      const retrying = (await store.runbookRuns.listEvents(done.id)).filter((e) => e.type === "step.finished" && e.data.status === "failed");
      expect(retrying.map((e) => [e.data.retryInMs, e.data.attemptsLeft])).toEqual([
        [10_000, 2],
        [20_000, 1],
      ]);
    });

    it("gives up when the attempts are spent, and never retries a failure that is not retryable", async () => {
      const spent = await run(runbook({ name: "spent", steps: [{ id: "shaky", notify: { channel: "flaky", text: "5" }, retries: { attempts: 2, backoff: "1s" } }] }));
      expect(spent).toMatchObject({ status: "failed", failedStep: "shaky", error: 'step "shaky": flaky attempt 2' });
      const hard = await run(runbook({ name: "hard", steps: [{ id: "broken", notify: { channel: "fail", text: "disk" }, retries: { attempts: 5, backoff: "1s" } }] }));
      expect(hard).toMatchObject({ status: "failed", failedStep: "broken", error: 'step "broken": failed on purpose: disk' });
      expect(await stepStatuses(hard.id)).toEqual(["main:broken#1=failed"]);
      expect((await store.runbookRuns.listSteps(hard.id))[0]?.exitCode).toBe(3);
    });
  });

  describe("on_failure", () => {
    const book = (onFailure: "abort" | "continue" | "rollback") =>
      runbook({
        name: `on-failure-${onFailure}`,
        steps: [record("before"), { id: "breaks", notify: { channel: "fail", text: "boom" }, on_failure: onFailure }, record("after")],
        rollback: [record("undo", "undo after ${{ run.failedStep }}")],
        finally: [record("cleanup")],
      });

    it("abort: skips the rest and rollback, runs finally, fails", async () => {
      const done = await run(book("abort"));
      expect(done).toMatchObject({ status: "failed", failedStep: "breaks", error: 'step "breaks": failed on purpose: boom' });
      expect(kinds.done).toEqual(["before:before", "breaks:boom", "cleanup:cleanup"]);
    });

    it("continue: goes on and succeeds, with the failure on record", async () => {
      const done = await run(book("continue"));
      expect(done.status).toBe("succeeded");
      expect(done.failedStep).toBeUndefined();
      expect(kinds.done).toEqual(["before:before", "breaks:boom", "after:after", "cleanup:cleanup"]);
      expect(await stepStatuses(done.id)).toContain("main:breaks#1=failed");
    });

    it("rollback: runs the rollback steps, knowing the failed step, then finally", async () => {
      const done = await run(book("rollback"));
      expect(done).toMatchObject({ status: "rolled_back", failedStep: "breaks" });
      expect(kinds.done).toEqual(["before:before", "breaks:boom", "undo:undo after breaks", "cleanup:cleanup"]);
      const phases = (await store.runbookRuns.listEvents(done.id)).filter((e) => e.type === "run.phase").map((e) => e.data.phase);
      expect(phases).toEqual(["rollback", "finally"]);
    });

    it("a failing rollback step leaves the run failed, and finally still runs", async () => {
      const done = await run(
        runbook({
          name: "bad-rollback",
          steps: [{ id: "breaks", notify: { channel: "fail", text: "boom" }, on_failure: "rollback" }],
          rollback: [{ id: "undo", notify: { channel: "fail", text: "undo" } }, record("never")],
          finally: [record("cleanup")],
        }),
      );
      expect(done).toMatchObject({ status: "failed", failedStep: "breaks" });
      expect(kinds.done).toEqual(["breaks:boom", "undo:undo", "cleanup:cleanup"]);
    });
  });

  describe("locks", () => {
    const locked = (name: string, wait: "fail" | string, steps: RunbookInput["steps"] = [record("work")]) =>
      runbook({ name, params: { region: { default: "eu-1" } }, locks: ["fleet/${{ params.region }}"], lock_wait: wait, steps });

    async function holder(): Promise<RunbookRun> {
      const held = await run(locked("holder", "fail", [{ id: "approve", approve: { prompt: "hold", approvers: ["lead"] } }]));
      expect(held.status).toBe("waiting_approval");
      expect((await store.runbookRuns.listLocks()).map((l) => [l.name, l.runId])).toEqual([["fleet/eu-1", held.id]]);
      return held;
    }

    it("fails fast naming the holder", async () => {
      const held = await holder();
      const second = await run(locked("second", "fail"));
      expect(second).toMatchObject({
        status: "failed",
        error: `lock "fleet/eu-1" is held by run ${held.id} (holder, started by mina); this runbook does not wait for locks (lock_wait: fail)`,
      });
      expect(kinds.done).toEqual([]);
    });

    it("waits, and goes on once the holder releases the lock", async () => {
      const held = await holder();
      const second = await run(locked("second", "10m"));
      expect(second).toMatchObject({ status: "waiting_lock", waiting: { for: "lock", lock: "fleet/eu-1", heldBy: held.id } });
      // The holder ends (rejected): its end releases the lock and queues the waiter in the same commit.
      await executors[0]!.approve(held.id, "approve", { personId: "joon", role: "operator" }, "reject", "console");
      expect((await executors[0]!.runUntilBlocked(held.id)).status).toBe("failed");
      expect((await store.runbookRuns.getRun(second.id))?.status).toBe("queued");
      expect((await executors[0]!.runUntilBlocked(second.id)).status).toBe("succeeded");
      expect(kinds.done).toEqual(["work:work"]);
      expect(await store.runbookRuns.listLocks()).toEqual([]);
    });

    it("retries through its durable timer and fails once lock_wait has passed", async () => {
      const held = await holder();
      const ex = executors[0]!;
      const loop = new TimerLoop({ timers: store.timers, owner: "timers", now: clock.now });
      ex.registerTimers(loop);
      const second = await run(locked("second", "1m"));
      expect(second.status).toBe("waiting_lock");
      const timer = await store.timers.findByKey(`runbook-lock:${second.id}`);
      expect(timer?.dueAt.getTime()).toBe(t0 + 5000);
      clock.advance(5000);
      expect((await loop.tick()).completed).toBe(1);
      expect((await store.runbookRuns.getRun(second.id))?.status).toBe("queued");
      expect((await ex.runUntilBlocked(second.id)).status).toBe("waiting_lock");
      clock.advance(60_000);
      const failed = await ex.runUntilBlocked(second.id, { waitForLocks: true });
      expect(failed).toMatchObject({ status: "failed", error: `lock "fleet/eu-1" is still held by run ${held.id} (holder, started by mina) after 1m (lock_wait)` });
    });

    it("releases the locks after a failure", async () => {
      const done = await run(locked("breaks", "fail", [{ id: "breaks", notify: { channel: "fail", text: "x" } }]));
      expect(done.status).toBe("failed");
      expect(await store.runbookRuns.listLocks()).toEqual([]);
    });
  });

  describe("approvals", () => {
    const gated = (approve: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      runbook({
        name: "gated",
        params: { count: { type: "number", default: 12 } },
        steps: [{ id: "confirm", approve: { prompt: "Restart ${{ params.count }} sessions?", approvers: ["lead"], ...approve }, ...extra }, record("restart")],
        rollback: [record("undo")],
        finally: [record("cleanup")],
      });

    it("waits for an allowed person, records who, when and through what, then goes on", async () => {
      const waiting = await run(gated({}));
      expect(waiting).toMatchObject({ status: "waiting_approval", waiting: { for: "approval", stepId: "confirm" } });
      expect(waiting.lease).toBeUndefined();
      expect(kinds.done).toEqual([]);
      const [pending] = await executors[0]!.pendingApprovals();
      expect(pending).toMatchObject({ runId: waiting.id, stepId: "confirm", prompt: "Restart 12 sessions?", approvers: ["lead"], selfApproval: false });
      clock.advance(60_000);
      const approval = await executors[0]!.approve(waiting.id, "confirm", { personId: "joon", role: "responder" }, "approve", "console", "go ahead");
      expect(approval).toMatchObject({ decision: "approve", decidedBy: "joon", through: "console", comment: "go ahead", decidedAt: new Date(t0 + 60_000).toISOString() });
      const done = await executors[0]!.runUntilBlocked(waiting.id);
      expect(done.status).toBe("succeeded");
      expect(kinds.done).toEqual(["restart:restart", "cleanup:cleanup"]);
      const confirm = (await store.runbookRuns.listSteps(done.id)).find((s) => s.stepId === "confirm");
      expect(confirm).toMatchObject({ status: "succeeded", outputs: { decision: "approve", by: "joon", through: "console", comment: "go ahead" } });
      const audit = await store.audit.list({ limit: 5, subject: `runbook-run:${done.id}` });
      expect(audit.map((a) => [a.actor, a.action])).toEqual([
        ["joon", "runbook.approve"],
        ["mina", "runbook.start"],
      ]);
    });

    it("matches approvers by role (or above), title, team or person id", async () => {
      const cases: [string[], { personId: string; role?: "viewer" | "operator" | "admin" }][] = [
        [["operator"], { personId: "sora", role: "admin" }],
        [["lead"], { personId: "joon" }],
        [["live-ops"], { personId: "joon" }],
        [["sora"], { personId: "sora" }],
      ];
      for (const [approvers, approver] of cases) {
        const waiting = await run(gated({ approvers }));
        await executors[0]!.approve(waiting.id, "confirm", approver, "approve", "api");
        expect((await executors[0]!.runUntilBlocked(waiting.id)).status).toBe("succeeded");
      }
    });

    it("refuses a person the step does not allow, an unknown person, and the starter without self_approval", async () => {
      const waiting = await run(gated({}));
      const ex = executors[0]!;
      await expect(ex.approve(waiting.id, "confirm", { personId: "sora", role: "viewer" }, "approve", "api")).rejects.toThrow(
        new ApprovalRefused(`sora may not decide step "confirm" of run ${waiting.id}: it needs one of lead (a role, title, team or person); sora has the viewer role, no team, no title`),
      );
      await expect(ex.approve(waiting.id, "confirm", { personId: "ghost", role: "admin" }, "approve", "api")).rejects.toThrow(
        '"ghost" is not a known person, and an approval must name one: add them with `gameops people add` and approve with their own token',
      );
      const own = await run(gated({ approvers: ["live-ops"] }), {}, "joon");
      await expect(ex.approve(own.id, "confirm", { personId: "joon", role: "operator" }, "approve", "cli")).rejects.toThrow(
        `joon started run ${own.id} and may not approve its step "confirm": the step does not allow self_approval; ask one of live-ops`,
      );
      await expect(ex.approve(own.id, "other", { personId: "mina" }, "approve", "cli")).rejects.toThrow(
        new RunRefused(`run ${own.id} is not waiting for an approval of step "other"; it waits for an approval of step "confirm"`),
      );
      const allowed = await run(gated({ approvers: ["live-ops"], self_approval: true }), {}, "joon");
      await ex.approve(allowed.id, "confirm", { personId: "joon", role: "operator" }, "approve", "cli");
      expect((await ex.runUntilBlocked(allowed.id)).status).toBe("succeeded");
      // The first decision wins.
      await ex.approve(waiting.id, "confirm", { personId: "joon" }, "approve", "console");
      await expect(ex.approve(waiting.id, "confirm", { personId: "joon" }, "reject", "api")).rejects.toThrow(
        `step "confirm" of run ${waiting.id} was approved by joon at ${new Date(t0).toISOString()} through the console; it cannot be decided again`,
      );
    });

    it("fails the run on reject, with rollback when the step asks for it", async () => {
      const rejected = await run(gated({}));
      await executors[0]!.approve(rejected.id, "confirm", { personId: "joon" }, "reject", "api", "not now");
      expect(await executors[0]!.runUntilBlocked(rejected.id)).toMatchObject({ status: "failed", failedStep: "confirm", error: 'step "confirm": rejected by joon: not now' });
      expect(kinds.done).toEqual(["cleanup:cleanup"]);
      kinds.done.length = 0;
      const rolled = await run(gated({}, { on_failure: "rollback" }));
      await executors[0]!.approve(rolled.id, "confirm", { personId: "joon" }, "reject", "api");
      expect((await executors[0]!.runUntilBlocked(rolled.id)).status).toBe("rolled_back");
      expect(kinds.done).toEqual(["undo:undo", "cleanup:cleanup"]);
    });

    it("times out through the timers table: abort fails the run, continue goes on", async () => {
      const ex = executor();
      const loop = new TimerLoop({ timers: store.timers, owner: "timers", now: clock.now });
      ex.registerTimers(loop);
      const aborting = await run(gated({ timeout: "30m" }));
      const continuing = await run(gated({ timeout: "30m", on_timeout: "continue" }));
      clock.advance(30 * 60_000);
      expect((await loop.tick()).completed).toBe(2);
      expect(await ex.runUntilBlocked(aborting.id)).toMatchObject({
        status: "failed",
        error: 'step "confirm": no decision within 30m; the step aborts the run then (on_timeout: abort)',
      });
      expect((await ex.runUntilBlocked(continuing.id)).status).toBe("succeeded");
      expect(await stepStatuses(continuing.id)).toContain("main:confirm#1=skipped");
      expect((await store.runbookRuns.listApprovals({ runId: continuing.id }))[0]).toMatchObject({ decision: "timeout", decidedBy: "system", through: "timeout" });
    });

    it("times out on resume even without a timer loop", async () => {
      const waiting = await run(gated({ timeout: "5m" }));
      clock.advance(5 * 60_000);
      await executors[0]!.resumeOrphanedRuns();
      expect((await store.runbookRuns.getRun(waiting.id))?.status).toBe("waiting_approval");
      // The sweep acts once the timer is late by more than its grace.
      clock.advance(60_000);
      await executors[0]!.resumeOrphanedRuns();
      await executors[0]!.idle();
      expect((await store.runbookRuns.getRun(waiting.id))?.status).toBe("failed");
    });
  });

  describe("cancel", () => {
    it("aborts the running step, runs finally, releases the locks", async () => {
      const ex = executor();
      const book = runbook({ name: "long", locks: ["fleet"], steps: [{ id: "wait", notify: { channel: "block", text: "forever" } }, record("never")], finally: [record("cleanup")] });
      const id = await ex.start(book, {}, { startedBy: "mina", through: "cli" });
      const driving = ex.runUntilBlocked(id);
      await kinds.started;
      await ex.cancel(id, "joon");
      const done = await driving;
      expect(done).toMatchObject({ status: "cancelled", cancelRequested: { by: "joon" } });
      expect(await stepStatuses(id)).toEqual(["main:wait#1=cancelled", "finally:cleanup#1=succeeded"]);
      expect(kinds.done).toEqual(["wait:forever", "cleanup:cleanup"]);
      expect(await store.runbookRuns.listLocks()).toEqual([]);
      await expect(ex.cancel(id, "joon")).rejects.toThrow(`run ${id} has ended (cancelled); there is nothing to cancel`);
    });

    it("sees a cancel from another process at its heartbeat", async () => {
      const ex = executor({ heartbeatMs: 20 });
      const id = await ex.start(runbook({ name: "long", steps: [{ id: "wait", notify: { channel: "block", text: "x" } }] }), {}, { startedBy: "mina", through: "cli" });
      const driving = ex.runUntilBlocked(id);
      await kinds.started;
      await store.runbookRuns.requestCancel(id, "joon");
      expect((await driving).status).toBe("cancelled");
    });

    it("cancels a run waiting for an approval: finally runs", async () => {
      const book = runbook({ name: "gated", steps: [{ id: "confirm", approve: { prompt: "ok?", approvers: ["lead"] } }, record("restart")], finally: [record("cleanup")] });
      const waiting = await run(book);
      const ex = executors[0]!;
      expect((await ex.cancel(waiting.id, "mina")).status).toBe("queued");
      expect((await ex.runUntilBlocked(waiting.id)).status).toBe("cancelled");
      expect(kinds.done).toEqual(["cleanup:cleanup"]);
      expect(await stepStatuses(waiting.id)).toEqual(["main:confirm#1=cancelled", "finally:cleanup#1=succeeded"]);
    });

    it("ends a run that never started at once", async () => {
      const ex = executor();
      const other = executor();
      const id = await ex.start(runbook({ name: "x", steps: [record("a")], finally: [record("cleanup")] }), {}, { startedBy: "mina", through: "api" });
      expect((await other.cancel(id, "joon")).status).toBe("running");
      // Its starter claims it, sees the cancel before any step, and ends it without running anything.
      expect((await ex.runUntilBlocked(id)).status).toBe("cancelled");
      expect(kinds.done).toEqual([]);
    });
  });

  describe("one executor per run", () => {
    it("executes each queued run once when two executors look at the same time", async () => {
      const book = runbook({ name: "once", steps: [record("only")] });
      for (let i = 0; i < 6; i++) {
        await store.runbookRuns.createRun({ runbook: book, params: {}, secretParams: [], locks: [], startedBy: "mina", through: "api" });
      }
      // Two replicas: separate pools on PostgreSQL; on SQLite one process serves the file.
      const other = dialect === "postgres" ? await stores.open({ now: clock.now }) : store;
      try {
        const a = executor({ concurrency: 10 });
        const b = executor({ store: other, concurrency: 10 });
        const [fromA, fromB] = await Promise.all([a.resumeOrphanedRuns(), b.resumeOrphanedRuns()]);
        await Promise.all([a.idle(), b.idle()]);
        expect([...fromA, ...fromB].sort()).toEqual((await store.runbookRuns.listRuns({ limit: 10 })).map((r) => r.id).sort());
        expect(kinds.done).toEqual(Array(6).fill("only:only"));
      } finally {
        await Promise.all(executors.splice(1).map((e) => e.stop()));
        if (other !== store) await other.close();
      }
    });

    it("stops an executor whose lease was taken over; its late write does not land", async () => {
      const a = executor({ heartbeatMs: 3_600_000 });
      const id = await a.start(runbook({ name: "taken", steps: [{ id: "held", notify: { channel: "hold", text: "x" } }, record("next")] }), {}, { startedBy: "mina", through: "cli" });
      const driving = a.runUntilBlocked(id);
      await kinds.started;
      // a stalls past its lease (no heartbeat); b takes the run over.
      clock.advance(30_000);
      const b = executor();
      expect(await b.resumeOrphanedRuns()).toEqual([id]);
      await b.idle();
      expect(await store.runbookRuns.getRun(id)).toMatchObject({ status: "waiting_decision" });
      // a's step finishes now: its write carries a stale token and is refused.
      kinds.release();
      await driving;
      expect(errors).toEqual([`run ${id}: this executor's lease is gone (another executor took the run over after the lease ran out); it stopped`]);
      expect(await stepStatuses(id)).toEqual(["main:held#1=interrupted"]);
      expect(kinds.done).toEqual(["held:x"]);
    });
  });

  describe("after a crash", () => {
    /** What a killed executor leaves behind: its run leased, step `interrupted` committed running. */
    async function crashedIn(book: Runbook, atStep: number): Promise<string> {
      const { run: created } = await store.runbookRuns.createRun({ runbook: book, params: {}, secretParams: [], locks: [], startedBy: "mina", through: "cli" });
      const claim = (await store.runbookRuns.claimRun({ owner: "killed", leaseMs: 30_000 }))!;
      for (let i = 0; i <= atStep; i++) {
        const ref = { phase: "main" as const, position: i, attempt: 1 };
        const step = book.steps[i]!;
        await store.runbookRuns.recordStepStarted(created.id, claim.token, { ...ref, stepId: step.id, kind: step.kind, action: { summary: step.id, destructive: true } });
        if (i < atStep) {
          kinds.done.push(`${step.id}:(before the crash)`);
          await store.runbookRuns.recordStepFinished(created.id, claim.token, { ...ref, status: "succeeded", outputs: { text: step.id } }, { phase: "main", cursor: i + 1, outcome: "succeeded" });
        } else {
          await store.runbookRuns.appendEvents(created.id, [{ type: "step.log", stepId: step.id, data: { attempt: 1, line: "restarting game-1" } }], claim.token);
        }
      }
      clock.advance(30_000);
      return created.id;
    }

    const book = (idempotent?: boolean) =>
      runbook({ name: "crashy", steps: [record("first"), record("second", "second", idempotent === undefined ? {} : { idempotent }), record("third")] });

    it("waits for a decision about an interrupted step that is not idempotent, with the evidence", async () => {
      const id = await crashedIn(book(), 1);
      const ex = executor();
      expect(await ex.resumeOrphanedRuns()).toEqual([id]);
      await ex.idle();
      const waiting = (await store.runbookRuns.getRun(id))!;
      expect(waiting).toMatchObject({ status: "waiting_decision", waiting: { for: "decision", stepId: "second", phase: "main", position: 1, attempt: 1 } });
      const interrupted = (await store.runbookRuns.listEvents(id)).find((e) => e.type === "step.interrupted");
      expect(interrupted?.data).toEqual({
        phase: "main",
        position: 1,
        attempt: 1,
        action: { summary: "second", destructive: true },
        startedAt: new Date(t0).toISOString(),
        lastOutput: ["restarting game-1"],
        executor: "killed",
      });
      expect(kinds.done).toEqual(["first:(before the crash)"]);
      await expect(ex.decide(id, "third", "retry", "joon")).rejects.toThrow(`run ${id} waits for a decision about step "second", not "third"`);
      await ex.decide(id, "second", "retry", "joon");
      expect((await ex.runUntilBlocked(id)).status).toBe("succeeded");
      // The first step never ran twice; the second ran again as a new attempt.
      expect(kinds.done).toEqual(["first:(before the crash)", "second:second", "third:third"]);
      expect(await stepStatuses(id)).toEqual(["main:first#1=succeeded", "main:second#1=interrupted", "main:second#2=succeeded", "main:third#1=succeeded"]);
    });

    it("skips or fails the interrupted step as decided", async () => {
      const skipped = await crashedIn(book(), 1);
      const ex = executor();
      await ex.runUntilBlocked(skipped);
      await ex.decide(skipped, "second", "skip", "joon");
      expect((await ex.runUntilBlocked(skipped)).status).toBe("succeeded");
      expect(kinds.done).toEqual(["first:(before the crash)", "third:third"]);
      expect(await stepStatuses(skipped)).toContain("main:second#1=skipped");

      kinds.done.length = 0;
      const failed = await crashedIn(book(), 1);
      await ex.runUntilBlocked(failed);
      await ex.decide(failed, "second", "fail", "joon");
      expect(await ex.runUntilBlocked(failed)).toMatchObject({ status: "failed", failedStep: "second", error: 'step "second": interrupted; joon decided to fail it' });
      await expect(ex.decide(failed, "second", "retry", "joon")).rejects.toThrow(`run ${failed} is not waiting for a decision (it is failed)`);
    });

    it("re-runs an interrupted idempotent step by itself", async () => {
      const id = await crashedIn(book(true), 1);
      expect((await executor().runUntilBlocked(id)).status).toBe("succeeded");
      expect(kinds.done).toEqual(["first:(before the crash)", "second:second", "third:third"]);
    });

    it("does not take a run whose executor still holds its lease", async () => {
      const id = await crashedIn(book(), 1);
      clock.advance(-30_000);
      expect(await executor().resumeOrphanedRuns()).toEqual([]);
      expect((await store.runbookRuns.getRun(id))?.lease?.owner).toBe("killed");
    });
  });

  describe("secrets", () => {
    const book = runbook({
      name: "secretive",
      params: { password: { secret: true }, user: { default: "ops" } },
      steps: [record("login", "${{ params.user }}:${{ params.password }}")],
    });

    it("never writes a secret param: not in the params, the action, the outputs, the output or the events", async () => {
      const done = await run(book, { password: "hunter2-very-secret" });
      expect(done.status).toBe("succeeded");
      expect(done.params).toEqual({ password: "<secret>", user: "ops" });
      expect(kinds.done).toEqual(["login:ops:hunter2-very-secret"]);
      const dump = JSON.stringify([await store.runbookRuns.listSteps(done.id), await store.runbookRuns.listEvents(done.id), await store.audit.list({ limit: 10 })]);
      expect(dump).not.toContain("hunter2");
      expect(dump).toContain("ops:<secret>");
    });

    it("waits for its secret params in another process, and resumes when they are given again", async () => {
      const starter = executor();
      const id = await starter.start(book, { password: "hunter2-very-secret" }, { startedBy: "mina", through: "cli" });
      // The starter dies before driving it: another executor takes it up without the secret.
      clock.advance(30_000);
      const other = executor();
      await other.resumeOrphanedRuns();
      await other.idle();
      expect(await store.runbookRuns.getRun(id)).toMatchObject({ status: "waiting_params", waiting: { for: "params", names: ["password"] } });
      await expect(other.resume(id, { by: "mina" })).rejects.toThrow(
        `run ${id} needs its secret params again (they were kept only in the memory of the process that started it): resume it with --param password=…`,
      );
      await expect(other.resume(id, { by: "mina", secrets: { pasword: "x" } })).rejects.toThrow(`run ${id} has no secret param "pasword"; its secret params are password`);
      expect((await other.resume(id, { by: "mina", secrets: { password: "hunter2-very-secret" } })).status).toBe("succeeded");
      expect(kinds.done).toEqual(["login:ops:hunter2-very-secret"]);
    });
  });

  describe("steps the executor runs itself", () => {
    it("runs a sub-runbook as a child run and waits for it", async () => {
      runbooks.set("child", runbook({ name: "child", params: { who: {} }, steps: [record("hello", "hello ${{ params.who }}")] }));
      const parent = runbook({
        name: "parent",
        steps: [{ id: "call", runbook: { name: "child", params: { who: "mina" } } }, record("after", "${{ steps.call.outputs.steps.hello.text }}")],
      });
      const done = await run(parent);
      expect(done.status).toBe("succeeded");
      expect(kinds.done).toEqual(["hello:hello mina", "after:hello mina"]);
      const children = await store.runbookRuns.listRuns({ limit: 5, parentRunId: done.id });
      expect(children.map((c) => [c.runbook, c.status, c.through, c.startedBy])).toEqual([["child", "succeeded", "runbook", "mina"]]);
    });

    it("cancels a parent and its child: the child's finally runs first, then the parent's", async () => {
      runbooks.set("child", runbook({ name: "child", steps: [{ id: "confirm", approve: { prompt: "ok?", approvers: ["lead"] } }], finally: [record("child_cleanup")] }));
      const parent = runbook({ name: "parent", steps: [{ id: "call", runbook: { name: "child" } }, record("never")], finally: [record("parent_cleanup")] });
      const waiting = await run(parent);
      expect(waiting.status).toBe("waiting_child");
      const ex = executors[0]!;
      const blocking = await ex.blockingRun(waiting.id);
      expect(blocking).toMatchObject({ runbook: "child", status: "waiting_approval", parent: { runId: waiting.id, stepId: "call" } });
      await ex.cancel(waiting.id, "joon");
      expect((await ex.runUntilBlocked(waiting.id)).status).toBe("cancelled");
      expect((await store.runbookRuns.getRun(blocking!.id))?.status).toBe("cancelled");
      expect(kinds.done).toEqual(["child_cleanup:child_cleanup", "parent_cleanup:parent_cleanup"]);
    });

    it("fails a runbook step naming a runbook it cannot find", async () => {
      const done = await run(runbook({ name: "parent", steps: [{ id: "call", runbook: { name: "nowhere" } }] }));
      expect(done).toMatchObject({ status: "failed", error: 'step "call": no runbook named "nowhere"' });
    });

    it("refuses to start a runbook whose declared target is not configured, writing nothing", async () => {
      const book = runbook({ name: "needs-mysql", targets: ["mysql", "fleet"], steps: [record("never")] });
      await expect(executor().start(book, {}, { startedBy: "mina", through: "cli" })).rejects.toThrow(
          'runbook "needs-mysql" needs the mysql target: set GAMEOPS_MYSQL_URL or targets.mysql.url; ' +
          'runbook "needs-mysql" needs the fleet target: set GAMEOPS_FLEET_URL or targets.fleet, or start the demo fleet with `gameops up --demo`',
      );
      expect(await store.runbookRuns.listRuns({ limit: 5 })).toEqual([]);
    });

    it("keeps a value rendered into a wait probe's SQL params typed, and binds it", async () => {
      const { loadConfig } = await import("../../../src/config/load.js");
      const withMysql = loadConfig({ cwd: tmpdir(), env: { GAMEOPS_MYSQL_URL: "mysql://root@127.0.0.1:3306/test" } }).config;
      executor({ config: withMysql, stepKinds: { ...kinds.registry, sql: () => import("../../../src/engine/runbooks/steps/sql.js") } });
      const book = runbook({
        name: "typed-probe",
        steps: [
          { id: "pick", notify: { channel: "output", text: '{"n": 41}' } },
          {
            id: "answer",
            wait: { until: "${{ probe.rows[0].v == 42 }}", every: "1s", deadline: "1m", probe: { sql: { statement: "SELECT ? + 1 AS v", params: ["${{ steps.pick.outputs.n }}"] } } },
          },
        ],
      });
      const done = await run(book);
      expect(done.status).toBe("succeeded");
    });

    it("polls a wait probe until its condition holds", async () => {
      const dir = await mkdtemp(join(tmpdir(), "gameops-wait-"));
      try {
        const counter = join(dir, "sessions");
        await writeFile(counter, "3");
        const book = runbook({
          name: "drain",
          params: { counter: {} },
          steps: [
            {
              id: "drained",
              wait: {
                until: "${{ probe.json.count == 0 }}",
                every: "10s",
                deadline: "5m",
                probe: { shell: { script: 'n=$(cat "$GAMEOPS_PARAM_COUNTER"); echo $((n - 1)) > "$GAMEOPS_PARAM_COUNTER"; echo "{\\"count\\": $((n - 1))}"', shell: true } },
              },
            },
          ],
        });
        const done = await run(book, { counter });
        expect(done.status).toBe("succeeded");
        expect(clock.sleeps).toEqual([10_000, 10_000]);
        expect(await readFile(counter, "utf8")).toBe("0\n");
        const [step] = await store.runbookRuns.listSteps(done.id);
        expect(step?.outputs).toMatchObject({ json: { count: 0 }, polls: 3 });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it("fails a wait at its deadline with the last probe", async () => {
      const book = runbook({
        name: "never",
        steps: [{ id: "drained", wait: { until: "${{ probe.json.count == 0 }}", every: "1m", deadline: "3m", probe: { shell: ["echo", '{"count": 4}'] } } }],
      });
      const done = await run(book);
      expect(done).toMatchObject({ status: "failed", failedStep: "drained" });
      const lastProbe = JSON.stringify({ exitCode: 0, stdout: '{"count": 4}\n', stderr: "", json: { count: 4 } });
      expect(done.error).toBe(`step "drained": \${{ probe.json.count == 0 }} was still not true after 3m; last probe: ${lastProbe}`);
      expect(clock.sleeps).toEqual([60_000, 60_000, 60_000]);
    });

    it("runs health checks and fails at the verdict the step names", async () => {
      // Nothing is configured for mysql here: no check ran, so the verdict is unknown.
      const passes = await run(runbook({ name: "checked", steps: [{ id: "healthy", check: { only: ["mysql"] } }] }));
      expect(passes.status).toBe("succeeded");
      expect((await store.runbookRuns.listSteps(passes.id))[0]?.outputs).toMatchObject({ status: "unknown", checks: { mysql: { status: "skipped" } } });
      const fails = await run(runbook({ name: "strict", steps: [{ id: "healthy", check: { only: ["mysql"], fail_on: "unknown" } }] }));
      expect(fails).toMatchObject({ status: "failed", error: 'step "healthy": health is unknown (the step fails at unknown)' });
    });
  });

  describe("dry run and watching", () => {
    it("plans without touching anything", async () => {
      const ex = executor();
      const book = runbook({
        name: "planned",
        params: { region: { default: "eu-1" } },
        locks: ["fleet/${{ params.region }}"],
        steps: [{ id: "confirm", approve: { prompt: "Go in ${{ params.region }}?", approvers: ["lead"] } }, { id: "restart", shell: ["kubectl", "rollout", "restart", "deployment/${{ params.region }}"] }],
      });
      const plan = await ex.start(book, { region: "us-2" }, { startedBy: "mina", through: "cli", dryRun: true });
      expect(plan.locks).toEqual(["fleet/us-2"]);
      expect(plan.steps.map((s) => [s.id, s.action.summary, s.destructive])).toEqual([
        ["confirm", 'approval: "Go in us-2?"', false],
        ["restart", "kubectl rollout restart deployment/us-2", true],
      ]);
      expect(plan.steps[0]?.approval).toMatchObject({ approvers: ["lead"], selfApproval: false });
      expect(await store.runbookRuns.listRuns({ limit: 5 })).toEqual([]);
      expect(await store.audit.list({ limit: 5 })).toEqual([]);
    });

    it("streams a run's events in order and stops at its end", async () => {
      const ex = executor();
      const book = runbook({ name: "watched", steps: [{ id: "confirm", approve: { prompt: "ok?", approvers: ["lead"] } }, record("work")] });
      const id = await ex.start(book, {}, { startedBy: "mina", through: "cli" });
      const seen: RunEvent[] = [];
      const finished = new Promise<void>((resolve) =>
        ex.watch(id, (event) => {
          seen.push(event);
          if (event.type === "run.finished") resolve();
        }),
      );
      await ex.runUntilBlocked(id);
      await ex.approve(id, "confirm", { personId: "joon" }, "approve", "console");
      await ex.runUntilBlocked(id);
      await finished;
      expect(seen.map((e) => e.seq)).toEqual(seen.map((_, i) => i + 1));
      expect(seen.map((e) => e.type)).toEqual(await eventTypes(id));
    });

    it("gives its runs back between steps when it stops", async () => {
      const ex = executor();
      const book = runbook({ name: "two", steps: [{ id: "wait", notify: { channel: "block", text: "x" }, timeout: "1s", on_failure: "continue" }, record("next")] });
      const id = await ex.start(book, {}, { startedBy: "mina", through: "cli" });
      const driving = ex.runUntilBlocked(id);
      await kinds.started;
      const stopping = ex.stop();
      // The blocked step ends at its own timeout, the stopping executor then parks the run.
      const parked = await driving;
      await stopping;
      expect(parked.status).toBe("queued");
      expect(await stepStatuses(id)).toEqual(["main:wait#1=failed"]);
    });
  });
});
