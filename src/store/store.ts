import type { CheckResult, Status } from "../domain/checks/verdict.js";

/**
 * What the rest of gameops may ask of the store. Implemented once over Kysely for both
 * SQLite (embedded default) and PostgreSQL; the same suite in test/store runs against both.
 */
export interface Store {
  readonly dialect: "sqlite" | "postgres";
  readonly checkRuns: CheckRunRepository;
  readonly timers: TimerRepository;
  readonly people: PeopleRepository;
  readonly tokens: TokenRepository;
  readonly audit: AuditRepository;
  close(): Promise<void>;
}

export type RunTrigger = "schedule" | "startup" | "cli" | "api" | "console";

export interface CheckRunRecord {
  id: string;
  startedAt: string;
  durationMs: number;
  status: Status;
  trigger: RunTrigger;
  /** Person id of whoever asked for it; absent for the scheduler. */
  requestedBy?: string;
  checks: CheckResult[];
}

export interface CheckHistoryPoint {
  runId: string;
  name: string;
  startedAt: string;
  status: CheckResult["status"];
  durationMs: number;
}

export interface CheckRunRepository {
  record(run: CheckRunRecord): Promise<void>;
  get(id: string): Promise<CheckRunRecord | undefined>;
  latest(): Promise<CheckRunRecord | undefined>;
  /** Newest first; `before` (an ISO time) pages back: only runs that started earlier. */
  list(options: { limit: number; before?: string }): Promise<CheckRunRecord[]>;
  /** The most recent result of one check that actually ran (not skipped), for deltas such as Slow_queries. */
  latestResult(name: string): Promise<(CheckResult & { runId: string; startedAt: string }) | undefined>;
  /** One point per check per run since a time, oldest first: the console's history chart. */
  history(since: Date): Promise<CheckHistoryPoint[]>;
}

export interface Timer {
  id: string;
  kind: string;
  /** Singleton timers (the daily check) have a key; rescheduling one replaces its token. */
  key?: string;
  dueAt: Date;
  payload: Record<string, unknown>;
  /**
   * Fencing token: a new one on every schedule and every claim, so `complete`/`release` from a
   * run that lost its lease, or of a timer rescheduled meanwhile, do nothing.
   */
  token: string;
  /** How many times it has been claimed. */
  attempts: number;
  /** Why the last attempt failed, if it did. */
  lastError?: string;
}

export interface TimerRepository {
  /** Inserts, or for a keyed timer replaces due time, payload and token of the pending one. */
  schedule(input: { kind: string; dueAt: Date; payload?: Record<string, unknown>; key?: string }): Promise<Timer>;
  /**
   * Leases due pending timers to one owner: `FOR UPDATE SKIP LOCKED` on PostgreSQL, the single
   * writer on SQLite. A timer whose lease ran out (its owner died) is due again.
   */
  claimDue(input: { now: Date; owner: string; leaseMs: number; limit: number }): Promise<Timer[]>;
  /** Marks the timer fired. False when the token is stale (rescheduled, re-claimed, cancelled or fired already): do nothing then. */
  complete(id: string, token: string): Promise<boolean>;
  /** Gives a claimed timer back after a failure, due again at `retryAt`. */
  release(id: string, token: string, input: { error: string; retryAt: Date }): Promise<void>;
  cancel(key: string): Promise<boolean>;
  /** The pending timer with this key. */
  findByKey(key: string): Promise<Timer | undefined>;
}

export type Role = "viewer" | "responder" | "operator" | "admin";
export const roles: readonly Role[] = ["viewer", "responder", "operator", "admin"];

export interface Team {
  id: string;
  name: string;
}

export interface Person {
  id: string;
  name: string;
  email?: string;
  chatHandle?: string;
  timeZone?: string;
  teamId?: string;
  /** Organisational roles such as lead, director: who escalations and approvals reach. */
  titles: string[];
}

export interface PeopleRepository {
  upsertTeam(team: Team): Promise<Team>;
  listTeams(): Promise<Team[]>;
  upsertPerson(person: Person): Promise<Person>;
  getPerson(id: string): Promise<Person | undefined>;
  listPeople(): Promise<Person[]>;
}

export interface TokenRecord {
  id: string;
  /** Absent only for the bootstrap admin token. */
  personId?: string;
  role: Role;
  label: string;
  createdAt: string;
  lastUsedAt?: string;
  revokedAt?: string;
}

export interface TokenRepository {
  /** Returns the token in clear exactly once; only its SHA-256 is stored. */
  create(input: { personId?: string; role: Role; label: string; plain?: string }): Promise<{ token: string; record: TokenRecord }>;
  verify(plain: string): Promise<TokenRecord | undefined>;
  list(): Promise<TokenRecord[]>;
  revoke(id: string): Promise<boolean>;
  /** Whether a bootstrap admin token exists (the first start prints one). */
  hasBootstrap(): Promise<boolean>;
}

export interface AuditRecord {
  id: string;
  at: string;
  /** Person id, `admin` for the bootstrap token, or `system`. */
  actor: string;
  action: string;
  subject: string;
  details: Record<string, unknown>;
}

export interface AuditRepository {
  append(entry: Omit<AuditRecord, "id" | "at"> & { at?: Date }): Promise<AuditRecord>;
  list(options: { limit: number; subject?: string }): Promise<AuditRecord[]>;
}

export interface StoreOptions {
  dataDir: string;
  /** postgres://… ; the SQLite file under dataDir otherwise. */
  url?: string;
  /** Clock for the times the store stamps itself (created, last used, fired). */
  now?: () => Date;
}
