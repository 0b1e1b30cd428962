import { randomUUID } from "node:crypto";
import type { Config } from "../../config/load.js";
import { formatDuration } from "../../config/duration.js";
import { worst, type Status } from "../../domain/checks/verdict.js";
import { renderTemplate, toText, type Scope } from "../../domain/runbooks/expressions.js";
import { parseProbe } from "../../domain/runbooks/probe.js";
import { redact, renderLocks, renderStep, secretsOf } from "../../domain/runbooks/render.js";
import {
  afterCancel,
  afterStep,
  isTerminal,
  settle,
  type Next,
  type Phase,
  type PhaseLengths,
  type Position,
  type StepEnd,
} from "../../domain/runbooks/run-state.js";
import type { Runbook, Step, StepSpec } from "../../domain/runbooks/schema.js";
import { resolveParams, type ParamValue } from "../../domain/runbooks/validate.js";
import {
  RunCancelRequested,
  RunLeaseLost,
  type RecordedAction,
  type RunbookRun,
  type RunClaim,
  type StepEndRecord,
  type StepRecord,
  type StepRef,
  type Store,
} from "../../store/store.js";
import type { Clock } from "./clock.js";
import { StepFailure, type RenderedAction, type StepContext, type StepKind, type StepResult } from "./step-kind.js";
import { StepOutput } from "./step-output.js";

export const approvalTimeoutTimer = "runbook-approval-timeout";
export const lockWaitTimer = "runbook-lock-wait";
export const approvalTimerKey = (approvalId: string) => `runbook-approval:${approvalId}`;
export const lockTimerKey = (runId: string) => `runbook-lock:${runId}`;

/** How long an aborted step gets to stop (kill its processes, close its connections) before the run moves on. */
const abortGraceMs = 5000;
/** Lines of an interrupted step's output shown as evidence to the person deciding. */
const evidenceLines = 20;

/** What a driver needs from the executor that owns it. */
export interface DriverContext {
  store: Store;
  config: Config;
  clock: Clock;
  owner: string;
  leaseMs: number;
  heartbeatMs: number;
  lockRetryMs: number;
  defaultStepTimeoutMs: number;
  loadKind(kind: string): Promise<StepKind>;
  findRunbook(name: string): Promise<Runbook | undefined>;
  /** Secret param values of a run, kept in this process's memory only. */
  secrets: Map<string, Record<string, ParamValue>>;
  /** Configured passwords: redacted like secret params. */
  configSecrets: readonly string[];
  /** The executor is shutting down: give runs back between steps. */
  stopping(): boolean;
  onError(error: Error): void;
  /** The process's own log (pino under `gameops up`), for step kinds that write there. */
  processLog?: (message: string, fields: Record<string, unknown>) => void;
}

/** Thrown into a step's signal at its timeout; named as the step kinds expect. */
class StepTimeout extends Error {
  constructor(readonly ms: number) {
    super(`no result within ${formatDuration(ms)} (the step's timeout)`);
    this.name = "TimeoutError";
  }
}

/** Thrown into a step's signal when a person cancels the run. */
class StepCancelled extends Error {
  constructor(readonly by: string) {
    super(`cancelled by ${by}`);
    this.name = "StepCancelled";
  }
}

type Flow = "next" | "parked";

/**
 * Drives one claimed run until it finishes or waits. Everything it decides is committed before
 * it acts on it, in this order for each step:
 *
 *   1. the attempt is written `running`, with its rendered action (recordStepStarted);
 *   2. the step executes;
 *   3. its end and where the run goes next are written in one commit (recordStepFinished).
 *
 * So after a crash the store says exactly one of: the step had not started (run it), it had
 * finished (never run it again), or it was under way (interrupted: re-run only if idempotent,
 * otherwise a person decides). Every write carries the lease token; a driver whose lease was
 * taken over fails its next write and stops.
 */
export class RunDriver {
  private run: RunbookRun;
  private readonly token: string;
  private readonly definition: Runbook;
  private readonly lengths: PhaseLengths;
  private position: Position;
  /** Every attempt of every step of this run, kept in step with what was committed. */
  private records: StepRecord[] = [];
  private cancelledBy: string | undefined;
  private current: { controller: AbortController; phase: Phase } | undefined;
  /** Aborted on cancel and on a lost lease: ends backoff sleeps and polls. */
  private readonly interrupt = new AbortController();
  private readonly takenOverFrom: string | undefined;

  constructor(
    private readonly ctx: DriverContext,
    claim: RunClaim,
  ) {
    this.run = claim.run;
    this.token = claim.token;
    this.takenOverFrom = claim.takenOver?.owner;
    this.definition = claim.run.definition;
    this.lengths = { main: this.definition.steps.length, rollback: this.definition.rollback.length, finally: this.definition.finally.length };
    this.position = { phase: claim.run.phase, cursor: claim.run.cursor, outcome: claim.run.outcome, ...(claim.run.failedStep ? { failedStep: claim.run.failedStep } : {}) };
    if (claim.run.cancelRequested) this.cancelledBy = claim.run.cancelRequested.by;
  }

  get runId(): string {
    return this.run.id;
  }

