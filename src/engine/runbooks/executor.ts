import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { Config } from "../../config/load.js";
import { Secret } from "../../config/secret.js";
import { planRun, type Plan } from "../../domain/runbooks/plan.js";
import { parseProbe } from "../../domain/runbooks/probe.js";
import { renderLocks } from "../../domain/runbooks/render.js";
import { isTerminal } from "../../domain/runbooks/run-state.js";
import type { Runbook, Step } from "../../domain/runbooks/schema.js";
import { resolveParams, type ParamValue } from "../../domain/runbooks/validate.js";
import type {
  ApprovalDecision,
  ApprovalRecord,
  ArtifactRecord,
  RunbookRun,
  RunClaim,
  RunEvent,
  RunThrough,
  StepDecision,
  StepRecord,
  Store,
} from "../../store/store.js";
import type { TimerLoop } from "../timer-loop.js";
import { checkApprover, type Approver } from "./approvers.js";
import { systemClock, type Clock } from "./clock.js";
import { approvalTimeoutTimer, approvalTimerKey, lockWaitTimer, RunDriver, type DriverContext } from "./run-driver.js";
import type { StepKind } from "./step-kind.js";
import { missingTargets } from "./targets.js";

export { ApprovalRefused, type Approver } from "./approvers.js";
export { approvalTimeoutTimer, lockWaitTimer } from "./run-driver.js";

/** The lazily loaded step kinds, by kind name (steps/index.ts; tests plug in their own). */
export type StepKindRegistry = Readonly<Partial<Record<string, () => Promise<StepKind>>>>;

export interface RunbookExecutorOptions {
  store: Store;
  config: Config;
  stepKinds: StepKindRegistry;
  /** The catalogue, for `runbook` steps. Without it a `runbook` step fails naming the runbook. */
  findRunbook?: (name: string) => Promise<Runbook | undefined>;
  clock?: Clock;
  /** Who holds the leases, e.g. `host:pid:…`; shows in a run while it executes. */
  owner?: string;
  /** How long a run stays this executor's without a heartbeat. */
  leaseMs?: number;
  heartbeatMs?: number;
  /** How often the polling loop looks for runnable runs. */
  pollMs?: number;
  /** How often a run waiting for a lock tries again (until its `lock_wait` passes). */
  lockRetryMs?: number;
  /** Runs this executor drives at once from its polling loop. */
  concurrency?: number;
  /** A step without its own `timeout` gets this one (wait and approve steps have their own deadlines). */
  defaultStepTimeoutMs?: number;
  /**
   * How late a lock retry or an approval timeout may be before the sweep does what its timer
   * should have: only after a crash between a commit and the timer's scheduling.
   */
  sweepGraceMs?: number;
  onError?: (error: Error) => void;
  /** The process's log, for step kinds that write to it (notify); lines are redacted first. */
  processLog?: (message: string, fields: Record<string, unknown>) => void;
}

export interface StartOptions {
  /** Person id (or `cli:<user>`) of whoever starts it: the audit names them; they may not approve it. */
  startedBy: string;
  through: RunThrough;
  /** Plan only: render every step and approval gate, touch nothing, write nothing. */
  dryRun?: boolean;
}

/** A run with everything recorded about it: what the CLI's `run show`, the API and the console show. */
export interface RunDetail {
  run: RunbookRun;
  steps: StepRecord[];
  events: RunEvent[];
  approvals: ApprovalRecord[];
  artifacts: ArtifactRecord[];
  children: RunbookRun[];
}

/** No run with this id. */
export class RunNotFound extends Error {
  constructor(readonly runId: string) {
    super(`no runbook run ${runId}; \`gameops run list\` shows the runs`);
    this.name = "RunNotFound";
  }
}

/** The run exists but cannot do what was asked now; the message says why and what it waits for. */
export class RunRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RunRefused";
  }
}

