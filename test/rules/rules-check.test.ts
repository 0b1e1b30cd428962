/**
 * `gameops rules check` with the real promtool (Debian's prometheus package) and the built-in
 * runbook catalogue: the shipped rules pass, and each kind of mistake is named with its fix.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { check, checkRules, type RulesDeps } from "../../src/cli/commands/rules.js";
import { UsageError } from "../../src/cli/usage-error.js";
import { findPromtool, missingPromtool, promtool, PromtoolError } from "../../src/integrations/prometheus/promtool.js";
import { packageRoot } from "../../src/package-root.js";
import { loadCatalog } from "../../src/runbooks/catalog.js";

const root = packageRoot();
const fixtures = "test/rules/fixtures";

const deps: RulesDeps = {
  cwd: root,
  promtool: () => promtool(),
  catalog: () => loadCatalog({ builtIn: join(root, "src", "runbooks") }),
};

/** The command as the CLI runs it, with what it printed. */
async function run(files: string[], options: { json?: boolean } = {}, using: RulesDeps = deps) {
  let stdout = "";
  let stderr = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    const code = await check({}, files, options, using);
    return { code, stdout, stderr };
  } finally {
    vi.restoreAllMocks();
  }
}

describe("gameops rules check", () => {
  it("passes on the shipped rules: promtool check and test rules, and every alert's runbook exists", async () => {
    const report = await checkRules([], deps);
    expect(report.unrecognized).toEqual([]);
    expect(report.ruleFiles).toEqual([{ file: "rules/gameops.rules.yml", ok: true, rules: 8, problems: [] }]);
    expect(report.testFiles).toEqual([
      { file: "rules/tests/alerting-pipeline.test.yml", ok: true, problems: [] },
      { file: "rules/tests/game-servers.test.yml", ok: true, problems: [] },
      { file: "rules/tests/hosts.test.yml", ok: true, problems: [] },
    ]);
    expect(report.alerts.map((a) => [a.group, a.alert, a.severity, a.runbook, a.problems])).toEqual([
      ["gameops-game-servers", "ServerDown", "critical", "server-down", []],
      ["gameops-game-servers", "GameServerAbsent", "critical", "server-down", []],
      ["gameops-game-servers", "HighErrorRate", "warning", "high-error-rate", []],
      ["gameops-game-servers", "GameTickSlow", "warning", "high-cpu", []],
      ["gameops-game-servers", "PlayersDrop", "critical", "players-drop", []],
      ["gameops-hosts", "LowMemory", "warning", "low-memory", []],
      ["gameops-hosts", "DiskSpaceLow", "warning", "disk-space-low", []],
      ["gameops-alerting-pipeline", "Watchdog", "none", "alerting-pipeline", []],
    ]);
    for (const a of report.alerts) expect(a.runbookUrl).toBe(`{{ $externalLabels.gameops_url }}/#/runbooks/${a.runbook}`);
    expect(report.ok).toBe(true);
    expect(report.promtool.program).toMatch(/\/promtool$/);
    expect(report.promtool.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("prints a table and exits 0 on the shipped rules; --json prints the report", async () => {
    const text = await run([]);
    expect(text.code).toBe(0);
    expect(text.stderr).toBe("");
    expect(text.stdout).toContain("rules/gameops.rules.yml: ok — 8 rules (promtool check rules)\n");
    expect(text.stdout).toContain("rules/tests/game-servers.test.yml: ok — every test passed (promtool test rules)\n");
    expect(text.stdout).toMatch(/\nALERT\s+SEVERITY\s+FOR\s+RUNBOOK\n/);
    expect(text.stdout).toMatch(/\nServerDown\s+critical\s+1m\s+server-down\n/);
    expect(text.stdout).toMatch(/\nWatchdog\s+none\s+-\s+alerting-pipeline\n/);
    expect(text.stdout).toMatch(/\nOK \(exit 0\) · 8 alerts in 1 rule file, 3 test files · promtool \S+ \(\S+promtool\)\n$/);

    const json = await run([], { json: true });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, ruleFiles: [{ rules: 8 }], unrecognized: [] });
  });

  it("fails on a rule file promtool rejects, with promtool's own words", async () => {
    const result = await run([`${fixtures}/broken`]);
    const file = `${fixtures}/broken/broken.rules.yml`;
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/\nPROBLEMS \(exit 1\) · 1 alert in 1 rule file, 0 test files · /);
    expect(result.stderr).toBe(
      `gameops: ${file}: promtool check rules failed:\n` +
        `  ${file}: 6:15: group "broken", rule 1, "ServerDown": could not parse expression: 1:22: parse error: unexpected "=" in label matching, expected "," or "}"\n` +
        `  ${file}: group "broken", rule 1, "ServerDown": annotation "summary": template: __alert_ServerDown:1: unexpected "}" in operand\n`,
    );
  });

  it("fails on a rule test that does not pass, showing the expected and the actual alerts", async () => {
    const report = await checkRules([`${fixtures}/failing-test`], deps);
    expect(report.ok).toBe(false);
    expect(report.ruleFiles).toEqual([{ file: `${fixtures}/failing-test/watchdog.rules.yml`, ok: true, rules: 1, problems: [] }]);
    const [test] = report.testFiles;
    expect(test).toMatchObject({ file: `${fixtures}/failing-test/watchdog.test.yml`, ok: false });
    expect(test!.problems[0]).toBe("alertname: Watchdog, time: 1m,");
    const lines = test!.problems.map((line) => line.trim());
    expect(lines.indexOf('Labels:{alertname="Watchdog", severity="critical"}')).toBeGreaterThan(lines.indexOf("exp:["));
    expect(lines.indexOf('Labels:{alertname="Watchdog", severity="none"}')).toBeGreaterThan(lines.indexOf("got:["));
  });

  it("fails on an alert whose runbook gameops does not have, or whose link is a wiki page, or that names none", async () => {
    const result = await run([`${fixtures}/links/links.rules.yml`]);
    const file = `${fixtures}/links/links.rules.yml`;
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`${file}: ok — 5 rules (promtool check rules)\n`);
    expect(result.stdout).toMatch(/\nDiskSpaceLow\s+warning\s+-\s+disk-space-low\n/);
    expect(result.stderr).toBe(
      "gameops: runbook links:\n" +
        `  ${file}:11:20 groups.0.rules.0.annotations.runbook: alert ServerDown: unknown runbook "sever-down" — did you mean "server-down"? (\`gameops runbook list\` shows them)\n` +
        `  ${file}:19:24 groups.0.rules.1.annotations.runbook_url: alert HighErrorRate: "https://wiki/runbooks/high-error-rate" does not open runbook high-error-rate in gameops; end it with /#/runbooks/high-error-rate, e.g. "{{ $externalLabels.gameops_url }}/#/runbooks/high-error-rate"\n` +
        `  ${file}:25:11 groups.0.rules.2.annotations: alert LowMemory names no runbook: add runbook: NAME, a runbook of \`gameops runbook list\` and runbook_url: "{{ $externalLabels.gameops_url }}/#/runbooks/NAME", which opens it in the gameops console\n`,
    );
  });

  it("says which file is neither a rule file nor a rule test", async () => {
    const result = await run([`${fixtures}/other`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`gameops: ${fixtures}/other/prometheus.yml: neither a rule file (groups:) nor a rule test file (tests:); name only those\n`);
  });

  it("is a usage error (exit 2) when a FILE does not exist", async () => {
    await expect(checkRules(["rules/nope.yml"], deps)).rejects.toThrow(new UsageError("rules/nope.yml: no such file or folder"));
  });

  it("exits 2 with the package to install when promtool is missing", async () => {
    const empty = mkdtempSync(join(tmpdir(), "gameops-no-promtool-"));
    expect(() => promtool({ searchPath: empty, fallbacks: [] })).toThrow(new PromtoolError(missingPromtool, "missing", false));
    expect(missingPromtool).toBe("promtool not found: install the prometheus package (apt-get install prometheus)");
    const result = await run([], {}, { ...deps, promtool: () => promtool({ searchPath: empty, fallbacks: [] }) });
    expect(result).toEqual({ code: 2, stdout: "", stderr: `gameops: ${missingPromtool}\n` });
  });

  it("finds promtool on PATH, or at /usr/bin/promtool when PATH has none (cron, systemd)", () => {
    const empty = mkdtempSync(join(tmpdir(), "gameops-no-promtool-"));
    expect(findPromtool({ searchPath: `${empty}:/usr/bin` })).toBe("/usr/bin/promtool");
    expect(findPromtool({ searchPath: empty })).toBe("/usr/bin/promtool");
  });
});
