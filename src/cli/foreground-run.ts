import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { createInterface } from "node:readline/promises";
import type { Config } from "../config/load.js";
import { formatDuration } from "../config/duration.js";
import { isTerminal, type RunStatus } from "../domain/runbooks/run-state.js";
import type { ParamValue } from "../domain/runbooks/validate.js";
import { checkApprover } from "../engine/runbooks/approvers.js";
import { ApprovalRefused, RunbookExecutor } from "../engine/runbooks/executor.js";
import { stepKinds } from "../engine/runbooks/steps/index.js";
import { loadCatalog, runbookFolders, type Catalog } from "../runbooks/catalog.js";
import { roles, type ApprovalRecord, type Person, type Role, type RunbookRun, type RunEvent, type StepDecision, type Store } from "../store/store.js";
import { ApiError, type RemoteApi } from "./remote.js";
import { childRunOf, continued, type RunProgress } from "./run-progress.js";
import { localActor, openLocalStore, printJson } from "./session.js";
import { paint } from "./table.js";
import { UsageError } from "./usage-error.js";
import { serverUrl } from "./server-address.js";

/**
 * A runbook run in this terminal, for `gameops runbook run` and `gameops run …`: who acts, the
 * local executor, params, prompts, and following a run — driving it here (without a server the
 * CLI is the executor: the same store, the same leases as `gameops up`) or following it on a
 * server — until it ends or waits for a person.
 *
 * Exit codes of a run: 0 succeeded, 1 failed or rolled back, 2 usage, 4 waiting (for an
 * approval, a decision, secret params or a lock — the run goes on later), 5 cancelled.
 */
export const exitCodes = { succeeded: 0, failed: 1, usage: 2, waiting: 4, cancelled: 5 } as const;

export function exitCodeOf(status: RunStatus): number {
  if (status === "succeeded") return exitCodes.succeeded;
  if (status === "failed" || status === "rolled_back") return exitCodes.failed;
  if (status === "cancelled") return exitCodes.cancelled;
  return exitCodes.waiting;
}

export interface PersonOptions {
  as?: string;
}

// ── who acts ─────────────────────────────────────────────────────────────────────────────

/** Who a local command acts as: a known person (`--as`, GAMEOPS_PERSON), or the OS user. */
export interface LocalIdentity {
  id: string;
  person?: Person;
  /** The highest role among the person's tokens: what role-named approvers are matched against. */
  role?: Role;
}

export async function localIdentity(store: Store, as: string | undefined): Promise<LocalIdentity> {
  const from = as !== undefined ? "--as" : "GAMEOPS_PERSON";
  const name = as ?? process.env.GAMEOPS_PERSON;
  if (!name) return { id: localActor() };
  const person = await store.people.getPerson(name);
  if (!person) throw new UsageError(`${from} "${name}" is not a known person; \`gameops people\` lists them, \`gameops people add ${name} --name …\` adds one`);
  const own = (await store.tokens.list()).filter((t) => t.personId === person.id && t.revokedAt === undefined);
  const role = own.map((t) => t.role).sort((a, b) => roles.indexOf(b) - roles.indexOf(a))[0];
  return { id: person.id, person, ...(role ? { role } : {}) };
}

/** Through a server the token says who acts; `--as` there would be a claim nobody checks. */
export function refuseAsRemotely(options: PersonOptions): void {
  if (options.as !== undefined) {
    throw new UsageError("--as works on the local data dir; through a server (GAMEOPS_URL) you act as the person of GAMEOPS_TOKEN");
  }
}

// ── the local executor ───────────────────────────────────────────────────────────────────

export function catalogFor(config: Config): Catalog {
  const catalog = loadCatalog(runbookFolders({ cwd: process.cwd(), env: process.env, ...(config.source ? { configSource: config.source } : {}) }));
  for (const warning of catalog.warnings) process.stderr.write(`gameops: warning: ${warning}\n`);
  return catalog;
}

export function localExecutor(config: Config, store: Store, catalog?: Catalog): RunbookExecutor {
  let loaded = catalog;
  return new RunbookExecutor({
    store,
    config,
    stepKinds,
    // Read only when a run calls a sub-runbook: `run list` never parses a runbook.
    findRunbook: async (name) => (loaded ??= catalogFor(config)).runbooks.get(name),
    onError: (error) => process.stderr.write(`gameops: warning: ${error.message}\n`),
  });
}