/**
 * Runs runbooks durably. Every run is a row committed before anything runs; every step is
 * committed `running` before it executes and with its end after; a run is executed by one
 * executor at a time, under a lease it renews while it works. So a CLI run and `gameops up`
 * never execute the same run twice, and a run whose executor died (SIGKILL, power) is taken up
 * by the next one that looks: `resumeOrphanedRuns()` in the server, `resume(id)` in the CLI.
 *
 * Decisions (see also runbook-runs.ts for secrets and artifacts):
 * - Dry-run writes nothing, not even a run row: it returns the plan.
 * - Retries: only failures the step kind says are retryable (a health verdict, a connection
 *   refused), never a bug or a refused input; a timed-out step only when marked idempotent.
 *   `retries.attempts` counts every attempt, the first included.
 * - Cancel stops the main steps (the step under way is aborted); rollback and finally, the
 *   cleanup, always run to their end.
 */
export class RunbookExecutor {
  readonly owner: string;
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly context: DriverContext;
  private readonly pollMs: number;
  private readonly concurrency: number;
  private readonly sweepGraceMs: number;
  private readonly onError: (error: Error) => void;
  private readonly kinds = new Map<string, Promise<StepKind>>();
  private readonly driving = new Map<string, { driver: RunDriver; done: Promise<RunbookRun> }>();
  private readonly background = new Set<Promise<unknown>>();
  private stopped = false;
  private polling = false;
  private nextPoll: NodeJS.Timeout | undefined;

  constructor(private readonly options: RunbookExecutorOptions) {
    this.store = options.store;
    this.clock = options.clock ?? systemClock;
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.pollMs = options.pollMs ?? 1000;
    this.concurrency = options.concurrency ?? 4;
    this.sweepGraceMs = options.sweepGraceMs ?? 60_000;
    this.onError = options.onError ?? ((error) => console.error(error));
    const leaseMs = options.leaseMs ?? 30_000;
    this.context = {
      store: options.store,
      config: options.config,
      clock: this.clock,
      owner: this.owner,
      leaseMs,
      // Several beats per lease: one slow store round trip must not cost the run.
      heartbeatMs: options.heartbeatMs ?? Math.max(100, Math.floor(leaseMs / 6)),
      lockRetryMs: options.lockRetryMs ?? 5000,
      defaultStepTimeoutMs: options.defaultStepTimeoutMs ?? 15 * 60_000,
      loadKind: (kind) => this.loadKind(kind),
      findRunbook: options.findRunbook ?? (async () => undefined),
      secrets: new Map(),
      configSecrets: configSecrets(options.config),
      stopping: () => this.stopped,
      onError: (error) => this.onError(error),
      ...(options.processLog ? { processLog: options.processLog } : {}),
    };
  }

  // ── starting ─────────────────────────────────────────────────────────────────────────────

  /** The dry-run plan: every rendered command, target and approval gate. Throws ParamsError for bad params. */
  async plan(runbook: Runbook, given: Readonly<Record<string, ParamValue>>, options: { startedBy?: string } = {}): Promise<Plan> {
    const params = resolveParams(runbook, given);
    const runbooks = await this.calledRunbooks(runbook);
    const kinds = new Map<string, StepKind>();
    for (const name of kindsUsed([runbook, ...runbooks.values()])) {
      const kind = await this.loadKind(name).catch(() => undefined);
      if (kind) kinds.set(name, kind);
    }
    const describe = (step: Step) => {
      const kind = kinds.get(step.kind);
      if (!kind) return { summary: `(no step kind "${step.kind}" is installed)`, destructive: true };
      return kind.describe(step.spec as never, this.options.config);
    };
    return planRun(runbook, params, describe, {
      ...(options.startedBy ? { startedBy: options.startedBy } : {}),
      runbooks,
      secrets: [...this.context.configSecrets],
    });
  }

