// What SQLite does with the statements the store issues for a list: the store's own
// Incidents.list() runs on a Kysely that records each compiled statement, then each statement is
// asked for its EXPLAIN QUERY PLAN and timed. Run with the server stopped: nothing else reads.
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import SqliteDatabase from "better-sqlite3";
import { Kysely, SqliteDialect, type CompiledQuery } from "kysely";
import { percentile } from "../../src/domain/checks/verdict.js";
import { Incidents } from "../../src/store/incidents.js";
import type { Database } from "../../src/store/tables.js";
import type { Shape } from "./query-shapes.js";

export interface StatementPlan {
  /** "list" (the incidents) or "rolesOf" (their roles). */
  role: string;
  sql: string;
  plan: string[];
  /** Per call, over the repeated calls, as Kysely times it (prepare and step): p50 and p95 ms. */
  p50Ms: number;
  p95Ms: number;
}

export interface ShapePlan {
  shape: string;
  /** The whole list() call in this process (both statements, row mapping): p50 / p95 ms. */
  listP50Ms: number;
  listP95Ms: number;
  statements: StatementPlan[];
}

export async function explainShapes(dataDir: string, shapes: Shape[], options: { limit: number; calls: number; random: () => number }): Promise<ShapePlan[]> {
  const sqlite = new SqliteDatabase(join(dataDir, "gameops.db"), { fileMustExist: true });
  let log: { query: CompiledQuery; ms: number }[] = [];
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: sqlite }),
    log: (event) => {
      if (event.level === "query") log.push({ query: event.query, ms: event.queryDurationMillis });
    },
  });
  const incidents = new Incidents(db, () => new Date());
  try {
    const plans: ShapePlan[] = [];
    for (const shape of shapes) {
      const listMs: number[] = [];
      const statementMs: number[][] = [];
      let first: CompiledQuery[] = [];
      for (let i = 0; i < options.calls; i++) {
        log = [];
        const t0 = performance.now();
        await incidents.list({ ...shape.query(options.random), limit: shape.limit ?? options.limit });
        listMs.push(performance.now() - t0);
        log.forEach((entry, j) => (statementMs[j] ??= []).push(entry.ms));
        if (i === 0) first = log.map((entry) => entry.query);
      }
      plans.push({
        shape: shape.name,
        listP50Ms: percentile(listMs, 50),
        listP95Ms: percentile(listMs, 95),
        statements: first.map((query, j) => ({
          role: j === 0 ? "list" : "rolesOf",
          sql: query.sql,
          plan: (sqlite.prepare(`explain query plan ${query.sql}`).all(...(query.parameters as unknown[])) as { detail: string }[]).map((row) => row.detail),
          p50Ms: percentile(statementMs[j] ?? [], 50),
          p95Ms: percentile(statementMs[j] ?? [], 95),
        })),
      });
    }
    return plans;
  } finally {
    await db.destroy();
  }
}
