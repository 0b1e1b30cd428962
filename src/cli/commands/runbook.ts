import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { runbookJsonSchemaText } from "../../domain/runbooks/json-schema.js";
import { formatPlan, type Plan } from "../../domain/runbooks/plan.js";
import { RunbookError } from "../../domain/runbooks/runbook-error.js";
import type { Runbook } from "../../domain/runbooks/schema.js";
import { ParamsError, type ParamValue } from "../../domain/runbooks/validate.js";
import { catalogListing, findRunbook, type Catalog, type CatalogListing } from "../../runbooks/catalog.js";
import { loadRunbook } from "../../runbooks/load-runbook.js";
import type { RemoteApi } from "../remote.js";
import { runProgress } from "../run-progress.js";
import { configFor, printJson, targetFor, type GlobalOptions } from "../session.js";
import { paint, renderTable } from "../table.js";
import { UsageError } from "../usage-error.js";
import {
  ask,
  catalogFor,
  driveHere,
  exitCodes,
  finishLocal,
  followRemote,
  interactive,
  localIdentity,
  parseParams,
  refuseAsRemotely,
  withExecutor,
  warnSecretsInArgv,
  consoleUrl,
  type DriveOptions,
} from "../foreground-run.js";

/** `gameops runbook …`: the catalogue, validation, the JSON Schema, and starting a run. */

interface RemoteEntry extends CatalogListing {
  definition?: Runbook;
  plan?: Plan;
  planIssues?: string[];
}

export async function list(global: GlobalOptions, options: { json?: boolean }): Promise<number> {
  const target = targetFor(global);
  const entries: RemoteEntry[] =
    target.kind === "remote"
      ? (await target.api.request<{ runbooks: RemoteEntry[] }>("GET", "/api/runbooks")).runbooks
      : catalogFor(target.config).entries.map(catalogListing);
  if (options.json) {
    printJson(entries);
    return 0;
  }
  if (entries.length === 0) {
    process.stdout.write("no runbooks: put YAML files in runbooks/ beside gameops.yaml (docs/runbooks.md)\n");
    return 0;
  }
  const colour = Boolean(process.stdout.isTTY);
  const rows = entries.map((e) => [
    e.valid ? e.name : paint(e.name, "red", colour),
    e.runtime ?? "-",
    `${e.origin}${e.overridesBuiltIn ? " (replaces the built-in)" : ""}`,
    e.valid ? (e.title ?? "") : paint(`INVALID: ${e.issues.length} issue${e.issues.length === 1 ? "" : "s"} — gameops runbook show ${e.name}`, "red", colour),
  ]);
  process.stdout.write(`${renderTable(["NAME", "RUNTIME", "ORIGIN", "TITLE"], rows)}\n`);
  return 0;
}

export async function show(global: GlobalOptions, name: string, options: { json?: boolean }): Promise<number> {
  const target = targetFor(global);
  let entry: RemoteEntry;
  if (target.kind === "remote") {
    entry = await target.api.request<RemoteEntry>("GET", `/api/runbooks/${encodeURIComponent(name)}`);
  } else {
    const catalog = catalogFor(target.config);
    const found = catalog.get(name) ?? unknownRunbook(catalog, name);
    entry = catalogListing(found);
    if (found.runbook) {
      await withExecutor(
        target.config,
        async (executor) => {
          try {
            entry.plan = await executor.plan(found.runbook!, {});
          } catch (error) {
            if (!(error instanceof ParamsError)) throw error;
            entry.planIssues = error.issues;
          }
        },
        catalog,
      );
      entry.definition = found.runbook;
    }
  }
  if (options.json) {
    printJson(entry);
    return entry.valid ? 0 : 1;
  }
  const out: string[] = [`${paint(entry.name, "bold", Boolean(process.stdout.isTTY))}${entry.title ? ` — ${entry.title}` : ""}`];
  if (entry.runtime) out.push(`runtime: ${entry.runtime}`);
  out.push(`origin: ${entry.origin}${entry.overridesBuiltIn ? " (replaces the built-in one)" : ""}`);
  if (entry.description) out.push("", entry.description.trim());
  if (!entry.valid) {
    process.stdout.write(`${out.join("\n")}\n`);
    process.stderr.write(`gameops: ${entry.name} is invalid:\n${entry.issues.map((i) => `  - ${i}\n`).join("")}`);
    return 1;
  }
  const params = Object.entries(entry.params);
  if (params.length > 0) {
    out.push(
      "",
      renderTable(
        ["PARAM", "TYPE", "DEFAULT", "DESCRIPTION"],
        params.map(([n, p]) => [
          n,
          `${p.type}${p.values ? `: ${p.values.join("|")}` : ""}${p.secret ? " (secret)" : ""}`,
          p.default === undefined ? "(required)" : String(p.default),
          p.description ?? "",
        ]),
      ),
    );
  }
  if (entry.plan) out.push("", formatPlan(entry.plan).replace(/^Dry run: nothing has been touched\.\n/m, "With the default params:\n"));
  else if (entry.planIssues) out.push("", `No plan without these params: ${entry.planIssues.join("; ")}`, `gameops runbook run ${entry.name} --param … --dry-run shows it`);
  process.stdout.write(`${out.join("\n")}\n`);
  return 0;
}

