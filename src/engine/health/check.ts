import type { Config } from "../../config/load.js";
import type { CheckResult, Status, Verdict } from "../../domain/checks/verdict.js";

export interface CheckContext {
  config: Config;
  /** Aborted when the check's own timeout passes; pass it to every outside call. */
  signal: AbortSignal;
  timeoutMs: number;
  /** This check's previous stored result, for deltas such as Slow_queries since the last run. */
  previous?: CheckResult;
  now: () => Date;
}

/** A lazily loaded check module: importing it is what pays for its client library. */
export interface CheckModule {
  run(context: CheckContext): Promise<Verdict>;
}

/**
 * An expected failure with its verdict, e.g. "connection refused" is critical. Anything else
 * thrown by a check becomes critical with the error's message.
 */
export class CheckFailure extends Error {
  constructor(
    readonly status: Status,
    message: string,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "CheckFailure";
  }
}
