import { formatDuration } from "../../config/duration.js";
import { isTerminal, runStatuses, type RunStatus } from "../../domain/runbooks/run-state.js";
import { RunNotFound, RunRefused, type RunDetail } from "../../engine/runbooks/executor.js";
import type { RunbookRun } from "../../store/store.js";
import {
  consoleUrl,
  driveHere,
  finishLocal,
  followRemote,
  localIdentity,
  parseParams,
  refuseAsRemotely,
  warnSecretsInArgv,
  withExecutor,
  type DriveOptions,
  type PersonOptions,
  type RemoteDetail,
} from "../foreground-run.js";
import { ApiError } from "../remote.js";
import { continued, runProgress } from "../run-progress.js";
import { openLocalStore, printJson, targetFor, type GlobalOptions } from "../session.js";
import { paint, renderTable } from "../table.js";
import { UsageError } from "../usage-error.js";

/** `gameops run …`: runbook runs — list, show, approve, decide, resume, cancel. */

export async function list(global: GlobalOptions, options: { limit: string; status?: string; runbook?: string; json?: boolean }): Promise<number> {
  const limit = Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw new UsageError(`--limit must be a whole number from 1 to 200, not "${options.limit}"`);
  const status = options.status?.split(",").map((s) => s.trim()).filter(Boolean);
  const wrong = status?.filter((s) => !(runStatuses as readonly string[]).includes(s)) ?? [];
  if (wrong.length > 0) throw new UsageError(`--status ${wrong.map((s) => `"${s}"`).join(", ")} is not a run status; choose from ${runStatuses.join(", ")}`);
  const target = targetFor(global);
  let runs: Omit<RunbookRun, "definition">[];
  if (target.kind === "remote") {
    const query = new URLSearchParams({ limit: String(limit), ...(status?.length ? { status: status.join(",") } : {}), ...(options.runbook ? { runbook: options.runbook } : {}) });
    runs = (await target.api.request<{ runs: RunbookRun[] }>("GET", `/api/runs?${query}`)).runs;
  } else {
    const store = await openLocalStore(target.config);
    try {
      runs = (
        await store.runbookRuns.listRuns({ limit, ...(status?.length ? { status: status as RunStatus[] } : {}), ...(options.runbook ? { runbook: options.runbook } : {}) })
      ).map(({ definition: _, ...run }) => run);
    } finally {
      await store.close();
    }
  }
  if (options.json) {
    printJson(runs);
    return 0;
  }
  if (runs.length === 0) {
    process.stdout.write("no runbook runs yet — `gameops runbook list` shows what can run\n");
    return 0;
  }
  const colour = Boolean(process.stdout.isTTY);
  const rows = runs.map((r) => [
    r.id,
    r.runbook,
    paintRunStatus(r.status, colour),
    shortTime(r.createdAt),
    r.startedBy,
    r.through,
    r.finishedAt ? formatDuration(Date.parse(r.finishedAt) - Date.parse(r.startedAt ?? r.createdAt)) : "-",
    (r.error ?? waitingText(r) ?? "").replace(/\s*\n\s*/g, " "),
  ]);
  process.stdout.write(`${renderTable(["RUN", "RUNBOOK", "STATUS", "CREATED (UTC)", "BY", "THROUGH", "TIME", "NOTE"], rows)}\n`);
  return 0;
}

export async function show(global: GlobalOptions, id: string, options: { json?: boolean }): Promise<number> {
  const target = targetFor(global);
  let detail: Omit<RunDetail, "artifacts"> & { artifacts: Omit<RunDetail["artifacts"][number], "runId">[] };
  let consoleLink: string;
  if (target.kind === "remote") {
    detail = await target.api.request("GET", `/api/runs/${encodeURIComponent(id)}`);
    consoleLink = `${target.api.baseUrl}/#/runs/${encodeURIComponent(id)}`;
  } else {
    const found = await withExecutor(target.config, (executor) => executor.getRun(id));
    if (!found) throw new RunNotFound(id);
    detail = found;
    consoleLink = consoleUrl(target.config, id);
  }
  if (options.json) {
    printJson(detail);
    return 0;
  }
  printRun(detail, consoleLink);
  return 0;
}

