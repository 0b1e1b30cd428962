import type { Migration, MigrationProvider } from "kysely";
import * as foundation from "./001-foundation.js";
import * as runbookRuns from "./002-runbook-runs.js";
import * as paging from "./003-paging.js";
import * as incidents from "./004-incidents.js";
import * as incidentListIndex from "./005-incident-list-index.js";
import * as backups from "./006-backups.js";

/**
 * Listed in code, not read from a folder, so that the compiled `dist/` and a bundled binary
 * migrate the same way as `tsx` in development. The Migrator applies them in name order.
 */
const migrations: Record<string, Migration> = {
  "001-foundation": foundation,
  "002-runbook-runs": runbookRuns,
  "003-paging": paging,
  "004-incidents": incidents,
  "005-incident-list-index": incidentListIndex,
  "006-backups": backups,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
