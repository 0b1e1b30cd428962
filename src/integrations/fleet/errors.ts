export type FleetFailure =
  /** No fleet configured, a kubeconfig that cannot be read. */
  | "config"
  /** The server named is not in the fleet. */
  | "unknown-server"
  /** No answer: connection refused, reset, DNS; a pod the API server cannot reach. */
  | "unreachable"
  | "timeout"
  /** The caller cancelled. */
  | "aborted"
  /** The admin token (or the Kubernetes credentials) refused. */
  | "unauthorized"
  | "forbidden"
  /** The server said no to this request as asked (a bad fault, an unknown path). */
  | "refused"
  /** The server is doing it already (a CPU profile in progress). */
  | "busy"
  /** 5xx, no ready endpoint, a pod not up yet. */
  | "unavailable"
  /** An answer that is not what the admin API returns. */
  | "bad-answer";

const retryable: ReadonlySet<FleetFailure> = new Set(["unreachable", "timeout", "busy", "unavailable"]);

/** A fleet call failed; `retryable` says whether the same call may succeed later. */
export class FleetError extends Error {
  readonly retryable: boolean;

  constructor(
    readonly failure: FleetFailure,
    message: string,
    readonly details: { server?: string; status?: number; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "FleetError";
    this.retryable = retryable.has(failure);
  }
}

/**
 * Some servers of a fleet-wide change failed: the others did change. Retryable only when every
 * failure is, and then retrying is safe because each change is idempotent (maintenance on twice
 * is maintenance on).
 */
export class FleetPartialFailure extends FleetError {
  constructor(
    readonly changed: string[],
    readonly failed: { server: string; error: FleetError }[],
    what: string,
  ) {
    super(
      failed.find((f) => !f.error.retryable)?.error.failure ?? "unavailable",
      `${what}: ${failed.length} of ${changed.length + failed.length} servers failed — ${failed.map((f) => `${f.server}: ${f.error.message}`).join("; ")}`,
    );
    this.name = "FleetPartialFailure";
  }
}
