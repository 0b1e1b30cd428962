import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/open-store.js";
import { fixtures, startRunbookServer, type RunbookServer } from "../api/runbook-server.js";
import { runCli } from "./run-cli.js";

const invalid = join(fixtures, "invalid");

/** The id in "run <id> · …", the first line a started run prints. */
function runIdOf(stdout: string): string {
  const id = /^run (\S+) · /m.exec(stdout)?.[1];
  if (!id) throw new Error(`no run id in:\n${stdout}`);
  return id;
}

describe("gameops runbook and gameops run, on the local data dir", () => {
  const dir = mkdtempSync(join(tmpdir(), "gameops-runbook-cli-"));
  const cli = (...args: string[]) => runCli(args, { GAMEOPS_RUNBOOKS: fixtures }, dir);

  beforeAll(async () => {
    await cli("people", "add", "mina", "--name", "Mina Park", "--title", "lead");
    await cli("people", "add", "joon", "--name", "Joon Lee", "--title", "lead");
    await cli("people", "add", "sora", "--name", "Sora Kim");
  });

  it("lists the catalogue as a table and as JSON, and shows one runbook with its plan", async () => {
    const table = await cli("runbook", "list");
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^NAME\s+RUNTIME\s+ORIGIN\s+TITLE\n/);
    expect(table.stdout).toMatch(/\nhello\s+shell\s+user\s+Say hello on this machine\n/);
    const json = JSON.parse((await cli("runbook", "list", "--json")).stdout) as { name: string; valid: boolean; origin: string }[];
    expect(json.filter((r) => r.origin === "user").map((r) => [r.name, r.valid])).toEqual([
      ["failing", true],
      ["gated", true],
      ["hello", true],
      ["report", true],
    ]);

    const shown = await cli("runbook", "show", "gated");
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain("gated — Restart behind an approval\n");
    expect(shown.stdout).toMatch(/\nsessions\s+number\s+12\s+\n/);
    expect(shown.stdout).toContain("  2. confirm [approve]  APPROVAL GATE\n     approval: \"Restart 12 sessions?\"\n     approvers: lead; not the person who started the run\n");
    expect(await cli("runbook", "show", "helo")).toMatchObject({
      code: 2,
      stderr: 'gameops: unknown runbook "helo" — did you mean "hello"? (`gameops runbook list` shows them)\n',
    });
  });

  it("validates files, naming each mistake with file:line:column, the field and the fix", async () => {
    const typo = join(invalid, "typo.yaml");
    const reference = join(invalid, "reference.yaml");
    const result = await cli("runbook", "validate", join(fixtures, "hello.yaml"), typo, reference);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(`${join(fixtures, "hello.yaml")}: ok — hello: Say hello on this machine (2 steps)\n`);
    expect(result.stderr).toBe(
      `gameops: ${typo}: invalid runbook:\n` +
        `  - ${typo}:5:5 steps.0.shel: unknown step kind "shel" — did you mean "shell"? (kinds: shell, sql, redis, http, k8s, fleet, check, wait, approve, notify, runbook, backup, db_maintenance)\n` +
        `gameops: ${reference}: invalid runbook:\n` +
        `  - ${reference}:7:24 steps.1.approve.prompt: "steps.frist.outputs.stdout": no step has the id "frist" — did you mean "first"? (column 17)\n`,
    );
    expect((await cli("runbook", "validate", join(fixtures, "gated.yaml"))).code).toBe(0);
    const schema = JSON.parse((await cli("runbook", "schema")).stdout) as { title: string };
    expect(schema.title).toBe("gameops runbook");
  });

  it("--dry-run prints the plan and touches nothing: no run is recorded", async () => {
    const dry = await cli("runbook", "run", "gated", "--dry-run", "--param", "sessions=3");
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("Plan for gated — Restart behind an approval\nDry run: nothing has been touched.\nparams: sessions=3\n");
    expect(dry.stdout).toContain("     echo '3 sessions online'\n");
    expect(JSON.parse((await cli("run", "list", "--json")).stdout)).toEqual([]);
  });

  it("refuses what it cannot do with the reason, exit 2", async () => {
    expect(await cli("runbook", "run", "hello")).toMatchObject({
      code: 2,
      stderr: 'gameops: not on a terminal, so nobody can answer "Start? [y/N]": pass --yes to start (approval steps still wait for a person), or --dry-run to see the plan\n',
    });
    expect(await cli("runbook", "run", "gated", "--yes", "--param", "sessions=lots")).toMatchObject({
      code: 2,
      stderr: 'gameops: invalid params:\n  - param "sessions" must be a number, not "lots"\n',
    });
    expect(await cli("runbook", "run", "hello", "--yes", "--as", "ghost")).toMatchObject({
      code: 2,
      stderr: 'gameops: --as "ghost" is not a known person; `gameops people` lists them, `gameops people add ghost --name …` adds one\n',
    });
    expect(await cli("runbook", "run", "hello", "--yes", "--param", "who")).toMatchObject({
      code: 2,
      stderr: 'gameops: --param "who" must be name=value, like --param region=eu-1\n',
    });
    expect(JSON.parse((await cli("run", "list", "--json")).stdout)).toEqual([]);
  });

  it("runs shell steps with their progress and output, exit 0", async () => {
    const result = await cli("runbook", "run", "hello", "--yes", "--param", "who=mina", "--as", "mina");
    expect(result.code).toBe(0);
    const id = runIdOf(result.stdout);
    expect(result.stdout).toMatch(new RegExp(`^run ${id} · hello — Say hello on this machine · started by mina\n`));
    expect(result.stdout).toContain("▶ greet [shell] echo 'hello mina'\n    │ hello mina\n✓ greet succeeded in ");
    expect(result.stdout).toContain("    │ one\n    │ two\n    │ three\n    │ greeted mina\n✓ count succeeded in ");
    expect(result.stdout).toMatch(new RegExp(`\n✓ run ${id} succeeded in \\S+ \\(exit 0\\)\n$`));

    const shown = await cli("run", "show", id);
    expect(shown.stdout).toMatch(/\nmain\s+greet\s+shell\s+succeeded\s+\S+\s+0\s+echo 'hello mina'\n/);
    const detail = JSON.parse((await cli("run", "show", id, "--json")).stdout);
    expect(detail.run).toMatchObject({ id, status: "succeeded", startedBy: "mina", through: "cli", params: { who: "mina" } });
    expect(detail.steps.map((s: { stepId: string; output: string }) => [s.stepId, s.output])).toEqual([
      ["greet", "hello mina"],
      ["count", "one\ntwo\nthree\ngreeted mina"],
    ]);
  });

  it("a failing step rolls back, exit 1, and the run says why", async () => {
    const result = await cli("runbook", "run", "failing", "--yes");
    expect(result.code).toBe(1);
    const id = runIdOf(result.stdout);
    expect(result.stdout).toContain("✗ break failed in ");
    expect(result.stdout).toContain("(exit 3): script exited with code 3; last lines:\n    about to fail\n── rollback after step \"break\" failed ──\n▶ undo [shell] echo 'undoing break'");
    expect(result.stdout).toMatch(new RegExp(`\n↩ run ${id} rolled back after step "break" failed in \\S+: script exited with code 3; last lines:\n    about to fail \\(exit 1\\)\n$`));
    const listed = JSON.parse((await cli("run", "list", "--json", "--runbook", "failing")).stdout);
    expect(listed).toEqual([expect.objectContaining({ id, status: "rolled_back", failedStep: "break" })]);
  });

  it("waits at an approval (exit 4); the starter may not approve, another lead does, and resume finishes it", async () => {
    const started = await cli("runbook", "run", "gated", "--yes", "--as", "mina");
    expect(started.code).toBe(4);
    const id = runIdOf(started.stdout);
    expect(started.stdout).toContain(
      `⏸ run ${id} waits for an approval of step "confirm": "Restart 12 sessions?"\n` +
        `  who may approve: lead — not mina, who started it\n` +
        `  approve it:   gameops run approve ${id} --as PERSON   (or reject: --reject --comment "why")\n` +
        `  or in the console: http://127.0.0.1:7070/#/runs/${id}\n` +
        `  then it goes on in \`gameops up\`, or here with: gameops run resume ${id}\n` +
        `run ${id} is waiting (exit 4)\n`,
    );
    expect(JSON.parse((await cli("run", "list", "--json")).stdout)[0]).toMatchObject({ id, status: "waiting_approval", waiting: { for: "approval", stepId: "confirm" } });

    expect(await cli("run", "approve", id, "--as", "mina")).toMatchObject({
      code: 1,
      stderr: `gameops: mina started run ${id} and may not approve its step "confirm": the step does not allow self_approval; ask one of lead\n`,
    });
    expect(await cli("run", "approve", id, "--as", "sora")).toMatchObject({
      code: 1,
      stderr: `gameops: sora may not decide step "confirm" of run ${id}: it needs one of lead (a role, title, team or person); sora has no role (no token), no team, no title\n`,
    });
    expect(await cli("run", "approve", id)).toMatchObject({
      code: 2,
      stderr: "gameops: approving needs a person: pass --as PERSON (or set GAMEOPS_PERSON) naming someone `gameops people` lists\n",
    });
    // Still waiting: `resume` without an approval goes nowhere.
    expect((await cli("run", "resume", id)).code).toBe(4);

    const approved = await runCli(["run", "approve", id, "--comment", "go ahead"], { GAMEOPS_RUNBOOKS: fixtures, GAMEOPS_PERSON: "joon" }, dir);
    expect(approved).toMatchObject({
      code: 0,
      stdout: `approved step "confirm" of run ${id} as joon; it goes on in \`gameops up\` if it is running, or here with: gameops run resume ${id}\n`,
    });
    const resumed = await cli("run", "resume", id, "--as", "joon");
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain("▶ restart [shell] echo restarted  DESTRUCTIVE\n    │ restarted\n✓ restart succeeded in ");
    expect(resumed.stdout).toMatch(new RegExp(`✓ run ${id} succeeded in \\S+ \\(exit 0\\)\n$`));

    const shown = await cli("run", "show", id);
    expect(shown.stdout).toMatch(/confirm: "Restart 12 sessions\?" — approved by joon at \S+ through the cli \("go ahead"\)/);
    expect(await cli("run", "resume", id)).toMatchObject({ code: 1, stderr: `gameops: run ${id} has ended (succeeded); there is nothing to resume\n` });
  });

  it("cancels a waiting run: finally runs here; a cancelled run ends with exit 5", async () => {
    const first = runIdOf((await cli("runbook", "run", "gated", "--yes", "--as", "mina")).stdout);
    // Asked to cancel by someone else (the console, say) while nobody executes it: the next executor ends it.
    const store = await openStore({ dataDir: join(dir, "data") });
    try {
      await store.runbookRuns.requestCancel(first, "joon");
    } finally {
      await store.close();
    }
    const ended = await cli("run", "resume", first);
    expect(ended.code).toBe(5);
    expect(ended.stdout).toContain(`⊘ confirm cancelled in `);
    expect(ended.stdout).toMatch(new RegExp(`\n⊘ run ${first} cancelled by joon in \\S+ \\(exit 5\\)\n$`));

    const started = await cli("runbook", "run", "gated", "--yes", "--as", "mina");
    const id = runIdOf(started.stdout);
    const cancelled = await cli("run", "cancel", id, "--as", "sora");
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout).toContain(`run ${id} cancelled by sora\n`);
    const detail = JSON.parse((await cli("run", "show", id, "--json")).stdout);
    expect(detail.run).toMatchObject({ status: "cancelled", cancelRequested: { by: "sora" } });
    expect(await cli("run", "show", "nope")).toMatchObject({ code: 1, stderr: "gameops: no runbook run nope; `gameops run list` shows the runs\n" });
  });
});