function printRun(detail: Omit<RunDetail, "artifacts"> & { artifacts: Omit<RunDetail["artifacts"][number], "runId">[] }, consoleLink: string): void {
  const { run, steps, approvals, artifacts, children } = detail;
  const colour = Boolean(process.stdout.isTTY);
  const out: string[] = [];
  out.push(`${paint(`run ${run.id}`, "bold", colour)} · ${run.runbook} — ${run.title}`);
  const facts: [string, string][] = [
    ["status", `${paintRunStatus(run.status, colour)}${waitingText(run) ? ` — ${waitingText(run)}` : ""}`],
    ["started", `${run.startedAt ?? run.createdAt} by ${run.startedBy} through the ${run.through}`],
  ];
  if (run.finishedAt) facts.push(["finished", `${run.finishedAt} (${formatDuration(Date.parse(run.finishedAt) - Date.parse(run.startedAt ?? run.createdAt))})`]);
  if (Object.keys(run.params).length) facts.push(["params", Object.entries(run.params).map(([k, v]) => `${k}=${String(v)}`).join(" ")]);
  if (run.locks.length) facts.push(["locks", run.locks.join(", ")]);
  if (run.lease && run.status === "running") facts.push(["executor", `${run.lease.owner} (lease until ${run.lease.until})`]);
  if (run.parent) facts.push(["parent", `run ${run.parent.runId}, step ${run.parent.stepId}`]);
  if (run.cancelRequested) facts.push(["cancel", `requested by ${run.cancelRequested.by} at ${run.cancelRequested.at}`]);
  if (run.error) facts.push(["error", continued(run.error, " ".repeat(11))]);
  for (const [label, value] of facts) out.push(`  ${label.padEnd(9)}${value}`);

  // Every step of the definition, the ones that have not run yet too.
  const rows: string[][] = [];
  const sections = [
    ["main", run.definition.steps],
    ["rollback", run.definition.rollback],
    ["finally", run.definition.finally],
  ] as const;
  for (const [phase, list] of sections) {
    list.forEach((step, position) => {
      const attempts = steps.filter((s) => s.phase === phase && s.position === position);
      if (attempts.length === 0) {
        if (phase === "main") rows.push([phase, step.id, step.kind, paint(isTerminal(run.status) ? "not run" : "pending", "gray", colour), "-", "", ""]);
        return;
      }
      for (const a of attempts) {
        rows.push([
          phase,
          attempts.length > 1 ? `${step.id} #${a.attempt}` : step.id,
          a.kind,
          paintStepStatus(a.status, colour),
          a.finishedAt ? formatDuration(Date.parse(a.finishedAt) - Date.parse(a.startedAt)) : "-",
          a.exitCode === undefined ? "" : String(a.exitCode),
          a.action?.summary ?? "",
        ]);
      }
    });
  }
  out.push("", renderTable(["PHASE", "STEP", "KIND", "STATUS", "TIME", "EXIT", "ACTION"], rows));

  for (const a of steps.filter((s) => s.error || (s.status !== "succeeded" && s.output))) {
    out.push("", `${paint(`${a.stepId} (attempt ${a.attempt}) ${a.status}`, "bold", colour)}${a.error ? `: ${continued(a.error, "    ")}` : ""}`);
    if (a.output) out.push(...a.output.split("\n").slice(-15).map((line) => `    │ ${line}`));
    if (a.decision) out.push(`    ${a.decision.by} decided to ${a.decision.choice} it at ${a.decision.at}`);
  }
  if (approvals.length) {
    out.push("", paint("approvals", "bold", colour));
    for (const a of approvals) {
      const state =
        a.decision === undefined
          ? `pending since ${a.requestedAt}; who may approve: ${a.approvers.join(", ")}${a.selfApproval ? "" : ` (not ${run.startedBy})`}`
          : a.decision === "timeout"
            ? `timed out at ${a.decidedAt}`
            : `${a.decision === "approve" ? "approved" : a.decision === "reject" ? "rejected" : "cancelled"} by ${a.decidedBy} at ${a.decidedAt}${a.through ? ` through the ${a.through}` : ""}${a.comment ? ` ("${a.comment}")` : ""}`;
      out.push(`  ${a.stepId}: "${a.prompt}" — ${state}`);
    }
  }
  if (artifacts.length) {
    out.push("", paint("artifacts", "bold", colour));
    for (const a of artifacts) out.push(`  ${a.id}  ${a.name}  ${a.size} bytes  ${a.contentType}  (step ${a.stepId}; GET /api/runs/${run.id}/artifacts/${a.id})`);
  }
  if (children.length) {
    out.push("", paint("sub-runbook runs", "bold", colour));
    for (const c of children) out.push(`  ${c.id}  ${c.runbook}  ${paintRunStatus(c.status, colour)}`);
  }
  if (!isTerminal(run.status)) out.push("", `console: ${consoleLink}`);
  process.stdout.write(`${out.join("\n")}\n`);
}