export async function withExecutor<T>(config: Config, work: (executor: RunbookExecutor, store: Store) => Promise<T>, catalog?: Catalog): Promise<T> {
  const store = await openLocalStore(config);
  const executor = localExecutor(config, store, catalog);
  try {
    return await work(executor, store);
  } finally {
    await executor.stop();
    await store.close();
  }
}

// ── params ───────────────────────────────────────────────────────────────────────────────

/** `--param k=v` and `--param-file k=PATH` (a secret's value from a file, never in argv). */
export function parseParams(options: { param?: string[]; paramFile?: string[] }): Record<string, ParamValue> {
  const params: Record<string, ParamValue> = {};
  const split = (flag: string, text: string) => {
    const at = text.indexOf("=");
    if (at <= 0) throw new UsageError(`${flag} "${text}" must be name=value, like ${flag} region=eu-1`);
    return [text.slice(0, at), text.slice(at + 1)] as const;
  };
  for (const text of options.param ?? []) {
    const [name, value] = split("--param", text);
    params[name] = value;
  }
  for (const text of options.paramFile ?? []) {
    const [name, path] = split("--param-file", text);
    try {
      params[name] = readFileSync(path, "utf8").replace(/\r?\n$/, "");
    } catch (error) {
      throw new UsageError(`--param-file ${name}=${path}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? "error"})`);
    }
  }
  return params;
}

/** A secret on the command line is visible to everyone on the machine (`ps`): say so. */
export function warnSecretsInArgv(secretNames: string[], options: { param?: string[] }): void {
  for (const text of options.param ?? []) {
    const name = text.slice(0, text.indexOf("="));
    if (secretNames.includes(name)) {
      process.stderr.write(`gameops: warning: secret param "${name}" was given on the command line, where \`ps\` shows it; use --param-file ${name}=PATH\n`);
    }
  }
}

// ── prompts ──────────────────────────────────────────────────────────────────────────────

export function interactive(): boolean {
  return Boolean(process.stdin.isTTY && process.stdout.isTTY);
}

/** One question on the terminal; undefined when Ctrl-C ends it. */
export async function ask(question: string): Promise<string | undefined> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  const controller = new AbortController();
  rl.on("SIGINT", () => controller.abort());
  try {
    return (await rl.question(question, { signal: controller.signal })).trim();
  } catch {
    process.stdout.write("\n");
    return undefined;
  } finally {
    rl.close();
  }
}

// ── driving a run here ───────────────────────────────────────────────────────────────────

export interface DriveOptions {
  runId: string;
  executor: RunbookExecutor;
  store: Store;
  config: Config;
  identity: LocalIdentity;
  progress: RunProgress;
  /** Events after this seq are shown (a resumed run does not replay its history). */
  after?: number;
}

/**
 * Follows a run's events as they are committed (by this process, or by another executor) and
 * prints them; `caughtUp` waits until what the store has is on the screen.
 */
class Watcher {
  private readonly seen = new Map<string, number>();
  private readonly stops = new Map<string, () => void>();

  constructor(
    private readonly executor: RunbookExecutor,
    private readonly progress: RunProgress,
  ) {}

  follow(runId: string, after: number, indent = ""): void {
    if (this.stops.has(runId)) return;
    this.seen.set(runId, after);
    const stop = this.executor.watch(
      runId,
      (event) => {
        this.seen.set(runId, event.seq);
        this.progress.event(event, indent);
        const child = childRunOf(event);
        if (child) this.follow(child, 0, `${indent}  `);
      },
      { after, pollMs: 250 },
    );
    this.stops.set(runId, stop);
  }

  async caughtUp(run: RunbookRun): Promise<void> {
    if (!this.stops.has(run.id)) return;
    // Bounded: a store that stopped answering must not hang the command after its run ended.
    for (let waited = 0; (this.seen.get(run.id) ?? 0) < run.lastEventSeq && waited < 10_000; waited += 20) await sleep(20);
  }

  stop(): void {
    for (const stop of this.stops.values()) stop();
  }
}

/**
 * Drives the run in this process until it ends or waits for something a person must do. At an
 * approval, on a terminal, asks the `--as` person inline when the step allows them; otherwise
 * prints how to approve and returns with the run waiting. Ctrl-C stops at the next step
 * boundary (the run stays queued, durable); a second Ctrl-C leaves at once.
 */
