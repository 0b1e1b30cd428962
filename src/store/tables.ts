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
  runbook_runs: RunbookRunsTable;
  runbook_steps: RunbookStepsTable;
  runbook_events: RunbookEventsTable;
  runbook_approvals: RunbookApprovalsTable;
  runbook_locks: RunbookLocksTable;
  runbook_artifacts: RunbookArtifactsTable;
  counters: CountersTable;
  alert_groups: AlertGroupsTable;
  alerts: AlertsTable;
  pages: PagesTable;
  page_events: PageEventsTable;
  deliveries: DeliveriesTable;
  delivery_attempts: DeliveryAttemptsTable;
  oncall_overrides: OncallOverridesTable;
  maintenance_windows: MaintenanceWindowsTable;
  incidents: IncidentsTable;
  incident_roles: IncidentRolesTable;
  incident_events: IncidentEventsTable;
  incident_tasks: IncidentTasksTable;
  action_items: ActionItemsTable;
  checklist_signoffs: ChecklistSignoffsTable;
  backup_sets: BackupSetsTable;
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

export interface RunbookRunsTable {
  id: string;
  runbook: string;
  title: string;
  /** The runbook as parsed when the run started (JSON): editing the file never changes a run in flight. */
  definition: string;
  /** JSON; secret params hold `<secret>`: their values are never written (see runbook-runs.ts). */
  params: string;
  /** JSON array of the names of secret params. */
  secret_params: string;
  /** JSON array of the lock names, rendered at start. */
  locks: string;
  status: string;
  phase: string;
  cursor: number;
  outcome: string;
  failed_step: string | null;
  error: string | null;
  started_by: string;
  through: string;
  parent_run_id: string | null;
  /** JSON {phase, position, attempt, stepId}: the parent's step that started this run. */
  parent_step: string | null;
  lease_owner: string | null;
  lease_token: string | null;
  lease_until: number | null;
  heartbeat_at: number | null;
  /** JSON: what a waiting run waits for. */
  waiting: string | null;
  cancel_requested_by: string | null;
  cancel_requested_at: number | null;
  /** The seq of the run's last event; bumped under the run's row lock, so seqs never collide. */
  event_seq: number;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  updated_at: number;
}

export interface RunbookStepsTable {
  run_id: string;
  phase: string;
  position: number;
  attempt: number;
  step_id: string;
  kind: string;
  status: string;
  /** JSON: the rendered action (summary, detail, target, destructive), secrets redacted. */
  action: string | null;
  started_at: number;
  finished_at: number | null;
  exit_code: number | null;
  outputs: string | null;
  /** The tail of the step's output, bounded and redacted. */
  output: string | null;
  error: string | null;
  decision: string | null;
  decided_by: string | null;
  decided_at: number | null;
}

export interface RunbookEventsTable {
  run_id: string;
  seq: number;
  at: number;
  type: string;
  step_id: string | null;
  data: string;
}

export interface RunbookApprovalsTable {
  id: string;
  run_id: string;
  step_id: string;
  phase: string;
  position: number;
  attempt: number;
  prompt: string;
  approvers: string;
  /** 0 or 1: the same on both dialects. */
  self_approval: number;
  requested_at: number;
  timeout_at: number | null;
  on_timeout: string;
  decision: string | null;
  decided_by: string | null;
  decided_at: number | null;
  through: string | null;
  comment: string | null;
}

export interface RunbookLocksTable {
  name: string;
  run_id: string;
  acquired_at: number;
}

export interface RunbookArtifactsTable {
  id: string;
  run_id: string;
  step_id: string;
  name: string;
  content_type: string;
  size: number;
  sha256: string;
  created_at: number;
  content: Uint8Array;
}

export interface CountersTable {
  name: string;
  value: number;
}

export interface AlertGroupsTable {
  group_key: string;
  source: string;
  receiver: string | null;
  status: "firing" | "resolved";
  group_labels: string;
  common_labels: string;
  common_annotations: string;
  external_url: string | null;
  /** The group's latest page. */
  page_id: string | null;
  /** The maintenance window that kept its last firing from paging. */
  suppressed_by: string | null;
  first_seen_at: number;
  last_seen_at: number;
}

export interface AlertsTable {
  fingerprint: string;
  source: string;
  group_key: string;
  status: "firing" | "resolved";
  labels: string;
  annotations: string;
  starts_at: number;
  ends_at: number | null;
  generator_url: string | null;
  first_seen_at: number;
  last_seen_at: number;
}

