import { mkdtempSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runChecks } from "../../src/engine/health/run-checks.js";
import { envConfig } from "./support.js";

describe("disk check on this machine's real file systems", () => {
  it("reads every local mount by default and grades by df's formula", async () => {
    const [result] = (await runChecks(envConfig({}), { only: ["disk"] })).checks;
    expect(["ok", "warning", "critical"]).toContain(result!.status);
    const mounts = result!.details.mounts as { path: string; usedPct: number; inodesPct: number | null }[];
    expect(mounts.map((m) => m.path)).toContain("/");
    expect(result!.details.paths).toBe("all local file systems");
  });

  it("turns red when the threshold is below the real usage", async () => {
    const [result] = (await runChecks(envConfig({ GAMEOPS_DISK_PATHS: "/" }, (c) => (c.thresholds.disk.usedPct = { warning: 0, critical: 0 })), { only: ["disk"] })).checks;
    expect(result!.status).toBe("critical");
    expect(result!.summary).toMatch(/^\/ \d+(\.\d)? % used/);
  });

  it("is critical for a configured path that is gone", async () => {
    const [result] = (await runChecks(envConfig({ GAMEOPS_DISK_PATHS: "/,/nonexistent/data" }), { only: ["disk"] })).checks;
    expect(result!.status).toBe("critical");
    expect(result!.summary).toMatch(/^\/nonexistent\/data: no such path \(not mounted\?\)/);
  });
});

describe("logs check over real files", () => {
  const now = new Date("2026-11-26T09:00:00Z");
  const dir = mkdtempSync(join(tmpdir(), "gameops-logs-"));
  writeFileSync(
    join(dir, "game-1.log"),
    [
      "2026-11-26T08:00:00Z INFO player 1 joined",
      "2026-11-26T08:10:00Z ERROR player 1234 failed to load inventory from 10.0.0.7:3306",
      "  at Inventory.load (inventory.ts:42)",
      "2026-11-26T08:11:00Z ERROR player 99 failed to load inventory from 10.0.0.8:3306",
      "2026-11-25T08:00:00Z ERROR yesterday morning, outside the 24 h window",
      // Zone-less times are read in the team's zone: 17:30 in Seoul is 08:30 UTC, inside.
      "2026-11-26 17:30:00 ERROR match 77 timed out",
    ].join("\n"),
  );
  writeFileSync(join(dir, "old.log"), "2026-01-01T00:00:00Z ERROR ancient\n");
  utimesSync(join(dir, "old.log"), new Date("2026-01-01"), new Date("2026-01-01"));
  for (const f of ["game-1.log"]) utimesSync(join(dir, f), now, now);

  it("counts ERROR lines in the last 24 h with the top distinct messages", async () => {
    const config = envConfig({ GAMEOPS_LOG_FILES: join(dir, "*.log"), GAMEOPS_TIME_ZONE: "Asia/Seoul" });
    const [result] = (await runChecks(config, { only: ["logs"], now: () => now })).checks;
    expect(result!.status).toBe("warning");
    expect(result!.summary).toBe("3 ERROR lines in the last 24 h (env 3)");
    const [source] = result!.details.sources as { streams: number; top: { message: string; count: number }[] }[];
    expect(source!.streams).toBe(1);
    expect(source!.top).toEqual([
      { message: "ERROR player <n> failed to load inventory from <ip>", count: 2 },
      { message: "ERROR match <n> timed out", count: 1 },
    ]);
  });

  it("warns when a glob matches nothing rather than looking green", async () => {
    const [result] = (await runChecks(envConfig({ GAMEOPS_LOG_FILES: join(dir, "nothing-*.log") }), { only: ["logs"] })).checks;
    expect(result!.status).toBe("warning");
    expect(result!.summary).toBe(`no ERROR lines in the last 24 h; env: no file matches ${join(dir, "nothing-*.log")}`);
  });
});

describe("the run as a whole", () => {
  it("is unknown when no check ran, listing why each was skipped", async () => {
    const report = await runChecks(envConfig({}), { only: ["mysql", "redis", "alerts"] });
    expect(report.status).toBe("unknown");
    expect(report.checks.map((c) => [c.name, c.status, c.summary])).toEqual([
      ["mysql", "skipped", "not configured: set GAMEOPS_MYSQL_URL or targets.mysql.url"],
      ["redis", "skipped", "not configured: set GAMEOPS_REDIS_URL or targets.redis.url"],
      ["alerts", "skipped", "not configured: set GAMEOPS_ALERTMANAGER_URL or targets.alertmanager.url"],
    ]);
  });

  it("refuses an unknown check name", async () => {
    await expect(runChecks(envConfig({}), { only: ["redis", "mysq"] })).rejects.toThrow(
      'unknown check "mysq"; choose from mysql, redis, disk, logs, alerts, kubernetes, backups',
    );
  });
});
