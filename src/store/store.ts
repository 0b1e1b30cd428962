import type { CheckResult, Status } from "../domain/checks/verdict.js";
import type { Outcome, Phase, Position, RunStatus, StepStatus, TerminalRunStatus, WaitingRunStatus } from "../domain/runbooks/run-state.js";
import type { Runbook } from "../domain/runbooks/schema.js";

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
  readonly runbookRuns: RunbookRunRepository;
  readonly alerts: AlertRepository;
  readonly pages: PageRepository;
  readonly deliveries: DeliveryRepository;
  readonly oncall: OnCallRepository;
  readonly windows: MaintenanceWindowRepository;
  readonly incidents: IncidentRepository;
  readonly checklists: ChecklistRepository;
  readonly backups: BackupRepository;
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

/** A timer to schedule, alone or in the same commit as the change it belongs to. */
export interface NewTimer {
  kind: string;
  dueAt: Date;
  payload?: Record<string, unknown>;
  /** Keyed timers are singletons: scheduling the key again replaces the pending one. */
  key?: string;
}

export interface TimerRepository {
  /** Inserts, or for a keyed timer replaces due time, payload and token of the pending one. */
  schedule(input: NewTimer): Promise<Timer>;
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
  /** When the next pending timer falls due (or a lease runs out): how long a loop may sleep. */
  nextDueAt(now: Date): Promise<Date | undefined>;
  /** Owners holding leases on pending timers now. */
  leaseOwners(now: Date): Promise<string[]>;
  /** Gives back the leases of owners known to be dead (a killed process on this host): their timers are due at once, with new tokens. */
  releaseLeases(owners: string[]): Promise<number>;
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

// ── runbook runs ───────────────────────────────────────────────────────────────────────────

/** Where a person acted from; `runbook` for a child run started by a parent's step. */
/** How a run was started; "schedule" is a timer of `gameops up` (the nightly backup). */
export type RunThrough = "cli" | "api" | "console" | "schedule";

/** What a waiting run waits for, shown to the person who can unblock it. */
export type RunWaiting =
  | { for: "lock"; lock: string; heldBy: string; retryAt: string; until?: string }
  | { for: "approval"; approvalId: string; stepId: string }
  | { for: "decision"; stepId: string; phase: Phase; position: number; attempt: number }
  | { for: "child"; runId: string; stepId: string }
  | { for: "params"; names: string[] };

export interface RunbookRun {
  id: string;
  runbook: string;
  title: string;
  /** The runbook as it was when the run started. */
  definition: Runbook;
  /** As given, with secret params shown as `<secret>`. */
  params: Record<string, unknown>;
  /** Names of the params whose values exist only in the memory of the process that has them. */
  secretParams: string[];
  /** Lock names as rendered at start. */
  locks: string[];
  status: RunStatus;
  /** Where the run stands: the next step is `phase`'s step number `cursor`. */
  phase: Phase;
  cursor: number;
  /** How the run will end once `finally` has run. */
  outcome: Outcome;
  failedStep?: string;
  error?: string;
  /** Person id (or `cli:<user>`, `admin`) of whoever started it. */
  startedBy: string;
  through: RunThrough | "runbook";
  parent?: { runId: string; stepId: string; phase: Phase; position: number; attempt: number };
  lease?: { owner: string; until: string };
  heartbeatAt?: string;
  waiting?: RunWaiting;
  cancelRequested?: { by: string; at: string };
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  updatedAt: string;
  /** The seq of its latest event: a watcher asks for events after the one it has. */
  lastEventSeq: number;
}

export type RecordedAction = {
  summary: string;
  detail?: Record<string, unknown>;
  target?: string;
  destructive: boolean;
};

/** One attempt of one step. */
export interface StepRecord {
  runId: string;
  phase: Phase;
  position: number;
  attempt: number;
  stepId: string;
  kind: string;
  status: StepStatus;
  action?: RecordedAction;
  startedAt: string;
  finishedAt?: string;
  exitCode?: number;
  outputs?: Record<string, unknown>;
  output?: string;
  error?: string;
  /** A person's decision about this attempt after it was interrupted. */
  decision?: { choice: StepDecision; by: string; at: string };
}

export type StepDecision = "retry" | "skip" | "fail";

export type RunEventType =
  | "run.created"
  | "run.claimed"
  | "run.waiting"
  | "run.woken"
  | "run.released"
  | "run.phase"
  | "run.cancel_requested"
  | "run.finished"
  | "lock.acquired"
  | "step.started"
  | "step.log"
  | "step.retrying"
  | "step.finished"
  | "step.skipped"
  | "step.interrupted"
  | "step.decided"
  | "approval.requested"
  | "approval.decided"
  | "artifact.saved";

/** One entry of a run's timeline: live progress for watchers, and the audit record. */
export interface RunEvent {
  runId: string;
  /** 1, 2, 3 … within the run, without gaps. */
  seq: number;
  at: string;
  type: RunEventType;
  stepId?: string;
  data: Record<string, unknown>;
}

export type NewRunEvent = { type: RunEventType; stepId?: string; data?: Record<string, unknown> };

export type ApprovalDecision = "approve" | "reject";

export interface ApprovalRecord {
  id: string;
  runId: string;
  stepId: string;
  phase: Phase;
  position: number;
  attempt: number;
  prompt: string;
  approvers: string[];
  selfApproval: boolean;
  requestedAt: string;
  timeoutAt?: string;
  onTimeout: "abort" | "continue";
  /** Absent while pending. `timeout`: nobody decided in time; `cancelled`: the run was cancelled first. */
  decision?: ApprovalDecision | "timeout" | "cancelled";
  decidedBy?: string;
  decidedAt?: string;
  through?: RunThrough | "timeout";
  comment?: string;
}

export interface LockRecord {
  name: string;
  runId: string;
  acquiredAt: string;
}

export interface ArtifactRecord {
  id: string;
  runId: string;
  stepId: string;
  name: string;
  contentType: string;
  size: number;
  sha256: string;
  createdAt: string;
}

/** A run leased to one executor. Every write it makes carries the token: a stale owner's writes fail. */
export interface RunClaim {
  run: RunbookRun;
  token: string;
  /** Another executor held it and its lease ran out: whatever step it was in may have been interrupted. */
  takenOver?: { owner: string };
}

export interface NewRunbookRun {
  runbook: Runbook;
  params: Record<string, unknown>;
  secretParams: string[];
  locks: string[];
  startedBy: string;
  through: RunThrough | "runbook";
  /** Lease it at once to the executor starting it, so no other one takes it before that one begins. */
  leaseTo?: { owner: string; leaseMs: number };
  /** A child run: parks the parent (`waiting_child`) in the same commit; `token` is the parent's lease. */
  parent?: { runId: string; token: string; stepId: string; phase: Phase; position: number; attempt: number };
}

export interface StepRef {
  phase: Phase;
  position: number;
  attempt: number;
}

export interface StepEndRecord extends StepRef {
  status: Extract<StepStatus, "succeeded" | "failed" | "skipped" | "cancelled">;
  exitCode?: number;
  outputs?: Record<string, unknown>;
  output?: string;
  error?: string;
}

/** Where the run goes next, committed with the step's end: a crash can never split the two. */
export type RunMove = Position;

export interface RunbookRunRepository {
  /** Commits the run (queued, or leased to its starter) with its `run.created` event. */
  createRun(input: NewRunbookRun): Promise<{ run: RunbookRun; token?: string }>;
  getRun(id: string): Promise<RunbookRun | undefined>;
  /** Newest first; `before` (ISO time) pages back. */
  listRuns(options: { limit: number; before?: string; status?: RunStatus[]; runbook?: string; parentRunId?: string }): Promise<RunbookRun[]>;
  /**
   * Leases one run to `owner`: the given one, or the oldest claimable. Claimable: queued, or
   * running under a lease that ran out (its executor died). `FOR UPDATE SKIP LOCKED` on
   * PostgreSQL, BEGIN IMMEDIATE on SQLite: two executors never both get it. With `runId`, the
   * owner may also take back a run it holds already (one it leased to itself at start).
   */
  claimRun(input: { owner: string; leaseMs: number; runId?: string }): Promise<RunClaim | undefined>;
  /** Extends the lease. `held: false` means another executor took the run: stop at once. */
  heartbeat(runId: string, token: string, leaseMs: number): Promise<{ held: boolean; cancelRequested: boolean }>;
  /** The run gives up its lease and waits (or goes back to the queue); `waiting` says for what. */
  parkRun(runId: string, token: string, input: { status: WaitingRunStatus | "queued"; waiting?: RunWaiting; event?: NewRunEvent }): Promise<void>;
  /** A waiting run goes back to the queue, if it is still in one of `from`. False otherwise. */
  wakeRun(runId: string, from: WaitingRunStatus[], event: NewRunEvent): Promise<boolean>;
  /** Ends the run; in the same commit releases its locks and wakes its parent and runs waiting for a lock. */
  finishRun(runId: string, token: string, input: { status: TerminalRunStatus; failedStep?: string; error?: string }): Promise<RunbookRun>;
  /** Moves the run to another phase or step without a step ending (a cancel noticed between steps). */
  moveRun(runId: string, token: string, move: RunMove, event?: NewRunEvent): Promise<void>;
  /**
   * Records a person's cancel. A run that never started a step ends `cancelled` at once; one
   * waiting for an approval or a decision goes back to the queue so that an executor runs
   * `finally`; one waiting for a child keeps waiting (cancel the child: its end wakes this one);
   * a running one is left to its owner, which sees the request at its next heartbeat.
   */
  requestCancel(runId: string, by: string): Promise<RunbookRun | undefined>;

