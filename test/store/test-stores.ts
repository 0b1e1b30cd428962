import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import SqliteDatabase from "better-sqlite3";
import pg from "pg";
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/store.js";

export const dialects = ["sqlite", "postgres"] as const;
export type Dialect = (typeof dialects)[number];

const adminUrl = "postgres://postgres@127.0.0.1:5432/postgres";
const tables = ["backup_sets", "checklist_signoffs", "action_items", "incident_tasks", "incident_events", "incident_roles", "incidents", "delivery_attempts", "deliveries", "page_events", "pages", "alerts", "alert_groups", "counters", "oncall_overrides", "maintenance_windows", "runbook_artifacts", "runbook_locks", "runbook_approvals", "runbook_events", "runbook_steps", "runbook_runs", "check_results", "check_runs", "timers", "api_tokens", "audit_log", "people", "teams"];

/**
 * One database per test file and dialect: a temp dir for SQLite, a fresh PostgreSQL database
 * (dropped at the end). Tracks every store it opens so that a test leaking one fails.
 */
export interface TestStores {
  readonly dialect: Dialect;
  /** A store on this file's database; several may be open at once, like replicas. */
  open(options?: { now?: () => Date }): Promise<Store>;
  /** Where `open` points, for tests that open the store themselves. */
  readonly target: { dataDir: string; url?: string };
  /** Empties the database between tests. */
  reset(): Promise<void>;
  /** Runs SQL outside the store, to look at what it really wrote. */
  raw(sqlText: string): Promise<Record<string, unknown>[]>;
  /** Fails when a test left a store open (and closes it). */
  assertAllClosed(): Promise<void>;
  dispose(): Promise<void>;
}

export async function createTestStores(dialect: Dialect): Promise<TestStores> {
  const dir = await mkdtemp(join(tmpdir(), "gameops-store-"));
  const dataDir = join(dir, "data");
  let database: string | undefined;
  let admin: pg.Client | undefined;
  if (dialect === "postgres") {
    database = `gameops_test_${randomBytes(6).toString("hex")}`;
    admin = new pg.Client(adminUrl);
    await admin.connect();
    await admin.query(`create database ${database}`);
  }
  const target = { dataDir, ...(database ? { url: adminUrl.replace(/\/postgres$/, `/${database}`) } : {}) };
  const open = new Set<Store>();

  async function raw(sqlText: string): Promise<Record<string, unknown>[]> {
    if (target.url) {
      const client = new pg.Client(target.url);
      await client.connect();
      try {
        return (await client.query(sqlText)).rows as Record<string, unknown>[];
      } finally {
        await client.end();
      }
    }
    const sqlite = new SqliteDatabase(join(dataDir, "gameops.db"));
    try {
      const statement = sqlite.prepare(sqlText);
      return statement.reader ? (statement.all() as Record<string, unknown>[]) : (statement.run(), []);
    } finally {
      sqlite.close();
    }
  }

  return {
    dialect,
    target,
    async open(options = {}) {
      const store = await openStore({ ...target, ...options });
      const close = store.close;
      const tracked: Store = {
        ...store,
        close: async () => {
          open.delete(tracked);
          await close();
        },
      };
      open.add(tracked);
      return tracked;
    },
    async reset() {
      if (dialect === "sqlite") {
        await rm(dataDir, { recursive: true, force: true });
        return;
      }
      const existing = await raw(`select tablename from pg_tables where schemaname = 'public'`);
      const names = new Set(existing.map((row) => row.tablename));
      const toEmpty = tables.filter((table) => names.has(table));
      if (toEmpty.length > 0) await raw(`truncate ${toEmpty.join(", ")}`);
    },
    raw,
    async assertAllClosed() {
      const left = open.size;
      await Promise.all([...open].map((store) => store.close()));
      if (left > 0) throw new Error(`the test left ${left} store(s) open`);
    },
    async dispose() {
      try {
        if (admin && database) {
          // A closed client's backend ends a moment after end() resolves: a leak is a connection
          // that is still there after two seconds, not one caught on its way out.
          let open = 0;
          for (let i = 0; i < 40; i++) {
            const { rows } = await admin.query<{ n: number }>(`select count(*)::int as n from pg_stat_activity where datname = $1`, [database]);
            open = rows[0]!.n;
            if (open === 0) break;
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
          await admin.query(`drop database ${database} with (force)`);
          if (open > 0) throw new Error(`${open} connection(s) to ${database} were still open at the end of the file`);
        }
      } finally {
        await admin?.end();
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

/** A fresh store per test on one dialect's database, and the clock it stamps with (tests move it). */
export interface StoreUnderTest {
  readonly store: Store;
  readonly stores: TestStores;
  clock: Date;
}

/** Registers the hooks of a describe block whose every test gets a store reset to `start`. */
export function storeForEachTest(dialect: Dialect, start: Date): StoreUnderTest {
  let stores: TestStores | undefined;
  let store: Store | undefined;
  const state = {
    clock: start,
    get store(): Store {
      return store!;
    },
    get stores(): TestStores {
      return stores!;
    },
  };
  beforeAll(async () => {
    stores = await createTestStores(dialect);
  });
  afterAll(async () => {
    await stores?.dispose();
  });
  beforeEach(async () => {
    await stores!.reset();
    state.clock = start;
    store = await stores!.open({ now: () => state.clock });
  });
  afterEach(async () => {
    await store?.close();
    await stores!.assertAllClosed();
  });
  return state;
}
