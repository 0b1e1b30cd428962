import { describe, expect, it } from "vitest";
import * as backupStep from "../../../src/engine/runbooks/steps/backup.js";
import { commaList, progressBar } from "../../../src/engine/runbooks/steps/backup.js";
import * as maintenanceStep from "../../../src/engine/runbooks/steps/db-maintenance.js";
import { envConfig, failureOf, stepContext } from "./support.js";

describe("backup and db_maintenance steps", () => {
  const config = envConfig({ GAMEOPS_MYSQL_URL: "mysql://backup@127.0.0.1:1/game" });

  it("say in the plan what they change: taking and verifying add only, a dry-run prune changes nothing", () => {
    expect(backupStep.describe({ action: "backup" }, config).destructive).toBe(false);
    expect(backupStep.describe({ action: "restore", approved_plan: "abc" }, config).destructive).toBe(false);
    expect(backupStep.describe({ action: "verify", set: "latest", deep: true }, config)).toMatchObject({ destructive: false, summary: expect.stringContaining("deeply") });
    expect(backupStep.describe({ action: "restore-plan", overwrite: true }, config)).toMatchObject({ destructive: false, summary: expect.stringContaining("OVER the live data") });
    expect(backupStep.describe({ action: "prune", dry_run: true }, config).destructive).toBe(false);
    expect(backupStep.describe({ action: "prune" }, config).destructive).toBe(true);
    expect(backupStep.describe({ action: "restore", overwrite: true, approved_plan: "abc" }, config)).toMatchObject({ destructive: true, summary: expect.stringContaining("after a safety set") });
    expect(maintenanceStep.describe({ action: "plan" }, config).destructive).toBe(false);
    expect(maintenanceStep.describe({ action: "apply", planned_at: "2026-11-26T03:00:00.000Z" }, config).destructive).toBe(true);
  });

  it("a restore without the approved plan's digest, and an apply without the plan's time, are refused before anything runs", async () => {
    const context = stepContext(config);
    expect((await failureOf(backupStep.execute({ action: "restore", set: "x" }, context))).message).toMatch(/needs approved_plan: the digest output of the restore-plan step/);
    expect((await failureOf(maintenanceStep.execute({ action: "apply", planned_at: "yesterday" }, context))).message).toMatch(/needs planned_at: the plan step's `at` output/);
  });

  it("draws a bar that stops short of full while the estimate may be off", () => {
    expect(progressBar(512 * 1024 * 1024, 1024 * 1024 * 1024, 10)).toBe("▕█████░░░░░▏ 50% · 512.0 MiB of ≈ 1.0 GiB");
    expect(progressBar(2048, 1024, 10)).toBe("▕██████████▏ 99% · 2.0 KiB, past the estimate of 1.0 KiB");
    expect(commaList(" mysql, ,redis ")).toEqual(["mysql", "redis"]);
  });
});