  /** Commits the attempt as `running` before it executes, with its rendered action. */
  recordStepStarted(runId: string, token: string, input: StepRef & { stepId: string; kind: string; action: RecordedAction }): Promise<void>;
  /** Commits the attempt's end and where the run goes next, in one transaction. */
  recordStepFinished(runId: string, token: string, end: StepEndRecord, move: RunMove | undefined, event?: Record<string, unknown>): Promise<void>;
  /** A step whose `when` was false: one `skipped` attempt, and the run moves on. */
  recordStepSkipped(runId: string, token: string, input: StepRef & { stepId: string; kind: string; reason: string }, move: RunMove): Promise<void>;
  /** An attempt found `running` by a new owner: kept as `interrupted`, the evidence of what was under way. */
  markStepInterrupted(runId: string, token: string, ref: StepRef, evidence: Record<string, unknown>): Promise<void>;
  /** A person's decision on an interrupted step; wakes the run. False if the run is not waiting for it. */
  decideStep(runId: string, input: { stepId: string; choice: StepDecision; by: string }): Promise<boolean>;
  /** Applies a `skip` or `fail` decision to the interrupted attempt, with where the run goes next. */
  settleInterrupted(runId: string, token: string, ref: StepRef, input: { status: "skipped" | "failed"; error?: string }, move: RunMove): Promise<void>;
  listSteps(runId: string): Promise<StepRecord[]>;

