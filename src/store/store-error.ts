/** The store cannot be opened, or an input breaks one of its rules. The message is safe to show: no secret in it. */
export class StoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StoreError";
  }
}

/** One line for an unknown thrown value; Node's connection errors are sometimes an AggregateError with no message. */
export function describeError(error: unknown): string {
  if (error instanceof AggregateError && !error.message && error.errors.length > 0) return describeError(error.errors[0]);
  if (error instanceof Error) return error.message || ("code" in error ? String(error.code) : error.name);
  return String(error);
}
