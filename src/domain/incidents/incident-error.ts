/**
 * Incident input that cannot be acted on: an unknown severity or role, a malformed reference.
 * The message names what was wrong and what to give instead; the API answers it with a 400.
 */
export class IncidentError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "IncidentError";
  }
}
