import type { Thresholds } from "../../config/schema.js";
import { grade, pct, round, worst, type Status, type Verdict } from "./verdict.js";

export interface MysqlQuery {
  id: number;
  user: string;
  host: string;
  db: string | null;
  command: string;
  timeSeconds: number;
  state: string | null;
  /** The statement, shortened; it may hold data, so never more than a glance. */
  info: string | null;
}

export interface MysqlReplica {
  ioRunning: boolean;
  sqlRunning: boolean;
  /** null while the SQL thread is stopped or the lag is unknown. */
  secondsBehind: number | null;
  lastError: string | null;
}

export interface MysqlFacts {
  version: string;
  uptimeSeconds: number;
  threadsConnected: number;
  threadsRunning: number;
  maxConnections: number;
  maxUsedConnections: number;
  slowQueries: number;
  /** Non-Sleep statements of other sessions, longest first. */
  activeQueries: MysqlQuery[];
  replica?: MysqlReplica;
}

/** What the previous run saw, to count Slow_queries since then. */
export interface MysqlBaseline {
  slowQueries: number;
  uptimeSeconds: number;
}

export function judgeMysql(facts: MysqlFacts, limits: Thresholds["mysql"], baseline?: MysqlBaseline): Verdict {
  const statuses: Status[] = [];
  const notes: string[] = [];

  const connectionsPct = pct(facts.threadsConnected, facts.maxConnections);
  const connections = grade(connectionsPct, limits.connectionsPct);
  statuses.push(connections);
  notes.push(`${facts.threadsConnected}/${facts.maxConnections} connections (${round(connectionsPct)} %)`);

  const longest = facts.activeQueries[0];
  notes.push(`${facts.activeQueries.length} active ${facts.activeQueries.length === 1 ? "query" : "queries"}`);
  if (longest) {
    statuses.push(grade(longest.timeSeconds, limits.longestQuerySeconds));
    notes.push(`longest ${longest.timeSeconds}s`);
  }

  // A restart resets the counter: then everything counted is new since the baseline.
  const restarted = baseline !== undefined && facts.uptimeSeconds < baseline.uptimeSeconds;
  const newSlowQueries = baseline === undefined ? undefined : restarted ? facts.slowQueries : Math.max(0, facts.slowQueries - baseline.slowQueries);
  if (newSlowQueries === undefined) notes.push(`${facts.slowQueries} slow queries since start (no previous run)`);
  else {
    statuses.push(grade(newSlowQueries, limits.newSlowQueries));
    notes.push(`${newSlowQueries} new slow ${newSlowQueries === 1 ? "query" : "queries"}`);
  }

  if (facts.replica) {
    const r = facts.replica;
    if (!r.ioRunning || !r.sqlRunning) {
      statuses.push("critical");
      notes.push(`replication stopped (io ${r.ioRunning ? "on" : "off"}, sql ${r.sqlRunning ? "on" : "off"})`);
    } else if (r.secondsBehind === null) {
      statuses.push("warning");
      notes.push("replica lag unknown");
    } else {
      statuses.push(grade(r.secondsBehind, limits.replicaLagSeconds));
      notes.push(`replica lag ${r.secondsBehind}s`);
    }
  }

  return {
    status: worst(statuses),
    summary: notes.join(", "),
    details: {
      version: facts.version,
      uptimeSeconds: facts.uptimeSeconds,
      threadsConnected: facts.threadsConnected,
      threadsRunning: facts.threadsRunning,
      maxConnections: facts.maxConnections,
      maxUsedConnections: facts.maxUsedConnections,
      connectionsPct: round(connectionsPct),
      connectionsStatus: connections,
      slowQueries: facts.slowQueries,
      newSlowQueries: newSlowQueries ?? null,
      serverRestarted: restarted,
      activeQueries: facts.activeQueries.slice(0, 10),
      longestQuery: longest ?? null,
      replica: facts.replica ?? null,
    },
  };
}

/** Reads the baseline back out of a previous result's details; tolerant of older shapes. */
export function mysqlBaseline(details: Record<string, unknown> | undefined): MysqlBaseline | undefined {
  const slow = details?.slowQueries;
  const uptime = details?.uptimeSeconds;
  return typeof slow === "number" && typeof uptime === "number" ? { slowQueries: slow, uptimeSeconds: uptime } : undefined;
}