export async function approve(global: GlobalOptions, id: string, options: PersonOptions & { step?: string; reject?: boolean; comment?: string }): Promise<number> {
  const decision = options.reject ? "reject" : "approve";
  const target = targetFor(global);
  if (target.kind === "remote") {
    refuseAsRemotely(options);
    const detail = await target.api.request<RemoteDetail>("GET", `/api/runs/${encodeURIComponent(id)}`);
    const runId = detail.waitingOn?.runId ?? id;
    const step = options.step ?? detail.waitingOn?.approval?.stepId;
    if (!step) throw new RunRefused(`run ${id} is not waiting for an approval (it is ${detail.run.status})`);
    await target.api.request("POST", `/api/runs/${encodeURIComponent(runId)}/approvals`, { step, decision, ...(options.comment ? { comment: options.comment } : {}) });
    process.stdout.write(`${decision === "approve" ? "approved" : "rejected"} step "${step}" of run ${runId}; the server goes on with it\n`);
    return 0;
  }
  return withExecutor(target.config, async (executor, store) => {
    const identity = await localIdentity(store, options.as);
    if (!identity.person) {
      throw new UsageError(`${decision === "approve" ? "approving" : "rejecting"} needs a person: pass --as PERSON (or set GAMEOPS_PERSON) naming someone \`gameops people\` lists`);
    }
    const blocking = await executor.blockingRun(id);
    if (!blocking) throw new RunNotFound(id);
    const step = options.step ?? (await store.runbookRuns.listApprovals({ runId: blocking.id, pending: true }))[0]?.stepId;
    if (!step) throw new RunRefused(`run ${id} is not waiting for an approval (it is ${blocking.status})`);
    await executor.approve(blocking.id, step, { personId: identity.id, ...(identity.role ? { role: identity.role } : {}) }, decision, "cli", options.comment);
    process.stdout.write(
      `${decision === "approve" ? "approved" : "rejected"} step "${step}" of run ${blocking.id} as ${identity.id}; it goes on in \`gameops up\` if it is running, or here with: gameops run resume ${id}\n`,
    );
    return 0;
  });
}

export async function decide(global: GlobalOptions, id: string, choice: string, options: PersonOptions & { step?: string }): Promise<number> {
  if (choice !== "retry" && choice !== "skip" && choice !== "fail") throw new UsageError(`the decision must be retry, skip or fail, not "${choice}"`);
  const target = targetFor(global);
  if (target.kind === "remote") {
    refuseAsRemotely(options);
    const detail = await target.api.request<RemoteDetail>("GET", `/api/runs/${encodeURIComponent(id)}`);
    const runId = detail.waitingOn?.runId ?? id;
    const waiting = detail.waitingOn?.waiting;
    const step = options.step ?? (waiting?.for === "decision" ? waiting.stepId : undefined);
    if (!step) throw new RunRefused(`run ${id} is not waiting for a decision (it is ${detail.run.status})`);
    await target.api.request("POST", `/api/runs/${encodeURIComponent(runId)}/decision`, { step, choice });
    process.stdout.write(`decided to ${choice} step "${step}" of run ${runId}; the server goes on with it\n`);
    return 0;
  }
  return withExecutor(target.config, async (executor, store) => {
    const identity = await localIdentity(store, options.as);
    const blocking = await executor.blockingRun(id);
    if (!blocking) throw new RunNotFound(id);
    const step = options.step ?? (blocking.waiting?.for === "decision" ? blocking.waiting.stepId : undefined);
    if (!step) throw new RunRefused(`run ${id} is not waiting for a decision (it is ${blocking.status})`);
    await executor.decide(blocking.id, step, choice, identity.id);
    process.stdout.write(`decided to ${choice} step "${step}" of run ${blocking.id} as ${identity.id}; it goes on in \`gameops up\` if it is running, or here with: gameops run resume ${id}\n`);
    return 0;
  });
}

