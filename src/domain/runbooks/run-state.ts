/**
 * The life of a runbook run and of its steps, as data: which status may follow which, and
 * where a run goes after each step. Pure, so that the executor's decisions can be proven here
 * without a store, and so that the store can refuse an illegal write by asking this module
 * which statuses may precede the one being written (compare-and-set on the status column).
 */

// ── runs ───────────────────────────────────────────────────────────────────────────────────

export const runStatuses = [
  /** Committed, waiting for an executor to claim it (new, or woken after a wait). */
  "queued",
  /** Leased to one executor, which is executing it and renewing its lease. */
  "running",
  /** Another run holds one of its locks; a durable timer retries until `lock_wait` passes. */
  "waiting_lock",
  /** An approve step asked a person; no executor holds it. */
  "waiting_approval",
  /** A step was interrupted (crash, lost lease) and is not idempotent: a person decides retry, skip or fail. */
  "waiting_decision",
  /** A `runbook` step started a child run; woken when the child finishes. */
  "waiting_child",
  /** Its secret params were kept only in the memory of a process that is gone: resume it with them. */
  "waiting_params",
  "succeeded",
  "failed",
  /** A step failed, asked for rollback, and every rollback step succeeded. */
  "rolled_back",
  "cancelled",
] as const;
export type RunStatus = (typeof runStatuses)[number];

export const terminalRunStatuses = ["succeeded", "failed", "rolled_back", "cancelled"] as const satisfies readonly RunStatus[];
export type TerminalRunStatus = (typeof terminalRunStatuses)[number];

/** The statuses in which no executor holds the run and something outside it has to happen. */
export const waitingRunStatuses = [
  "waiting_lock",
  "waiting_approval",
  "waiting_decision",
  "waiting_child",
  "waiting_params",
] as const satisfies readonly RunStatus[];
export type WaitingRunStatus = (typeof waitingRunStatuses)[number];

/**
 * Every allowed change of status. A claim of a `running` run whose lease ran out is not a change
 * of status (running stays running, under a new owner), so it is not listed.
 *
 * - `queued → cancelled` and `waiting_lock → cancelled`: nothing ran and no lock is held, so there
 *   is nothing for `finally` to clean up.
 * - Every other wait goes back to `queued` when cancelled: an executor must claim it to run
 *   `finally` and release its locks.
 * - `waiting_params → cancelled`: the exception, because `finally` could not be rendered without
 *   the secret params; the run's events say that `finally` did not run.
 * - `running → queued`: an executor shutting down gives the run back between two steps.
 */
export const runTransitions: Readonly<Record<RunStatus, readonly RunStatus[]>> = {
  queued: ["running", "cancelled"],
  running: [
    "queued",
    "waiting_lock",
    "waiting_approval",
    "waiting_decision",
    "waiting_child",
    "waiting_params",
    "succeeded",
    "failed",
    "rolled_back",
    "cancelled",
  ],
  waiting_lock: ["queued", "cancelled"],
  waiting_approval: ["queued"],
  waiting_decision: ["queued"],
  waiting_child: ["queued"],
  waiting_params: ["queued", "cancelled"],
  succeeded: [],
  failed: [],
  rolled_back: [],
  cancelled: [],
};

export class RunStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RunStateError";
  }
}

export function isTerminal(status: RunStatus): status is TerminalRunStatus {
  return (terminalRunStatuses as readonly RunStatus[]).includes(status);
}

export function isWaiting(status: RunStatus): status is WaitingRunStatus {
  return (waitingRunStatuses as readonly RunStatus[]).includes(status);
}

export function isRunStatus(value: string): value is RunStatus {
  return (runStatuses as readonly string[]).includes(value);
}

export function canTransition(from: RunStatus, to: RunStatus): boolean {
  return runTransitions[from].includes(to);
}

/** Throws, naming what the run could do instead, when `from → to` is not allowed. */
export function assertRunTransition(from: RunStatus, to: RunStatus): void {
  if (canTransition(from, to)) return;
  const allowed = runTransitions[from];
  throw new RunStateError(
    `${article(from)} ${from} run cannot become ${to}; ${allowed.length === 0 ? `${from} is final` : `from ${from} it can become ${allowed.join(", ")}`}`,
  );
}

/** The statuses a run may have just before becoming `to`: the store's compare-and-set predicate. */
export function predecessors(to: RunStatus): RunStatus[] {
  return runStatuses.filter((from) => canTransition(from, to));
}

// ── steps ──────────────────────────────────────────────────────────────────────────────────

/**
 * One attempt of one step. `interrupted`: found `running` after its executor died or lost its
 * lease; it stays as the evidence, and a retry is a new attempt.
 */
export const stepStatuses = ["running", "succeeded", "failed", "skipped", "cancelled", "interrupted"] as const;
export type StepStatus = (typeof stepStatuses)[number];

/** A step attempt is written `running` (before it executes) or `skipped` (its `when` was false). */
export const initialStepStatuses = ["running", "skipped"] as const satisfies readonly StepStatus[];