  /** Appends to the timeline; the owner's events carry its token (an approver's do not). */
  appendEvents(runId: string, events: NewRunEvent[], token?: string): Promise<void>;
  listEvents(runId: string, options?: { after?: number; limit?: number }): Promise<RunEvent[]>;
  /** Called after any commit that appended events to a run, in this process: watchers read them then. */
  onEvents(listener: (runId: string) => void): () => void;

  /** Records the approval request and parks the run `waiting_approval`, in one commit. */
  requestApproval(
    runId: string,
    token: string,
    input: StepRef & { id: string; stepId: string; prompt: string; approvers: string[]; selfApproval: boolean; timeoutAt?: Date; onTimeout: "abort" | "continue" },
  ): Promise<ApprovalRecord>;
  /**
   * Decides a pending approval and wakes its run, in one commit. The first decision wins; a later
   * one (a second approver, the timeout) gets `decided: false` and the approval as it stands.
   */
  decideApproval(
    approvalId: string,
    input: { decision: ApprovalDecision | "timeout"; by: string; through: RunThrough | "timeout"; comment?: string },
  ): Promise<{ decided: boolean; approval: ApprovalRecord } | undefined>;
  getApproval(id: string): Promise<ApprovalRecord | undefined>;
  approvalFor(runId: string, ref: StepRef): Promise<ApprovalRecord | undefined>;
  listApprovals(options: { runId?: string; pending?: boolean; limit?: number }): Promise<ApprovalRecord[]>;