  /** A cancel seen in this process: stops the main step under way at once. */
  cancel(by: string): void {
    this.cancelledBy ??= by;
    if (this.current?.phase === "main") this.current.controller.abort(new StepCancelled(this.cancelledBy));
    this.interrupt.abort(new StepCancelled(this.cancelledBy));
  }

  /** Another drive of this run took over in this process: stop at once, like a lost lease. */
  abandon(): void {
    this.current?.controller.abort(new RunLeaseLost(this.run.id));
    this.interrupt.abort(new RunLeaseLost(this.run.id));
  }

  async drive(): Promise<RunbookRun> {
    const heartbeat = setInterval(() => void this.beat(), this.ctx.heartbeatMs).unref();
    try {
      this.records = await this.ctx.store.runbookRuns.listSteps(this.run.id);
      await this.loop();
    } catch (error) {
      // Another executor has the run now; what this one did not commit did not happen.
      if (!(error instanceof RunLeaseLost)) throw error;
      this.ctx.onError(error);
    } finally {
      clearInterval(heartbeat);
      this.current?.controller.abort(new RunLeaseLost(this.run.id));
    }
    return (await this.ctx.store.runbookRuns.getRun(this.run.id))!;
  }

  // ── the run ──────────────────────────────────────────────────────────────────────────────

  private async loop(): Promise<void> {
    const runs = this.ctx.store.runbookRuns;
    if (this.cancelledBy !== undefined && this.records.length === 0) return this.finish("cancelled");
    if (this.run.secretParams.length > 0 && !this.ctx.secrets.has(this.run.id)) {
      const names = this.run.secretParams;
      // Without them `finally` cannot be rendered either: end it, saying so, rather than wait for ever.
      if (this.cancelledBy !== undefined) return this.finish("cancelled", `finally did not run: the secret params (${names.join(", ")}) were not available`);
      await runs.parkRun(this.run.id, this.token, { status: "waiting_params", waiting: { for: "params", names } });
      return;
    }
    if (!(await this.takeLocks())) return;
    for (;;) {
      const next = settle(this.position, this.lengths);
      if (next.done) return this.finish(next.outcome);
      if (!samePosition(next.position, this.position)) {
        this.position = next.position;
        await runs.moveRun(this.run.id, this.token, this.position);
      }
      if (this.cancelledBy !== undefined && this.position.phase === "main") {
        await this.cancelHere(this.cancelledBy);
        continue;
      }
      if (this.ctx.stopping()) {
        // Between two steps: nothing is under way, so the next executor simply goes on.
        await runs.parkRun(this.run.id, this.token, { status: "queued" });
        return;
      }
      if ((await this.stepAt(this.position)) === "parked") return;
    }
  }

  /**
   * Takes the run's locks (all or none). Asked on every claim: names it holds already are
   * its own, so a resumed run takes them again at no cost; they are released only by its end.
   */
  private async takeLocks(): Promise<boolean> {
    const { run } = this;
    if (run.locks.length === 0) return true;
    const result = await this.ctx.store.runbookRuns.acquireLocks(run.id, this.token, run.locks, await this.ancestors());
    if (result.acquired) return true;
    const holder = await this.ctx.store.runbookRuns.getRun(result.heldBy);
    const heldBy = `run ${result.heldBy}${holder ? ` (${holder.runbook}, started by ${holder.startedBy})` : ""}`;
    const wait = this.definition.lock_wait;
    if (wait === "fail") {
      await this.finish("failed", `lock "${result.lock}" is held by ${heldBy}; this runbook does not wait for locks (lock_wait: fail)`);
      return false;
    }
    // The wait counts from the first claim, so waking and re-waiting never extends it.
    const now = this.ctx.clock.now().getTime();
    const until = Date.parse(run.startedAt ?? run.createdAt) + wait;
    if (now >= until) {
      await this.finish("failed", `lock "${result.lock}" is still held by ${heldBy} after ${formatDuration(wait)} (lock_wait)`);
      return false;
    }
    const retryAt = Math.min(now + this.ctx.lockRetryMs, until);
    try {
      await this.ctx.store.runbookRuns.parkRun(run.id, this.token, {
        status: "waiting_lock",
        waiting: { for: "lock", lock: result.lock, heldBy: result.heldBy, retryAt: new Date(retryAt).toISOString(), until: new Date(until).toISOString() },
      });
    } catch (error) {
      // Cancelled while it was trying: nothing ran, so there is nothing to clean up.
      if (!(error instanceof RunCancelRequested)) throw error;
      await this.refreshCancel();
      await this.finish("cancelled");
      return false;
    }
    // After the park, so the timer can never fire before there is a wait to end. A crash in
    // between leaves a waiting run without a timer: the executor's sweep wakes those.
    await this.ctx.store.timers.schedule({ kind: lockWaitTimer, key: lockTimerKey(run.id), dueAt: new Date(retryAt), payload: { runId: run.id } });
    return false;
  }

  private async finish(outcome: Position["outcome"], error?: string): Promise<void> {
    const failedStep = this.position.failedStep;
    const reason = error ?? (outcome === "succeeded" ? undefined : this.failureOf(failedStep));
    this.run = await this.ctx.store.runbookRuns.finishRun(this.run.id, this.token, {
      status: outcome,
      ...(failedStep ? { failedStep } : {}),
      ...(reason ? { error: reason } : {}),
    });
    this.ctx.secrets.delete(this.run.id);
  }

