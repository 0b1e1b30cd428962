import { createHash, randomUUID } from "node:crypto";
import type { Kysely, Selectable, SelectQueryBuilder, Transaction, Updateable } from "kysely";
import {
  assertRunTransition,
  isTerminal,
  predecessors,
  stepPredecessors,
  type Outcome,
  type Phase,
  type RunStatus,
  type StepStatus,
  type WaitingRunStatus,
} from "../domain/runbooks/run-state.js";
import type { Runbook } from "../domain/runbooks/schema.js";
import type { StoreDialect } from "./dialect.js";
import { newId } from "./ids.js";
import {
  RunCancelRequested,
  RunLeaseLost,
  type ApprovalDecision,
  type ApprovalRecord,
  type ArtifactRecord,
  type LockRecord,
  type NewRunbookRun,
  type NewRunEvent,
  type RecordedAction,
  type RunbookRun,
  type RunbookRunRepository,
  type RunClaim,
  type RunEvent,
  type RunMove,
  type RunThrough,
  type RunWaiting,
  type StepDecision,
  type StepEndRecord,
  type StepRecord,
  type StepRef,
} from "./store.js";
import { StoreError } from "./store-error.js";
import type {
  Database,
  RunbookApprovalsTable,
  RunbookArtifactsTable,
  RunbookEventsTable,
  RunbookRunsTable,
  RunbookStepsTable,
} from "./tables.js";

/**
 * Decisions kept here, where the data lives:
 * - Secret params are never written: the run keeps `<secret>` in their place and their names in
 *   `secret_params`. The values live only in the memory of the process that started the run; a
 *   process that claims the run without them parks it `waiting_params` until someone resumes it
 *   with them. Nothing to encrypt, no key to manage, nothing to leak from a backup of the store.
 * - Artifacts (profiles, heap snapshots) are bytes in the store, not files in the data dir: with
 *   PostgreSQL several replicas share one store but not one disk, and a backup of the store then
 *   holds the whole run. Capped at 64 MiB each.
 */
export const maxArtifactBytes = 64 * 1024 * 1024;

/** Bounds of what one event may carry: a timeline entry, not a dump. */
const maxEventDataChars = 16 * 1024;
const maxErrorChars = 4000;

type Trx = Transaction<Database>;

export class RunbookRuns implements RunbookRunRepository {
  private readonly db: Kysely<Database>;
  private readonly listeners = new Set<(runId: string) => void>();

  constructor(
    private readonly dialect: StoreDialect,
    private readonly now: () => Date,
  ) {
    this.db = dialect.db;
  }

  // ── runs ─────────────────────────────────────────────────────────────────────────────────

  async createRun(input: NewRunbookRun): Promise<{ run: RunbookRun; token?: string }> {
    const now = this.now().getTime();
    const id = newId();
    const token = input.leaseTo ? randomUUID() : undefined;
    const row: Selectable<RunbookRunsTable> = {
      id,
      runbook: input.runbook.name,
      title: input.runbook.title,
      definition: JSON.stringify(input.runbook),
      params: JSON.stringify(input.params),
      secret_params: JSON.stringify(input.secretParams),
      locks: JSON.stringify(input.locks),
      status: input.leaseTo ? "running" : "queued",
      phase: "main",
      cursor: 0,
      outcome: "succeeded",
      failed_step: null,
      error: null,
      started_by: input.startedBy,
      through: input.through,
      parent_run_id: input.parent?.runId ?? null,
      parent_step: input.parent
        ? JSON.stringify({ stepId: input.parent.stepId, phase: input.parent.phase, position: input.parent.position, attempt: input.parent.attempt })
        : null,
      lease_owner: input.leaseTo?.owner ?? null,
      lease_token: token ?? null,
      lease_until: input.leaseTo ? now + input.leaseTo.leaseMs : null,
      heartbeat_at: input.leaseTo ? now : null,
      waiting: null,
      cancel_requested_by: null,
      cancel_requested_at: null,
      event_seq: 0,
      created_at: now,
      started_at: input.leaseTo ? now : null,
      finished_at: null,
      updated_at: now,
    };
    const touched = new Set<string>();
    await this.db.transaction().execute(async (trx) => {
      const parent = input.parent;
      if (parent) {
        // The parent waits for its child in the same commit that creates the child: a crash
        // leaves either both or neither, never a parent waiting for a child that does not exist.
        await this.park(trx, parent.runId, parent.token, "waiting_child", { for: "child", runId: id, stepId: parent.stepId });
        await this.append(trx, parent.runId, [{ type: "run.waiting", stepId: parent.stepId, data: { status: "waiting_child", childRunId: id } }], now);
        touched.add(parent.runId);
      }
      await trx.insertInto("runbook_runs").values(row).execute();
      await this.append(
        trx,
        id,
        [
          {
            type: "run.created",
            data: {
              runbook: row.runbook,
              startedBy: row.started_by,
              through: row.through,
              params: input.params,
              locks: input.locks,
              ...(parent ? { parentRunId: parent.runId } : {}),
            },
          },
        ],
        now,
      );
      touched.add(id);
    });
    this.notify(touched);
    return { run: toRun((await this.getRow(id))!), ...(token ? { token } : {}) };
  }

  async getRun(id: string): Promise<RunbookRun | undefined> {
    const row = await this.getRow(id);
    return row && toRun(row);
  }

