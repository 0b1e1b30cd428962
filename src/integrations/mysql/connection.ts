import mysql from "mysql2/promise";
import type { MysqlTarget } from "../../config/load.js";

/** A failure talking to MySQL, with a message safe to show (never the password). */
export class MysqlError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly code?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "MysqlError";
  }
}

export type MysqlSession = {
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
};

/**
 * Opens one session bounded by `signal`: aborting destroys our socket, so the caller is never held
 * up. mysql2 only half-closes it, so a statement already sent may still finish on the server: fine
 * for the read-only status queries of the health check; the runbook `sql` step kills its statement
 * with KILL QUERY from a second connection instead.
 */
export async function connectMysql(target: MysqlTarget, options: { timeoutMs: number; signal: AbortSignal }): Promise<MysqlSession> {
  let connection: mysql.Connection;
  try {
    connection = await mysql.createConnection({
      host: target.host,
      port: target.port,
      user: target.user,
      password: target.password?.reveal(),
      database: target.database,
      connectTimeout: options.timeoutMs,
      supportBigNumbers: true,
      dateStrings: true,
    });
  } catch (error) {
    throw describeMysqlError(error, target);
  }
  const onAbort = () => connection.destroy();
  options.signal.addEventListener("abort", onAbort, { once: true });
  return {
    async query<T>(sql: string, params: unknown[] = []) {
      try {
        const [rows] = await connection.query({ sql, timeout: options.timeoutMs }, params);
        return rows as T[];
      } catch (error) {
        throw describeMysqlError(error, target);
      }
    },
    async close() {
      options.signal.removeEventListener("abort", onAbort);
      await connection.end().catch(() => connection.destroy());
    },
  };
}

export function describeMysqlError(error: unknown, target: MysqlTarget): MysqlError {
  const e = error as { code?: string; errno?: number; message?: string };
  const where = `${target.host}:${target.port}`;
  switch (e.code) {
    case "ER_ACCESS_DENIED_ERROR":
    case "ER_ACCESS_DENIED_NO_PASSWORD_ERROR":
    case "ER_DBACCESS_DENIED_ERROR":
      return new MysqlError(`access denied for ${target.user} at ${where}: check the user and password (GAMEOPS_MYSQL_PASSWORD_FILE)`, false, e.code, { cause: error });
    case "ECONNREFUSED":
      return new MysqlError(`connection refused at ${where}: is MySQL running and listening there?`, true, e.code, { cause: error });
    case "ETIMEDOUT":
    case "PROTOCOL_SEQUENCE_TIMEOUT":
      return new MysqlError(`no answer from ${where} (timeout)`, true, e.code, { cause: error });
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return new MysqlError(`cannot resolve host ${target.host}`, e.code === "EAI_AGAIN", e.code, { cause: error });
    case "ER_BAD_DB_ERROR":
      return new MysqlError(`database "${target.database}" does not exist at ${where}`, false, e.code, { cause: error });
    default:
      return new MysqlError(`${where}: ${(e.message ?? String(error)).split("\n")[0]}`, true, e.code, { cause: error });
  }
}