  private failureOf(stepId: string | undefined): string | undefined {
    if (stepId === undefined) return this.cancelledBy === undefined ? undefined : `cancelled by ${this.cancelledBy}`;
    const attempt = this.records.filter((r) => r.stepId === stepId).at(-1);
    return attempt?.error === undefined ? `step "${stepId}" ${attempt?.status ?? "failed"}` : `step "${stepId}": ${attempt.error}`;
  }

  /** A cancel reached a main step: close whatever attempt is open there, then `finally`. */
  private async cancelHere(by: string): Promise<void> {
    const step = this.stepOf(this.position);
    const last = this.attemptsAt(this.position).at(-1);
    if (last?.status === "running") {
      // An approval or a child run it was waiting for, or an attempt interrupted by a crash.
      await this.endStep(step, { ...this.ref(last.attempt), status: "cancelled", error: `cancelled by ${by}` });
    } else if (last?.status === "interrupted" && last.decision === undefined) {
      const move = positionOf(afterCancel(this.position, this.lengths), this.lengths);
      await this.ctx.store.runbookRuns.settleInterrupted(this.run.id, this.token, this.ref(last.attempt), { status: "failed", error: `interrupted, then cancelled by ${by}` }, move);
      this.update(this.ref(last.attempt), { status: "failed", error: `interrupted, then cancelled by ${by}` });
      this.position = move;
    } else {
      this.position = positionOf(afterCancel(this.position, this.lengths), this.lengths);
      await this.ctx.store.runbookRuns.moveRun(this.run.id, this.token, this.position);
    }
  }

  // ── one step ─────────────────────────────────────────────────────────────────────────────

  private async stepAt(position: Position): Promise<Flow> {
    const step = this.stepOf(position);
    const last = this.attemptsAt(position).at(-1);
    if (!last) return this.attempt(step, 1);
    switch (last.status) {
      case "running":
        // Found under way when this executor claimed the run. approve and runbook steps were
        // waiting, not executing: they carry on with the same attempt.
        if (step.kind === "approve" || step.kind === "runbook") return this.resumeWaitingStep(step, last.attempt);
        return this.interrupted(step, last);
      case "interrupted":
        return this.afterDecision(step, last);
      case "failed": {
        // A failure that ended the step moved the run in the same commit; still being here
        // means a retry was due. Wait out what is left of its backoff.
        const delay = backoffMs(step, last.attempt) - (this.ctx.clock.now().getTime() - Date.parse(last.finishedAt ?? last.startedAt));
        if (delay > 0 && !(await this.sleep(delay))) return "next";
        return this.attempt(step, last.attempt + 1);
      }
      default:
        // A finished attempt whose move was not committed cannot happen (one commit); moving on is right if it did.
        return this.endStepMove(last.status === "cancelled" ? { status: "cancelled", stepId: step.id } : { status: "succeeded" }, undefined);
    }
  }

  private async interrupted(step: Step, last: StepRecord): Promise<Flow> {
    const ref = this.ref(last.attempt);
    const evidence = {
      ...(last.action ? { action: last.action } : {}),
      startedAt: last.startedAt,
      lastOutput: await this.lastOutput(step.id, last.attempt),
      ...(this.takenOverFrom ? { executor: this.takenOverFrom } : {}),
    };
    await this.ctx.store.runbookRuns.markStepInterrupted(this.run.id, this.token, ref, evidence);
    this.update(ref, { status: "interrupted" });
    // check and wait only read, and the runbook vouches for steps marked idempotent.
    if (step.idempotent === true || step.kind === "check" || step.kind === "wait") return this.attempt(step, last.attempt + 1);
    return this.waitForDecision(step, ref, evidence);
  }

  private async waitForDecision(step: Step, ref: StepRef, evidence?: Record<string, unknown>): Promise<Flow> {
    try {
      await this.ctx.store.runbookRuns.parkRun(this.run.id, this.token, {
        status: "waiting_decision",
        waiting: { for: "decision", stepId: step.id, ...ref },
        event: {
          type: "run.waiting",
          stepId: step.id,
          data: {
            status: "waiting_decision",
            reason: `step "${step.id}" was interrupted and is not marked idempotent: decide whether to retry it, skip it or fail it`,
            ...(evidence ? { evidence } : {}),
          },
        },
      });
    } catch (error) {
      if (!(error instanceof RunCancelRequested)) throw error;
      await this.refreshCancel();
      return "next";
    }
    return "parked";
  }

  private async afterDecision(step: Step, last: StepRecord): Promise<Flow> {
    const ref = this.ref(last.attempt);
    const decision = last.decision;
    if (!decision) return this.waitForDecision(step, ref);
    if (decision.choice === "retry") return this.attempt(step, last.attempt + 1);
    const status = decision.choice === "skip" ? "skipped" : "failed";
    const error = `interrupted; ${decision.by} decided to ${decision.choice} it`;
    const end: StepEnd = status === "skipped" ? { status } : { status, stepId: step.id, onFailure: step.on_failure };
    const move = positionOf(afterStep(this.position, this.lengths, end), this.lengths);
    await this.ctx.store.runbookRuns.settleInterrupted(this.run.id, this.token, ref, { status, error }, move);
    this.update(ref, { status, error });
    this.position = move;
    return "next";
  }