  async listRuns(options: { limit: number; before?: string; status?: RunStatus[]; runbook?: string; parentRunId?: string }): Promise<RunbookRun[]> {
    let query = this.db.selectFrom("runbook_runs").selectAll().orderBy("created_at", "desc").orderBy("id", "desc").limit(options.limit);
    if (options.before !== undefined) query = query.where("created_at", "<", epochMs(options.before, "before"));
    if (options.status && options.status.length > 0) query = query.where("status", "in", options.status);
    if (options.runbook !== undefined) query = query.where("runbook", "=", options.runbook);
    if (options.parentRunId !== undefined) query = query.where("parent_run_id", "=", options.parentRunId);
    return (await query.execute()).map(toRun);
  }

  async claimRun(input: { owner: string; leaseMs: number; runId?: string }): Promise<RunClaim | undefined> {
    const now = this.now().getTime();
    const claim = await this.db.transaction().execute(async (trx) => {
      let query = trx
        .selectFrom("runbook_runs")
        .select(["id", "status", "lease_owner"])
        .where((eb) => {
          const alternatives = [
            eb("status", "=", "queued"),
            // A lease that ran out: its executor died, hung or lost the store. The run is ours to resume.
            eb.and([eb("status", "=", "running"), eb.or([eb("lease_until", "is", null), eb("lease_until", "<=", now)])]),
          ];
          // Asked for by id: an executor may take back what it holds already (leased to itself at start).
          if (input.runId !== undefined) alternatives.push(eb.and([eb("status", "=", "running"), eb("lease_owner", "=", input.owner)]));
          return eb.or(alternatives);
        })
        .orderBy("created_at")
        .orderBy("id")
        .limit(1);
      if (input.runId !== undefined) query = query.where("id", "=", input.runId);
      const found = await this.lockForClaim(query).executeTakeFirst();
      if (!found) return undefined;
      const token = randomUUID();
      // A new token per claim fences the previous owner out: every write it tries from now on fails.
      await trx
        .updateTable("runbook_runs")
        .set((eb) => ({
          status: "running",
          lease_owner: input.owner,
          lease_token: token,
          lease_until: now + input.leaseMs,
          heartbeat_at: now,
          started_at: eb.fn.coalesce("started_at", eb.val(now)),
          updated_at: now,
        }))
        .where("id", "=", found.id)
        .execute();
      const takenOver = found.status === "running" && found.lease_owner !== null && found.lease_owner !== input.owner ? { owner: found.lease_owner } : undefined;
      if (found.status !== "running" || takenOver) {
        await this.append(trx, found.id, [{ type: "run.claimed", data: { owner: input.owner, ...(takenOver ? { takenOverFrom: takenOver.owner } : {}) } }], now);
      }
      const row = (await trx.selectFrom("runbook_runs").selectAll().where("id", "=", found.id).executeTakeFirstOrThrow()) as Selectable<RunbookRunsTable>;
      return { run: toRun(row), token, ...(takenOver ? { takenOver } : {}) } satisfies RunClaim;
    });
    if (claim) this.notify([claim.run.id]);
    return claim;
  }

  async heartbeat(runId: string, token: string, leaseMs: number): Promise<{ held: boolean; cancelRequested: boolean }> {
    const now = this.now().getTime();
    const row = await this.db
      .updateTable("runbook_runs")
      .set({ lease_until: now + leaseMs, heartbeat_at: now })
      .where("id", "=", runId)
      .where("lease_token", "=", token)
      .where("status", "=", "running")
      .returning(["cancel_requested_at"])
      .executeTakeFirst();
    return { held: row !== undefined, cancelRequested: row?.cancel_requested_at != null };
  }

  async parkRun(runId: string, token: string, input: { status: WaitingRunStatus | "queued"; waiting?: RunWaiting; event?: NewRunEvent }): Promise<void> {
    const now = this.now().getTime();
    await this.db.transaction().execute(async (trx) => {
      await this.park(trx, runId, token, input.status, input.waiting);
      await this.append(
        trx,
        runId,
        [input.event ?? { type: input.status === "queued" ? "run.released" : "run.waiting", data: { status: input.status, ...(input.waiting ? { waiting: input.waiting } : {}) } }],
        now,
      );
    });
    this.notify([runId]);
  }

