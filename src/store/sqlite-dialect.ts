import { mkdirSync } from "node:fs";
import { join } from "node:path";
import SqliteDatabase from "better-sqlite3";
import {
  CompiledQuery,
  Kysely,
  SqliteAdapter,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
  type SqliteDialectConfig,
} from "kysely";
import type { StoreDialect } from "./dialect.js";
import type { Database } from "./tables.js";

/** How long a write waits for another process holding the file's write lock. */
const busyTimeoutMs = 5000;

export function openSqlite(dataDir: string): StoreDialect {
  // The database holds token hashes and the audit log: only the owner may read the directory.
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, "gameops.db");
  const sqlite = new SqliteDatabase(file);
  try {
    sqlite.pragma("journal_mode = WAL");
    sqlite.pragma(`busy_timeout = ${busyTimeoutMs}`);
    sqlite.pragma("foreign_keys = ON");
    // Durable at every checkpoint and safe in WAL mode; FULL would fsync every commit.
    sqlite.pragma("synchronous = NORMAL");
  } catch (error) {
    sqlite.close();
    throw error;
  }
  return {
    name: "sqlite",
    db: new Kysely<Database>({ dialect: new SingleWriterDialect({ database: sqlite }) }),
    location: file,
    // The claim's transaction already holds the only write lock there is.
    lockForClaim: (query) => query,
  };
}

/**
 * Every transaction starts with BEGIN IMMEDIATE: it takes the write lock up front, so a
 * read-then-write (claiming timers) is serialized against other processes on the same file
 * (`gameops up` and a CLI command) instead of failing with SQLITE_BUSY when a deferred reader
 * tries to upgrade.
 */
class SingleWriterDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new SingleWriterDriver(this.#config);
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalMigrationsAdapter();
  }
}

/**
 * SQLite's DDL is transactional; Kysely just does not rely on it. Run each migration in an
 * (immediate) transaction: a failed one leaves no half-made schema, and two processes opening
 * a new file migrate one after the other. A future table rebuild inside a migration uses
 * `PRAGMA defer_foreign_keys`, since `foreign_keys` cannot change inside a transaction.
 */
class TransactionalMigrationsAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class SingleWriterDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("begin immediate"));
  }
}
