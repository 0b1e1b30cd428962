import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./run-cli.js";

describe("gameops checklist", () => {
  it("shows the period's items, signs one off, refuses an unknown one, and exits 1 while something is overdue", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gameops-checklist-"));
    const today = await runCli(["checklist", "--json"], {}, dir);
    expect(today.code).toBe(0);
    const view = JSON.parse(today.stdout);
    expect(view.cadence).toBe("daily");
    expect(view.items.find((i: { id: string }) => i.id === "alerts-review").signoff.doneBy).toBe("automation");

    const done = await runCli(["checklist", "done", "backup-status", "--note", "checked by hand"], {}, dir);
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/^daily \d{4}-\d{2}-\d{2} backup-status: done by cli:\S+ at /);
    const again = JSON.parse((await runCli(["checklist", "daily", "--json"], {}, dir)).stdout);
    expect(again.items.find((i: { id: string }) => i.id === "backup-status").signoff.note).toBe("checked by hand");

    expect(await runCli(["checklist", "done", "coffee"], {}, dir)).toMatchObject({
      code: 1,
      stderr: 'gameops: item: the daily checklist has no item "coffee"; its items are server-status, error-logs, performance-metrics, backup-status, alerts-review\n',
    });
    const lastMonth = await runCli(["checklist", "monthly", "--period", "2026-01"], {}, dir);
    expect(lastMonth.code).toBe(1);
    expect(lastMonth.stdout).toContain("monthly checklist 2026-01: 0/5 done");
    expect(lastMonth.stdout).toContain("OVERDUE");
    expect(await runCli(["checklist", "yearly"], {}, dir)).toMatchObject({ code: 1, stderr: 'gameops: cadence: no "yearly" checklist; use daily, weekly, monthly\n' });
  });
});
