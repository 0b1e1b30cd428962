/** A runbook that cannot be used. Each issue names where (file:line:col), the field and the fix. */
export class RunbookError extends Error {
  constructor(readonly issues: string[]) {
    super(`invalid runbook:\n${issues.map((i) => `  - ${i}`).join("\n")}`);
    this.name = "RunbookError";
  }
}