export async function driveHere(options: DriveOptions, first: (executor: RunbookExecutor) => Promise<RunbookRun>): Promise<RunbookRun> {
  const { executor, progress } = options;
  const runs = options.store.runbookRuns;
  const watcher = new Watcher(executor, progress);
  let interrupted = 0;
  const onInterrupt = () => {
    interrupted += 1;
    if (interrupted === 1) {
      progress.line("stopping at the next step boundary (a step under way finishes first); Ctrl-C again leaves at once");
      void executor.stop();
      return;
    }
    progress.stop();
    process.stderr.write("gameops: left at once; the step under way will be found interrupted by the next executor (`gameops run resume ID`)\n");
    process.exit(130);
  };
  process.on("SIGINT", onInterrupt);
  const drive = (runId: string) => executor.runUntilBlocked(runId, { waitForLocks: true });
  // Watching first: the events of the first stretch show live, not after it.
  watcher.follow(options.runId, options.after ?? 0);
  // A resumed run may be waiting for a sub-runbook's run: what that one does next shows too.
  let waitingFor = await runs.getRun(options.runId);
  for (let indent = "  "; waitingFor?.waiting?.for === "child"; indent += "  ") {
    waitingFor = await runs.getRun(waitingFor.waiting.runId);
    if (waitingFor) watcher.follow(waitingFor.id, waitingFor.lastEventSeq, indent);
  }
  try {
    let run = await first(executor);
    let following = false;
    for (;;) {
      await watcher.caughtUp(run);
      if (isTerminal(run.status) || interrupted > 0) return run;
      const blocking = (await executor.blockingRun(run.id)) ?? run;
      await watcher.caughtUp(blocking);
      if (blocking.status === "queued") {
        run = await drive(run.id);
        continue;
      }
      if (blocking.status === "running") {
        if (blocking.lease && blocking.lease.owner !== executor.owner) {
          if (!following) progress.line(heldBy(blocking.id, blocking.lease));
          following = true;
          // Until it ends or waits, or its executor dies and the lease runs out: then it is ours.
          while (!interrupted) {
            await sleep(500);
            const now = await runs.getRun(blocking.id);
            if (!now || now.status !== "running" || !now.lease || Date.parse(now.lease.until) < Date.now()) break;
          }
        }
        run = await drive(run.id);
        continue;
      }
      if (blocking.status === "waiting_approval" && (await answerApproval(options, blocking))) {
        run = await drive(run.id);
        continue;
      }
      if (blocking.status === "waiting_decision" && (await answerDecision(options, blocking))) {
        run = await drive(run.id);
        continue;
      }
      return run;
    }
  } finally {
    process.off("SIGINT", onInterrupt);
    watcher.stop();
  }
}

/** Who holds a run, and whether it is worth waiting: an executor of this machine that is gone never renews its lease. */
function heldBy(runId: string, lease: NonNullable<RunbookRun["lease"]>): string {
  const [host, pid] = lease.owner.split(":");
  let gone = false;
  if (host === hostname() && pid && /^\d+$/.test(pid)) {
    try {
      process.kill(Number(pid), 0);
    } catch (error) {
      gone = (error as NodeJS.ErrnoException).code === "ESRCH";
    }
  }
  return gone
    ? `run ${runId} was being executed by process ${pid}, which is gone; it is taken over here when its lease runs out at ${lease.until}`
    : `run ${runId} is being executed by ${lease.owner}; following it (Ctrl-C stops following, it goes on there)`;
}