export interface PagesTable {
  id: string;
  number: number;
  title: string;
  status: "triggered" | "acknowledged" | "resolved";
  severity: string | null;
  source: string;
  group_key: string | null;
  labels: string;
  annotations: string;
  runbook: string | null;
  /** JSON: which route chose the policy. */
  route: string | null;
  /** JSON: the escalation policy as it was when the page opened. */
  policy: string | null;
  /** The next escalation step to fire; advanced under the page's row lock, so a step fires once. */
  step: number;
  /** JSON array of the person ids notified last. */
  assignees: string;
  event_seq: number;
  opened_at: number;
  acknowledged_at: number | null;
  acknowledged_by: string | null;
  resolved_at: number | null;
  resolved_by: string | null;
  updated_at: number;
  /** The incident the page belongs to: acknowledging the page acknowledges it. */
  incident_id: string | null;
}

export interface PageEventsTable {
  page_id: string;
  seq: number;
  at: number;
  type: string;
  actor: string | null;
  data: string;
}

export interface DeliveriesTable {
  id: string;
  page_id: string | null;
  person_id: string | null;
  /** JSON: who it was for, as they were when it was queued. */
  recipient: string;
  channel: string;
  /** JSON: what the channel renders. */
  notice: string;
  status: "pending" | "sent" | "failed" | "coalesced";
  attempts: number;
  last_error: string | null;
  coalesced_into: string | null;
  created_at: number;
  sent_at: number | null;
  read_at: number | null;
  updated_at: number;
}

export interface DeliveryAttemptsTable {
  delivery_id: string;
  attempt: number;
  at: number;
  ok: number;
  retryable: number;
  detail: string;
  duration_ms: number;
}

export interface OncallOverridesTable {
  id: string;
  schedule_id: string;
  role: "primary" | "backup";
  person_id: string;
  starts_at: number;
  ends_at: number;
  reason: string | null;
  created_by: string;
  created_at: number;
  cancelled_at: number | null;
}

export interface MaintenanceWindowsTable {
  id: string;
  title: string;
  /** JSON array of Alertmanager-style matchers {name, value, isRegex, isEqual}. */
  matchers: string;
  starts_at: number;
  ends_at: number;
  created_by: string;
  created_at: number;
  ended_at: number | null;
  ended_by: string | null;
  silence_id: string | null;
  silence_error: string | null;
}

export interface IncidentsTable {
  id: string;
  number: number;
  title: string;
  severity: string;
  status: string;
  impact: string | null;
  root_cause: string | null;
  lessons: string | null;
  source: string;
  labels: string;
  declared_at: number;
  declared_by: string;
  acknowledged_at: number | null;
  acknowledged_by: string | null;
  resolved_at: number | null;
  documented_at: number | null;
  /** The response deadline: acknowledged after it, the SLA was breached. */
  respond_by: number;
  sla_breached_at: number | null;
  last_update_at: number | null;
  next_update_at: number | null;
  /** The post-mortem document (Markdown) once written; edited in the console. */
  postmortem: string | null;
  event_seq: number;
  updated_at: number;
}

export interface IncidentRolesTable {
  incident_id: string;
  role: string;
  person_id: string;
  assigned_at: number;
  assigned_by: string;
}

export interface IncidentEventsTable {
  incident_id: string;
  seq: number;
  at: number;
  type: string;
  actor: string | null;
  data: string;
}

export interface IncidentTasksTable {
  incident_id: string;
  task_id: string;
  phase: string;
  title: string;
  owner_role: string | null;
  position: number;
  done_at: number | null;
  done_by: string | null;
}

export interface ActionItemsTable {
  id: string;
  incident_id: string;
  text: string;
  owner: string;
  /** A local date, YYYY-MM-DD. */
  due_on: string | null;
  created_at: number;
  created_by: string;
  done_at: number | null;
  done_by: string | null;
}

export interface ChecklistSignoffsTable {
  checklist: string;
  /** 2026-11-26, 2026-W48 or 2026-11: the period the item was done for. */
  period: string;
  item_id: string;
  done_at: number;
  done_by: string;
  /** JSON: what proved it, for items automation ticks (a check run, a backup set). */
  evidence: string | null;
  note: string | null;
}

export interface BackupSetsTable {
  id: string;
  status: "running" | "written" | "verified" | "failed";
  /** JSON array of the component names asked for. */
  components: string;
  /** JSON: where the set's artifacts are (kind, location safe to print). */
  storage: string;
  /** Bytes stored, all artifacts. */
  size: number;
  /** JSON: the set's manifest, once written. */
  manifest: string | null;
  error: string | null;
  started_at: number;
  finished_at: number | null;
  verified_at: number | null;
  started_by: string;
}
