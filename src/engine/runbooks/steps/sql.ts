import type { Config, MysqlTarget } from "../../../config/load.js";
import type { StepSpec } from "../../../domain/runbooks/schema.js";
import { connectMysql, MysqlError, type MysqlSession } from "../../../integrations/mysql/connection.js";
import { StepFailure, type RenderedAction, type StepContext, type StepResult } from "../step-kind.js";

type SqlSpec = StepSpec<"sql">;

/** The module is the StepKind (loaded lazily by ./index.ts). */
export const kind = "sql";

/** Rows kept in the outputs; `rowCount` says how many there were. */
const maxRows = 1000;
/**
 * Connect and statement bound. The step's own timeout (its signal) is the one that matters;
 * this is the backstop for a step without one, generous enough for a maintenance statement.
 */
const backstopMs = 10 * 60_000;

/** Error codes that are the statement's fault: trying again will fail the same way. */
const transient = new Set(["ER_LOCK_DEADLOCK", "ER_LOCK_WAIT_TIMEOUT", "ER_CON_COUNT_ERROR", "ER_TOO_MANY_USER_CONNECTIONS", "ER_SERVER_SHUTDOWN", "ER_QUERY_TIMEOUT"]);

/** Only `mysql` is a SQL target for now; the spec names it so runbooks stay valid when more arrive. */
function targetOf(spec: SqlSpec, config: Config): MysqlTarget {
  if (spec.target !== "mysql") throw new StepFailure(`sql target "${spec.target}" is not a configured SQL target; the only one is "mysql"`, { retryable: false });
  const target = config.targets.mysql;
  if (!target) throw new StepFailure("sql target mysql is not configured: set GAMEOPS_MYSQL_URL or targets.mysql.url", { retryable: false });
  return target;
}

/**
 * Whether a statement only reads: SELECT, SHOW, EXPLAIN (and its synonyms DESCRIBE, DESC),
 * after leading comments. A SELECT that writes a file or takes row locks is not a read.
 */
