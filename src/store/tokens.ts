import { createHash, randomBytes } from "node:crypto";
import type { Kysely, Selectable } from "kysely";
import { newId } from "./ids.js";
import { roles, type Role, type TokenRecord, type TokenRepository } from "./store.js";
import { StoreError } from "./store-error.js";
import type { ApiTokensTable, Database } from "./tables.js";

/** Recognisable in a leaked-secret scan, like ghp_ for GitHub. */
const prefix = "gmo_";
/** A token chosen by automation (GAMEOPS_ADMIN_TOKEN) must not be guessable either. */
const minimumPlainLength = 24;

export class Tokens implements TokenRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => Date,
  ) {}

  async create(input: { personId?: string; role: Role; label: string; plain?: string }): Promise<{ token: string; record: TokenRecord }> {
    if (!roles.includes(input.role)) {
      throw new StoreError(`unknown role "${String(input.role)}": use one of ${roles.join(", ")}`);
    }
    if (input.plain !== undefined && input.plain.length < minimumPlainLength) {
      throw new StoreError(`a chosen token must be at least ${minimumPlainLength} characters long`);
    }
    const token = input.plain ?? prefix + randomBytes(32).toString("base64url");
    const row = {
      id: newId(),
      hash: sha256(token),
      role: input.role,
      person_id: input.personId ?? null,
      label: input.label,
      created_at: this.now().getTime(),
      last_used_at: null,
      revoked_at: null,
    };
    await this.db.transaction().execute(async (trx) => {
      if (row.person_id !== null && !(await trx.selectFrom("people").select("id").where("id", "=", row.person_id).executeTakeFirst())) {
        throw new StoreError(`person "${row.person_id}" does not exist`);
      }
      if (await trx.selectFrom("api_tokens").select("id").where("hash", "=", row.hash).executeTakeFirst()) {
        throw new StoreError("this token exists already: choose another one");
      }
      await trx.insertInto("api_tokens").values(row).execute();
    });
    return { token, record: toRecord(row) };
  }

  async verify(plain: string): Promise<TokenRecord | undefined> {
    // Looked up by hash: the clear token is never compared, stored or logged.
    const now = this.now().getTime();
    const row = await this.db
      .updateTable("api_tokens")
      .set({ last_used_at: now })
      .where("hash", "=", sha256(plain))
      .where("revoked_at", "is", null)
      .returningAll()
      .executeTakeFirst();
    return row && toRecord(row);
  }

  async list(): Promise<TokenRecord[]> {
    const rows = await this.db.selectFrom("api_tokens").selectAll().orderBy("created_at").orderBy("id").execute();
    return rows.map(toRecord);
  }

  async revoke(id: string): Promise<boolean> {
    const result = await this.db
      .updateTable("api_tokens")
      .set({ revoked_at: this.now().getTime() })
      .where("id", "=", id)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Revoked ones count: revoking the bootstrap token must not make the next start print a new one. */
  async hasBootstrap(): Promise<boolean> {
    const row = await this.db.selectFrom("api_tokens").select("id").where("person_id", "is", null).limit(1).executeTakeFirst();
    return row !== undefined;
  }
}

function sha256(plain: string): string {
  return createHash("sha256").update(plain, "utf8").digest("hex");
}

function toRecord(row: Selectable<ApiTokensTable>): TokenRecord {
  return {
    id: row.id,
    ...(row.person_id === null ? {} : { personId: row.person_id }),
    role: row.role as Role,
    label: row.label,
    createdAt: new Date(row.created_at).toISOString(),
    ...(row.last_used_at === null ? {} : { lastUsedAt: new Date(row.last_used_at).toISOString() }),
    ...(row.revoked_at === null ? {} : { revokedAt: new Date(row.revoked_at).toISOString() }),
  };
}