export async function validate(global: GlobalOptions, files: string[], options: { json?: boolean }): Promise<number> {
  // The catalogue lets a file's sub-runbook calls be checked against the runbooks that exist.
  const catalog = catalogFor(configFor(global));
  const results = files.map((file) => {
    try {
      const runbook = loadRunbook(resolve(file), { label: file, runbooks: catalog.runbooks });
      return { file, valid: true, name: runbook.name, title: runbook.title, steps: runbook.steps.length, issues: [] as string[] };
    } catch (error) {
      if (!(error instanceof RunbookError)) throw error;
      return { file, valid: false, issues: error.issues };
    }
  });
  if (options.json) printJson(results);
  else {
    for (const r of results) {
      if (r.valid) process.stdout.write(`${r.file}: ok — ${r.name}: ${r.title} (${r.steps} step${r.steps === 1 ? "" : "s"})\n`);
      else process.stderr.write(`gameops: ${r.file}: invalid runbook:\n${r.issues.map((i) => `  - ${i}\n`).join("")}`);
    }
  }
  return results.every((r) => r.valid) ? 0 : 1;
}

export async function schema(): Promise<number> {
  process.stdout.write(runbookJsonSchemaText());
  return 0;
}

interface RunOptions {
  param?: string[];
  paramFile?: string[];
  dryRun?: boolean;
  yes?: boolean;
  as?: string;
  json?: boolean;
}

const notStarted = "not started";

export async function run(global: GlobalOptions, nameOrFile: string, options: RunOptions): Promise<number> {
  const params = parseParams(options);
  const target = targetFor(global);
  if (target.kind === "remote") return runRemote(target.api, nameOrFile, params, options);

  const config = target.config;
  const catalog = catalogFor(config);
  const runbook = pick(catalog, nameOrFile);
  warnSecretsInArgv(Object.keys(runbook.params).filter((n) => runbook.params[n]!.secret), options);
  return withExecutor(
    config,
    async (executor, store) => {
      const identity = await localIdentity(store, options.as);
      let plan: Plan;
      try {
        plan = await executor.plan(runbook, params, { startedBy: identity.id });
      } catch (error) {
        if (error instanceof ParamsError) throw new UsageError(error.message);
        throw error;
      }
      if (options.dryRun) {
        if (options.json) printJson(plan);
        else process.stdout.write(`${formatPlan(plan)}\n`);
        return 0;
      }
      if (!(await confirmStart(plan, options))) return exitCodes.cancelled;

      const progress = runProgress(options.json ? process.stderr : process.stdout);
      const runId = await executor.start(runbook, params, { startedBy: identity.id, through: "cli" });
      progress.line(`run ${runId} · ${runbook.name} — ${runbook.title} · started by ${identity.id}`);
      progress.line(paint(`(console: ${consoleUrl(config, runId)}; Ctrl-C stops after the current step, and the run stays resumable)`, "gray", Boolean(process.stdout.isTTY)));
      const drive: DriveOptions = { runId, executor, store, config, identity, progress };
      const ended = await driveHere(drive, (ex) => ex.runUntilBlocked(runId, { waitForLocks: true }));
      return finishLocal(drive, ended, Boolean(options.json));
    },
    catalog,
  );
}

async function runRemote(api: RemoteApi, nameOrFile: string, params: Record<string, ParamValue>, options: RunOptions): Promise<number> {
  refuseAsRemotely(options);
  if (/\.ya?ml$/.test(nameOrFile) || nameOrFile.includes("/")) {
    throw new UsageError(`a runbook file runs locally only: unset GAMEOPS_URL, or put ${nameOrFile} in the server's runbooks folder and run it by name`);
  }
  const path = `/api/runbooks/${encodeURIComponent(nameOrFile)}`;
  if (options.dryRun || (!options.yes && interactive())) {
    const plan = await api.request<Plan>("POST", `${path}/plan`, { params });
    if (options.dryRun) {
      if (options.json) printJson(plan);
      else process.stdout.write(`${formatPlan(plan)}\n`);
      return 0;
    }
    if (!(await confirmStart(plan, options))) return exitCodes.cancelled;
  } else if (!options.yes) throw notOnTerminal();
  const { id } = await api.request<{ id: string }>("POST", `${path}/runs`, { params });
  const progress = runProgress(options.json ? process.stderr : process.stdout);
  progress.line(`run ${id} · ${nameOrFile} · started on ${api.baseUrl} (console: ${api.baseUrl}/#/runs/${encodeURIComponent(id)})`);
  return followRemote(api, id, progress, Boolean(options.json));
}

/** "Start? [y/N]" after the plan; `--yes` answers it, and only it: never an approve step. */
async function confirmStart(plan: Plan, options: RunOptions): Promise<boolean> {
  if (options.yes) return true;
  if (!interactive()) throw notOnTerminal();
  process.stdout.write(`${formatPlan(plan)}\n\n`);
  const answer = (await ask("Start? [y/N] "))?.toLowerCase();
  if (answer === "y" || answer === "yes") return true;
  process.stdout.write(`${notStarted}\n`);
  return false;
}

function notOnTerminal(): UsageError {
  return new UsageError('not on a terminal, so nobody can answer "Start? [y/N]": pass --yes to start (approval steps still wait for a person), or --dry-run to see the plan');
}

function pick(catalog: Catalog, nameOrFile: string): Runbook {
  const isFile = /\.ya?ml$/.test(nameOrFile) || nameOrFile.includes("/");
  if (isFile && !existsSync(resolve(nameOrFile))) throw new UsageError(`${nameOrFile}: no such file`);
  if (!isFile && !catalog.get(nameOrFile)) unknownRunbook(catalog, nameOrFile);
  // What is left is a runbook that exists but does not validate: exit 1 with its issues.
  return findRunbook(catalog, nameOrFile, process.cwd()).runbook;
}

function unknownRunbook(catalog: Catalog, name: string): never {
  try {
    findRunbook(catalog, name, process.cwd());
  } catch (error) {
    if (error instanceof RunbookError) throw new UsageError(error.issues.join("; "));
    throw error;
  }
  throw new UsageError(`unknown runbook "${name}"`);
}