export const stepTransitions: Readonly<Record<StepStatus, readonly StepStatus[]>> = {
  // skipped: an approval that timed out with on_timeout: continue.
  running: ["succeeded", "failed", "skipped", "cancelled", "interrupted"],
  // A person's decision about an interrupted attempt: skip it, or fail it. (Retry starts a new attempt.)
  interrupted: ["skipped", "failed"],
  succeeded: [],
  failed: [],
  skipped: [],
  cancelled: [],
};

export function assertStepTransition(from: StepStatus, to: StepStatus): void {
  if (stepTransitions[from].includes(to)) return;
  const allowed = stepTransitions[from];
  throw new RunStateError(
    `${article(from)} ${from} step cannot become ${to}; ${allowed.length === 0 ? `${from} is final` : `from ${from} it can become ${allowed.join(", ")}`}`,
  );
}

export function stepPredecessors(to: StepStatus): StepStatus[] {
  return stepStatuses.filter((from) => stepTransitions[from].includes(to));
}

// ── where a run goes next ──────────────────────────────────────────────────────────────────

/** Main steps, then the rollback section after a failure that asks for it, then `finally`, always. */
export const phases = ["main", "rollback", "finally"] as const;
export type Phase = (typeof phases)[number];

/** How the run ends once `finally` has run. */
export type Outcome = TerminalRunStatus;

/** Where a run stands: the next step to run is `steps[phase][cursor]`. */
export interface Position {
  phase: Phase;
  cursor: number;
  outcome: Outcome;
  /** The step whose failure sent the run to rollback/finally, for `run.failedStep`. */
  failedStep?: string;
}

export type PhaseLengths = Readonly<Record<Phase, number>>;

export type OnFailure = "abort" | "continue" | "rollback";

/** How one step ended, as far as the run's path is concerned (after its retries). */
export type StepEnd =
  | { status: "succeeded" | "skipped" }
  | { status: "failed"; stepId: string; onFailure: OnFailure }
  /** Aborted by a person's cancel. */
  | { status: "cancelled"; stepId: string };

export type Next = { done: false; position: Position } | { done: true; outcome: Outcome; failedStep?: string };

export const startPosition: Position = { phase: "main", cursor: 0, outcome: "succeeded" };

/**
 * Where the run goes after a step ended. The rules:
 * - main: a failure with `abort` goes to `finally`; with `rollback` to the rollback section (then
 *   `finally`); with `continue` to the next step, the run still heading for success.
 * - rollback: the run ends `rolled_back` only if every rollback step succeeded; a failure with
 *   `abort` (or `rollback`, which cannot nest) stops the rollback and goes to `finally`.
 * - finally: every step runs whatever happens; a failure (unless `continue`) turns a succeeded
 *   or rolled-back run into a failed one. A cancelled run stays cancelled.
 */
export function afterStep(position: Position, lengths: PhaseLengths, end: StepEnd): Next {
  const { phase } = position;
  const next = { ...position, cursor: position.cursor + 1 };
  if (end.status === "cancelled") {
    // Cancel stops the main steps only: rollback and finally are the cleanup a person wants done.
    if (phase === "main") return settle({ phase: "finally", cursor: 0, outcome: "cancelled", failedStep: end.stepId }, lengths);
    return settle({ ...next, outcome: worsen(position.outcome), failedStep: position.failedStep ?? end.stepId }, lengths);
  }
  if (end.status !== "failed") return settle(next, lengths);
  const failedStep = position.failedStep ?? end.stepId;
  switch (phase) {
    case "main":
      if (end.onFailure === "continue") return settle(next, lengths);
      if (end.onFailure === "rollback" && lengths.rollback > 0) {
        return settle({ phase: "rollback", cursor: 0, outcome: "rolled_back", failedStep: end.stepId }, lengths);
      }
      return settle({ phase: "finally", cursor: 0, outcome: "failed", failedStep: end.stepId }, lengths);
    case "rollback":
      if (end.onFailure === "continue") return settle({ ...next, outcome: "failed", failedStep }, lengths);
      return settle({ phase: "finally", cursor: 0, outcome: "failed", failedStep }, lengths);
    case "finally":
      if (end.onFailure === "continue") return settle(next, lengths);
      return settle({ ...next, outcome: worsen(position.outcome), failedStep }, lengths);
  }
}

/** A cancel noticed between two steps: the main steps stop; cleanup already under way goes on. */
export function afterCancel(position: Position, lengths: PhaseLengths): Next {
  if (position.phase !== "main") return settle(position, lengths);
  return settle({ phase: "finally", cursor: 0, outcome: "cancelled", ...(position.failedStep ? { failedStep: position.failedStep } : {}) }, lengths);
}

/** Moves past the end of a phase (or past empty phases) until a step is due or the run is done. */
export function settle(position: Position, lengths: PhaseLengths): Next {
  let current = position;
  for (;;) {
    if (current.cursor < lengths[current.phase]) return { done: false, position: current };
    if (current.phase === "finally") {
      return { done: true, outcome: current.outcome, ...(current.failedStep ? { failedStep: current.failedStep } : {}) };
    }
    // The end of main or rollback: finally always comes next (never rollback after main's success).
    current = { ...current, phase: "finally", cursor: 0 };
  }
}

function article(word: string): "a" | "an" {
  return /^[aeiou]/.test(word) ? "an" : "a";
}

function worsen(outcome: Outcome): Outcome {
  return outcome === "cancelled" ? "cancelled" : "failed";
}