async function answerApproval(options: DriveOptions, run: RunbookRun): Promise<boolean> {
  const { identity, progress, executor, store } = options;
  if (!interactive()) return false;
  const approval = (await store.runbookRuns.listApprovals({ runId: run.id, pending: true }))[0];
  if (!approval) return false;
  if (!identity.person) {
    progress.line(paint("nobody to ask here: run with --as PERSON (or GAMEOPS_PERSON) to answer approvals inline", "gray", true));
    return false;
  }
  const approver = { personId: identity.id, ...(identity.role ? { role: identity.role } : {}) };
  try {
    await checkApprover(store.people, approval, approver, "approve", run.startedBy);
  } catch (error) {
    if (!(error instanceof ApprovalRefused)) throw error;
    progress.line(paint(error.message, "yellow", true));
    return false;
  }
  progress.pause();
  try {
    process.stdout.write(`\n${paint(`Step "${approval.stepId}" of run ${run.id} asks:`, "bold", true)}\n  ${approval.prompt}\n`);
    const answer = (await ask(`Answer as ${identity.id}: [a]pprove, [r]eject, or Enter to leave it waiting: `))?.toLowerCase();
    if (answer !== "a" && answer !== "approve" && answer !== "r" && answer !== "reject") return false;
    const decision = answer.startsWith("a") ? "approve" : "reject";
    const comment = decision === "reject" ? await ask("Why (optional)? ") : undefined;
    await executor.approve(run.id, approval.stepId, approver, decision, "cli", comment || undefined);
    return true;
  } finally {
    progress.resume();
  }
}

async function answerDecision(options: DriveOptions, run: RunbookRun): Promise<boolean> {
  const { identity, progress, executor } = options;
  if (!interactive() || run.waiting?.for !== "decision") return false;
  const stepId = run.waiting.stepId;
  progress.pause();
  try {
    process.stdout.write(`\n${paint(`Step "${stepId}" of run ${run.id} was interrupted and is not marked idempotent.`, "bold", true)}\n`);
    const answer = (await ask(`Decide as ${identity.id}: [r]etry it, [s]kip it, [f]ail it, or Enter to leave it waiting: `))?.toLowerCase();
    const choice = ({ r: "retry", retry: "retry", s: "skip", skip: "skip", f: "fail", fail: "fail" } as Record<string, StepDecision>)[answer ?? ""];
    if (!choice) return false;
    await executor.decide(run.id, stepId, choice, identity.id);
    return true;
  } finally {
    progress.resume();
  }
}

// ── how a run ended, or what it waits for ────────────────────────────────────────────────

export function consoleUrl(config: Config, runId: string): string {
  return `${serverUrl(config)}/#/runs/${encodeURIComponent(runId)}`;
}

/** The last lines of a run in the foreground: how it ended (with its exit code) or what it waits for. */
export function describeOutcome(run: RunbookRun, waitingOn: { run: RunbookRun; approval?: ApprovalRecord } | undefined, where: { console: string; remote: boolean }): string[] {
  const colour = Boolean(process.stdout.isTTY);
  const code = exitCodeOf(run.status);
  const took = run.finishedAt ? ` in ${formatDuration(Date.parse(run.finishedAt) - Date.parse(run.startedAt ?? run.createdAt))}` : "";
  const failedAt = run.failedStep ? ` at step "${run.failedStep}"` : "";
  // The step's own error, without the "step "x": " the run's error repeats.
  const ownError = run.failedStep && run.error?.startsWith(`step "${run.failedStep}": `) ? run.error.slice(run.failedStep.length + 9) : run.error;
  const error = ownError ? `: ${continued(ownError, "    ")}` : "";
  switch (run.status) {
    case "succeeded":
      return [`${paint("✓", "green", colour)} run ${run.id} succeeded${took} (exit ${code})`];
    case "failed":
      return [`${paint("✗", "red", colour)} run ${run.id} failed${failedAt}${took}${error} (exit ${code})`];
    case "rolled_back":
      return [`${paint("↩", "yellow", colour)} run ${run.id} rolled back after step "${run.failedStep ?? "?"}" failed${took}${error} (exit ${code})`];
    case "cancelled":
      return [`${paint("⊘", "magenta", colour)} run ${run.id} cancelled${run.cancelRequested ? ` by ${run.cancelRequested.by}` : ""}${took} (exit ${code})`];
    default:
      break;
  }
  const blocking = waitingOn?.run ?? run;
  const id = run.id;
  const sub = blocking.id === run.id ? "" : ` (in its sub-runbook run ${blocking.id})`;
  const approveAs = where.remote ? "" : " --as PERSON";
  const lines: string[] = [];
  const w = blocking.waiting;
  if (blocking.status === "waiting_approval" && w?.for === "approval") {
    const a = waitingOn?.approval;
    lines.push(`${paint("⏸", "yellow", colour)} run ${id} waits for an approval of step "${w.stepId}"${sub}${a ? `: "${a.prompt}"` : ""}`);
    if (a) lines.push(`  who may approve: ${a.approvers.join(", ")}${a.selfApproval ? "" : ` — not ${blocking.startedBy}, who started it`}`);
    lines.push(`  approve it:   gameops run approve ${blocking.id}${approveAs}   (or reject: --reject --comment "why")`);
    lines.push(`  or in the console: ${where.console}`);
  } else if (blocking.status === "waiting_decision" && w?.for === "decision") {
    lines.push(`${paint("⚠", "yellow", colour)} run ${id} waits for a decision${sub}: step "${w.stepId}" was interrupted and is not marked idempotent`);
    lines.push(`  decide:  gameops run decide ${blocking.id} --step ${w.stepId} retry|skip|fail   (\`gameops run show ${blocking.id}\` shows the evidence)`);
    lines.push(`  or in the console: ${where.console}`);
  } else if (blocking.status === "waiting_params" && w?.for === "params") {
    lines.push(`${paint("⏸", "yellow", colour)} run ${id} needs its secret params again${sub} (they lived only in the memory of the process that started it)`);
    lines.push(`  resume it with them:  gameops run resume ${blocking.id} ${w.names.map((n) => `--param-file ${n}=PATH`).join(" ")}`);
  } else if (blocking.status === "waiting_lock" && w?.for === "lock") {
    lines.push(`${paint("⏳", "yellow", colour)} run ${id} waits for lock "${w.lock}", held by run ${w.heldBy}${w.until ? `, at most until ${w.until}` : ""}`);
    lines.push(`  \`gameops up\` retries it; \`gameops run resume ${id}\` waits for it here`);
  } else {
    lines.push(`run ${id} is ${run.status}: \`gameops up\` takes it up, or \`gameops run resume ${id}\` goes on with it here; \`gameops run cancel ${id}\` cancels it`);
  }
  if (!where.remote && blocking.status !== "waiting_params" && blocking.status !== "waiting_lock" && run.status !== "queued") {
    lines.push(`  then it goes on in \`gameops up\`, or here with: gameops run resume ${id}`);
  }
  lines.push(`run ${id} is waiting (exit ${exitCodes.waiting})`);
  return lines;
}