  async wakeRun(runId: string, from: WaitingRunStatus[], event: NewRunEvent): Promise<boolean> {
    for (const status of from) assertRunTransition(status, "queued");
    const now = this.now().getTime();
    const woken = await this.db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable("runbook_runs")
        .set({ status: "queued", waiting: null, updated_at: now })
        .where("id", "=", runId)
        .where("status", "in", from)
        .executeTakeFirst();
      if (result.numUpdatedRows === 0n) return false;
      await this.append(trx, runId, [event], now);
      return true;
    });
    if (woken) this.notify([runId]);
    return woken;
  }

  async finishRun(runId: string, token: string, input: { status: Outcome; failedStep?: string; error?: string }): Promise<RunbookRun> {
    const now = this.now().getTime();
    const touched = new Set<string>([runId]);
    await this.db.transaction().execute(async (trx) => {
      await this.letGo(trx, runId, token, {
        status: input.status,
        outcome: input.status,
        failed_step: input.failedStep ?? null,
        error: input.error === undefined ? null : input.error.slice(0, maxErrorChars),
        finished_at: now,
        waiting: null,
        updated_at: now,
      });
      await this.append(
        trx,
        runId,
        [{ type: "run.finished", data: { status: input.status, ...(input.failedStep ? { failedStep: input.failedStep } : {}), ...(input.error ? { error: input.error } : {}) } }],
        now,
      );
      // Locks go with the run's end in the same commit: a run is never finished yet holding a lock.
      for (const woken of await this.releaseLocksIn(trx, runId, now)) touched.add(woken);
      const parent = await this.wakeParent(trx, runId, input.status, now);
      if (parent) touched.add(parent);
    });
    this.notify(touched);
    return (await this.getRun(runId))!;
  }

  async moveRun(runId: string, token: string, move: RunMove, event?: NewRunEvent): Promise<void> {
    const now = this.now().getTime();
    await this.db.transaction().execute(async (trx) => {
      const before = await this.fence(trx, runId, token, now);
      await this.move(trx, runId, move, now);
      await this.append(trx, runId, [...(event ? [event] : []), ...phaseEvent(before.phase as Phase, move)], now);
    });
    this.notify([runId]);
  }

  async requestCancel(runId: string, by: string): Promise<RunbookRun | undefined> {
    const now = this.now().getTime();
    const touched = new Set<string>([runId]);
    const found = await this.db.transaction().execute(async (trx) => {
      // A no-op update first: it takes the row lock (PostgreSQL) before the status is read, so an
      // approval, a park or a claim racing this cancel sees it, or is seen by it, never half of each.
      const row = await trx.updateTable("runbook_runs").set({ updated_at: now }).where("id", "=", runId).returningAll().executeTakeFirst();
      if (!row) return false;
      const status = row.status as RunStatus;
      if (isTerminal(status)) return true;
      if (row.cancel_requested_at === null) {
        await trx.updateTable("runbook_runs").set({ cancel_requested_by: by, cancel_requested_at: now }).where("id", "=", runId).execute();
        await this.append(trx, runId, [{ type: "run.cancel_requested", data: { by } }], now);
      }
      const started = status !== "queued" || (await trx.selectFrom("runbook_steps").select("run_id").where("run_id", "=", runId).executeTakeFirst()) !== undefined;
      if ((status === "queued" && !started) || status === "waiting_lock") {
        // Nothing ran: there is nothing for `finally` to clean up.
        for (const woken of await this.endWithoutExecutor(trx, runId, now, { by })) touched.add(woken);
      } else if (status === "waiting_params") {
        const note = `finally did not run: the secret params (${(JSON.parse(row.secret_params) as string[]).join(", ")}) were not available`;
        for (const woken of await this.endWithoutExecutor(trx, runId, now, { by, note })) touched.add(woken);
      } else if (status === "waiting_approval" || status === "waiting_decision") {
        if (status === "waiting_approval") {
          await trx
            .updateTable("runbook_approvals")
            .set({ decision: "cancelled", decided_by: by, decided_at: now })
            .where("run_id", "=", runId)
            .where("decision", "is", null)
            .execute();
        }
        // Back to the queue: an executor claims it, sees the cancel and runs `finally`.
        await trx.updateTable("runbook_runs").set({ status: "queued", waiting: null, updated_at: now }).where("id", "=", runId).execute();
        await this.append(trx, runId, [{ type: "run.woken", data: { reason: "cancel requested", by } }], now);
      }
      // queued (already started) and running: the executor that claims or holds it sees the request.
      // waiting_child: stays; the executor cancels the child, whose end wakes this run. Woken
      // now, it would run `finally` and free its locks while the child still works under them.
      return true;
    });
    if (!found) return undefined;
    this.notify(touched);
    return this.getRun(runId);
  }

  // ── steps ────────────────────────────────────────────────────────────────────────────────

  async recordStepStarted(runId: string, token: string, input: StepRef & { stepId: string; kind: string; action: RecordedAction }): Promise<void> {
    const now = this.now().getTime();
    await this.db.transaction().execute(async (trx) => {
      await this.fence(trx, runId, token, now);
      await trx
        .insertInto("runbook_steps")
        .values({
          ...key(runId, input),
          step_id: input.stepId,
          kind: input.kind,
          status: "running",
          action: JSON.stringify(input.action),
          started_at: now,
          finished_at: null,
          exit_code: null,
          outputs: null,
          output: null,
          error: null,
          decision: null,
          decided_by: null,
          decided_at: null,
        })
        .execute();
      await this.append(
        trx,
        runId,
        [{ type: "step.started", stepId: input.stepId, data: { phase: input.phase, position: input.position, attempt: input.attempt, kind: input.kind, action: input.action } }],
        now,
      );
    });
    this.notify([runId]);
  }

  async recordStepFinished(runId: string, token: string, end: StepEndRecord, move: RunMove | undefined, event: Record<string, unknown> = {}): Promise<void> {
    const now = this.now().getTime();
    await this.db.transaction().execute(async (trx) => {
      const before = await this.fence(trx, runId, token, now);
      const step = await trx
        .updateTable("runbook_steps")
        .set({
          status: end.status,
          finished_at: now,
          exit_code: end.exitCode ?? null,
          outputs: end.outputs === undefined ? null : JSON.stringify(end.outputs),
          output: end.output ?? null,
          error: end.error === undefined ? null : end.error.slice(0, maxErrorChars),
        })
        .where((eb) => eb.and(key(runId, end)))
        .where("status", "in", stepPredecessors(end.status))
        .returning(["step_id", "started_at"])
        .executeTakeFirst();
      if (!step) throw new StoreError(`run ${runId}: step attempt ${describeRef(end)} is not running`);
      if (move) await this.move(trx, runId, move, now);
      await this.append(
        trx,
        runId,
        [
          {
            type: "step.finished",
            stepId: step.step_id,
            data: {
              phase: end.phase,
              position: end.position,
              attempt: end.attempt,
              status: end.status,
              durationMs: now - step.started_at,
              ...(end.exitCode === undefined ? {} : { exitCode: end.exitCode }),
              ...(end.error === undefined ? {} : { error: end.error.slice(0, maxErrorChars) }),
              ...(end.outputs === undefined ? {} : { outputs: end.outputs }),
              ...event,
            },
          },
          ...(move ? phaseEvent(before.phase as Phase, move) : []),
        ],
        now,
      );
    });
    this.notify([runId]);
  }

  async recordStepSkipped(runId: string, token: string, input: StepRef & { stepId: string; kind: string; reason: string }, move: RunMove): Promise<void> {
    const now = this.now().getTime();
    await this.db.transaction().execute(async (trx) => {
      const before = await this.fence(trx, runId, token, now);
      await trx
        .insertInto("runbook_steps")
        .values({
          ...key(runId, input),
          step_id: input.stepId,
          kind: input.kind,
          status: "skipped",
          action: null,
          started_at: now,
          finished_at: now,
          exit_code: null,
          outputs: null,
          output: null,
          error: null,
          decision: null,
          decided_by: null,
          decided_at: null,
        })
        .execute();
      await this.move(trx, runId, move, now);
      await this.append(
        trx,
        runId,
        [
          { type: "step.skipped", stepId: input.stepId, data: { phase: input.phase, position: input.position, reason: input.reason } },
          ...phaseEvent(before.phase as Phase, move),
        ],
        now,
      );
    });
    this.notify([runId]);
  }

  async markStepInterrupted(runId: string, token: string, ref: StepRef, evidence: Record<string, unknown>): Promise<void> {
    const now = this.now().getTime();
    await this.db.transaction().execute(async (trx) => {
      await this.fence(trx, runId, token, now);
      const step = await trx
        .updateTable("runbook_steps")
        .set({ status: "interrupted", finished_at: now, error: "interrupted: the executor running it stopped before it finished" })
        .where((eb) => eb.and(key(runId, ref)))
        .where("status", "in", stepPredecessors("interrupted"))
        .returning(["step_id"])
        .executeTakeFirst();
      if (!step) throw new StoreError(`run ${runId}: step attempt ${describeRef(ref)} is not running`);
      await this.append(trx, runId, [{ type: "step.interrupted", stepId: step.step_id, data: { ...ref, ...evidence } }], now);
    });
    this.notify([runId]);
  }

  async decideStep(runId: string, input: { stepId: string; choice: StepDecision; by: string }): Promise<boolean> {
    const now = this.now().getTime();
    const decided = await this.db.transaction().execute(async (trx) => {
      // Status first, in the update's row lock: two people deciding at once, one of them wins.
      const run = await trx
        .updateTable("runbook_runs")
        .set({ status: "queued", updated_at: now })
        .where("id", "=", runId)
        .where("status", "=", "waiting_decision")
        .returning(["waiting"])
        .executeTakeFirst();
      if (!run) return false;
      const waiting = run.waiting === null ? undefined : (JSON.parse(run.waiting) as RunWaiting);
      if (waiting?.for !== "decision" || waiting.stepId !== input.stepId) throw new DecisionMismatch();
      const step = await trx
        .updateTable("runbook_steps")
        .set({ decision: input.choice, decided_by: input.by, decided_at: now })
        .where((eb) => eb.and(key(runId, waiting)))
        .where("status", "=", "interrupted")
        .where("decision", "is", null)
        .executeTakeFirst();
      if (step.numUpdatedRows === 0n) throw new DecisionMismatch();
      await trx.updateTable("runbook_runs").set({ waiting: null }).where("id", "=", runId).execute();
      await this.append(trx, runId, [{ type: "step.decided", stepId: input.stepId, data: { choice: input.choice, by: input.by, phase: waiting.phase, position: waiting.position, attempt: waiting.attempt } }], now);
      return true;
    }).catch((error: unknown) => {
      if (error instanceof DecisionMismatch) return false;
      throw error;
    });
    if (decided) this.notify([runId]);
    return decided;
  }

  async settleInterrupted(runId: string, token: string, ref: StepRef, input: { status: "skipped" | "failed"; error?: string }, move: RunMove): Promise<void> {
    const now = this.now().getTime();
    await this.db.transaction().execute(async (trx) => {
      const before = await this.fence(trx, runId, token, now);
      const step = await trx
        .updateTable("runbook_steps")
        .set({ status: input.status, ...(input.error ? { error: input.error.slice(0, maxErrorChars) } : {}) })
        .where((eb) => eb.and(key(runId, ref)))
        .where("status", "=", "interrupted")
        .returning(["step_id"])
        .executeTakeFirst();
      if (!step) throw new StoreError(`run ${runId}: step attempt ${describeRef(ref)} is not interrupted`);
      await this.move(trx, runId, move, now);
      await this.append(
        trx,
        runId,
        [
          { type: "step.finished", stepId: step.step_id, data: { ...ref, status: input.status, ...(input.error ? { error: input.error } : {}) } },
          ...phaseEvent(before.phase as Phase, move),
        ],
        now,
      );
    });
    this.notify([runId]);
  }

  async listSteps(runId: string): Promise<StepRecord[]> {
    const rows = await this.db.selectFrom("runbook_steps").selectAll().where("run_id", "=", runId).execute();
    // Phases never go back and positions only forward: this order is the order they ran in.
    const phaseOrder: Record<string, number> = { main: 0, rollback: 1, finally: 2 };
    rows.sort((a, b) => phaseOrder[a.phase]! - phaseOrder[b.phase]! || a.position - b.position || a.attempt - b.attempt);
    return rows.map(toStep);
  }

  // ── events ───────────────────────────────────────────────────────────────────────────────

  async appendEvents(runId: string, events: NewRunEvent[], token?: string): Promise<void> {
    if (events.length === 0) return;
    const now = this.now().getTime();
    await this.db.transaction().execute(async (trx) => {
      if (token !== undefined) await this.fence(trx, runId, token, now);
      await this.append(trx, runId, events, now);
    });
    this.notify([runId]);
  }

  async listEvents(runId: string, options: { after?: number; limit?: number } = {}): Promise<RunEvent[]> {
    let query = this.db.selectFrom("runbook_events").selectAll().where("run_id", "=", runId).orderBy("seq");
    if (options.after !== undefined) query = query.where("seq", ">", options.after);
    if (options.limit !== undefined) query = query.limit(options.limit);
    return (await query.execute()).map(toEvent);
  }

  onEvents(listener: (runId: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ── approvals ────────────────────────────────────────────────────────────────────────────

  async requestApproval(
    runId: string,
    token: string,
    input: StepRef & { id: string; stepId: string; prompt: string; approvers: string[]; selfApproval: boolean; timeoutAt?: Date; onTimeout: "abort" | "continue" },
  ): Promise<ApprovalRecord> {
    const now = this.now().getTime();
    const row: Selectable<RunbookApprovalsTable> = {
      id: input.id,
      run_id: runId,
      step_id: input.stepId,
      phase: input.phase,
      position: input.position,
      attempt: input.attempt,
      prompt: input.prompt,
      approvers: JSON.stringify(input.approvers),
      self_approval: input.selfApproval ? 1 : 0,
      requested_at: now,
      timeout_at: input.timeoutAt?.getTime() ?? null,
      on_timeout: input.onTimeout,
      decision: null,
      decided_by: null,
      decided_at: null,
      through: null,
      comment: null,
    };
    await this.db.transaction().execute(async (trx) => {
      // The request and the wait are one commit: a crash never leaves a run waiting for an
      // approval nobody was asked for, nor an approval whose run goes on without it.
      await this.park(trx, runId, token, "waiting_approval", { for: "approval", approvalId: input.id, stepId: input.stepId });
      await trx.insertInto("runbook_approvals").values(row).execute();
      await this.append(
        trx,
        runId,
        [
          {
            type: "approval.requested",
            stepId: input.stepId,
            data: {
              approvalId: input.id,
              prompt: input.prompt,
              approvers: input.approvers,
              selfApproval: input.selfApproval,
              onTimeout: input.onTimeout,
              ...(input.timeoutAt ? { timeoutAt: input.timeoutAt.toISOString() } : {}),
            },
          },
        ],
        now,
      );
    });
    this.notify([runId]);
    return toApproval(row);
  }

  async decideApproval(
    approvalId: string,
    input: { decision: ApprovalDecision | "timeout"; by: string; through: RunThrough | "timeout"; comment?: string },
  ): Promise<{ decided: boolean; approval: ApprovalRecord } | undefined> {
    const now = this.now().getTime();
    const result = await this.db.transaction().execute(async (trx) => {
      const found = await trx.selectFrom("runbook_approvals").select("run_id").where("id", "=", approvalId).executeTakeFirst();
      if (!found) return undefined;
      // The run's row first, as every other writer of a run takes it (a cancel marks the run's
      // approvals after locking the run): one order of locks, so no deadlock between the two.
      await trx.updateTable("runbook_runs").set({ updated_at: now }).where("id", "=", found.run_id).execute();
      const decided = await trx
        .updateTable("runbook_approvals")
        .set({ decision: input.decision, decided_by: input.by, decided_at: now, through: input.through, comment: input.comment ?? null })
        .where("id", "=", approvalId)
        // The first decision wins: a second approver, or the timeout firing late, changes nothing.
        .where("decision", "is", null)
        .returningAll()
        .executeTakeFirst();
      if (!decided) {
        const current = await trx.selectFrom("runbook_approvals").selectAll().where("id", "=", approvalId).executeTakeFirst();
        return current && { decided: false, approval: toApproval(current) };
      }
      await trx
        .updateTable("runbook_runs")
        .set({ status: "queued", waiting: null, updated_at: now })
        .where("id", "=", decided.run_id)
        .where("status", "=", "waiting_approval")
        .execute();
      await this.append(
        trx,
        decided.run_id,
        [
          {
            type: "approval.decided",
            stepId: decided.step_id,
            data: { approvalId, decision: input.decision, by: input.by, through: input.through, ...(input.comment ? { comment: input.comment } : {}) },
          },
        ],
        now,
      );
      return { decided: true, approval: toApproval(decided) };
    });
    if (result?.decided) this.notify([result.approval.runId]);
    return result;
  }

  async getApproval(id: string): Promise<ApprovalRecord | undefined> {
    const row = await this.db.selectFrom("runbook_approvals").selectAll().where("id", "=", id).executeTakeFirst();
    return row && toApproval(row);
  }

  async approvalFor(runId: string, ref: StepRef): Promise<ApprovalRecord | undefined> {
    const row = await this.db
      .selectFrom("runbook_approvals")
      .selectAll()
      .where((eb) => eb.and(key(runId, ref)))
      .executeTakeFirst();
    return row && toApproval(row);
  }

  async listApprovals(options: { runId?: string; pending?: boolean; limit?: number }): Promise<ApprovalRecord[]> {
    let query = this.db.selectFrom("runbook_approvals").selectAll().orderBy("requested_at", "desc").orderBy("id", "desc");
    if (options.runId !== undefined) query = query.where("run_id", "=", options.runId);
    if (options.pending) query = query.where("decision", "is", null);
    if (options.limit !== undefined) query = query.limit(options.limit);
    return (await query.execute()).map(toApproval);
  }

  // ── locks ────────────────────────────────────────────────────────────────────────────────

  async acquireLocks(
    runId: string,
    token: string,
    names: string[],
    ancestors: string[] = [],
  ): Promise<{ acquired: true } | { acquired: false; lock: string; heldBy: string }> {
    const wanted = [...new Set(names)].sort();
    const now = this.now().getTime();
    try {
      await this.db.transaction().execute(async (trx) => {
        await this.fence(trx, runId, token, now);
        const taken: string[] = [];
        for (const name of wanted) {
          // Insert-or-nothing, then read who holds it: on PostgreSQL a concurrent insert of the same
          // name waits for the other transaction, so exactly one of two racing runs sees itself.
          await trx
            .insertInto("runbook_locks")
            .values({ name, run_id: runId, acquired_at: now })
            .onConflict((conflict) => conflict.column("name").doNothing())
            .execute();
          const holder = await trx.selectFrom("runbook_locks").select("run_id").where("name", "=", name).executeTakeFirstOrThrow();
          if (holder.run_id === runId) taken.push(name);
          else if (!ancestors.includes(holder.run_id)) throw new LockHeld(name, holder.run_id);
        }
        if (taken.length > 0) await this.append(trx, runId, [{ type: "lock.acquired", data: { locks: taken } }], now);
      });
    } catch (error) {
      // Thrown inside the transaction so that it rolls back the names taken before: all or none.
      if (error instanceof LockHeld) return { acquired: false, lock: error.lock, heldBy: error.heldBy };
      throw error;
    }
    this.notify([runId]);
    return { acquired: true };
  }

  async releaseLocks(runId: string): Promise<void> {
    const now = this.now().getTime();
    const woken = await this.db.transaction().execute((trx) => this.releaseLocksIn(trx, runId, now));
    this.notify(woken);
  }

  async listLocks(): Promise<LockRecord[]> {
    const rows = await this.db.selectFrom("runbook_locks").selectAll().orderBy("name").execute();
    return rows.map((row) => ({ name: row.name, runId: row.run_id, acquiredAt: iso(row.acquired_at) }));
  }

  // ── artifacts ────────────────────────────────────────────────────────────────────────────

  async saveArtifact(input: { runId: string; stepId: string; name: string; contentType: string; data: Uint8Array }): Promise<ArtifactRecord> {
    if (input.data.byteLength > maxArtifactBytes) {
      throw new StoreError(
        `artifact "${input.name}" is ${input.data.byteLength} bytes; the store keeps at most ${maxArtifactBytes} bytes (64 MiB) per artifact`,
      );
    }
    const now = this.now().getTime();
    const row: Selectable<RunbookArtifactsTable> = {
      id: newId(),
      run_id: input.runId,
      step_id: input.stepId,
      name: input.name,
      content_type: input.contentType,
      size: input.data.byteLength,
      sha256: createHash("sha256").update(input.data).digest("hex"),
      created_at: now,
      content: input.data,
    };
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto("runbook_artifacts").values(row).execute();
      await this.append(
        trx,
        input.runId,
        [{ type: "artifact.saved", stepId: input.stepId, data: { artifactId: row.id, name: row.name, contentType: row.content_type, size: row.size, sha256: row.sha256 } }],
        now,
      );
    });
    this.notify([input.runId]);
    return toArtifact(row);
  }

  async listArtifacts(runId: string): Promise<ArtifactRecord[]> {
    const rows = await this.db
      .selectFrom("runbook_artifacts")
      .select(["id", "run_id", "step_id", "name", "content_type", "size", "sha256", "created_at"])
      .where("run_id", "=", runId)
      .orderBy("created_at")
      .orderBy("id")
      .execute();
    return rows.map(toArtifact);
  }

  async getArtifact(id: string): Promise<(ArtifactRecord & { data: Uint8Array }) | undefined> {
    const row = await this.db.selectFrom("runbook_artifacts").selectAll().where("id", "=", id).executeTakeFirst();
    return row && { ...toArtifact(row), data: new Uint8Array(row.content) };
  }

  // ── inside transactions ──────────────────────────────────────────────────────────────────

  /**
   * First statement of every owner's write: proves the lease is still this token's and, on
   * PostgreSQL, takes the run's row lock for the rest of the transaction. Doubles as a heartbeat.
   */
  private async fence(trx: Trx, runId: string, token: string, now: number): Promise<{ phase: string; cancelRequested: boolean }> {
    const row = await trx
      .updateTable("runbook_runs")
      .set({ heartbeat_at: now, updated_at: now })
      .where("id", "=", runId)
      .where("lease_token", "=", token)
      .where("status", "=", "running")
      .returning(["phase", "cancel_requested_at"])
      .executeTakeFirst();
    if (!row) throw new RunLeaseLost(runId);
    return { phase: row.phase, cancelRequested: row.cancel_requested_at !== null };
  }

  private async park(trx: Trx, runId: string, token: string, status: WaitingRunStatus | "queued", waiting: RunWaiting | undefined): Promise<void> {
    assertRunTransition("running", status);
    const now = this.now().getTime();
    const before = await this.fence(trx, runId, token, now);
    // A cancel that came in while the step was under way must not be parked away into a wait
    // that only a person could end: the executor goes to `finally` instead.
    if (before.cancelRequested && status !== "queued") throw new RunCancelRequested(runId);
    await this.letGo(trx, runId, token, { status, waiting: waiting === undefined ? null : JSON.stringify(waiting), updated_at: now });
  }

  /** The owner's last write: the run leaves `running` and its lease is given up in the same statement. */
  private async letGo(trx: Trx, runId: string, token: string, changes: Updateable<RunbookRunsTable>): Promise<void> {
    const result = await trx
      .updateTable("runbook_runs")
      .set({ ...changes, lease_owner: null, lease_token: null, lease_until: null })
      .where("id", "=", runId)
      .where("lease_token", "=", token)
      .where("status", "=", "running")
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) throw new RunLeaseLost(runId);
  }

  private async move(trx: Trx, runId: string, move: RunMove, now: number): Promise<void> {
    await trx
      .updateTable("runbook_runs")
      .set({ phase: move.phase, cursor: move.cursor, outcome: move.outcome, failed_step: move.failedStep ?? null, updated_at: now })
      .where("id", "=", runId)
      .execute();
  }

  /**
   * A run cancelled with no executor holding it (queued or waiting). Its locks go with it: a run
   * given back to the queue between two steps may hold some without having run a step.
   */
  private async endWithoutExecutor(trx: Trx, runId: string, now: number, data: Record<string, unknown>): Promise<string[]> {
    const status = "cancelled";
    await trx
      .updateTable("runbook_runs")
      .set({ status, outcome: status, finished_at: now, waiting: null, lease_owner: null, lease_token: null, lease_until: null, updated_at: now })
      .where("id", "=", runId)
      .where("status", "in", predecessors(status))
      .execute();
    await this.append(trx, runId, [{ type: "run.finished", data: { status, ...data } }], now);
    const woken = await this.releaseLocksIn(trx, runId, now);
    const parent = await this.wakeParent(trx, runId, status, now);
    return parent ? [...woken, parent] : woken;
  }

  /** A child's end puts its waiting parent back in the queue, in the same commit. */
  private async wakeParent(trx: Trx, runId: string, status: Outcome, now: number): Promise<string | undefined> {
    const { parent_run_id: parentId } = await trx.selectFrom("runbook_runs").select("parent_run_id").where("id", "=", runId).executeTakeFirstOrThrow();
    if (parentId === null) return undefined;
    const parent = await trx
      .updateTable("runbook_runs")
      .set({ status: "queued", waiting: null, updated_at: now })
      .where("id", "=", parentId)
      .where("status", "=", "waiting_child")
      .executeTakeFirst();
    if (parent.numUpdatedRows === 0n) return undefined;
    await this.append(trx, parentId, [{ type: "run.woken", data: { reason: "child finished", childRunId: runId, childStatus: status } }], now);
    return parentId;
  }

  /** Frees the run's locks and puts every run waiting for a lock back in the queue to try again. */
  private async releaseLocksIn(trx: Trx, runId: string, now: number): Promise<string[]> {
    const released = await trx.deleteFrom("runbook_locks").where("run_id", "=", runId).returning("name").execute();
    if (released.length === 0) return [];
    // Every waiter, not only those waiting for these names: a waiter knows only the first name it
    // found held, and trying again costs one transaction.
    const woken = await trx
      .updateTable("runbook_runs")
      .set({ status: "queued", waiting: null, updated_at: now })
      .where("status", "=", "waiting_lock")
      .returning("id")
      .execute();
    for (const { id } of woken) {
      await this.append(trx, id, [{ type: "run.woken", data: { reason: "locks released", by: runId, locks: released.map((r) => r.name) } }], now);
    }
    return woken.map((r) => r.id);
  }

  /**
   * Appends events with consecutive seqs. The counter lives on the run row and is bumped by an
   * update, which serializes appenders of one run (row lock on PostgreSQL, the single writer on
   * SQLite): seqs never collide and have no gaps, so a watcher that saw seq n misses nothing by
   * asking for the ones after n.
   */
  private async append(trx: Trx, runId: string, events: NewRunEvent[], now: number): Promise<void> {
    if (events.length === 0) return;
    const bumped = await trx
      .updateTable("runbook_runs")
      .set((eb) => ({ event_seq: eb("event_seq", "+", events.length) }))
      .where("id", "=", runId)
      .returning("event_seq")
      .executeTakeFirst();
    if (!bumped) throw new StoreError(`run ${runId} does not exist`);
    const first = bumped.event_seq - events.length + 1;
    await trx
      .insertInto("runbook_events")
      .values(
        events.map((event, i) => ({
          run_id: runId,
          seq: first + i,
          at: now,
          type: event.type,
          step_id: event.stepId ?? null,
          data: boundedJson(event.data ?? {}),
        })),
      )
      .execute();
  }

  private lockForClaim<Q extends SelectQueryBuilder<Database, "runbook_runs", { id: string; status: string; lease_owner: string | null }>>(query: Q): Q {
    // Mirrors StoreDialect.lockForClaim (typed for timers): PostgreSQL skips rows another claim
    // holds; SQLite's BEGIN IMMEDIATE already made this transaction the only writer.
    return (this.dialect.name === "postgres" ? query.forUpdate().skipLocked() : query) as Q;
  }

  private async getRow(id: string): Promise<Selectable<RunbookRunsTable> | undefined> {
    return this.db.selectFrom("runbook_runs").selectAll().where("id", "=", id).executeTakeFirst();
  }

  private notify(runIds: Iterable<string>): void {
    for (const runId of runIds) {
      for (const listener of this.listeners) {
        // A watcher that throws must not turn a committed write into a failed call.
        try {
          listener(runId);
        } catch {
          this.listeners.delete(listener);
        }
      }
    }
  }
}

