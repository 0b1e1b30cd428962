import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RunbookError } from "../../src/domain/runbooks/runbook-error.js";
import { findRunbook, loadCatalog, runbookFolders } from "../../src/runbooks/catalog.js";
import { loadRunbook, parseRunbook } from "../../src/runbooks/load-runbook.js";
import { packageRoot } from "../../src/package-root.js";

const runbook = (name: string, title: string, extra = "") => `name: ${name}\ntitle: ${title}\n${extra}steps:\n  - id: sessions\n    fleet: { action: sessions }\n`;

function folders() {
  const root = mkdtempSync(join(tmpdir(), "gameops-runbooks-"));
  const builtIn = join(root, "built-in");
  const user = join(root, "project", "runbooks");
  mkdirSync(builtIn, { recursive: true });
  mkdirSync(user, { recursive: true });
  writeFileSync(join(builtIn, "high-cpu.yaml"), runbook("high-cpu", "High CPU", "runtime: node\n"));
  writeFileSync(join(builtIn, "restart-fleet.yaml"), runbook("restart-fleet", "Restart (built-in)"));
  writeFileSync(join(user, "restart-fleet.yaml"), runbook("restart-fleet", "Restart (ours)"));
  writeFileSync(join(user, "broken.yaml"), "name: broken\ntitle: Broken\nsteps:\n  - id: x\n    shel: [ls]\n");
  writeFileSync(join(user, "calls.yaml"), "name: calls\ntitle: Calls high-cpu\nsteps:\n  - id: sub\n    runbook: { name: high-cpu }\n");
  return { root, builtIn, user };
}

function issuesOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof RunbookError) return error.issues;
    throw error;
  }
  throw new Error("expected a RunbookError");
}

describe("catalog", () => {
  it("lists built-in and user runbooks, a user one overriding the built-in, an invalid one with its errors", () => {
    const { builtIn, user } = folders();
    const catalog = loadCatalog({ builtIn, user });
    expect(catalog.entries.map((e) => ({ name: e.name, origin: e.origin, title: e.title, overrides: e.overrides, valid: e.runbook !== undefined }))).toEqual([
      { name: "broken", origin: "user", title: undefined, overrides: undefined, valid: false },
      { name: "calls", origin: "user", title: "Calls high-cpu", overrides: undefined, valid: true },
      { name: "high-cpu", origin: "built-in", title: "High CPU", overrides: undefined, valid: true },
      { name: "restart-fleet", origin: "user", title: "Restart (ours)", overrides: join(builtIn, "restart-fleet.yaml"), valid: true },
    ]);
    expect(catalog.get("broken")!.issues).toEqual([
      `${join(user, "broken.yaml")}:5:5 steps.0.shel: unknown step kind "shel" — did you mean "shell"? (kinds: shell, sql, redis, http, k8s, fleet, check, wait, approve, notify, runbook, backup, db_maintenance)`,
    ]);
    expect(catalog.get("high-cpu")!).toMatchObject({ runtime: "node", source: join(builtIn, "high-cpu.yaml") });
    expect([...catalog.runbooks.keys()].sort()).toEqual(["calls", "high-cpu", "restart-fleet"]);
  });

  it("finds a runbook by name or file, and says what is wrong otherwise", () => {
    const { root, builtIn, user } = folders();
    const catalog = loadCatalog({ builtIn, user });
    expect(findRunbook(catalog, "restart-fleet", root).runbook.title).toBe("Restart (ours)");
    expect(issuesOf(() => findRunbook(catalog, "restart-flet", root))).toEqual([`unknown runbook "restart-flet" — did you mean "restart-fleet"? (\`gameops runbook list\` shows them)`]);
    expect(issuesOf(() => findRunbook(catalog, "broken", root))).toEqual(catalog.get("broken")!.issues);
    writeFileSync(join(root, "adhoc.yaml"), "name: adhoc\ntitle: Ad hoc\nsteps:\n  - id: sub\n    runbook: { name: hgh-cpu }\n");
    expect(issuesOf(() => findRunbook(catalog, "adhoc.yaml", root))).toEqual([
      `adhoc.yaml:5:22 steps.0.runbook.name: unknown runbook "hgh-cpu" — did you mean "high-cpu"? (\`gameops runbook list\` shows them)`,
    ]);
    expect(issuesOf(() => findRunbook(catalog, "missing.yaml", root))).toEqual(["missing.yaml: cannot read (ENOENT)"]);
  });

  it("finds the user folder beside the config file, or in GAMEOPS_RUNBOOKS", () => {
    const { root } = folders();
    const builtIn = join(packageRoot(), "src", "runbooks");
    expect(runbookFolders({ cwd: root, env: {}, configSource: join(root, "project", "gameops.yaml") })).toEqual({ builtIn, user: join(root, "project", "runbooks"), explicit: false });
    expect(runbookFolders({ cwd: root, env: {} })).toEqual({ builtIn, user: join(root, "runbooks"), explicit: false });
    expect(runbookFolders({ cwd: root, env: { GAMEOPS_RUNBOOKS: "ours" } })).toEqual({ builtIn, user: join(root, "ours"), explicit: true });
    const catalog = loadCatalog({ builtIn: join(root, "built-in"), user: join(root, "ours"), explicit: true });
    expect(catalog.warnings).toEqual([`GAMEOPS_RUNBOOKS: ${join(root, "ours")} is not a folder; no runbooks of your own are loaded`]);
  });

  it("loads every built-in runbook without an issue", () => {
    const catalog = loadCatalog({ builtIn: join(packageRoot(), "src", "runbooks") });
    for (const entry of catalog.entries) expect({ name: entry.name, issues: entry.issues }).toEqual({ name: entry.name, issues: [] });
  });
});

describe("load-runbook", () => {
  it("parses the example of docs/runbooks.md, and each runbook written there", async () => {
    const { readFileSync } = await import("node:fs");
    const docs = readFileSync(join(packageRoot(), "docs", "runbooks.md"), "utf8");
    const blocks = [...docs.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((b) => b.startsWith("name:"));
    expect(blocks.length).toBeGreaterThan(0);
    for (const block of blocks) {
      const parsed = parseRunbook(block, "docs/runbooks.md");
      expect(parsed.runbook.steps.length).toBeGreaterThan(0);
    }
    const example = parseRunbook(blocks[0]!, "restart-fleet.yaml").runbook;
    expect(example.steps.map((s) => [s.id, s.kind])).toEqual([
      ["sessions", "fleet"],
      ["confirm", "approve"],
      ["restart", "shell"],
      ["healthy", "check"],
    ]);
    expect(example.steps[2]!.timeout).toBe(300_000);
    expect(example.steps[3]!.retries).toEqual({ attempts: 3, backoff: 10_000, factor: 2 });
  });

  it("names the file it cannot read and refuses a top level that is not a mapping", () => {
    expect(issuesOf(() => loadRunbook("/nonexistent/x.yaml", { label: "x.yaml" }))).toEqual(["x.yaml: cannot read (ENOENT)"]);
    expect(issuesOf(() => parseRunbook("- a\n- b\n", "list.yaml"))).toEqual(["list.yaml: a runbook is a mapping with name, title and steps (see docs/runbooks.md)"]);
    expect(issuesOf(() => parseRunbook("", "empty.yaml"))).toEqual(["empty.yaml: a runbook is a mapping with name, title and steps (see docs/runbooks.md)"]);
  });
});