  /**
   * Commits a new run, leased to this executor, and returns its id; nothing has run yet. Then
   * `runUntilBlocked(id)` (the CLI, in the foreground) or `runInBackground(id)` (the API) drives
   * it; if neither does, its lease runs out and any executor's loop takes it. Secret params are
   * kept in this process's memory only. With `dryRun`, returns the plan and writes nothing.
   */
  async start(runbook: Runbook, given: Readonly<Record<string, ParamValue>>, options: StartOptions & { dryRun: true }): Promise<Plan>;
  async start(runbook: Runbook, given: Readonly<Record<string, ParamValue>>, options: StartOptions & { dryRun?: false }): Promise<string>;
  async start(runbook: Runbook, given: Readonly<Record<string, ParamValue>>, options: StartOptions): Promise<string | Plan> {
    if (options.dryRun) return this.plan(runbook, given, { startedBy: options.startedBy });
    const params = resolveParams(runbook, given);
    // Refused before anything is written: a run that cannot reach its target would fail half-way.
    const missing = missingTargets(runbook, this.context.config);
    if (missing.length > 0) throw new RunRefused(missing.join("; "));
    // Rendered now, from params only, and kept: a resumed run takes the same locks.
    const locks = renderLocks(runbook, { params, run: { startedBy: options.startedBy } });
    const secretNames = Object.keys(runbook.params).filter((name) => runbook.params[name]!.secret && params[name] !== undefined);
    const shown = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, secretNames.includes(k) ? "<secret>" : v]));
    const { run } = await this.store.runbookRuns.createRun({
      runbook,
      params: shown,
      secretParams: secretNames,
      locks,
      startedBy: options.startedBy,
      through: options.through,
      leaseTo: { owner: this.owner, leaseMs: this.context.leaseMs },
    });
    if (secretNames.length > 0) this.context.secrets.set(run.id, Object.fromEntries(secretNames.map((k) => [k, params[k]!])));
    await this.audit(options.startedBy, "runbook.start", run.id, { runbook: runbook.name, params: shown, through: options.through });
    return run.id;
  }

  // ── driving ──────────────────────────────────────────────────────────────────────────────

  /**
   * Drives the run until it finishes or waits for something outside this call: an approval, a
   * decision, secret params, a lock (unless `waitForLocks`), or another executor holding it.
   * A child run is driven here too, then its parent. Returns the run as it then stands; a
   * waiting parent's `blockingRun` says which run is waiting for what.
   */
  async runUntilBlocked(runId: string, options: { waitForLocks?: boolean } = {}): Promise<RunbookRun> {
    for (;;) {
      const inFlight = this.driving.get(runId);
      let run: RunbookRun | undefined;
      if (inFlight) run = await inFlight.done;
      else {
        const claim = await this.store.runbookRuns.claimRun({ owner: this.owner, leaseMs: this.context.leaseMs, runId });
        run = claim ? await this.drive(claim) : await this.store.runbookRuns.getRun(runId);
      }
      if (!run) throw new RunNotFound(runId);
      if (run.status === "waiting_child" && run.waiting?.for === "child") {
        const child = await this.runUntilBlocked(run.waiting.runId, options);
        if (!isTerminal(child.status)) return run;
        continue; // the child's end queued the parent again: go on with it
      }
      if (run.status === "waiting_lock" && run.waiting?.for === "lock" && options.waitForLocks && !this.stopped) {
        await this.clock.sleep(Math.max(0, Date.parse(run.waiting.retryAt) - this.clock.now().getTime()));
        await this.store.runbookRuns.wakeRun(runId, ["waiting_lock"], { type: "run.woken", data: { reason: "retrying the lock" } });
        continue;
      }
      // Queued again already (a lock released, an approval given meanwhile): go on, unless shutting down.
      if (run.status === "queued" && !this.stopped) continue;
      return run;
    }
  }

  /** Drives the run in the background (the API's start); errors go to onError. */
  runInBackground(runId: string): void {
    this.track(this.runUntilBlocked(runId).catch((error: unknown) => this.onError(asError(error))));
  }

  /**
   * Claims runs nobody executes — queued ones, and running ones whose executor's lease ran out
   * (it was killed) — up to `concurrency`, and drives them in the background. Also wakes lock
   * waits and times out approvals whose timers were lost to a crash. The server calls it
   * periodically (`startPolling`); returns the ids it claimed.
   */
  async resumeOrphanedRuns(): Promise<string[]> {
    await this.sweep();
    const claimed: string[] = [];
    while (!this.stopped && this.driving.size < this.concurrency) {
      const claim = await this.store.runbookRuns.claimRun({ owner: this.owner, leaseMs: this.context.leaseMs });
      if (!claim) break;
      claimed.push(claim.run.id);
      this.track(this.drive(claim).catch((error: unknown) => this.onError(asError(error))));
    }
    return claimed;
  }

  startPolling(): void {
    if (this.polling || this.stopped) return;
    this.polling = true;
    this.schedulePoll(0);
  }

  /**
   * Stops claiming; each run being driven is given back to the queue at its next step boundary
   * (a step under way finishes first), so the next executor simply goes on with it.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.polling = false;
    clearTimeout(this.nextPoll);
    await this.idle();
  }

  /** Resolves when nothing is being driven in this process. */
  async idle(): Promise<void> {
    while (this.background.size > 0 || this.driving.size > 0) {
      await Promise.allSettled([...this.background, ...[...this.driving.values()].map((d) => d.done)]);
    }
  }

  /** The timers the engine relies on: approval timeouts and lock-wait retries. */
  registerTimers(loop: TimerLoop): void {
    loop.handle(approvalTimeoutTimer, async (timer) => {
      await this.timeOutApproval(String(timer.payload.approvalId));
    });
    loop.handle(lockWaitTimer, async (timer) => {
      const woken = await this.store.runbookRuns.wakeRun(String(timer.payload.runId), ["waiting_lock"], { type: "run.woken", data: { reason: "retrying the lock" } });
      if (woken) this.poke();
    });
  }

  // ── a person acts ────────────────────────────────────────────────────────────────────────

  /**
   * Continues a run from the CLI: gives back secret params (kept only in the memory of the
   * process that started it), then drives it like runUntilBlocked.
   */
  async resume(runId: string, options: { by: string; secrets?: Readonly<Record<string, ParamValue>>; waitForLocks?: boolean }): Promise<RunbookRun> {
    const run = await this.store.runbookRuns.getRun(runId);
    if (!run) throw new RunNotFound(runId);
    if (isTerminal(run.status)) throw new RunRefused(`run ${runId} has ended (${run.status}); there is nothing to resume`);
    if (options.secrets) {
      const unknown = Object.keys(options.secrets).filter((name) => !run.secretParams.includes(name));
      if (unknown.length > 0) {
        throw new RunRefused(
          `run ${runId} has no secret param ${unknown.map((n) => `"${n}"`).join(", ")}; ${run.secretParams.length ? `its secret params are ${run.secretParams.join(", ")}` : "it has no secret params"}`,
        );
      }
      this.context.secrets.set(runId, { ...this.context.secrets.get(runId), ...options.secrets });
    }
    if (run.status === "waiting_params") {
      const known = this.context.secrets.get(runId) ?? {};
      const missing = run.secretParams.filter((name) => known[name] === undefined);
      if (missing.length > 0) {
        throw new RunRefused(
          `run ${runId} needs its secret params again (they were kept only in the memory of the process that started it): resume it with ${missing.map((n) => `--param ${n}=…`).join(" ")}`,
        );
      }
      await this.store.runbookRuns.wakeRun(runId, ["waiting_params"], { type: "run.woken", data: { reason: "secret params given", by: options.by } });
    }
    await this.audit(options.by, "runbook.resume", runId, {});
    return this.runUntilBlocked(runId, options.waitForLocks ? { waitForLocks: true } : {});
  }

  /**
   * Asks the run to stop: the main step under way is aborted, `finally` runs, the locks are
   * released. A waiting run goes back to the queue for that; child runs are cancelled too.
   * Returns the run as it stands (a queued one needs an executor: the server's loop, or the
   * caller's runUntilBlocked).
   */
  async cancel(runId: string, by: string): Promise<RunbookRun> {
    const before = await this.store.runbookRuns.getRun(runId);
    if (!before) throw new RunNotFound(runId);
    if (isTerminal(before.status)) throw new RunRefused(`run ${runId} has ended (${before.status}); there is nothing to cancel`);
    await this.store.runbookRuns.requestCancel(runId, by);
    this.driving.get(runId)?.driver.cancel(by);
    for (const child of await this.store.runbookRuns.listRuns({ limit: 1000, parentRunId: runId })) {
      if (!isTerminal(child.status)) await this.cancel(child.id, by).catch((error: unknown) => (error instanceof RunRefused ? undefined : Promise.reject(error)));
    }
    await this.audit(by, "runbook.cancel", runId, {});
    this.poke();
    return (await this.store.runbookRuns.getRun(runId))!;
  }

  /**
   * A person's answer to the approval a run waits for at `stepId`. Refused (ApprovalRefused)
   * unless the person is allowed by the step, and, to approve, is not who started the run
   * (unless the step allows self_approval). The first decision wins.
   */
  async approve(
    runId: string,
    stepId: string,
    approver: Approver,
    decision: ApprovalDecision,
    through: RunThrough,
    comment?: string,
  ): Promise<ApprovalRecord> {
    const run = await this.store.runbookRuns.getRun(runId);
    if (!run) throw new RunNotFound(runId);
    const pending = (await this.store.runbookRuns.listApprovals({ runId, pending: true })).find((a) => a.stepId === stepId);
    if (!pending) {
      const decided = (await this.store.runbookRuns.listApprovals({ runId })).find((a) => a.stepId === stepId);
      if (decided?.decision) throw new RunRefused(alreadyDecided(decided));
      const waitingFor = run.waiting?.for === "approval" ? `; it waits for an approval of step "${run.waiting.stepId}"` : ` (it is ${run.status})`;
      throw new RunRefused(`run ${runId} is not waiting for an approval of step "${stepId}"${waitingFor}`);
    }
    await checkApprover(this.store.people, pending, approver, decision, run.startedBy);
    const result = await this.store.runbookRuns.decideApproval(pending.id, {
      decision,
      by: approver.personId,
      through,
      ...(comment ? { comment } : {}),
    });
    if (!result?.decided) throw new RunRefused(alreadyDecided(result?.approval ?? pending));
    await this.store.timers.cancel(approvalTimerKey(pending.id));
    await this.audit(approver.personId, decision === "approve" ? "runbook.approve" : "runbook.reject", runId, { stepId, through, ...(comment ? { comment } : {}) });
    this.poke();
    return result.approval;
  }

  /** A person's decision about an interrupted, non-idempotent step: retry it, skip it, or fail it. */
  async decide(runId: string, stepId: string, choice: StepDecision, by: string): Promise<RunbookRun> {
    const run = await this.store.runbookRuns.getRun(runId);
    if (!run) throw new RunNotFound(runId);
    if (run.status !== "waiting_decision" || run.waiting?.for !== "decision") {
      throw new RunRefused(`run ${runId} is not waiting for a decision (it is ${run.status})`);
    }
    if (run.waiting.stepId !== stepId) throw new RunRefused(`run ${runId} waits for a decision about step "${run.waiting.stepId}", not "${stepId}"`);
    if (!(await this.store.runbookRuns.decideStep(runId, { stepId, choice, by }))) {
      throw new RunRefused(`run ${runId}: someone decided about step "${stepId}" first`);
    }
    await this.audit(by, "runbook.decide", runId, { stepId, choice });
    this.poke();
    return (await this.store.runbookRuns.getRun(runId))!;
  }

  // ── reading ──────────────────────────────────────────────────────────────────────────────

  listRuns(options: Parameters<Store["runbookRuns"]["listRuns"]>[0]): Promise<RunbookRun[]> {
    return this.store.runbookRuns.listRuns(options);
  }

  async getRun(runId: string): Promise<RunDetail | undefined> {
    const runs = this.store.runbookRuns;
    const run = await runs.getRun(runId);
    if (!run) return undefined;
    const [steps, events, approvals, artifacts, children] = await Promise.all([
      runs.listSteps(runId),
      runs.listEvents(runId),
      runs.listApprovals({ runId }),
      runs.listArtifacts(runId),
      runs.listRuns({ limit: 1000, parentRunId: runId }),
    ]);
    return { run, steps, events, approvals, artifacts, children };
  }

  /** Approvals nobody has decided yet, newest first: the console's inbox. */
  pendingApprovals(limit = 100): Promise<ApprovalRecord[]> {
    return this.store.runbookRuns.listApprovals({ pending: true, limit });
  }

  /** The run that actually waits: the run itself, or the child (grandchild…) it waits for. */
  async blockingRun(runId: string): Promise<RunbookRun | undefined> {
    let run = await this.store.runbookRuns.getRun(runId);
    const seen = new Set<string>();
    while (run?.status === "waiting_child" && run.waiting?.for === "child" && !seen.has(run.id)) {
      seen.add(run.id);
      run = await this.store.runbookRuns.getRun(run.waiting.runId);
    }
    return run;
  }

  /**
   * Streams a run's events after `after` (a seq), in order, without gaps or repeats: at once
   * when they are written in this process, by polling `pollMs` when another process writes
   * them (the CLI's run seen from the server). Stops after `run.finished`, or when called.
   */
  watch(runId: string, listener: (event: RunEvent) => void, options: { after?: number; pollMs?: number } = {}): () => void {
    let last = options.after ?? 0;
    let stopped = false;
    let reading = false;
    let again = false;
    const stop = () => {
      stopped = true;
      clearInterval(timer);
      unsubscribe();
    };
    const read = async () => {
      if (reading) {
        again = true;
        return;
      }
      reading = true;
      try {
        do {
          again = false;
          for (const event of await this.store.runbookRuns.listEvents(runId, { after: last })) {
            if (stopped) return;
            last = event.seq;
            listener(event);
            if (event.type === "run.finished") return stop();
          }
        } while (again && !stopped);
      } catch (error) {
        this.onError(asError(error));
      } finally {
        reading = false;
      }
    };
    const unsubscribe = this.store.runbookRuns.onEvents((id) => {
      if (id === runId && !stopped) void read();
    });
    const timer = setInterval(() => void read(), options.pollMs ?? 1000).unref();
    void read();
    return stop;
  }

  // ── inside ───────────────────────────────────────────────────────────────────────────────

  private drive(claim: RunClaim): Promise<RunbookRun> {
    const runId = claim.run.id;
    // One driver per run in this process: a second claim of the same run (its lease ran out
    // while this process was stalled) fences the first out through the token anyway.
    this.driving.get(runId)?.driver.abandon();
    const driver = new RunDriver(this.context, claim);
    const done = driver.drive().finally(() => {
      if (this.driving.get(runId)?.driver === driver) this.driving.delete(runId);
    });
    this.driving.set(runId, { driver, done });
    return done;
  }

  private async timeOutApproval(approvalId: string): Promise<void> {
    const result = await this.store.runbookRuns.decideApproval(approvalId, { decision: "timeout", by: "system", through: "timeout" });
    if (result?.decided) {
      await this.audit("system", "runbook.approval-timeout", result.approval.runId, { stepId: result.approval.stepId });
      this.poke();
    }
  }

  /** What timers should have done, for runs whose timer was lost to a crash right after the run parked. */
  private async sweep(): Promise<void> {
    const now = this.clock.now().getTime();
    for (const run of await this.store.runbookRuns.listRuns({ limit: 100, status: ["waiting_lock"] })) {
      if (run.waiting?.for === "lock" && Date.parse(run.waiting.retryAt) + this.sweepGraceMs <= now) {
        await this.store.runbookRuns.wakeRun(run.id, ["waiting_lock"], { type: "run.woken", data: { reason: "retrying the lock" } });
      }
    }
    for (const approval of await this.store.runbookRuns.listApprovals({ pending: true, limit: 100 })) {
      if (approval.timeoutAt !== undefined && Date.parse(approval.timeoutAt) + this.sweepGraceMs <= now) await this.timeOutApproval(approval.id);
    }
  }

  private schedulePoll(delayMs: number): void {
    clearTimeout(this.nextPoll);
    // How often the store is asked, not a promise of the product: it does not keep the process alive.
    this.nextPoll = setTimeout(() => this.track(this.poll()), delayMs).unref();
  }

  private async poll(): Promise<void> {
    try {
      await this.resumeOrphanedRuns();
    } catch (error) {
      this.onError(new Error(`cannot look for runbook runs to resume: ${asError(error).message}`, { cause: error }));
    }
    if (this.polling && !this.stopped) this.schedulePoll(this.pollMs);
  }

  /** Something became runnable (an approval, a decision, a timer): look now rather than at the next poll. */
  private poke(): void {
    if (this.polling && !this.stopped) this.schedulePoll(0);
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.background.add(work);
    const forget = () => this.background.delete(work);
    work.then(forget, forget);
    return work;
  }

  private loadKind(kind: string): Promise<StepKind> {
    let loading = this.kinds.get(kind);
    if (!loading) {
      const load = this.options.stepKinds[kind];
      loading = load ? load() : Promise.reject(new Error(`no step kind "${kind}" is installed`));
      // A failed load is not cached: the next step tries again.
      loading.catch(() => this.kinds.delete(kind));
      this.kinds.set(kind, loading);
    }
    return loading;
  }

  /** The runbooks `runbook` steps call, transitively, for the plan. */
  private async calledRunbooks(runbook: Runbook): Promise<Map<string, Runbook>> {
    const found = new Map<string, Runbook>();
    const visit = async (current: Runbook) => {
      for (const step of [...current.steps, ...current.rollback, ...current.finally]) {
        if (step.kind !== "runbook" || found.has(step.spec.name) || step.spec.name === runbook.name) continue;
        const callee = await this.context.findRunbook(step.spec.name);
        if (!callee) continue;
        found.set(callee.name, callee);
        await visit(callee);
      }
    };
    await visit(runbook);
    return found;
  }

  private async audit(actor: string, action: string, runId: string, details: Record<string, unknown>): Promise<void> {
    await this.store.audit.append({ actor, action, subject: `runbook-run:${runId}`, details });
  }
}

