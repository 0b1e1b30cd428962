import type { Generated } from "kysely";

/**
 * Row shapes as stored, the same on both dialects: times are epoch milliseconds (int8 on
 * PostgreSQL, read back as numbers), JSON is text. Repositories turn rows into the contract's types.
 */
export interface Database {
  check_runs: CheckRunsTable;
  check_results: CheckResultsTable;
  timers: TimersTable;
  teams: TeamsTable;
  people: PeopleTable;
  api_tokens: ApiTokensTable;
  audit_log: AuditLogTable;
}

export interface CheckRunsTable {
  id: string;
  started_at: number;
  duration_ms: number;
  status: string;
  trigger: string;
  requested_by: string | null;
}

export interface CheckResultsTable {
  run_id: string;
  /** Order within the run, as reported. */
  position: number;
  name: string;
  /** Copied from the run so that history queries need no join. */
  started_at: number;
  status: string;
  summary: string;
  duration_ms: number;
  details: string;
}

export interface TimersTable {
  id: string;
  kind: string;
  key: string | null;
  due_at: number;
  payload: string;
  token: string;
  lease_owner: string | null;
  lease_until: number | null;
  status: "pending" | "fired" | "cancelled";
  attempts: Generated<number>;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

export interface TeamsTable {
  id: string;
  name: string;
}

export interface PeopleTable {
  id: string;
  name: string;
  email: string | null;
  chat_handle: string | null;
  time_zone: string | null;
  team_id: string | null;
  titles: string;
}

export interface ApiTokensTable {
  id: string;
  hash: string;
  role: string;
  person_id: string | null;
  label: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface AuditLogTable {
  id: string;
  at: number;
  actor: string;
  action: string;
  subject: string;
  details: string;
}