export async function resume(global: GlobalOptions, id: string, options: PersonOptions & { param?: string[]; paramFile?: string[]; json?: boolean }): Promise<number> {
  const secrets = parseParams(options);
  const target = targetFor(global);
  const progress = runProgress(options.json ? process.stderr : process.stdout);
  if (target.kind === "remote") {
    refuseAsRemotely(options);
    const path = `/api/runs/${encodeURIComponent(id)}`;
    const before = await target.api.request<RemoteDetail>("GET", path);
    if (isTerminal(before.run.status)) throw new RunRefused(`run ${id} has ended (${before.run.status}); there is nothing to resume`);
    // The server takes up any run nobody executes by itself; asking it is needed only to give back secret params.
    if (Object.keys(secrets).length > 0 || before.run.status === "waiting_params") {
      try {
        await target.api.request("POST", `${path}/resume`, { params: secrets });
      } catch (error) {
        // It ended between the two requests (the server was going on with it): show how.
        if (!(error instanceof ApiError && error.status === 409 && isTerminal((await target.api.request<RemoteDetail>("GET", path)).run.status))) throw error;
      }
    }
    progress.line(`following run ${id} · ${before.run.runbook} — ${before.run.title} (${before.run.status}) on ${target.api.baseUrl}`);
    return followRemote(target.api, id, progress, Boolean(options.json), { fromNow: true });
  }
  const config = target.config;
  return withExecutor(config, async (executor, store) => {
    const identity = await localIdentity(store, options.as);
    const before = await store.runbookRuns.getRun(id);
    if (!before) throw new RunNotFound(id);
    warnSecretsInArgv(before.secretParams, options);
    progress.line(`resuming run ${id} · ${before.runbook} — ${before.title} (${before.status})`);
    const drive: DriveOptions = { runId: id, executor, store, config, identity, progress, after: before.lastEventSeq };
    const run = await driveHere(drive, (ex) =>
      ex.resume(id, { by: identity.id, waitForLocks: true, ...(Object.keys(secrets).length ? { secrets } : {}) }),
    );
    return finishLocal(drive, run, Boolean(options.json));
  });
}

export async function cancel(global: GlobalOptions, id: string, options: PersonOptions): Promise<number> {
  const target = targetFor(global);
  if (target.kind === "remote") {
    refuseAsRemotely(options);
    const { run } = await target.api.request<{ run: RunbookRun }>("POST", `/api/runs/${encodeURIComponent(id)}/cancel`);
    process.stdout.write(isTerminal(run.status) ? `run ${id} ${run.status}\n` : `cancel of run ${id} requested; the server stops the step under way and runs finally\n`);
    return 0;
  }
  const config = target.config;
  return withExecutor(config, async (executor, store) => {
    const identity = await localIdentity(store, options.as);
    const before = await store.runbookRuns.getRun(id);
    if (!before) throw new RunNotFound(id);
    const progress = runProgress(process.stdout);
    const drive: DriveOptions = { runId: id, executor, store, config, identity, progress, after: before.lastEventSeq };
    // A run nobody executes goes back to the queue on cancel: run its `finally` here.
    const run = await driveHere(drive, async (ex) => {
      const requested = await ex.cancel(id, identity.id);
      return requested.status === "queued" || requested.status === "waiting_child" ? ex.runUntilBlocked(id) : requested;
    });
    progress.stop();
    if (isTerminal(run.status)) process.stdout.write(`run ${id} ${run.status}${run.status === "cancelled" ? ` by ${identity.id}` : ""}\n`);
    else if (run.status === "running" && run.lease) process.stdout.write(`cancel of run ${id} requested; ${run.lease.owner}, which executes it, stops the step under way and runs finally\n`);
    else process.stdout.write(`cancel of run ${id} requested (it is ${run.status})\n`);
    return 0;
  });
}

// ── text ─────────────────────────────────────────────────────────────────────────────────

function waitingText(run: Pick<RunbookRun, "waiting" | "status">): string | undefined {
  const w = run.waiting;
  if (!w) return undefined;
  switch (w.for) {
    case "approval":
      return `waits for an approval of step "${w.stepId}"`;
    case "decision":
      return `waits for a decision about interrupted step "${w.stepId}"`;
    case "lock":
      return `waits for lock "${w.lock}" (held by run ${w.heldBy})`;
    case "child":
      return `waits for sub-runbook run ${w.runId}`;
    case "params":
      return `needs its secret params (${w.names.join(", ")}): gameops run resume`;
  }
}

const runColours: Record<string, Parameters<typeof paint>[1]> = {
  succeeded: "green",
  failed: "red",
  rolled_back: "yellow",
  cancelled: "magenta",
  running: "blue",
  queued: "gray",
};

export function paintRunStatus(status: string, colour: boolean): string {
  return paint(status, runColours[status] ?? "yellow", colour);
}

function paintStepStatus(status: string, colour: boolean): string {
  return paint(status, ({ succeeded: "green", failed: "red", skipped: "gray", cancelled: "magenta", running: "blue", interrupted: "yellow" } as const)[status] ?? "gray", colour);
}

function shortTime(iso: string): string {
  return iso.replace("T", " ").replace(/\.\d+Z$/, "Z");
}