  private async attempt(step: Step, n: number): Promise<Flow> {
    const scope = this.scope();
    // Decided once, at the first attempt: a retry re-runs the step, it does not re-ask whether to.
    if (n === 1 && step.when !== undefined) {
      let value: unknown;
      try {
        value = renderTemplate(step.when, scope);
      } catch (error) {
        return this.failBeforeStart(step, n, `when: ${messageOf(error)}`);
      }
      if (!truthy(value)) {
        const move = positionOf(afterStep(this.position, this.lengths, { status: "skipped" }), this.lengths);
        const ref = this.ref(n);
        await this.ctx.store.runbookRuns.recordStepSkipped(this.run.id, this.token, { ...ref, stepId: step.id, kind: step.kind, reason: `when ${step.when} is false` }, move);
        this.records.push({ runId: this.run.id, ...ref, stepId: step.id, kind: step.kind, status: "skipped", startedAt: this.nowIso(), finishedAt: this.nowIso() });
        this.position = move;
        return "next";
      }
    }
    let rendered: Step;
    try {
      rendered = renderStep(step, scope);
    } catch (error) {
      return this.failBeforeStart(step, n, messageOf(error));
    }
    if (rendered.kind === "approve") return this.approve(rendered, n, true);
    if (rendered.kind === "runbook") return this.child(rendered, n, true);
    return this.execute(step, rendered, n);
  }

  private async resumeWaitingStep(step: Step, n: number): Promise<Flow> {
    let rendered: Step;
    try {
      rendered = renderStep(step, this.scope());
    } catch (error) {
      return this.endStep(step, { ...this.ref(n), status: "failed", error: messageOf(error) });
    }
    if (rendered.kind === "approve") return this.approve(rendered, n, false);
    if (rendered.kind === "runbook") return this.child(rendered, n, false);
    throw new Error(`step "${step.id}" is a ${rendered.kind} step, not one that waits`);
  }

  /** A step that cannot even start (its `when` or a template is broken) still leaves an attempt on record. */
  private async failBeforeStart(step: Step, n: number, message: string): Promise<Flow> {
    await this.started(step, n, { summary: `(not started) ${this.redactText(message)}`, destructive: false });
    return this.endStep(step, { ...this.ref(n), status: "failed", error: message });
  }

  private async execute(step: Step, rendered: Step, n: number): Promise<Flow> {
    const ref = this.ref(n);
    let kind: StepKind | undefined;
    let action: RenderedAction;
    try {
      if (rendered.kind === "check") action = describeCheck(rendered.spec);
      else if (rendered.kind === "wait") action = await this.describeWait(rendered);
      else {
        kind = await this.ctx.loadKind(rendered.kind);
        action = kind.describe(rendered.spec as never, this.ctx.config);
      }
    } catch (error) {
      return this.failBeforeStart(step, n, messageOf(error));
    }
    await this.started(step, n, { ...action, destructive: step.destructive ?? action.destructive });

    const controller = new AbortController();
    this.current = { controller, phase: this.position.phase };
    if (this.cancelledBy !== undefined && this.position.phase === "main") controller.abort(new StepCancelled(this.cancelledBy));
    const timeoutMs = rendered.timeout ?? (rendered.kind === "wait" ? undefined : this.ctx.defaultStepTimeoutMs);
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => controller.abort(new StepTimeout(timeoutMs)), timeoutMs).unref();
    const output = new StepOutput({
      stepId: step.id,
      attempt: n,
      redact: (text) => this.redactText(text),
      write: (events) => this.ctx.store.runbookRuns.appendEvents(this.run.id, events, this.token),
      onWriteFailure: (error) => controller.abort(error),
    });
    const context: StepContext = {
      config: this.ctx.config,
      store: this.ctx.store,
      signal: controller.signal,
      run: { id: this.run.id, runbook: this.run.runbook, startedBy: this.run.startedBy },
      step: { id: step.id, attempt: n },
      log: (line) => output.log(line),
      ...(this.ctx.processLog ? { processLog: (message: string, fields: Record<string, unknown>) => this.ctx.processLog!(this.redactText(message), this.redactDeep(fields)) } : {}),
      saveArtifact: async (name, data, contentType) =>
        (
          await this.ctx.store.runbookRuns.saveArtifact({
            runId: this.run.id,
            stepId: step.id,
            name,
            contentType,
            data: typeof data === "string" ? new TextEncoder().encode(data) : data,
          })
        ).id,
      now: () => this.ctx.clock.now(),
    };

    let end: StepEndRecord;
    let retryable = false;
    try {
      const result = await settleWithin(this.perform(rendered, kind, context, output), controller.signal, abortGraceMs);
      end = { ...ref, status: "succeeded", outputs: this.redactDeep(result.outputs), ...(result.exitCode === undefined ? {} : { exitCode: result.exitCode }) };
    } catch (error) {
      const reason: unknown = controller.signal.aborted ? controller.signal.reason : error;
      if (reason instanceof RunLeaseLost) throw reason;
      if (reason instanceof StepCancelled) {
        end = { ...ref, status: "cancelled", error: reason.message };
      } else {
        const failure = error instanceof StepFailure ? error : undefined;
        const message = reason instanceof StepTimeout ? `${reason.message}${failure ? `: ${failure.message}` : ""}` : messageOf(error);
        end = {
          ...ref,
          status: "failed",
          error: this.redactText(message),
          ...(failure?.options.exitCode === undefined ? {} : { exitCode: failure.options.exitCode }),
          ...(failure?.options.outputs === undefined ? {} : { outputs: this.redactDeep(failure.options.outputs) }),
        };
        // Retried only when the kind says it may help; a timed-out step did who knows how much,
        // so it is tried again only when the runbook says it is idempotent.
        retryable = failure?.options.retryable === true && (!(reason instanceof StepTimeout) || step.idempotent === true);
      }
    } finally {
      clearTimeout(timer);
      this.current = undefined;
    }
    await output.close();
    const text = output.text();
    if (text !== undefined) end.output = text;

