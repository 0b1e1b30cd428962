/** A backup set or a backup policy that cannot be used as given. The message names the field and what to write instead. */
export class BackupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "BackupError";
  }
}
