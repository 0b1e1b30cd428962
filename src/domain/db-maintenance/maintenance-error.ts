/** A maintenance request that cannot be planned safely. The message names the table or field and what to do instead. */
export class MaintenanceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MaintenanceError";
  }
}
