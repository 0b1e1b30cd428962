import type { MysqlFacts, MysqlQuery, MysqlReplica } from "../../domain/checks/mysql.js";
import type { MysqlSession } from "./connection.js";

/** Daemon and replication threads are always there and never "slow queries". */
const idleCommands = ["Sleep", "Daemon", "Binlog Dump", "Binlog Dump GTID", "Slave_IO", "Slave_SQL", "Slave_worker"];

export async function readServerStatus(session: MysqlSession): Promise<MysqlFacts> {
  const [status, variables, processes, replica] = await Promise.all([
    session.query<{ Variable_name: string; Value: string }>(
      "SHOW GLOBAL STATUS WHERE Variable_name IN ('Threads_connected','Threads_running','Max_used_connections','Slow_queries','Uptime')",
    ),
    session.query<{ Variable_name: string; Value: string }>("SHOW GLOBAL VARIABLES WHERE Variable_name IN ('max_connections','version')"),
    session.query<{ ID: number; USER: string; HOST: string; DB: string | null; COMMAND: string; TIME: number; STATE: string | null; INFO: string | null }>(
      `SELECT ID, USER, HOST, DB, COMMAND, TIME, STATE, LEFT(INFO, 200) AS INFO FROM information_schema.PROCESSLIST
       WHERE ID <> CONNECTION_ID() AND COMMAND NOT IN (${idleCommands.map(() => "?").join(",")})
         AND USER NOT IN ('system user', 'event_scheduler')
       ORDER BY TIME DESC LIMIT 50`,
      idleCommands,
    ),
    readReplica(session),
  ]);
  const s = Object.fromEntries(status.map((r) => [r.Variable_name.toLowerCase(), r.Value]));
  const v = Object.fromEntries(variables.map((r) => [r.Variable_name.toLowerCase(), r.Value]));
  const activeQueries: MysqlQuery[] = processes.map((p) => ({
    id: Number(p.ID),
    user: p.USER,
    host: p.HOST,
    db: p.DB,
    command: p.COMMAND,
    timeSeconds: Number(p.TIME),
    state: p.STATE || null,
    info: p.INFO,
  }));
  return {
    version: v.version ?? "unknown",
    uptimeSeconds: Number(s.uptime ?? 0),
    threadsConnected: Number(s.threads_connected ?? 0),
    threadsRunning: Number(s.threads_running ?? 0),
    maxConnections: Number(v.max_connections ?? 0),
    maxUsedConnections: Number(s.max_used_connections ?? 0),
    slowQueries: Number(s.slow_queries ?? 0),
    activeQueries,
    ...(replica ? { replica } : {}),
  };
}

/** MySQL 8.0.22+ and MariaDB 10.5+ say REPLICA; older servers only know SLAVE. */
async function readReplica(session: MysqlSession): Promise<MysqlReplica | undefined> {
  let rows: Record<string, unknown>[];
  try {
    rows = await session.query<Record<string, unknown>>("SHOW REPLICA STATUS");
  } catch (error) {
    if ((error as { code?: string }).code !== "ER_PARSE_ERROR") throw error;
    rows = await session.query<Record<string, unknown>>("SHOW SLAVE STATUS");
  }
  const row = rows[0];
  if (!row) return undefined;
  const field = (...names: string[]) => names.map((n) => row[n]).find((x) => x !== undefined);
  const lag = field("Seconds_Behind_Source", "Seconds_Behind_Master");
  const lastError = field("Last_SQL_Error", "Last_IO_Error");
  return {
    ioRunning: field("Replica_IO_Running", "Slave_IO_Running") === "Yes",
    sqlRunning: field("Replica_SQL_Running", "Slave_SQL_Running") === "Yes",
    secondsBehind: lag === null || lag === undefined ? null : Number(lag),
    lastError: typeof lastError === "string" && lastError !== "" ? lastError : null,
  };
}
