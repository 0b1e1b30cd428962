import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { closedPort } from "../support/servers.js";
import { runCli } from "./run-cli.js";

const services = { GAMEOPS_MYSQL_URL: "mysql://root@127.0.0.1:3306/test", GAMEOPS_REDIS_URL: "redis://127.0.0.1:6379" };

describe("gameops check", () => {
  it("works with environment variables alone, printing the documented JSON", async () => {
    const { code, stdout } = await runCli(["check", "--only", "mysql,redis", "--json"], services);
    const report = JSON.parse(stdout);
    expect(Object.keys(report).sort()).toEqual(["checks", "durationMs", "runId", "startedAt", "status"]);
    expect(report.checks.map((c: { name: string }) => c.name)).toEqual(["mysql", "redis"]);
    for (const c of report.checks) expect(Object.keys(c).sort()).toEqual(["details", "durationMs", "name", "status", "summary"]);
    expect(code).toBe({ ok: 0, warning: 1, critical: 2, unknown: 3 }[report.status as string]);
    expect(report.checks[0].status).not.toBe("critical");
  });

  it("prints a table and exits 2 when a target is down", async () => {
    const port = await closedPort();
    const { code, stdout } = await runCli(["check", "--only", "redis"], { GAMEOPS_REDIS_URL: `redis://127.0.0.1:${port}` });
    expect(code).toBe(2);
    expect(stdout).toMatch(/^CHECK\s+STATUS\s+TIME\s+SUMMARY\n/);
    expect(stdout).toContain(`redis  CRITICAL`);
    expect(stdout).toContain(`connection refused at 127.0.0.1:${port}`);
    expect(stdout).toMatch(/CRITICAL \(exit 2\) · 1 checks in/);
  });

  it("keeps a wrong password out of every output", async () => {
    const password = "Sup3r-Secret-Wrong";
    const { code, stdout, stderr } = await runCli(["check", "--only", "mysql", "--json"], { GAMEOPS_MYSQL_URL: `mysql://root:${password}@127.0.0.1:3306/test` });
    expect(code).toBe(2);
    expect(JSON.parse(stdout).checks[0].summary).toBe("access denied for root at 127.0.0.1:3306: check the user and password (GAMEOPS_MYSQL_PASSWORD_FILE)");
    expect(stdout + stderr).not.toContain(password);
  });

  it("is unknown (3) when nothing is configured, and says why", async () => {
    const { code, stdout } = await runCli(["check", "--only", "mysql,alerts"]);
    expect(code).toBe(3);
    expect(stdout).toContain("not configured: set GAMEOPS_MYSQL_URL or targets.mysql.url");
    expect(stdout).toContain("no check ran");
  });

  it("warns about a mistyped variable instead of looking green", async () => {
    const { code, stderr } = await runCli(["check", "--only", "redis"], { GAMEOPS_REDIS_ULR: "redis://127.0.0.1:6379" });
    expect(code).toBe(3);
    expect(stderr).toContain("gameops: warning: unknown environment variable GAMEOPS_REDIS_ULR is ignored — did you mean GAMEOPS_REDIS_URL?");
  });

  it("answers a bad --only with unknown (3) and the list of checks", async () => {
    const { code, stderr } = await runCli(["check", "--only", "redis,kube"]);
    expect(code).toBe(3);
    expect(stderr).toBe('gameops: unknown check "kube"; choose from mysql, redis, disk, logs, alerts, kubernetes, backups\n');
  });

  it("fails at start on a bad config file with the field and the fix, no stack trace", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gameops-badcfg-"));
    writeFileSync(join(dir, "gameops.yaml"), "targets:\n  redis:\n    url: http://127.0.0.1:6379\n");
    const { code, stderr } = await runCli(["check"], {}, dir);
    expect(code).toBe(3);
    expect(stderr).toBe(`gameops: invalid configuration:\n  - ${join(dir, "gameops.yaml")}:3:10 targets.redis.url: must be a URL like redis://127.0.0.1:6379\n`);
    const shown = await runCli(["config", "show"], {}, dir);
    expect(shown.code).toBe(78);
  });

  it("records each run so the next one can count deltas", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gameops-history-"));
    await runCli(["check", "--only", "mysql", "--json"], services, dir);
    const second = JSON.parse((await runCli(["check", "--only", "mysql", "--json"], services, dir)).stdout);
    expect(typeof second.checks[0].details.newSlowQueries).toBe("number");
    const runs = JSON.parse((await runCli(["runs", "--json"], {}, dir)).stdout);
    expect(runs).toHaveLength(2);
    expect(runs[0].id).toBe(second.runId);
  });
});

describe("gameops config show", () => {
  it("prints secrets as <secret>", async () => {
    const { code, stdout } = await runCli(["config", "show", "--json"], { GAMEOPS_MYSQL_URL: "mysql://root:pa55word@127.0.0.1:3306/test" });
    expect(code).toBe(0);
    expect(stdout).not.toContain("pa55word");
    expect(JSON.parse(stdout).targets.mysql.password).toBe("<secret>");
  });
});

describe("gameops with PostgreSQL as the store", () => {
  it("keeps runs in the database named by GAMEOPS_STORE_URL, and says so when it cannot reach it", async () => {
    const { createTestStores } = await import("../store/test-stores.js");
    const stores = await createTestStores("postgres");
    try {
      const env = { GAMEOPS_STORE_URL: stores.target.url!, GAMEOPS_DISK_PATHS: "/" };
      const checked = await runCli(["check", "--only", "disk", "--json"], env);
      const runId = JSON.parse(checked.stdout).runId;
      expect(runId).toBeTruthy();
      const rows = await stores.raw(`select id from check_runs`);
      expect(rows.map((r) => r.id)).toEqual([runId]);

      const port = await closedPort();
      const unreachable = await runCli(["check", "--only", "disk", "--json"], { ...env, GAMEOPS_STORE_URL: `postgres://postgres:pgsecret@127.0.0.1:${port}/x` });
      expect(JSON.parse(unreachable.stdout).runId).toBeUndefined();
      expect(unreachable.stderr).toMatch(/^gameops: warning: history not kept \(store unavailable: cannot open the store at .+\)\n$/);
      expect(unreachable.stderr).not.toContain("pgsecret");
    } finally {
      await stores.dispose();
    }
  });
});

describe("gameops init", () => {
  it("writes a commented example that loads cleanly, and never overwrites without --force", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gameops-init-"));
    const first = await runCli(["init"], {}, dir);
    expect(first.code).toBe(0);
    const shown = await runCli(["config", "show", "--json"], {}, dir);
    expect(shown.stderr).toBe("");
    const config = JSON.parse(shown.stdout);
    expect(config.team.timeZone).toBe("Asia/Seoul");
    expect(config.targets.mysql.label).toBe("mysql://monitor@127.0.0.1:3306/game");
    const again = await runCli(["init"], {}, dir);
    expect(again.code).toBe(2);
    expect(again.stderr).toBe("gameops: gameops.yaml exists already; pass --force to overwrite it\n");
    expect((await runCli(["init", "--force"], {}, dir)).code).toBe(0);
  });
});