    const attempts = step.retries?.attempts ?? 1;
    if (end.status === "failed" && retryable && n < attempts) {
      const delay = backoffMs(step, n);
      await this.ctx.store.runbookRuns.recordStepFinished(this.run.id, this.token, end, undefined, { retryInMs: delay, attemptsLeft: attempts - n });
      this.update(ref, end);
      // The next pass finds this failed attempt and waits out the backoff (also after a crash).
      return "next";
    }
    return this.endStep(step, end);
  }

  private async perform(rendered: Step, kind: StepKind | undefined, context: StepContext, output: StepOutput): Promise<StepResult> {
    switch (rendered.kind) {
      case "check":
        return this.runCheck(rendered.spec, context);
      case "wait":
        return this.runWait(rendered, context, output);
      default:
        return kind!.execute(this.specToRun(rendered) as never, context);
    }
  }

  /** A script never has params spliced into its text: they reach it as GAMEOPS_PARAM_<NAME> variables. */
  private specToRun(step: Step): unknown {
    if (step.kind !== "shell") return step.spec;
    const spec = step.spec;
    return !Array.isArray(spec) && "script" in spec ? { ...spec, env: { ...this.paramEnv(), ...spec.env } } : spec;
  }

  private async runCheck(spec: StepSpec<"check">, context: StepContext): Promise<StepResult> {
    const { runChecks, UnknownCheckError } = await import("../health/run-checks.js");
    let report;
    try {
      report = await runChecks(this.ctx.config, { ...(spec.only ? { only: spec.only } : {}), now: () => this.ctx.clock.now() });
    } catch (error) {
      if (error instanceof UnknownCheckError) throw new StepFailure(error.message, { retryable: false, cause: error });
      throw error;
    }
    for (const check of report.checks) context.log(`${check.name}: ${check.status} — ${check.summary}`);
    const outputs = {
      status: report.status,
      checks: Object.fromEntries(report.checks.map((c) => [c.name, { status: c.status, summary: c.summary }])),
    };
    // At or past the verdict the step fails at (Nagios order: ok, warning, unknown, critical).
    if (worst([report.status, spec.fail_on as Status]) === report.status) {
      const bad = report.checks.filter((c) => c.status !== "ok" && c.status !== "skipped").map((c) => `${c.name} ${c.status}: ${c.summary}`);
      // A verdict can change: retries (when the step has them) ask again.
      throw new StepFailure(`health is ${report.status} (the step fails at ${spec.fail_on})${bad.length ? `: ${bad.join("; ")}` : ""}`, { retryable: true, outputs });
    }
    return { outputs };
  }

  /** Polls the probe every `every` until `until` holds or the deadline passes, counted from the step's first attempt. */
  private async runWait(rendered: Step & { kind: "wait" }, context: StepContext, output: StepOutput): Promise<StepResult> {
    const spec = rendered.spec;
    const { step: probe, issues } = parseProbe(spec.probe, rendered.id);
    if (!probe) throw new StepFailure(`the rendered probe is not a valid step body: ${describeProbeIssues(issues)}`, { retryable: false });
    const first = this.attemptsAt(this.position)[0];
    const deadline = Date.parse(first?.startedAt ?? this.nowIso()) + spec.deadline;
    const kind = probe.kind === "check" ? undefined : await this.ctx.loadKind(probe.kind);
    for (let polls = 1; ; polls++) {
      let outputs: Record<string, unknown> | undefined;
      try {
        const result = probe.kind === "check" ? await this.runCheck(probe.spec, context) : await kind!.execute(this.specToRun(probe) as never, context);
        outputs = result.outputs;
      } catch (error) {
        // A probe that fails for a passing reason is just not true yet; any other failure ends the wait.
        if (!(error instanceof StepFailure && error.options.retryable) || context.signal.aborted) throw error;
        output.log(`probe ${polls}: ${error.message}`);
      }
      if (outputs !== undefined) {
        const value = renderTemplate(spec.until, { ...this.scope(), probe: outputs });
        output.log(`probe ${polls}: ${spec.until} is ${toText(value) || "false"} (${boundedJson(outputs)})`);
        if (truthy(value)) return { outputs: { ...outputs, polls } };
      }
      if (this.ctx.clock.now().getTime() + spec.every > deadline) {
        throw new StepFailure(`${spec.until} was still not true after ${formatDuration(spec.deadline)}${outputs ? `; last probe: ${boundedJson(outputs)}` : ""}`, {
          retryable: false,
          outputs: { ...(outputs ?? {}), polls },
        });
      }
      await this.ctx.clock.sleep(spec.every, context.signal);
    }
  }

  private async describeWait(rendered: Step & { kind: "wait" }): Promise<RenderedAction> {
    const spec = rendered.spec;
    const { step: probe, issues } = parseProbe(spec.probe, rendered.id);
    if (!probe) throw new Error(`the rendered probe is not a valid step body: ${describeProbeIssues(issues)}`);
    const probeAction = probe.kind === "check" ? describeCheck(probe.spec) : (await this.ctx.loadKind(probe.kind)).describe(probe.spec as never, this.ctx.config);
    return {
      summary: `wait until ${spec.until}, probing every ${formatDuration(spec.every)} for at most ${formatDuration(spec.deadline)}: ${probeAction.summary}`,
      detail: { until: spec.until, every: spec.every, deadline: spec.deadline, probe: probeAction },
      ...(probeAction.target === undefined ? {} : { target: probeAction.target }),
      destructive: false,
    };
  }

  // ── steps that wait for someone ──────────────────────────────────────────────────────────

  private async approve(rendered: Step & { kind: "approve" }, n: number, first: boolean): Promise<Flow> {
    const spec = rendered.spec;
    const ref = this.ref(n);
    const runs = this.ctx.store.runbookRuns;
    const prompt = this.redactText(spec.prompt);
    if (first) {
      await this.started(rendered, n, {
        summary: `approval: "${prompt}"`,
        detail: { approvers: spec.approvers, selfApproval: spec.self_approval, ...(spec.timeout === undefined ? {} : { timeout: spec.timeout }), onTimeout: spec.on_timeout },
        destructive: false,
      });
    }
    let approval = await runs.approvalFor(this.run.id, ref);
    if (!approval) {
      const id = randomUUID();
      const timeoutAt = spec.timeout === undefined ? undefined : new Date(this.ctx.clock.now().getTime() + spec.timeout);
      try {
        await runs.requestApproval(this.run.id, this.token, {
          ...ref,
          id,
          stepId: rendered.id,
          prompt,
          approvers: spec.approvers,
          selfApproval: spec.self_approval,
          onTimeout: spec.on_timeout,
          ...(timeoutAt ? { timeoutAt } : {}),
        });
      } catch (error) {
        if (!(error instanceof RunCancelRequested)) throw error;
        await this.refreshCancel();
        return "next";
      }
      // After the commit: a timer must not fire for an approval that does not exist. If this
      // process dies in between, the executor's sweep times the approval out from its row.
      if (timeoutAt) await this.ctx.store.timers.schedule({ kind: approvalTimeoutTimer, key: approvalTimerKey(id), dueAt: timeoutAt, payload: { runId: this.run.id, approvalId: id } });
      return "parked";
    }
    if (approval.decision === undefined && approval.timeoutAt !== undefined && Date.parse(approval.timeoutAt) <= this.ctx.clock.now().getTime()) {
      approval = (await runs.decideApproval(approval.id, { decision: "timeout", by: "system", through: "timeout" }))?.approval ?? approval;
    }
    switch (approval.decision) {
      case undefined:
        try {
          await runs.parkRun(this.run.id, this.token, { status: "waiting_approval", waiting: { for: "approval", approvalId: approval.id, stepId: rendered.id } });
        } catch (error) {
          if (!(error instanceof RunCancelRequested)) throw error;
          await this.refreshCancel();
          return "next";
        }
        return "parked";
      case "approve":
        return this.endStep(rendered, {
          ...ref,
          status: "succeeded",
          outputs: { decision: "approve", by: approval.decidedBy, through: approval.through, ...(approval.comment ? { comment: approval.comment } : {}) },
        });
      case "reject":
        return this.endStep(rendered, {
          ...ref,
          status: "failed",
          error: `rejected by ${approval.decidedBy}${approval.comment ? `: ${approval.comment}` : ""}`,
          outputs: { decision: "reject", by: approval.decidedBy, through: approval.through },
        });
      case "timeout":
        if (spec.on_timeout === "continue") {
          return this.endStep(rendered, { ...ref, status: "skipped", outputs: { decision: "timeout" }, error: `no decision within ${formatDuration(spec.timeout ?? 0)}; the step lets the run go on (on_timeout: continue)` });
        }
        return this.endStep(rendered, {
          ...ref,
          status: "failed",
          outputs: { decision: "timeout" },
          error: `no decision within ${formatDuration(spec.timeout ?? 0)}; the step aborts the run then (on_timeout: abort)`,
        });
      case "cancelled":
        return this.endStep(rendered, { ...ref, status: "cancelled", error: `cancelled by ${approval.decidedBy}` });
    }
  }

  /** A `runbook` step: a child run; this run waits for it and takes its end as the step's. */
  private async child(rendered: Step & { kind: "runbook" }, n: number, first: boolean): Promise<Flow> {
    const spec = rendered.spec;
    const ref = this.ref(n);
    const runs = this.ctx.store.runbookRuns;
    if (first) {
      const args = Object.entries(spec.params).map(([k, v]) => `${k}=${toText(v)}`);
      await this.started(rendered, n, { summary: `run runbook ${spec.name}${args.length ? ` with ${args.join(" ")}` : ""}`, detail: { name: spec.name, params: spec.params }, destructive: false });
    }
    const existing = (await runs.listRuns({ limit: 1000, parentRunId: this.run.id })).find(
      (c) => c.parent?.phase === ref.phase && c.parent.position === ref.position && c.parent.attempt === ref.attempt,
    );
    if (!existing) {
      const callee = await this.ctx.findRunbook(spec.name);
      if (!callee) return this.endStep(rendered, { ...ref, status: "failed", error: `no runbook named "${spec.name}"` });
      let params: Record<string, ParamValue>;
      let locks: string[];
      try {
        params = resolveParams(callee, spec.params as Record<string, ParamValue>);
        locks = renderLocks(callee, { params, run: { startedBy: this.run.startedBy } });
      } catch (error) {
        return this.endStep(rendered, { ...ref, status: "failed", error: this.redactText(messageOf(error)) });
      }
      const secretNames = Object.keys(callee.params).filter((name) => callee.params[name]!.secret && params[name] !== undefined);
      try {
        const { run: childRun } = await runs.createRun({
          runbook: callee,
          params: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, secretNames.includes(k) ? "<secret>" : v])),
          secretParams: secretNames,
          locks,
          startedBy: this.run.startedBy,
          through: "runbook",
          parent: { runId: this.run.id, token: this.token, stepId: rendered.id, ...ref },
        });
        if (secretNames.length > 0) this.ctx.secrets.set(childRun.id, Object.fromEntries(secretNames.map((k) => [k, params[k]!])));
      } catch (error) {
        if (!(error instanceof RunCancelRequested)) throw error;
        await this.refreshCancel();
        return "next";
      }
      return "parked";
    }
    if (!isTerminal(existing.status)) {
      try {
        await runs.parkRun(this.run.id, this.token, { status: "waiting_child", waiting: { for: "child", runId: existing.id, stepId: rendered.id } });
      } catch (error) {
        if (!(error instanceof RunCancelRequested)) throw error;
        await this.refreshCancel();
        return "next";
      }
      return "parked";
    }
    if (existing.status === "succeeded") {
      const outputs: Record<string, unknown> = {};
      for (const record of await runs.listSteps(existing.id)) if (record.outputs) outputs[record.stepId] = record.outputs;
      return this.endStep(rendered, { ...ref, status: "succeeded", outputs: { runId: existing.id, status: existing.status, steps: outputs } });
    }
    return this.endStep(rendered, {
      ...ref,
      status: "failed",
      outputs: { runId: existing.id, status: existing.status },
      error: `runbook ${spec.name} ended ${existing.status} (run ${existing.id})${existing.error ? `: ${existing.error}` : ""}`,
    });
  }

  // ── bookkeeping ──────────────────────────────────────────────────────────────────────────

  private async started(step: Step, n: number, action: RecordedAction): Promise<void> {
    const ref = this.ref(n);
    const recorded = this.redactDeep(action);
    await this.ctx.store.runbookRuns.recordStepStarted(this.run.id, this.token, { ...ref, stepId: step.id, kind: step.kind, action: recorded });
    this.records.push({ runId: this.run.id, ...ref, stepId: step.id, kind: step.kind, status: "running", action: recorded, startedAt: this.nowIso() });
  }

  /** Commits the attempt's end and where the run goes next, together. */
  private async endStep(step: Step, end: StepEndRecord): Promise<Flow> {
    const stepEnd: StepEnd =
      end.status === "failed"
        ? { status: "failed", stepId: step.id, onFailure: step.on_failure }
        : end.status === "cancelled"
          ? { status: "cancelled", stepId: step.id }
          : { status: end.status };
    return this.endStepMove(stepEnd, end);
  }

  private async endStepMove(stepEnd: StepEnd, end: StepEndRecord | undefined): Promise<Flow> {
    const move = positionOf(afterStep(this.position, this.lengths, stepEnd), this.lengths);
    if (end) {
      await this.ctx.store.runbookRuns.recordStepFinished(this.run.id, this.token, end, move);
      this.update(end, end);
    } else {
      await this.ctx.store.runbookRuns.moveRun(this.run.id, this.token, move);
    }
    this.position = move;
    return "next";
  }

  private update(ref: StepRef, changes: Partial<StepRecord>): void {
    const record = this.records.find((r) => r.phase === ref.phase && r.position === ref.position && r.attempt === ref.attempt);
    if (!record) return;
    const { phase: _p, position: _q, attempt: _a, ...rest } = changes as StepRecord;
    Object.assign(record, rest, changes.status && changes.status !== "running" ? { finishedAt: this.nowIso() } : {});
  }

  private async refreshCancel(): Promise<void> {
    const run = await this.ctx.store.runbookRuns.getRun(this.run.id);
    this.cancelledBy ??= run?.cancelRequested?.by ?? "someone";
  }

  private async beat(): Promise<void> {
    try {
      const { held, cancelRequested } = await this.ctx.store.runbookRuns.heartbeat(this.run.id, this.token, this.ctx.leaseMs);
      if (!held) {
        this.current?.controller.abort(new RunLeaseLost(this.run.id));
        this.interrupt.abort(new RunLeaseLost(this.run.id));
        return;
      }
      if (cancelRequested && this.cancelledBy === undefined) {
        const run = await this.ctx.store.runbookRuns.getRun(this.run.id);
        this.cancel(run?.cancelRequested?.by ?? "someone");
      }
    } catch (error) {
      // The store is unreachable for now: the lease runs on, and the next write says whether it still holds.
      this.ctx.onError(new Error(`run ${this.run.id}: heartbeat failed: ${messageOf(error)}`, { cause: error }));
    }
  }

  /** Sleeps unless cancelled or the lease is lost; false when interrupted. */
  private async sleep(ms: number): Promise<boolean> {
    try {
      await this.ctx.clock.sleep(ms, this.interrupt.signal);
      return true;
    } catch (error) {
      if (error instanceof RunLeaseLost) throw error;
      return false;
    }
  }

  private async ancestors(): Promise<string[]> {
    const ids: string[] = [];
    let parent = this.run.parent?.runId;
    while (parent !== undefined && !ids.includes(parent)) {
      ids.push(parent);
      parent = (await this.ctx.store.runbookRuns.getRun(parent))?.parent?.runId;
    }
    return ids;
  }

  private async lastOutput(stepId: string, attempt: number): Promise<string[]> {
    const events = await this.ctx.store.runbookRuns.listEvents(this.run.id);
    return events
      .filter((e) => e.type === "step.log" && e.stepId === stepId && e.data.attempt === attempt)
      .slice(-evidenceLines)
      .map((e) => String(e.data.line));
  }

  private scope(): Scope {
    const steps: NonNullable<Scope["steps"]> = {};
    for (const record of this.records) steps[record.stepId] = { status: record.status, ...(record.outputs ? { outputs: record.outputs } : {}) };
    return {
      params: this.params(),
      steps,
      run: { id: this.run.id, startedBy: this.run.startedBy, ...(this.position.failedStep ? { failedStep: this.position.failedStep } : {}) },
    };
  }

  private params(): Record<string, unknown> {
    return { ...this.run.params, ...(this.ctx.secrets.get(this.run.id) ?? {}) };
  }

  private paramEnv(): Record<string, string> {
    return Object.fromEntries(Object.entries(this.params()).map(([name, value]) => [`GAMEOPS_PARAM_${name.toUpperCase()}`, toText(value)]));
  }

  private secretValues(): string[] {
    return [...secretsOf(this.definition, this.params()), ...this.ctx.configSecrets];
  }

  private redactText(text: string): string {
    return redact(text, this.secretValues());
  }

  private redactDeep<T>(value: T): T {
    const secrets = this.secretValues();
    if (secrets.length === 0) return value;
    return JSON.parse(redact(JSON.stringify(value), secrets)) as T;
  }

  private stepOf(position: Position): Step {
    const list = position.phase === "main" ? this.definition.steps : this.definition[position.phase];
    return list[position.cursor]!;
  }

  private attemptsAt(position: Position): StepRecord[] {
    return this.records.filter((r) => r.phase === position.phase && r.position === position.cursor).sort((a, b) => a.attempt - b.attempt);
  }

  private ref(attempt: number): StepRef {
    return { phase: this.position.phase, position: this.position.cursor, attempt };
  }

  private nowIso(): string {
    return this.ctx.clock.now().toISOString();
  }
}

