import type { Kysely, SelectQueryBuilder } from "kysely";
import type { Database } from "./tables.js";

/** The ids of due timers a claim is about to lease. */
export type DueTimersQuery = SelectQueryBuilder<Database, "timers", { id: string }>;

/**
 * What differs between SQLite and PostgreSQL, and nothing else: everything outside
 * `sqlite-dialect.ts` and `postgres-dialect.ts` is dialect-agnostic.
 */
export interface StoreDialect {
  readonly name: "sqlite" | "postgres";
  readonly db: Kysely<Database>;
  /** Where the store lives, safe to print (no password). */
  readonly location: string;
  /** Keeps a concurrent claim from taking the same timers inside a claim's transaction. */
  lockForClaim(query: DueTimersQuery): DueTimersQuery;
}
