// Seeds a data dir with an incident history. The schema is the store's (openStore migrates it);
// the rows go in through the store's own Kysely connection (openSqlite: the same pragmas and
// BEGIN IMMEDIATE) in batched transactions, because declare() commits once per incident.
import { statSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { Insertable, Kysely, Transaction } from "kysely";
import { sql } from "kysely";
import { openStore } from "../../src/store/open-store.js";
import { openSqlite } from "../../src/store/sqlite-dialect.js";
import type { Database } from "../../src/store/tables.js";
import { incidentHistory, people, type HistoryOptions, type IncidentRows } from "./incident-history.js";

export interface Seeded {
  incidents: number;
  roles: number;
  events: number;
  postmortems: number;
  postmortemChars: number;
  byStatus: Record<string, number>;
  bySeverity: Record<string, number>;
  seedMs: number;
  /** gameops.db plus its WAL, after the seed. */
  bytes: number;
}

/** Incidents per transaction: one commit per batch instead of one per incident. */
const batchSize = 1000;
/** SQLite binds at most 32,766 parameters a statement (since 3.32). */
const maxParameters = 32_000;

export async function seedIncidents(dataDir: string, history: HistoryOptions, progress: (done: number) => void): Promise<Seeded> {
  const started = performance.now();
  const store = await openStore({ dataDir });
  try {
    for (const [id, name] of people) await store.people.upsertPerson({ id, name, titles: [] });
  } finally {
    await store.close();
  }

  const { db } = openSqlite(dataDir);
  const seeded: Seeded = { incidents: 0, roles: 0, events: 0, postmortems: 0, postmortemChars: 0, byStatus: {}, bySeverity: {}, seedMs: 0, bytes: 0 };
  try {
    let batch: IncidentRows[] = [];
    const flush = async () => {
      const rows = batch;
      batch = [];
      await db.transaction().execute(async (trx) => {
        await insertChunked(trx, "incidents", rows.map((r) => r.incident));
        await insertChunked(trx, "incident_roles", rows.flatMap((r) => r.roles));
        await insertChunked(trx, "incident_events", rows.flatMap((r) => r.events));
      });
      progress(seeded.incidents);
    };
    for (const rows of incidentHistory(history)) {
      batch.push(rows);
      seeded.incidents++;
      seeded.roles += rows.roles.length;
      seeded.events += rows.events.length;
      if (rows.incident.postmortem) {
        seeded.postmortems++;
        seeded.postmortemChars += rows.incident.postmortem.length;
      }
      seeded.byStatus[rows.incident.status] = (seeded.byStatus[rows.incident.status] ?? 0) + 1;
      seeded.bySeverity[rows.incident.severity] = (seeded.bySeverity[rows.incident.severity] ?? 0) + 1;
      if (batch.length === batchSize) await flush();
    }
    if (batch.length > 0) await flush();
    // The next declare() numbers on from the history, as if it had been declared one by one.
    await db
      .insertInto("counters")
      .values({ name: "incident", value: seeded.incidents })
      .onConflict((c) => c.column("name").doUpdateSet({ value: seeded.incidents }))
      .execute();
    await sql`pragma wal_checkpoint(truncate)`.execute(db);
  } finally {
    await db.destroy();
  }
  seeded.seedMs = performance.now() - started;
  seeded.bytes = fileBytes(join(dataDir, "gameops.db")) + fileBytes(join(dataDir, "gameops.db-wal"));
  return seeded;
}

/** The index this bench recommends for status and severity together, newest first (see README); not in src/. */
export const proposedIndex = "create index incidents_status_severity_number on incidents (status, severity, number)";

/** --proposed-index: the seeded store as it would be with the index migrated in. */
export async function addProposedIndex(dataDir: string): Promise<void> {
  const { db } = openSqlite(dataDir);
  try {
    await sql.raw(proposedIndex).execute(db);
  } finally {
    await db.destroy();
  }
}

/**
 * The store's own path, for comparison: `store.incidents.declare` (one commit, a counter bump,
 * the row, its events and roles, its two clocks) timed over `count` incidents in a scratch dir.
 */
export async function timeDeclare(dataDir: string, count: number): Promise<{ count: number; msEach: number }> {
  const store = await openStore({ dataDir });
  try {
    const started = performance.now();
    for (let i = 0; i < count; i++) {
      const now = Date.now();
      await store.incidents.declare({
        title: `matchmaking slow responses in eu-west (${i})`,
        severity: "P3",
        source: "cli",
        labels: { service: "matchmaking", region: "eu-west" },
        impact: "12 % of players in eu-west affected",
        declaredBy: "minji",
        respondBy: new Date(now + 3_600_000),
        nextUpdateAt: new Date(now + 3_600_000),
        roles: { owner: "minji" },
        tasks: [],
        timers: [
          { name: "sla", kind: "incident.sla", dueAt: new Date(now + 3_600_000), payload: {} },
          { name: "update", kind: "incident.update", dueAt: new Date(now + 3_600_000), payload: {} },
        ],
      });
    }
    return { count, msEach: (performance.now() - started) / count };
  } finally {
    await store.close();
  }
}

async function insertChunked<T extends "incidents" | "incident_roles" | "incident_events">(
  trx: Transaction<Database> | Kysely<Database>,
  table: T,
  rows: Insertable<Database[T]>[],
): Promise<void> {
  if (rows.length === 0) return;
  const perStatement = Math.floor(maxParameters / Object.keys(rows[0]!).length);
  for (let i = 0; i < rows.length; i += perStatement) {
    await trx
      .insertInto(table)
      .values(rows.slice(i, i + perStatement))
      .execute();
  }
}

function fileBytes(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