async function waitingOnLocal(executor: RunbookExecutor, store: Store, run: RunbookRun): Promise<{ run: RunbookRun; approval?: ApprovalRecord } | undefined> {
  if (isTerminal(run.status)) return undefined;
  const blocking = (await executor.blockingRun(run.id)) ?? run;
  const approval = blocking.waiting?.for === "approval" ? (await store.runbookRuns.listApprovals({ runId: blocking.id, pending: true }))[0] : undefined;
  return { run: blocking, ...(approval ? { approval } : {}) };
}

/** Prints how the run ended (or what it waits for) and returns the exit code; `--json` prints the run's record. */
export async function finishLocal(options: DriveOptions, run: RunbookRun, json: boolean): Promise<number> {
  options.progress.stop();
  const waitingOn = await waitingOnLocal(options.executor, options.store, run);
  const lines = describeOutcome(run, waitingOn, { console: consoleUrl(options.config, waitingOn?.run.id ?? run.id), remote: false });
  (json ? process.stderr : process.stdout).write(`${lines.join("\n")}\n`);
  if (json) printJson(await options.executor.getRun(run.id));
  return exitCodeOf(run.status);
}

// ── following a run on a server ──────────────────────────────────────────────────────────

export interface RemoteDetail {
  run: RunbookRun;
  approvals: (ApprovalRecord & { forYou?: { approve: { allowed: boolean; reason?: string } } })[];
  waitingOn?: { runId: string; status: RunStatus; waiting?: RunbookRun["waiting"]; approval?: ApprovalRecord & { forYou?: { approve: { allowed: boolean; reason?: string } } } };
}

const humanWaits: RunStatus[] = ["waiting_approval", "waiting_decision", "waiting_params"];

/**
 * Follows a run the server executes, through its event stream (and its sub-runbooks' streams),
 * until it ends or waits for a person. On a terminal, an approval the token's person may give
 * is asked inline.
 */