/** Where the run stands after `next`: past the end of `finally` once it is done, so that a resume finds it done too. */
export function positionOf(next: Next, lengths: PhaseLengths): Position {
  if (!next.done) return next.position;
  return { phase: "finally", cursor: lengths.finally, outcome: next.outcome, ...(next.failedStep ? { failedStep: next.failedStep } : {}) };
}

/** Wait before attempt n+1 after n failed: backoff × factor^(n-1). */
function backoffMs(step: Step, failedAttempts: number): number {
  const retries = step.retries;
  if (!retries) return 0;
  return Math.round(retries.backoff * retries.factor ** Math.max(0, failedAttempts - 1));
}

function describeCheck(spec: StepSpec<"check">): RenderedAction {
  return { summary: `run health checks: ${spec.only?.join(", ") ?? "all"}; fails at ${spec.fail_on}`, target: "health checks", destructive: false };
}

function samePosition(a: Position, b: Position): boolean {
  return a.phase === b.phase && a.cursor === b.cursor && a.outcome === b.outcome && a.failedStep === b.failedStep;
}

/** As the plan decides `when` (plan.ts): false, null, nothing, 0 and "" are false. */
function truthy(value: unknown): boolean {
  return value !== false && value !== null && value !== undefined && value !== 0 && value !== "" && !Number.isNaN(value);
}

function boundedJson(value: unknown): string {
  const text = JSON.stringify(value);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}

/**
 * The step's result, or its signal's reason once aborted — after giving the step `graceMs` to
 * stop (kill its processes) so that nothing it started outlives it unnoticed.
 */
async function settleWithin<T>(work: Promise<T>, signal: AbortSignal, graceMs: number): Promise<T> {
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      const timer = setTimeout(() => reject(signal.reason), graceMs).unref();
      work.then(
        () => {
          clearTimeout(timer);
          reject(signal.reason);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  // A step that ignores its signal may settle later: its result is no longer wanted.
  work.catch(() => {});
  aborted.catch(() => {});
  try {
    return await Promise.race([work, aborted]);
  } finally {
    if (onAbort) signal.removeEventListener("abort", onAbort);
  }
}

function describeProbeIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues.map((i) => `probe.${i.path.map(String).join(".")}: ${i.message}`).join("; ");
}