describe("gameops runbook run through a server (GAMEOPS_URL)", () => {
  let server: RunbookServer;
  let env: Record<string, string>;
  let joon: string;

  beforeAll(async () => {
    server = await startRunbookServer();
    const url = await server.app.listen({ host: "127.0.0.1", port: 0 });
    env = { GAMEOPS_URL: url, GAMEOPS_TOKEN: await server.person("mina", "operator", ["lead"]) };
    joon = await server.person("joon", "responder", ["lead"]);
  });

  afterAll(async () => {
    await server?.close();
  });

  it("starts the run on the server and follows its events to the end", async () => {
    const result = await runCli(["runbook", "run", "hello", "--yes", "--param", "who=server"], env);
    expect(result.code).toBe(0);
    const id = runIdOf(result.stdout);
    expect(result.stdout).toContain("▶ greet [shell] echo 'hello server'\n    │ hello server\n✓ greet succeeded in ");
    expect(result.stdout).toMatch(new RegExp(`✓ run ${id} succeeded in \\S+ \\(exit 0\\)\n$`));
    expect((await server.store.runbookRuns.getRun(id))?.through).toBe("cli");
  });

  it("stops following at an approval (exit 4); an approval through the API lets the server finish it", async () => {
    const started = await runCli(["runbook", "run", "gated", "--yes"], env);
    expect(started.code).toBe(4);
    const id = runIdOf(started.stdout);
    expect(started.stdout).toContain(`  approve it:   gameops run approve ${id}   (or reject: --reject --comment "why")\n  or in the console: ${env.GAMEOPS_URL}/#/runs/${id}\n`);
    expect(await runCli(["run", "approve", id], env)).toMatchObject({
      code: 1,
      stderr: `gameops: POST /api/runs/${id}/approvals: 403 mina started run ${id} and may not approve its step "confirm": the step does not allow self_approval; ask one of lead\n`,
    });
    expect(await runCli(["run", "approve", id, "--as", "joon"], env)).toMatchObject({
      code: 2,
      stderr: "gameops: --as works on the local data dir; through a server (GAMEOPS_URL) you act as the person of GAMEOPS_TOKEN\n",
    });
    expect(await runCli(["run", "approve", id], { ...env, GAMEOPS_TOKEN: joon })).toMatchObject({
      code: 0,
      stdout: `approved step "confirm" of run ${id}; the server goes on with it\n`,
    });
    for (let i = 0; i < 200 && (await server.store.runbookRuns.getRun(id))?.status !== "succeeded"; i++) await new Promise((r) => setTimeout(r, 50));
    const shown = await runCli(["run", "show", id], env);
    expect(shown.stdout).toMatch(/confirm: "Restart 12 sessions\?" — approved by joon at \S+ through the cli/);
    expect(await runCli(["run", "resume", id], env)).toMatchObject({ code: 1, stderr: `gameops: run ${id} has ended (succeeded); there is nothing to resume\n` });
    const listed = JSON.parse((await runCli(["run", "list", "--json"], env)).stdout);
    expect(listed[0]).toMatchObject({ id, status: "succeeded" });
  });

  it("runs a file only locally", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "gameops-file-")), "mine.yaml");
    writeFileSync(file, "name: mine\ntitle: Mine\nsteps:\n  - id: a\n    shell: [true]\n");
    expect(await runCli(["runbook", "run", file, "--yes"], env)).toMatchObject({
      code: 2,
      stderr: `gameops: a runbook file runs locally only: unset GAMEOPS_URL, or put ${file} in the server's runbooks folder and run it by name\n`,
    });
  });
});
