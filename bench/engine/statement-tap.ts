import { performance } from "node:perf_hooks";
import SqliteDatabase from "better-sqlite3";
import pg from "pg";

/** One SQL statement as the store sent it to the driver, and when. */
export interface TappedStatement {
  at: number;
  sql: string;
}

/**
 * Records every statement the store sends, BEGIN and COMMIT included, at the one place both
 * drivers see them all: better-sqlite3's `prepare` (Kysely prepares each statement it runs) and
 * pg's `Client#query` (the pool's clients are `pg.Client`s of this same module). For the bench's
 * instrumented run only; `stop()` puts the drivers back as they were.
 */
export function tapStatements(dialect: "sqlite" | "postgres"): { statements: TappedStatement[]; stop: () => void } {
  const statements: TappedStatement[] = [];
  const record = (text: unknown) => {
    const sql = typeof text === "string" ? text : typeof text === "object" && text !== null && "text" in text ? String(text.text) : String(text);
    statements.push({ at: performance.now(), sql });
  };
  if (dialect === "sqlite") {
    const proto = SqliteDatabase.prototype as unknown as { prepare: (this: unknown, ...args: unknown[]) => unknown };
    const original = proto.prepare;
    proto.prepare = function (this: unknown, ...args: unknown[]) {
      record(args[0]);
      return original.apply(this, args);
    };
    return { statements, stop: () => void (proto.prepare = original) };
  }
  const proto = pg.Client.prototype as unknown as { query: (this: unknown, ...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    record(args[0]);
    return original.apply(this, args);
  };
  return { statements, stop: () => void (proto.query = original) };
}