class LockHeld extends Error {
  constructor(
    readonly lock: string,
    readonly heldBy: string,
  ) {
    super(`lock ${lock} is held by run ${heldBy}`);
  }
}

class DecisionMismatch extends Error {}

function phaseEvent(from: Phase, move: RunMove): NewRunEvent[] {
  return from === move.phase ? [] : [{ type: "run.phase", data: { phase: move.phase, outcome: move.outcome, ...(move.failedStep ? { failedStep: move.failedStep } : {}) } }];
}

/** The key of a step attempt, which the steps and approvals tables share. */
function key(runId: string, ref: StepRef): { run_id: string; phase: string; position: number; attempt: number } {
  return { run_id: runId, phase: ref.phase, position: ref.position, attempt: ref.attempt };
}

function describeRef(ref: StepRef): string {
  return `${ref.phase}[${ref.position}] attempt ${ref.attempt}`;
}

function boundedJson(data: Record<string, unknown>): string {
  const text = JSON.stringify(data);
  if (text.length <= maxEventDataChars) return text;
  // Keep the scalar fields (status, exit code, error), drop what is large: the step row has the rest.
  const small = Object.fromEntries(Object.entries(data).filter(([, v]) => typeof v !== "object" || v === null));
  return JSON.stringify({ ...small, truncated: `${text.length} characters; see the step record` });
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function epochMs(value: string, field: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new StoreError(`${field} is not a valid time: "${value}"`);
  return ms;
}

function toRun(row: Selectable<RunbookRunsTable>): RunbookRun {
  const parent = row.parent_step === null ? undefined : (JSON.parse(row.parent_step) as Omit<NonNullable<RunbookRun["parent"]>, "runId">);
  return {
    id: row.id,
    runbook: row.runbook,
    title: row.title,
    definition: JSON.parse(row.definition) as Runbook,
    params: JSON.parse(row.params) as Record<string, unknown>,
    secretParams: JSON.parse(row.secret_params) as string[],
    locks: JSON.parse(row.locks) as string[],
    status: row.status as RunStatus,
    phase: row.phase as Phase,
    cursor: row.cursor,
    outcome: row.outcome as Outcome,
    ...(row.failed_step === null ? {} : { failedStep: row.failed_step }),
    ...(row.error === null ? {} : { error: row.error }),
    startedBy: row.started_by,
    through: row.through as RunbookRun["through"],
    ...(row.parent_run_id !== null && parent ? { parent: { runId: row.parent_run_id, ...parent } } : {}),
    ...(row.lease_owner !== null && row.lease_until !== null ? { lease: { owner: row.lease_owner, until: iso(row.lease_until) } } : {}),
    ...(row.heartbeat_at === null ? {} : { heartbeatAt: iso(row.heartbeat_at) }),
    ...(row.waiting === null ? {} : { waiting: JSON.parse(row.waiting) as RunWaiting }),
    ...(row.cancel_requested_by !== null && row.cancel_requested_at !== null
      ? { cancelRequested: { by: row.cancel_requested_by, at: iso(row.cancel_requested_at) } }
      : {}),
    createdAt: iso(row.created_at),
    ...(row.started_at === null ? {} : { startedAt: iso(row.started_at) }),
    ...(row.finished_at === null ? {} : { finishedAt: iso(row.finished_at) }),
    updatedAt: iso(row.updated_at),
    lastEventSeq: row.event_seq,
  };
}

function toStep(row: Selectable<RunbookStepsTable>): StepRecord {
  return {
    runId: row.run_id,
    phase: row.phase as Phase,
    position: row.position,
    attempt: row.attempt,
    stepId: row.step_id,
    kind: row.kind,
    status: row.status as StepStatus,
    ...(row.action === null ? {} : { action: JSON.parse(row.action) as RecordedAction }),
    startedAt: iso(row.started_at),
    ...(row.finished_at === null ? {} : { finishedAt: iso(row.finished_at) }),
    ...(row.exit_code === null ? {} : { exitCode: row.exit_code }),
    ...(row.outputs === null ? {} : { outputs: JSON.parse(row.outputs) as Record<string, unknown> }),
    ...(row.output === null ? {} : { output: row.output }),
    ...(row.error === null ? {} : { error: row.error }),
    ...(row.decision !== null && row.decided_by !== null && row.decided_at !== null
      ? { decision: { choice: row.decision as StepDecision, by: row.decided_by, at: iso(row.decided_at) } }
      : {}),
  };
}

function toEvent(row: Selectable<RunbookEventsTable>): RunEvent {
  return {
    runId: row.run_id,
    seq: row.seq,
    at: iso(row.at),
    type: row.type as RunEvent["type"],
    ...(row.step_id === null ? {} : { stepId: row.step_id }),
    data: JSON.parse(row.data) as Record<string, unknown>,
  };
}

function toApproval(row: Selectable<RunbookApprovalsTable>): ApprovalRecord {
  return {
    id: row.id,
    runId: row.run_id,
    stepId: row.step_id,
    phase: row.phase as Phase,
    position: row.position,
    attempt: row.attempt,
    prompt: row.prompt,
    approvers: JSON.parse(row.approvers) as string[],
    selfApproval: row.self_approval === 1,
    requestedAt: iso(row.requested_at),
    ...(row.timeout_at === null ? {} : { timeoutAt: iso(row.timeout_at) }),
    onTimeout: row.on_timeout as ApprovalRecord["onTimeout"],
    ...(row.decision === null ? {} : { decision: row.decision as NonNullable<ApprovalRecord["decision"]> }),
    ...(row.decided_by === null ? {} : { decidedBy: row.decided_by }),
    ...(row.decided_at === null ? {} : { decidedAt: iso(row.decided_at) }),
    ...(row.through === null ? {} : { through: row.through as NonNullable<ApprovalRecord["through"]> }),
    ...(row.comment === null ? {} : { comment: row.comment }),
  };
}

function toArtifact(row: Omit<Selectable<RunbookArtifactsTable>, "content">): ArtifactRecord {
  return {
    id: row.id,
    runId: row.run_id,
    stepId: row.step_id,
    name: row.name,
    contentType: row.content_type,
    size: row.size,
    sha256: row.sha256,
    createdAt: iso(row.created_at),
  };
}
