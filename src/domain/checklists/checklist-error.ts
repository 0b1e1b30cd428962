/** A checklist request that cannot be met: a malformed period or an unknown item. The message says what to give instead. */
export class ChecklistError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ChecklistError";
  }
}
