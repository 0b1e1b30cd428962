import { Migrator, sql } from "kysely";
import { Alerts } from "./alerts.js";
import { Audit } from "./audit.js";
import { BackupSets } from "./backup-sets.js";
import { ChecklistSignoffs } from "./checklist-signoffs.js";
import { CheckRuns } from "./check-runs.js";
import { Deliveries } from "./deliveries.js";
import type { StoreDialect } from "./dialect.js";
import { Incidents } from "./incidents.js";
import { MaintenanceWindows } from "./maintenance-windows.js";
import { migrationProvider } from "./migrations/index.js";
import { OnCallOverrides } from "./oncall-overrides.js";
import { Pages } from "./pages.js";
import { People } from "./people.js";
import { RunbookRuns } from "./runbook-runs.js";
import type { Store, StoreOptions } from "./store.js";
import { describeError, StoreError } from "./store-error.js";
import { Timers } from "./timers.js";
import { Tokens } from "./tokens.js";

/**
 * Opens the store and brings its schema to the latest migration. SQLite under `dataDir` unless
 * a PostgreSQL `url` is given; each driver is imported only when chosen.
 */
export async function openStore(options: StoreOptions): Promise<Store> {
  const dialect = options.url
    ? (await import("./postgres-dialect.js")).openPostgres(options.url)
    : await openSqliteOrExplain(options.dataDir);
  try {
    await reach(dialect);
    await migrate(dialect);
  } catch (error) {
    await dialect.db.destroy();
    throw error;
  }
  const now = options.now ?? (() => new Date());
  const { db } = dialect;
  const incidents = new Incidents(db, now);
  const pages = new Pages(db, now, (incidentId) => incidents.notify(incidentId));
  return {
    dialect: dialect.name,
    checkRuns: new CheckRuns(db),
    timers: new Timers(dialect, now),
    people: new People(db),
    tokens: new Tokens(db, now),
    audit: new Audit(db, now),
    runbookRuns: new RunbookRuns(dialect, now),
    alerts: new Alerts(db),
    pages,
    deliveries: new Deliveries(db, now, (pageId) => pages.notify([pageId])),
    oncall: new OnCallOverrides(db, now),
    windows: new MaintenanceWindows(db, now),
    incidents,
    checklists: new ChecklistSignoffs(db, now),
    backups: new BackupSets(db, now),
    close: () => db.destroy(),
  };
}

async function openSqliteOrExplain(dataDir: string): Promise<StoreDialect> {
  const { openSqlite } = await import("./sqlite-dialect.js");
  try {
    return openSqlite(dataDir);
  } catch (error) {
    throw new StoreError(`cannot open the store in ${dataDir}: ${describeError(error)}`, { cause: error });
  }
}

async function reach(dialect: StoreDialect): Promise<void> {
  try {
    await sql`select 1`.execute(dialect.db);
  } catch (error) {
    throw new StoreError(`cannot open the store at ${dialect.location}: ${describeError(error)}`, { cause: error });
  }
}

// Several processes may start at once: Kysely's Migrator takes an advisory lock on PostgreSQL;
// on SQLite each migration's BEGIN IMMEDIATE transaction serializes them.
async function migrate(dialect: StoreDialect): Promise<void> {
  const { error, results } = await new Migrator({ db: dialect.db, provider: migrationProvider }).migrateToLatest();
  if (error === undefined) return;
  const failed = results?.find((result) => result.status === "Error");
  throw new StoreError(
    `cannot migrate the store at ${dialect.location}${failed ? ` (migration ${failed.migrationName})` : ""}: ${describeError(error)}`,
    { cause: error },
  );
}
