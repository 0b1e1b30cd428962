import type { Config } from "../../config/load.js";
import type { StepKindName, StepSpec } from "../../domain/runbooks/schema.js";
import type { Store } from "../../store/store.js";

/**
 * What a step kind is given to run one step. The spec it receives is already rendered: every
 * `${{ … }}` replaced, so what runs is exactly what the plan and the audit record show.
 */
export interface StepContext {
  config: Config;
  /** What backup steps record their sets and audit in. */
  store: Pick<Store, "backups" | "audit">;
  /** Aborted at the step's timeout, on cancel, or when the executor loses its lease. */
  signal: AbortSignal;
  run: { id: string; runbook: string; startedBy?: string };
  step: { id: string; attempt: number };
  /** A line of live output, shown in the terminal and the console and kept (bounded, redacted). */
  log(line: string): void;
  /**
   * A line for the process's own log (pino under `gameops up`), for what operators watch outside
   * the run, such as a notification while paging channels do not exist yet. Redacted like `log`.
   * Optional: without it the line is kept in the run only.
   */
  processLog?(message: string, fields: Record<string, unknown>): void;
  /** Saves a file produced by the step (a profile, a heap snapshot) with the run; returns its id. */
  saveArtifact(name: string, data: Uint8Array | string, contentType: string): Promise<string>;
  now(): Date;
}

export interface StepResult {
  /** What later steps read as `steps.<id>.outputs.*`; JSON-serialisable. */
  outputs: Record<string, unknown>;
  /** A process's exit code, an HTTP status: shown in the run record. */
  exitCode?: number;
}

/** How the plan and the audit show a step before it runs. */
export interface RenderedAction {
  /** One line: `kubectl rollout restart deployment/game-server -n game`, `SELECT … on mysql`. */
  summary: string;
  /** The exact argv, statement or request, for the record. */
  detail?: Record<string, unknown>;
  /** The target it touches: mysql://…, the fleet, a URL. */
  target?: string;
  /** Changes something: shown as such in the plan. */
  destructive: boolean;
}

/** A step failed. `retryable` says whether the step's retries may help. */
export class StepFailure extends Error {
  constructor(
    message: string,
    readonly options: { retryable: boolean; exitCode?: number; outputs?: Record<string, unknown>; cause?: unknown } = { retryable: false },
  ) {
    super(message, { cause: options.cause });
    this.name = "StepFailure";
  }
}

export interface StepKind<K extends StepKindName = StepKindName> {
  kind: K;
  /** Pure: what the step will do, from its rendered spec. Used by dry-run, approval prompts and audit. */
  describe(spec: StepSpec<K>, config: Config): RenderedAction;
  /** Does it. Throws StepFailure for an expected failure; anything else is a failure too. */
  execute(spec: StepSpec<K>, context: StepContext): Promise<StepResult>;
}