export function isReadOnly(statement: string): boolean {
  const text = statement.replace(/^(\s+|\/\*[\s\S]*?\*\/|(--|#)[^\n]*(\n|$))+/, "").replace(/^\(+\s*/, "");
  const keyword = /^[a-z]+/i.exec(text)?.[0]?.toUpperCase();
  if (keyword === "SHOW" || keyword === "EXPLAIN" || keyword === "DESCRIBE" || keyword === "DESC") return true;
  if (keyword !== "SELECT") return false;
  return !/\bINTO\s+(OUTFILE|DUMPFILE|@)|\bFOR\s+UPDATE\b|\bLOCK\s+IN\s+SHARE\s+MODE\b/i.test(text);
}

const firstLine = (statement: string) => {
  const line = statement.trim().replace(/\s+/g, " ");
  return line.length > 120 ? `${line.slice(0, 119)}…` : line;
};

export function describe(spec: SqlSpec, config: Config): RenderedAction {
  const target = spec.target === "mysql" ? config.targets.mysql?.label : undefined;
  return {
    summary: `${firstLine(spec.statement)} on ${target ?? spec.target}`,
    detail: { statement: spec.statement, params: spec.params, ...(spec.expect ? { expect: spec.expect } : {}) },
    target: target ?? spec.target,
    destructive: !isReadOnly(spec.statement),
  };
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** `expected at least 1 row, got 0`; undefined when the count is within bounds. */
function outside(what: [string, string], bounds: { min?: number; max?: number } | undefined, count: number): string | undefined {
  if (bounds?.min !== undefined && count < bounds.min) return `expected at least ${plural(bounds.min, ...what)}, got ${count}`;
  if (bounds?.max !== undefined && count > bounds.max) return `expected at most ${plural(bounds.max, ...what)}, got ${count}`;
  return undefined;
}

/**
 * The statement runs on its own connection with its params bound by the driver (never spliced
 * into the text). A cancelled or timed-out step kills the statement on the server with KILL
 * QUERY from a second connection: closing our socket is not enough (mysql2 only half-closes it,
 * and the server goes on with the statement), and a cancelled UPDATE must not go on running.
 */
export async function execute(spec: SqlSpec, context: StepContext): Promise<StepResult> {
  const target = targetOf(spec, context.config);
  context.signal.throwIfAborted();
  let session: MysqlSession;
  try {
    session = await connectMysql(target, { timeoutMs: backstopMs, signal: context.signal });
  } catch (error) {
    throw failure(error);
  }
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(context.signal.reason);
    if (context.signal.aborted) onAbort();
    else context.signal.addEventListener("abort", onAbort, { once: true });
  });
  aborted.catch(() => {});
  let result: unknown;
  let connectionId: number | undefined;
  let running: Promise<unknown> | undefined;
  try {
    connectionId = Number((await Promise.race([session.query<{ id: number }>("SELECT CONNECTION_ID() AS id"), aborted]))[0]?.id);
    running = session.query(spec.statement, spec.params);
    running.catch(() => {});
    result = await Promise.race([running, aborted]);
  } catch (error) {
    if (context.signal.aborted) {
      const why = abortWords(context.signal);
      const timeout = why === "the step timed out";
      if (!running) throw new StepFailure(`the statement was not run: ${why}`, { retryable: timeout, cause: error });
      const killed = connectionId !== undefined && (await killQuery(target, connectionId));
      // Killed, it answers at once (ER_QUERY_INTERRUPTED); wait for that so the connection closes clean.
      if (killed) await running.catch(() => {});
      const after = killed ? `KILL QUERY made sure it no longer runs on ${target.label}` : `killing it on ${target.label} failed: look for connection ${connectionId} in SHOW PROCESSLIST`;
      throw new StepFailure(`the statement was stopped (${why}); ${after}`, { retryable: timeout, cause: error });
    }
    throw failure(error);
  } finally {
    context.signal.removeEventListener("abort", onAbort);
    await session.close();
  }

  // A SELECT answers rows; anything else a result header with affectedRows.
  const rows = Array.isArray(result) ? (result as Record<string, unknown>[]) : [];
  const affectedRows = Array.isArray(result) ? 0 : Number((result as { affectedRows?: number } | undefined)?.affectedRows ?? 0);
  const outputs: Record<string, unknown> = {
    rows: rows.slice(0, maxRows),
    rowCount: rows.length,
    affectedRows,
    // From the first row: the session API answers rows as objects, without the field list.
    columns: rows[0] ? Object.keys(rows[0]) : [],
  };
  if (rows.length > maxRows) outputs.truncated = true;
  context.log(Array.isArray(result) ? `${plural(rows.length, "row", "rows")}` : `${plural(affectedRows, "row", "rows")} affected`);

  const broken = outside(["row", "rows"], spec.expect?.rows, rows.length) ?? outside(["affected row", "affected rows"], spec.expect?.affected, affectedRows);
  // The database may change under a retry (a query that drains): whether to retry is the step's `retries`.
  if (broken) throw new StepFailure(broken, { retryable: true, outputs });
  return { outputs };
}

const abortWords = (signal: AbortSignal) => ((signal.reason as { name?: string } | undefined)?.name === "TimeoutError" ? "the step timed out" : "the step was cancelled");

function failure(error: unknown): StepFailure {
  if (error instanceof MysqlError) {
    const retryable = error.code?.startsWith("ER_") ? transient.has(error.code) : error.retryable;
    return new StepFailure(error.message, { retryable, cause: error });
  }
  return new StepFailure(error instanceof Error ? error.message : String(error), { retryable: false, cause: error });
}

/** KILL QUERY from a second connection, bounded. */
async function killQuery(target: MysqlTarget, id: number): Promise<boolean> {
  const signal = AbortSignal.timeout(5000);
  try {
    const session = await connectMysql(target, { timeoutMs: 5000, signal });
    try {
      await session.query("KILL QUERY ?", [id]);
      return true;
    } finally {
      await session.close();
    }
  } catch (error) {
    // ER_NO_SUCH_THREAD: the statement ended with its connection; nothing runs any more.
    return error instanceof MysqlError && error.code === "ER_NO_SUCH_THREAD";
  }
}