export async function followRemote(api: RemoteApi, runId: string, progress: RunProgress, json: boolean, options: { fromNow?: boolean } = {}): Promise<number> {
  await followStream(api, runId, progress, "", options.fromNow ?? false);
  const path = (id: string) => `/api/runs/${encodeURIComponent(id)}`;
  const detail = await api.request<RemoteDetail>("GET", path(runId));
  progress.stop();
  const waitingOn = detail.waitingOn ? await api.request<RemoteDetail>("GET", path(detail.waitingOn.runId)) : undefined;
  const lines = describeOutcome(
    detail.run,
    waitingOn ? { run: waitingOn.run, ...(detail.waitingOn?.approval ? { approval: detail.waitingOn.approval } : {}) } : undefined,
    { console: `${api.baseUrl}/#/runs/${encodeURIComponent(detail.waitingOn?.runId ?? runId)}`, remote: true },
  );
  (json ? process.stderr : process.stdout).write(`${lines.join("\n")}\n`);
  if (json) printJson(detail);
  return exitCodeOf(detail.run.status);
}

/** "ended" when the run finished, "blocked" when it (or a sub-runbook's run) waits for someone who did not answer here. */
async function followStream(api: RemoteApi, runId: string, progress: RunProgress, indent: string, fromNow: boolean): Promise<"ended" | "blocked"> {
  const path = `/api/runs/${encodeURIComponent(runId)}`;
  let after = 0;
  let drops = 0;
  if (fromNow) {
    // Not from the start: what it waits for now would never come as an event.
    const { run } = await api.request<RemoteDetail>("GET", path);
    if (isTerminal(run.status)) return "ended";
    after = run.lastEventSeq;
    if (run.waiting?.for === "child") {
      if ((await followStream(api, run.waiting.runId, progress, `${indent}  `, true)) === "blocked") return "blocked";
    } else if (humanWaits.includes(run.status) && !(await answerRemote(api, runId, progress))) return "blocked";
  }
  for (;;) {
    try {
      for await (const { data } of api.events(`${path}/events?after=${after}`)) {
        const event = data as RunEvent;
        after = event.seq;
        drops = 0;
        progress.event(event, indent);
        if (event.type === "run.finished") return "ended";
        const child = childRunOf(event);
        if (child) {
          if ((await followStream(api, child, progress, `${indent}  `, false)) === "blocked") return "blocked";
          continue;
        }
        const waitsForPerson = event.type === "approval.requested" || (event.type === "run.waiting" && humanWaits.includes(event.data.status as RunStatus));
        if (waitsForPerson && !(await answerRemote(api, runId, progress))) return "blocked";
      }
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== undefined) throw error;
      // The server went away (restarting?): the run is durable there; look again shortly.
      if (++drops > 5) throw error;
    }
    if (isTerminal((await api.request<RemoteDetail>("GET", path)).run.status)) return "ended";
    if (drops > 0) await sleep(1000);
  }
}

/** True when a person answered here (or nobody needs to) and the run goes on; false when it stays waiting. */
async function answerRemote(api: RemoteApi, runId: string, progress: RunProgress): Promise<boolean> {
  const detail = await api.request<RemoteDetail>("GET", `/api/runs/${encodeURIComponent(runId)}`);
  const waitingOn = detail.waitingOn;
  if (!waitingOn || !humanWaits.includes(waitingOn.status)) return true;
  const approval = waitingOn.approval;
  if (waitingOn.status !== "waiting_approval" || !approval || !interactive()) return false;
  if (!approval.forYou?.approve.allowed) {
    progress.line(paint(approval.forYou?.approve.reason ?? "you may not approve this step", "yellow", true));
    return false;
  }
  progress.pause();
  try {
    process.stdout.write(`\n${paint(`Step "${approval.stepId}" of run ${waitingOn.runId} asks:`, "bold", true)}\n  ${approval.prompt}\n`);
    const answer = (await ask("Answer: [a]pprove, [r]eject, or Enter to leave it waiting: "))?.toLowerCase();
    if (answer !== "a" && answer !== "approve" && answer !== "r" && answer !== "reject") return false;
    const decision = answer.startsWith("a") ? "approve" : "reject";
    const comment = decision === "reject" ? await ask("Why (optional)? ") : undefined;
    await api.request("POST", `/api/runs/${encodeURIComponent(waitingOn.runId)}/approvals`, { step: approval.stepId, decision, ...(comment ? { comment } : {}) });
    return true;
  } finally {
    progress.resume();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
