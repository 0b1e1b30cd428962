import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import { closest } from "../../config/env.js";
import { parseYamlSource, where, type YamlSource } from "../../config/yaml-source.js";
import { promtool, PromtoolError, type Promtool, type RuleFileCheck, type RuleTestRun } from "../../integrations/prometheus/promtool.js";
import { packageRoot } from "../../package-root.js";
import { loadCatalog, runbookFolders, type Catalog } from "../../runbooks/catalog.js";
import { configFor, printJson, type GlobalOptions } from "../session.js";
import { paint, renderTable } from "../table.js";
import { UsageError } from "../usage-error.js";

/**
 * `gameops rules check [FILES…]`: Prometheus rule files and their unit tests through promtool
 * (`check rules`, `test rules`), and every alert's runbook against the catalogue — an alert
 * names a runbook gameops has (`runbook`) and links to it in the console (`runbook_url` ending
 * in `/#/runbooks/NAME`), not to a wiki page. Without FILES: the rules gameops ships (rules/).
 * A folder is read whole; each YAML file in it is a rule file (`groups:`) or a test file
 * (`tests:`), told apart by what it holds. Exit 0 all good, 1 problems found, 2 a FILE that does
 * not exist, nothing to check, or no promtool.
 */

export interface AlertLink {
  file: string;
  group: string;
  alert: string;
  severity?: string;
  for?: string;
  runbook?: string;
  runbookUrl?: string;
  /** What is wrong with its runbook annotations, each with file:line:col; empty when right. */
  problems: string[];
}

export interface RulesReport {
  ok: boolean;
  promtool: { program: string; version: string };
  ruleFiles: RuleFileCheck[];
  testFiles: RuleTestRun[];
  alerts: AlertLink[];
  /** Files that are neither rule files nor rule test files. */
  unrecognized: { file: string; problem: string }[];
}

export interface RulesDeps {
  promtool: () => Promtool;
  catalog: () => Catalog;
  cwd: string;
}

/** The rules gameops ships, checked when no file is named. */
const shippedRules = () => join(packageRoot(), "rules");

export async function check(global: GlobalOptions, files: string[], options: { json?: boolean }, deps?: RulesDeps): Promise<number> {
  let report: RulesReport;
  try {
    report = await checkRules(files, deps ?? defaultDeps(global));
  } catch (error) {
    if (error instanceof PromtoolError && error.reason === "missing") {
      process.stderr.write(`gameops: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  if (options.json) printJson(report);
  else printReport(report);
  return report.ok ? 0 : 1;
}

function defaultDeps(global: GlobalOptions): RulesDeps {
  const cwd = process.cwd();
  return {
    cwd,
    promtool: () => promtool(),
    catalog: () => {
      const config = configFor(global, { discoverDemoFleet: false });
      const catalog = loadCatalog(runbookFolders({ cwd, env: process.env, ...(config.source ? { configSource: config.source } : {}) }));
      for (const warning of catalog.warnings) process.stderr.write(`gameops: warning: ${warning}\n`);
      return catalog;
    },
  };
}

/** Reads, runs promtool, checks the runbook links. Throws UsageError when a FILE does not exist or there is nothing to check. */
export async function checkRules(inputs: string[], deps: RulesDeps): Promise<RulesReport> {
  const shown = (path: string) => {
    const rel = relative(deps.cwd, path);
    return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : path;
  };
  const paths = (inputs.length > 0 ? inputs : [shippedRules()]).flatMap((input) => yamlFilesOf(resolve(deps.cwd, input), input));
  if (paths.length === 0) throw new UsageError(`no .yml or .yaml file in ${inputs.join(", ") || shippedRules()}`);

  const ruleFiles: { file: string; source?: YamlSource }[] = [];
  const testFiles: string[] = [];
  const unrecognized: RulesReport["unrecognized"] = [];
  for (const path of paths) {
    const file = shown(path);
    const source = parseYamlSource(readFileSync(path, "utf8"), file);
    const top = source.issues.length === 0 && isRecord(source.input) ? source.input : undefined;
    // A file that is not even YAML goes to `promtool check rules`, which says where it breaks.
    if (!top || "groups" in top) ruleFiles.push({ file, ...(top ? { source } : {}) });
    else if ("tests" in top) testFiles.push(file);
    else unrecognized.push({ file, problem: `${file}: neither a rule file (groups:) nor a rule test file (tests:); name only those` });
  }

  const tool = deps.promtool();
  const version = await tool.version();
  const checked = await tool.checkRules(ruleFiles.map((f) => f.file));
  const tested = await tool.testRules(testFiles);
  const catalog = deps.catalog();
  const alerts = ruleFiles.flatMap((f) => (f.source ? alertLinks(f.source, catalog) : []));
  const ok = unrecognized.length === 0 && [...checked, ...tested].every((r) => r.ok) && alerts.every((a) => a.problems.length === 0);
  return { ok, promtool: { program: tool.program, version }, ruleFiles: checked, testFiles: tested, alerts, unrecognized };
}

/** A file, or every .yml/.yaml under a folder (sorted, hidden ones left out). */
function yamlFilesOf(path: string, input: string): string[] {
  if (!existsSync(path)) throw new UsageError(`${input}: no such file or folder`);
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .filter((entry) => !entry.name.startsWith("."))
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const child = join(path, entry.name);
      if (entry.isDirectory()) return yamlFilesOf(child, join(input, entry.name));
      return /\.ya?ml$/.test(entry.name) ? [child] : [];
    });
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
const text = (value: unknown) => (typeof value === "string" ? value : undefined);

/**
 * Each alerting rule's runbook annotations against the catalogue. Recording rules have none;
 * the structure itself (groups, rules, expressions) is promtool's to judge.
 */
export function alertLinks(source: YamlSource, catalog: Catalog): AlertLink[] {
  const groups = isRecord(source.input) && Array.isArray(source.input.groups) ? source.input.groups : [];
  const links: AlertLink[] = [];
  groups.forEach((group, g) => {
    if (!isRecord(group) || !Array.isArray(group.rules)) return;
    group.rules.forEach((rule, r) => {
      if (!isRecord(rule) || typeof rule.alert !== "string") return;
      const at = (field: string) => `${where(`groups.${g}.rules.${r}${field}`, source)}:`;
      const labels = isRecord(rule.labels) ? rule.labels : {};
      const annotations = isRecord(rule.annotations) ? rule.annotations : {};
      const runbook = text(annotations.runbook);
      const url = text(annotations.runbook_url);
      const problems: string[] = [];
      const suggested = (name: string) => `"{{ $externalLabels.gameops_url }}/#/runbooks/${name}"`;
      if (runbook === undefined) {
        const andUrl = url === undefined ? ` and runbook_url: ${suggested("NAME")}, which opens it in the gameops console` : "";
        problems.push(`${at(".annotations")} alert ${rule.alert} names no runbook: add runbook: NAME, a runbook of \`gameops runbook list\`${andUrl}`);
      } else {
        const entry = catalog.get(runbook);
        if (!entry) {
          const suggestion = closest(runbook, catalog.entries.map((e) => e.name));
          problems.push(`${at(".annotations.runbook")} alert ${rule.alert}: unknown runbook "${runbook}"${suggestion ? ` — did you mean "${suggestion}"?` : ""} (\`gameops runbook list\` shows them)`);
        } else if (!entry.runbook) {
          problems.push(`${at(".annotations.runbook")} alert ${rule.alert}: runbook "${runbook}" does not validate (${entry.issues.length} issue${entry.issues.length === 1 ? "" : "s"}: \`gameops runbook show ${runbook}\`)`);
        }
        if (url === undefined) {
          problems.push(`${at(".annotations")} alert ${rule.alert} has no runbook_url: add runbook_url: ${suggested(runbook)}, which opens the runbook in the gameops console`);
        } else if (!url.endsWith(`/#/runbooks/${runbook}`)) {
          problems.push(`${at(".annotations.runbook_url")} alert ${rule.alert}: "${url}" does not open runbook ${runbook} in gameops; end it with /#/runbooks/${runbook}, e.g. ${suggested(runbook)}`);
        }
      }
      links.push({
        file: source.file,
        group: typeof group.name === "string" ? group.name : `#${g + 1}`,
        alert: rule.alert,
        ...(text(labels.severity) ? { severity: text(labels.severity) } : {}),
        ...(text(rule.for) ? { for: text(rule.for) } : {}),
        ...(runbook !== undefined ? { runbook } : {}),
        ...(url !== undefined ? { runbookUrl: url } : {}),
        problems,
      });
    });
  });
  return links;
}

