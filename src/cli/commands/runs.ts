import { formatDuration } from "../../config/duration.js";
import type { CheckRunRecord } from "../../store/store.js";
import { printJson, targetFor, withLocalStore, type GlobalOptions } from "../session.js";
import { paintStatus, renderTable } from "../table.js";
import { UsageError } from "../usage-error.js";
import { printReport } from "./check.js";

export async function list(global: GlobalOptions, options: { limit: string; json?: boolean }): Promise<number> {
  const limit = Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError(`--limit must be a whole number from 1 to 1000, not "${options.limit}"`);
  const target = targetFor(global);
  const runs =
    target.kind === "remote"
      ? (await target.api.request<{ runs: CheckRunRecord[] }>("GET", `/api/checks/runs?limit=${limit}`)).runs
      : await withLocalStore(target.config, (store) => store.checkRuns.list({ limit }));
  if (options.json) {
    printJson(runs);
    return 0;
  }
  if (runs.length === 0) {
    process.stdout.write("no runs yet — `gameops check` or `gameops up` makes the first\n");
    return 0;
  }
  const colour = Boolean(process.stdout.isTTY);
  const rows = runs.map((r) => [
    r.id,
    r.startedAt.replace("T", " ").replace(/\.\d+Z$/, "Z"),
    paintStatus(r.status, colour),
    r.trigger,
    formatDuration(r.durationMs),
    r.checks.filter((c) => c.status !== "ok" && c.status !== "skipped").map((c) => `${c.name}:${c.status}`).join(" ") || "all ok",
  ]);
  process.stdout.write(`${renderTable(["RUN", "STARTED (UTC)", "STATUS", "TRIGGER", "TIME", "NOT OK"], rows)}\n`);
  return 0;
}

export async function show(global: GlobalOptions, id: string, options: { json?: boolean }): Promise<number> {
  const target = targetFor(global);
  const run =
    target.kind === "remote"
      ? await target.api.request<CheckRunRecord>("GET", `/api/checks/runs/${encodeURIComponent(id)}`)
      : await withLocalStore(target.config, (store) => store.checkRuns.get(id));
  if (!run) {
    process.stderr.write(`gameops: no run with id ${id}; \`gameops runs\` lists them\n`);
    return 1;
  }
  if (options.json) printJson(run);
  else printReport({ ...run, runId: run.id });
  return 0;
}