/** The kinds a runbook's steps (and their wait probes) need loaded. */
function kindsUsed(runbooks: Runbook[]): Set<string> {
  const kinds = new Set<string>();
  for (const runbook of runbooks) {
    for (const step of [...runbook.steps, ...runbook.rollback, ...runbook.finally]) {
      kinds.add(step.kind);
      if (step.kind === "wait") {
        const probe = parseProbe(step.spec.probe, step.id).step;
        if (probe) kinds.add(probe.kind);
      }
    }
  }
  for (const own of ["check", "wait", "approve", "runbook"]) kinds.delete(own);
  return kinds;
}

/** Every configured password, token or URL with credentials: redacted like secret params. */
function configSecrets(config: Config): string[] {
  const found = new Set<string>();
  const seen = new Set<unknown>();
  const walk = (value: unknown) => {
    if (value instanceof Secret) {
      const revealed = value.reveal();
      if (revealed) found.add(revealed);
      return;
    }
    if (typeof value !== "object" || value === null || seen.has(value)) return;
    seen.add(value);
    for (const item of Array.isArray(value) ? value : Object.values(value)) walk(item);
  };
  walk(config);
  return [...found];
}

function alreadyDecided(approval: ApprovalRecord): string {
  const how = approval.decision === "timeout" ? "timed out" : approval.decision === "cancelled" ? `was cancelled by ${approval.decidedBy}` : `was ${approval.decision === "approve" ? "approved" : "rejected"} by ${approval.decidedBy}`;
  return `step "${approval.stepId}" of run ${approval.runId} ${how} at ${approval.decidedAt}${approval.through && approval.through !== "timeout" ? ` through the ${approval.through}` : ""}; it cannot be decided again`;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