function printReport(report: RulesReport): void {
  const colour = Boolean(process.stdout.isTTY);
  const out: string[] = [];
  const failures: string[] = [];
  for (const f of report.ruleFiles) {
    if (f.ok) out.push(`${f.file}: ok — ${f.rules ?? 0} rule${f.rules === 1 ? "" : "s"} (promtool check rules)`);
    else failures.push(`${f.file}: promtool check rules failed:\n${indent(f.problems)}`);
  }
  for (const f of report.testFiles) {
    if (f.ok) out.push(`${f.file}: ok — every test passed (promtool test rules)`);
    else failures.push(`${f.file}: promtool test rules failed:\n${indent(f.problems)}`);
  }
  for (const u of report.unrecognized) failures.push(u.problem);
  const linkProblems = report.alerts.flatMap((a) => a.problems);
  if (linkProblems.length > 0) failures.push(`runbook links:\n${indent(linkProblems)}`);

  if (report.alerts.length > 0) {
    const rows = report.alerts.map((a) => [
      a.problems.length > 0 ? paint(a.alert, "red", colour) : a.alert,
      a.severity ?? "-",
      a.for ?? "-",
      a.problems.length > 0 ? paint(a.runbook ? `${a.runbook} (see below)` : "(none)", "red", colour) : a.runbook!,
    ]);
    out.push("", renderTable(["ALERT", "SEVERITY", "FOR", "RUNBOOK"], rows), "");
  }
  const files = `${count(report.ruleFiles.length, "rule file")}, ${count(report.testFiles.length, "test file")}`;
  const verdict = report.ok ? paint("OK", "green", colour) : paint("PROBLEMS", "red", colour);
  out.push(`${verdict} (exit ${report.ok ? 0 : 1}) · ${count(report.alerts.length, "alert")} in ${files} · promtool ${report.promtool.version} (${report.promtool.program})`);
  process.stdout.write(`${out.join("\n")}\n`);
  for (const f of failures) process.stderr.write(`gameops: ${f}\n`);
}

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;
const indent = (lines: string[]) => lines.map((line) => `  ${line}`).join("\n");