  /**
   * Takes every lock or none (so two runs needing [a, b] and [b, a] cannot deadlock). Names held
   * by `ancestors` (a parent run) count as held: a child may work under its parent's locks.
   */
  acquireLocks(runId: string, token: string, names: string[], ancestors?: string[]): Promise<{ acquired: true } | { acquired: false; lock: string; heldBy: string }>;
  releaseLocks(runId: string): Promise<void>;
  listLocks(): Promise<LockRecord[]>;

  saveArtifact(input: { runId: string; stepId: string; name: string; contentType: string; data: Uint8Array }): Promise<ArtifactRecord>;
  listArtifacts(runId: string): Promise<ArtifactRecord[]>;
  getArtifact(id: string): Promise<(ArtifactRecord & { data: Uint8Array }) | undefined>;
}

// ── paging ─────────────────────────────────────────────────────────────────────────────────

export type AlertSource = "alertmanager" | "events";
export type AlertStatus = "firing" | "resolved";
export type Labels = Record<string, string>;

export interface IncomingAlert {
  fingerprint: string;
  status: AlertStatus;
  labels: Labels;
  annotations: Labels;
  startsAt: Date;
  endsAt?: Date;
  generatorUrl?: string;
}

export interface AlertRecord {
  fingerprint: string;
  source: AlertSource;
  groupKey: string;
  status: AlertStatus;
  labels: Labels;
  annotations: Labels;
  startsAt: string;
  endsAt?: string;
  generatorUrl?: string;
  firstSeenAt: string;
  lastSeenAt: string;
}

export interface AlertGroupRecord {
  groupKey: string;
  source: AlertSource;
  receiver?: string;
  status: AlertStatus;
  groupLabels: Labels;
  commonLabels: Labels;
  commonAnnotations: Labels;
  externalUrl?: string;
  pageId?: string;
  suppressedBy?: string;
  firstSeenAt: string;
  lastSeenAt: string;
}

export type PageStatus = "triggered" | "acknowledged" | "resolved";
export type PageSource = AlertSource | "watchdog" | "test" | "manual";

/** What a page says about itself, as opened. */
export interface PageFields {
  title: string;
  severity?: string;
  source: PageSource;
  groupKey?: string;
  labels: Labels;
  annotations: Labels;
  runbook?: string;
  route?: { index?: number; policyId: string; declare?: string };
  /** The escalation policy as it was when the page opened: the page keeps it whatever the config becomes. */
  policy?: Record<string, unknown>;
  /** The incident it belongs to: acknowledging the page acknowledges the incident. */
  incidentId?: string;
}

/** A page to open; the first escalation timer is committed with it. */
export interface NewPage extends PageFields {
  /** Its first escalation step, scheduled in the page's commit under `pageEscalationKey`; `payload.pageId` is filled in. */
  escalation?: Omit<NewTimer, "key">;
  /** Queued in the page's commit. */
  deliveries?: NewDelivery[];
  /** Follow-ups (declaring its incident) scheduled in the page's commit under `page:ID:NAME`; `payload.pageId` is filled in. */
  timers?: Array<Omit<NewTimer, "key"> & { name: string }>;
  actor?: string;
}

export interface PageRecord extends PageFields {
  id: string;
  number: number;
  status: PageStatus;
  /** The next escalation step to fire. */
  step: number;
  /** Who was notified last. */
  assignees: string[];
  openedAt: string;
  acknowledgedAt?: string;
  acknowledgedBy?: string;
  resolvedAt?: string;
  resolvedBy?: string;
  updatedAt: string;
}

export type PageEventType =
  | "page.triggered"
  | "page.notified"
  | "page.escalated"
  | "page.exhausted"
  | "page.acknowledged"
  | "page.resolved"
  | "page.reassigned"
  | "page.alerts"
  | "page.note";

export interface PageEvent {
  pageId: string;
  seq: number;
  at: string;
  type: PageEventType;
  actor?: string;
  data: Record<string, unknown>;
}

/** An Alertmanager notification or an Events v2 event, as one group's state. */
export interface AlertIntake {
  source: AlertSource;
  groupKey: string;
  receiver?: string;
  status: AlertStatus;
  groupLabels: Labels;
  commonLabels: Labels;
  commonAnnotations: Labels;
  externalUrl?: string;
  alerts: IncomingAlert[];
  /**
   * Opened when the group fires with no open page and a firing alert started after its last
   * page opened (a repeat of alerts already paged for never pages again). Absent: record only.
   */
  page?: NewPage;
  /** The maintenance window that keeps this group from paging. */
  suppressedBy?: string;
}

export interface IntakeResult {
  groupKey: string;
  alerts: number;
  /** The page opened, or resolved because the group resolved. */
  opened?: PageRecord;
  resolved?: PageRecord;
  /** The group's open page, if any, after the intake. */
  open?: PageRecord;
}

export interface PageChange {
  /** False when the page was already past that state: a second acknowledgement changes nothing. */
  changed: boolean;
  page: PageRecord;
}

/** The key of a page's one pending escalation timer: rescheduling it replaces the step due. */
export const pageEscalationKey = (pageId: string) => `page:${pageId}:escalation`;

/** The key of a delivery's send timer. */
export const deliveryTimerKey = (deliveryId: string) => `delivery:${deliveryId}`;

export interface AlertRepository {
  list(options: { status?: AlertStatus; limit: number; groupKey?: string }): Promise<AlertRecord[]>;
  getGroup(groupKey: string): Promise<AlertGroupRecord | undefined>;
  listGroups(options: { status?: AlertStatus; limit: number }): Promise<AlertGroupRecord[]>;
}

export interface PageRepository {
  /** Records a group's alerts, and opens or resolves its page, in one commit. */
  ingest(intake: AlertIntake): Promise<IntakeResult>;
  open(page: NewPage): Promise<PageRecord>;
  /** By id, or by number when given digits. */
  get(ref: string): Promise<PageRecord | undefined>;
  /** Newest first; `beforeNumber` pages back. */
  list(options: { status?: PageStatus[]; limit: number; beforeNumber?: number }): Promise<PageRecord[]>;
  /** The open (triggered or acknowledged) page of a group. */
  openForGroup(groupKey: string): Promise<PageRecord | undefined>;
  /** How many pages are triggered and acknowledged: gauges for /metrics. */
  openCounts(): Promise<{ triggered: number; acknowledged: number }>;
  events(pageId: string, options?: { after?: number }): Promise<PageEvent[]>;
  /**
   * Fires escalation step `step` of a triggered page: records who was notified, queues the
   * deliveries, moves the page to `step + 1` and schedules the next step, in one commit. False
   * when the page is no longer triggered or has moved past `step` (the step fired already).
   */
  fireStep(
    pageId: string,
    input: { step: number; assignees: string[]; event: { type: PageEventType; data: Record<string, unknown> }; deliveries: NewDelivery[]; next?: Omit<NewTimer, "key"> },
  ): Promise<boolean>;
  /**
   * Stops the escalation (cancels the page's escalation timer) in the same commit; the first
   * acknowledgement of any page of an incident acknowledges the incident too (its response clock stops).
   */
  acknowledge(pageId: string, input: { by: string; through: string }): Promise<PageChange | undefined>;
  resolve(pageId: string, input: { by: string; through: string }): Promise<PageChange | undefined>;
  /** Notifies someone else now; the escalation carries on unless the page is acknowledged. */
  reassign(pageId: string, input: { to: string[]; by: string; deliveries: NewDelivery[] }): Promise<PageChange | undefined>;
  /** Makes the next escalation step due now. False if the page is not triggered. */
  escalateNow(pageId: string, input: { by: string; timer: Omit<NewTimer, "key"> }): Promise<boolean>;
  appendEvent(pageId: string, event: { type: PageEventType; actor?: string; data?: Record<string, unknown> }): Promise<void>;
  onEvents(listener: (pageId: string) => void): () => void;
}

export interface Recipient {
  id: string;
  name: string;
  email?: string;
  chatHandle?: string;
}

export type DeliveryStatus = "pending" | "sent" | "failed" | "coalesced";

export interface NewDelivery {
  personId?: string;
  recipient: Recipient;
  /** `inbox`, `email`, `slack`, `webhook:NAME`. The inbox is delivered on commit. */
  channel: string;
  notice: Record<string, unknown>;
  /** Its send timer, committed with it; absent for the inbox. */
  timer?: Omit<NewTimer, "payload">;
}

export interface DeliveryRecord {
  id: string;
  pageId?: string;
  personId?: string;
  recipient: Recipient;
  channel: string;
  notice: Record<string, unknown>;
  status: DeliveryStatus;
  attempts: number;
  lastError?: string;
  coalescedInto?: string;
  createdAt: string;
  sentAt?: string;
  readAt?: string;
}

export interface DeliveryAttempt {
  deliveryId: string;
  attempt: number;
  at: string;
  ok: boolean;
  retryable: boolean;
  detail: string;
  durationMs: number;
}

export interface DeliveryRepository {
  /** Deliveries of no page (a test page, a shift notice), with their send timers, in one commit. */
  queue(deliveries: NewDelivery[]): Promise<string[]>;
  get(id: string): Promise<DeliveryRecord | undefined>;
  /** Pending deliveries on a channel to one recipient, oldest first: what a digest coalesces. */
  pending(channel: string, recipientId: string): Promise<DeliveryRecord[]>;
  /** Deliveries waiting to go out, per channel: a gauge for /metrics (a growing one means a channel is down). */
  pendingCounts(): Promise<Record<string, number>>;
  /** How many went out on a channel since a time: the channel's rate limit. */
  sentSince(channel: string, since: Date): Promise<number>;
  /**
   * Records one attempt; `sent` and `failed` end the delivery (and those in `covers`, coalesced
   * into it), `retry` keeps it pending.
   */
  recordAttempt(
    id: string,
    attempt: { outcome: "sent" | "failed" | "retry"; retryable: boolean; detail: string; durationMs: number; covers?: string[] },
  ): Promise<DeliveryRecord | undefined>;
  listForPage(pageId: string): Promise<Array<DeliveryRecord & { attemptLog: DeliveryAttempt[] }>>;
  /** A person's inbox, newest first. */
  inbox(personId: string, options: { limit: number; unreadOnly?: boolean }): Promise<DeliveryRecord[]>;
  markRead(personId: string, ids: string[]): Promise<number>;
}

export interface OnCallOverride {
  id: string;
  scheduleId: string;
  role: "primary" | "backup";
  personId: string;
  start: Date;
  end: Date;
  reason?: string;
  createdBy: string;
  createdAt: string;
}

export interface OnCallRepository {
  addOverride(input: Omit<OnCallOverride, "id" | "createdAt">): Promise<OnCallOverride>;
  /** Overrides that overlap [from, to), not cancelled. */
  overrides(options: { scheduleId?: string; from: Date; to: Date }): Promise<OnCallOverride[]>;
  cancelOverride(id: string): Promise<boolean>;
}

export interface WindowMatcher {
  name: string;
  value: string;
  isRegex: boolean;
  isEqual: boolean;
}

export interface MaintenanceWindow {
  id: string;
  title: string;
  matchers: WindowMatcher[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  createdAt: string;
  endedAt?: string;
  endedBy?: string;
  silenceId?: string;
  silenceError?: string;
}

export interface MaintenanceWindowRepository {
  create(input: { title: string; matchers: WindowMatcher[]; startsAt: Date; endsAt: Date; createdBy: string }): Promise<MaintenanceWindow>;
  get(id: string): Promise<MaintenanceWindow | undefined>;
  /** Windows in force at `at`. */
  active(at: Date): Promise<MaintenanceWindow[]>;
  list(options: { limit: number; includeEnded?: boolean }): Promise<MaintenanceWindow[]>;
  recordSilence(id: string, input: { silenceId?: string; error?: string }): Promise<void>;
  /** Ends it now (or records that its time ran out); false when it had ended already. */
  end(id: string, input: { by: string; at: Date }): Promise<MaintenanceWindow | undefined>;
}

// ── incidents ──────────────────────────────────────────────────────────────────────────────

export type IncidentStatus = "declared" | "triage" | "mitigating" | "root_cause" | "resolved" | "postmortem" | "documented";
export type IncidentSource = "cli" | "api" | "console" | "alert";

export interface IncidentRecord {
  id: string;
  number: number;
  title: string;
  severity: string;
  status: IncidentStatus;
  impact?: string;
  rootCause?: string;
  lessons?: string;
  source: IncidentSource;
  labels: Labels;
  declaredAt: string;
  declaredBy: string;
  acknowledgedAt?: string;
  acknowledgedBy?: string;
  resolvedAt?: string;
  documentedAt?: string;
  /** The response deadline of its severity. */
  respondBy: string;
  slaBreachedAt?: string;
  lastUpdateAt?: string;
  nextUpdateAt?: string;
  postmortem?: string;
  /** Role → person id: incident_commander, tech_lead, communications, scribe, or owner. */
  roles: Record<string, string>;
  updatedAt: string;
}

export type IncidentEventType =
  | "incident.declared"
  | "incident.status"
  | "incident.severity"
  | "incident.acknowledged"
  | "incident.sla_breached"
  | "incident.role"
  | "incident.update"
  | "incident.update_due"
  | "incident.note"
  | "incident.page"
  | "incident.alerts"
  | "incident.task"
  | "incident.action_item"
  | "incident.runbook_run"
  | "incident.people_requested"
  | "incident.postmortem";

export interface IncidentEvent {
  incidentId: string;
  seq: number;
  at: string;
  type: IncidentEventType;
  actor?: string;
  data: Record<string, unknown>;
}

export interface NewIncidentEvent {
  type: IncidentEventType;
  actor?: string;
  data?: Record<string, unknown>;
}

export interface IncidentTask {
  taskId: string;
  phase: string;
  title: string;
  ownerRole?: string;
  doneAt?: string;
  doneBy?: string;
}

export interface ActionItem {
  id: string;
  incidentId: string;
  text: string;
  owner: string;
  /** YYYY-MM-DD in the team's zone. */
  dueOn?: string;
  createdAt: string;
  createdBy: string;
  doneAt?: string;
  doneBy?: string;
}

export interface NewIncident {
  title: string;
  severity: string;
  source: IncidentSource;
  labels: Labels;
  impact?: string;
  declaredBy: string;
  respondBy: Date;
  nextUpdateAt?: Date;
  roles: Record<string, string>;
  tasks: Omit<IncidentTask, "doneAt" | "doneBy">[];
  /** The incident's own page, opened in the same commit (its incidentId filled in). */
  page?: NewPage;
  /** Pages that exist already (the alert's) joining the incident. */
  attachPages?: string[];
  /** Its clocks (response SLA, update reminder), committed with it under `incidentTimerKey(id, name)`; `payload.incidentId` is filled in. */
  timers: Array<Omit<NewTimer, "key"> & { name: IncidentClock }>;
}

/** The clocks an incident keeps: one pending timer each. */
export type IncidentClock = "sla" | "update";

export const incidentTimerKey = (incidentId: string, clock: IncidentClock) => `incident:${incidentId}:${clock}`;

export interface IncidentListQuery {
  status?: IncidentStatus[];
  severity?: string[];
  /** Newest first; pages back below this number. */
  beforeNumber?: number;
  limit: number;
}

/** A change of the incident's own fields, with the event that says so, in one commit. */
export interface IncidentChange {
  /** Only if the incident is still in one of these (a concurrent change makes it a no-op). */
  fromStatus?: IncidentStatus[];
  set: Partial<{
    status: IncidentStatus;
    severity: string;
    title: string;
    impact: string | null;
    rootCause: string | null;
    lessons: string | null;
    postmortem: string;
    respondBy: Date;
    acknowledgedAt: Date;
    acknowledgedBy: string;
    resolvedAt: Date | null;
    documentedAt: Date;
    slaBreachedAt: Date;
    lastUpdateAt: Date;
    nextUpdateAt: Date | null;
  }>;
  event: NewIncidentEvent;
  /** Clocks to schedule (or move) in the same commit. */
  timers?: Array<Omit<NewTimer, "key"> & { name: IncidentClock }>;
  /** Clocks to stop in the same commit. */
  cancelTimers?: IncidentClock[];
}

export interface IncidentRepository {
  declare(input: NewIncident): Promise<{ incident: IncidentRecord; page?: PageRecord }>;
  /** By id, or by number when given digits (or INC-42). */
  get(ref: string): Promise<IncidentRecord | undefined>;
  list(query: IncidentListQuery): Promise<IncidentRecord[]>;
  /** Incidents declared in [from, to), for MTTA/MTTR. */
  declaredBetween(from: Date, to: Date): Promise<IncidentRecord[]>;
  /** False when `fromStatus` no longer holds: nothing was changed. */
  change(id: string, change: IncidentChange): Promise<IncidentRecord | undefined>;
  /** Gives a role to a person; the previous holder, if any, is returned (a handoff). */
  assignRole(id: string, input: { role: string; personId: string; by: string }): Promise<{ previous?: string }>;
  appendEvent(id: string, event: NewIncidentEvent): Promise<void>;
  events(id: string, options?: { after?: number }): Promise<IncidentEvent[]>;
  tasks(id: string): Promise<IncidentTask[]>;
  setTaskDone(id: string, taskId: string, input: { by: string; done: boolean }): Promise<IncidentTask | undefined>;
  addActionItem(input: Omit<ActionItem, "id" | "createdAt" | "doneAt" | "doneBy">): Promise<ActionItem>;
  actionItems(options: { incidentId?: string; open?: boolean }): Promise<ActionItem[]>;
  completeActionItem(id: string, by: string): Promise<ActionItem | undefined>;
  linkPage(id: string, pageId: string): Promise<void>;
  pages(id: string): Promise<PageRecord[]>;
  onEvents(listener: (incidentId: string) => void): () => void;
}

export interface ChecklistSignoff {
  checklist: string;
  period: string;
  itemId: string;
  doneAt: string;
  doneBy: string;
  evidence?: Record<string, unknown>;
  note?: string;
}

export interface ChecklistRepository {
  /** The first sign-off of an item for a period stands; a second one changes nothing and returns the first. */
  signOff(input: Omit<ChecklistSignoff, "doneAt"> & { at?: Date }): Promise<ChecklistSignoff>;
  signoffs(checklist: string, periods: string[]): Promise<ChecklistSignoff[]>;
}

// ── backups ────────────────────────────────────────────────────────────────────────────────

export type BackupStatus = "running" | "written" | "verified" | "failed";

export interface BackupSetRecord {
  id: string;
  status: BackupStatus;
  components: string[];
  storage: { kind: string; location: string };
  size: number;
  /** The manifest (domain/backups/manifest.ts), once the set is written. */
  manifest?: Record<string, unknown>;
  error?: string;
  startedAt: string;
  finishedAt?: string;
  verifiedAt?: string;
  startedBy: string;
}

export interface BackupRepository {
  /** A set being written: it is not good, and a crash leaves it `running`, never `verified`. */
  start(input: { id: string; components: string[]; storage: { kind: string; location: string }; startedBy: string }): Promise<BackupSetRecord>;
  /** Written (manifest) or failed (error); only from running. */
  finish(id: string, input: { status: "written" | "failed"; size: number; manifest?: Record<string, unknown>; error?: string }): Promise<BackupSetRecord | undefined>;
  /** Verified (the manifest gains its fingerprint), or failed verification; from written or verified. */
  recordVerification(id: string, input: { ok: boolean; manifest?: Record<string, unknown>; error?: string }): Promise<BackupSetRecord | undefined>;
  get(id: string): Promise<BackupSetRecord | undefined>;
  /** Newest first. */
  list(options: { limit: number; status?: BackupStatus[] }): Promise<BackupSetRecord[]>;
  remove(id: string): Promise<boolean>;
}

export interface StoreOptions {
  dataDir: string;
  /** postgres://… ; the SQLite file under dataDir otherwise. */
  url?: string;
  /** Clock for the times the store stamps itself (created, last used, fired). */
  now?: () => Date;
}

/**
 * A write by an executor whose lease on the run is gone: another executor claimed the run after
 * the lease ran out. The writer must stop at once; nothing it tried was committed.
 */
export class RunLeaseLost extends Error {
  constructor(readonly runId: string) {
    super(`run ${runId}: this executor's lease is gone (another executor took the run over after the lease ran out); it stopped`);
    this.name = "RunLeaseLost";
  }
}

/** The run was asked to cancel before it could wait (for an approval, a decision, a child): it goes to `finally` instead. */
export class RunCancelRequested extends Error {
  constructor(readonly runId: string) {
    super(`run ${runId} was asked to cancel`);
    this.name = "RunCancelRequested";
  }
}
