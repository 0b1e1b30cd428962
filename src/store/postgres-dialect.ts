import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import type { StoreDialect } from "./dialect.js";
import { StoreError } from "./store-error.js";
import type { Database } from "./tables.js";

const int8 = 20;

export function openPostgres(url: string): StoreDialect {
  const location = redact(url);
  const pool = new pg.Pool({
    connectionString: url,
    application_name: "gameops",
    max: 10,
    connectionTimeoutMillis: 10_000,
    statement_timeout: 30_000,
    // A replica that dies inside a claim must not hold its row locks for ever.
    idle_in_transaction_session_timeout: 60_000,
    // Times are epoch ms in int8 columns: well inside Number's exact range. Per pool, not pg's global parsers.
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === int8 && format !== "binary" ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig["getTypeParser"],
    },
  });
  // An idle client dropped by the server (restart, failover) emits here; the pool replaces it
  // on the next query, which reports the failure if the server is really gone.
  pool.on("error", () => {});
  return {
    name: "postgres",
    db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }),
    location,
    lockForClaim: (query) => query.forUpdate().skipLocked(),
  };
}

/** postgres://user@host:port/db — the password never leaves this function. */
function redact(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new StoreError("the store URL is not a valid URL: expected postgres://user:password@host:5432/database");
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new StoreError(`the store URL must start with postgres:// (got ${parsed.protocol}//)`);
  }
  parsed.password = "";
  parsed.search = "";
  return parsed.toString();
}
