import { ConfigError } from "../../config/config-error.js";
import { formatDuration } from "../../config/duration.js";
import { exitCode, type CheckReport, type CheckResult } from "../../domain/checks/verdict.js";
import { runChecks, selectChecks, UnknownCheckError, type CheckProgress } from "../../engine/health/run-checks.js";
import type { CheckRunRecord, Store } from "../../store/store.js";
import { checkProgress } from "../check-progress.js";
import { ApiError, remoteFromEnv, type RemoteApi } from "../remote.js";
import { configFor, openLocalStore, printJson, type GlobalOptions } from "../session.js";
import { paint, paintStatus, renderTable } from "../table.js";

interface CheckOptions {
  only?: string;
  json?: boolean;
  record: boolean;
}

const UNKNOWN = 3;

/** Every failure to produce a verdict is UNKNOWN (3): in Nagios terms 2 would claim the fleet is down. */
export async function check(global: GlobalOptions, options: CheckOptions): Promise<number> {
  const only = options.only?.split(",").map((s) => s.trim()).filter(Boolean);
  try {
    selectChecks(only);
    const remote = remoteFromEnv(process.env);
    const report = remote ? await runRemote(remote, only) : await runLocal(global, only, options.record);
    if (options.json) printJson(report);
    else printReport(report);
    return exitCode(report.status);
  } catch (error) {
    if (error instanceof UnknownCheckError || error instanceof ConfigError || error instanceof ApiError) {
      process.stderr.write(`gameops: ${error.message}\n`);
      return UNKNOWN;
    }
    throw error;
  }
}

async function runLocal(global: GlobalOptions, only: string[] | undefined, record: boolean): Promise<CheckReport & { runId?: string }> {
  const config = configFor(global);
  let store: Store | undefined;
  if (record) {
    try {
      store = await openLocalStore(config);
    } catch (error) {
      process.stderr.write(`gameops: warning: history not kept (store unavailable: ${(error as Error).message})\n`);
    }
  }
  const progress = checkProgress(process.stderr);
  try {
    const report = await runChecks(config, {
      ...(only ? { only } : {}),
      onProgress: progress.onProgress,
      ...(store ? { previous: (name) => store.checkRuns.latestResult(name) } : {}),
    });
    if (!store) return report;
    const run: CheckRunRecord = { id: crypto.randomUUID(), trigger: "cli", ...report };
    try {
      await store.checkRuns.record(run);
    } catch (error) {
      // The verdict is what the caller came for; a store that failed must not swallow it.
      process.stderr.write(`gameops: warning: history not kept (${(error as Error).message})\n`);
      return report;
    }
    return { ...report, runId: run.id };
  } finally {
    progress.stop();
    await store?.close();
  }
}

async function runRemote(api: RemoteApi, only: string[] | undefined): Promise<CheckReport & { runId: string }> {
  const { id } = await api.request<{ id: string }>("POST", "/api/checks/runs", only ? { only } : {});
  const progress = checkProgress(process.stderr);
  try {
    for await (const { event, data } of api.events(`/api/checks/runs/${encodeURIComponent(id)}/events`)) {
      if (event === "started" || event === "finished") progress.onProgress(data as CheckProgress);
      if (event === "failed") throw new ApiError(`run ${id} failed on the server: ${(data as { message: string }).message}`);
      if (event === "done") {
        const { run } = data as { run: CheckRunRecord };
        return { status: run.status, startedAt: run.startedAt, durationMs: run.durationMs, checks: run.checks, runId: run.id };
      }
    }
  } finally {
    progress.stop();
  }
  throw new ApiError(`the server closed the progress stream of run ${id} before it finished`);
}

export function printReport(report: CheckReport & { runId?: string }): void {
  const colour = Boolean(process.stdout.isTTY);
  const rows = report.checks.map((c: CheckResult) => [
    c.name,
    paintStatus(c.status, colour),
    c.status === "skipped" ? "-" : formatDuration(c.durationMs),
    c.status === "skipped" ? paint(c.summary, "gray", colour) : c.summary,
  ]);
  process.stdout.write(`${renderTable(["CHECK", "STATUS", "TIME", "SUMMARY"], rows)}\n\n`);
  const code = exitCode(report.status);
  const ran = report.checks.filter((c) => c.status !== "skipped").length;
  const none = ran === 0 ? " — no check ran: configure a target (see `gameops init`)" : "";
  process.stdout.write(`${paintStatus(report.status, colour)} (exit ${code}) · ${ran} checks in ${formatDuration(report.durationMs)} · ${report.startedAt}${report.runId ? ` · run ${report.runId}` : ""}${none}\n`);
}
