import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CheckRunRecord } from "../../src/store/store.js";
import { services, startGameops, type Gameops } from "../api/fixture.js";
import { launchChromium, soon } from "./chromium.js";

/** Two weeks of daily runs at 09:00 Seoul time, so that the chart has columns to draw. */
async function recordPastRuns(gameops: Gameops, now: Date): Promise<void> {
  const pattern = ["ok", "ok", "warning", "ok", "ok", "ok", "critical", "ok", "ok", "ok", "ok", "warning", "ok", "ok"] as const;
  for (const [daysAgo, redis] of pattern.entries()) {
    const startedAt = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - (pattern.length - daysAgo)));
    const run: CheckRunRecord = {
      id: `past-${daysAgo}`,
      startedAt: startedAt.toISOString(),
      durationMs: 600 + daysAgo * 20,
      status: redis,
      trigger: "schedule",
      checks: [
        { name: "mysql", status: "ok", summary: `${4 + daysAgo}/151 connections, 0 active queries`, durationMs: 120 + daysAgo * 5, details: {} },
        { name: "redis", status: redis, summary: `latency p99 ${redis === "ok" ? 0.4 : 12.5} ms`, durationMs: 500 + daysAgo * 20, details: {} },
        { name: "disk", status: "ok", summary: "1 mount, fullest / at 23 %", durationMs: 90, details: {} },
        { name: "logs", status: "skipped", summary: "not configured: set GAMEOPS_LOG_FILES or targets.logs", durationMs: 0, details: {} },
      ],
    };
    await gameops.store.checkRuns.record(run);
  }
}

describe("console: Health page", () => {
  let gameops: Gameops;
  let browser: Browser;
  let page: Page;
  let url: string;
  let responderToken: string;

  beforeAll(async () => {
    gameops = await startGameops({ ...services, GAMEOPS_TIME_ZONE: "Asia/Seoul" });
    await recordPastRuns(gameops, new Date());
    await gameops.checks.start({ trigger: "schedule", only: ["mysql", "redis", "disk", "logs"] }).done;
    await gameops.store.people.upsertPerson({ id: "alice", name: "Alice Kim", titles: ["lead"] });
    responderToken = (await gameops.store.tokens.create({ personId: "alice", role: "responder", label: "browser test" })).token;
    url = await gameops.app.listen({ host: "127.0.0.1", port: 0 });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  });

  afterAll(async () => {
    await browser?.close();
    await gameops?.close();
  });

  it("signs in with a token and shows the latest verdict per check and the history chart", async () => {
    await page.goto(url);
    await page.getByLabel("API token").fill(responderToken);
    await page.getByRole("button", { name: "Sign in" }).click();

    await expect.poll(() => page.getByRole("heading", { name: "Health" }).isVisible(), soon).toBe(true);
    await expect.poll(() => page.locator("#cards li").count(), soon).toBe(7);
    await expect.poll(() => page.locator("#history-count").textContent(), soon).toBe("15 runs");
    const latest = (await (await fetch(`${url}/api/checks/latest`, { headers: { authorization: `Bearer ${responderToken}` } })).json()) as {
      status: string;
      checks: { name: string; result: { status: string } | null }[];
    };
    for (const check of latest.checks) {
      const card = page.locator(`#cards li[data-check="${check.name}"]`);
      expect(await card.getAttribute("class")).toContain(`status-${check.result?.status ?? "unknown"}`);
    }
    expect(await page.locator("#overall").getAttribute("aria-label")).toMatch(/^Overall verdict: (OK|Warning|Critical|Unknown)$/);
    expect(await page.locator("#run-time-utc").textContent()).toMatch(/UTC$/);
    expect(await page.locator("#run-time-team").textContent()).toMatch(/KST|GMT\+9/);
    expect(await page.locator("#who-name").textContent()).toBe("Alice Kim");

    // 15 runs: 14 recorded days and the real one; 4 checks each, the rest absent.
    expect(await page.locator("#chart rect.cell").count()).toBe(15 * 4);
    await page.locator('#chart rect.cell[data-run="past-6"][data-check="redis"]').hover();
    await expect.poll(() => page.locator("#chart-detail").textContent(), soon).toContain("latency p99 12.5 ms");
  });

  it('"Run now" streams each check\'s progress, then shows the new result', async () => {
    // Records every status line and card the page renders, however fast the run goes.
    await page.evaluate(() => {
      const seen: { status: string[]; running: string[] } = { status: [], running: [] };
      (window as unknown as { seen: typeof seen }).seen = seen;
      new MutationObserver((records) => {
        for (const record of records) {
          for (const node of record.addedNodes) {
            if (node.nodeType === Node.TEXT_NODE && record.target instanceof HTMLElement && record.target.id === "run-status") {
              seen.status.push(node.textContent ?? "");
            }
            if (node instanceof HTMLElement && node.matches("li.card.status-running")) seen.running.push(node.dataset.check ?? "");
          }
        }
      }).observe(document.body, { childList: true, subtree: true });
    });

    await page.getByRole("button", { name: "Run now" }).click();
    await expect.poll(() => page.locator("#run-status").textContent(), { timeout: 30_000 }).toMatch(/^Run finished in .+: (OK|Warning|Critical|Unknown)$/);

    const seen = await page.evaluate(() => (window as unknown as { seen: { status: string[]; running: string[] } }).seen);
    expect(seen.status).toContain("Starting a run…");
    expect(seen.status.some((s) => /^Running: \d finished, \d still running$/.test(s))).toBe(true);
    expect(new Set(seen.running)).toEqual(new Set(["mysql", "redis", "disk", "backups"]));

    await expect.poll(() => page.locator("#history-count").textContent(), soon).toBe("16 runs");
    const runs = await gameops.store.checkRuns.list({ limit: 1 });
    expect(runs[0]).toMatchObject({ trigger: "console", requestedBy: "alice" });
    expect(await page.getByRole("button", { name: "Run now" }).isEnabled()).toBe(true);

    await page.screenshot({ path: "/tmp/gameops-health.png", fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: "/tmp/gameops-health-phone.png", fullPage: true });
  });

  it("turns a bad token away with the server's reason, and keeps a viewer from running checks", async () => {
    const viewerToken = (await gameops.store.tokens.create({ personId: "alice", role: "viewer", label: "read only" })).token;
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("API token").fill("gmo_this-token-does-not-exist");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect
      .poll(() => page.locator("#sign-in-error").textContent(), soon)
      .toBe("That token was not accepted: the token is not valid: it is unknown or was revoked");

    await page.getByLabel("API token").fill(viewerToken);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.locator("#who-role").textContent(), soon).toBe("viewer");
    const runNow = page.getByRole("button", { name: "Run now" });
    expect(await runNow.isDisabled()).toBe(true);
    expect(await runNow.getAttribute("title")).toBe("Needs the responder role or above");
  });
});
