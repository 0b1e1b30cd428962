import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRunbookServer, type RunbookServer } from "../api/runbook-server.js";
import { launchChromium, soon, signIn } from "./chromium.js";

describe("console: Runbooks page", () => {
  let server: RunbookServer;
  let browser: Browser;
  let page: Page;
  let url: string;
  let mina: string;
  let joon: string;


  beforeAll(async () => {
    server = await startRunbookServer();
    mina = await server.person("mina", "operator", ["lead"]);
    joon = await server.person("joon", "responder", ["lead"]);
    url = await server.app.listen({ host: "127.0.0.1", port: 0 });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("starts a runbook from the catalogue, shows it waiting live at its approval, and lets another lead approve it to the end", async () => {
    await page.goto(`${url}/#/runbooks`);
    await signIn(page, mina);
    await expect.poll(() => page.getByRole("heading", { name: "Runbooks", level: 1 }).isVisible(), soon).toBe(true);
    expect(await page.locator("#nav-runbooks").getAttribute("aria-current")).toBe("page");
    await expect.poll(() => page.locator("#catalogue li").count(), soon).toBe(4);
    expect(await page.locator("#no-runs").textContent()).toContain("No runbook has run yet.");

    // The params form and the dry-run preview.
    await page.locator('#catalogue li[data-runbook="gated"]').getByRole("button", { name: "Run…" }).click();
    await page.getByLabel("sessions").fill("7");
    await page.getByRole("button", { name: "Preview plan" }).click();
    await expect.poll(() => page.locator("#plan-preview").textContent(), soon).toContain("Dry run: nothing has been touched. Params: sessions=7.");
    expect(await page.locator('#plan-preview li[data-step="sessions"] code').textContent()).toBe("echo '7 sessions online'");
    expect(await page.locator('#plan-preview li[data-step="confirm"]').textContent()).toContain("approvers: lead — not the person who starts the run");
    expect(await server.store.runbookRuns.listRuns({ limit: 10 })).toEqual([]);

    // Records every status the run's badge shows, however fast it goes.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { seen: string[] }).seen = seen;
      new MutationObserver(() => {
        const badge = document.getElementById("runbook-run-status");
        const text = badge?.textContent?.trim();
        if (text && seen.at(-1) !== text) seen.push(text);
      }).observe(document.body, { childList: true, subtree: true, characterData: true });
    });
    await page.getByRole("button", { name: "Start run" }).click();
    await expect.poll(() => page.url(), soon).toMatch(/#\/runs\/[0-9a-f-]+$/);
    const runId = decodeURIComponent(page.url().split("#/runs/")[1]!);

    await expect.poll(() => page.locator("#runbook-run-status").textContent(), soon).toContain("Waiting for approval");
    expect(await page.locator('#run-page li[data-step="sessions"]').getAttribute("data-status")).toBe("succeeded");
    expect(await page.locator('#run-page li[data-step="sessions"] pre.output').textContent()).toBe("7 sessions online\n");
    expect(await page.locator('#run-page li[data-step="confirm"]').getAttribute("data-status")).toBe("waiting");
    expect(await page.locator('#run-page li[data-step="restart"]').getAttribute("data-status")).toBe("pending");
    expect(await page.locator("#approval-prompt").textContent()).toBe("Restart 7 sessions?");
    // Who started it may not approve it: the button says so instead of failing on click.
    expect(await page.locator("#approve-button").isDisabled()).toBe(true);
    expect(await page.locator("#approval-reason").textContent()).toBe(
      `You may not approve: mina started run ${runId} and may not approve its step "confirm": the step does not allow self_approval; ask one of lead`,
    );
    expect(await page.locator("#reject-button").isEnabled()).toBe(true);
    await page.screenshot({ path: "/tmp/gameops-run-waiting.png", fullPage: true });
    const seenBefore = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
    expect(seenBefore.at(-1)).toContain("Waiting for approval");

    // Another lead signs in on the same address and approves.
    await page.getByRole("button", { name: "Sign out" }).click();
    await signIn(page, joon);
    await expect.poll(() => page.locator("#approve-button").isEnabled(), soon).toBe(true);
    expect(await page.locator("#approval-reason").count()).toBe(0);
    await page.getByLabel("Comment").fill("go ahead");
    await page.locator("#approve-button").click();

    await expect.poll(() => page.locator("#runbook-run-status").textContent(), soon).toContain("Succeeded");
    expect(await page.locator('#run-page li[data-step="confirm"]').getAttribute("data-status")).toBe("succeeded");
    expect(await page.locator('#run-page li[data-step="restart"]').getAttribute("data-status")).toBe("succeeded");
    expect(await page.locator('#run-page li[data-step="restart"] pre.output').textContent()).toBe("restarted\n");
    expect(await page.locator("#approval-panel").count()).toBe(0);
    expect(await page.locator('#run-page li[data-step="confirm"] .decided').textContent()).toBe('Approved by joon through the console: "go ahead"');
    expect(await server.store.runbookRuns.listApprovals({ runId })).toEqual([
      expect.objectContaining({ decision: "approve", decidedBy: "joon", through: "console", comment: "go ahead" }),
    ]);
    expect(await server.store.runbookRuns.getRun(runId)).toMatchObject({ status: "succeeded", startedBy: "mina", through: "console" });
    await page.locator("details.timeline summary").click();
    expect(await page.locator("details.timeline").textContent()).toContain('approval.decided · confirm · approve by joon through the console ("go ahead")');
    await page.screenshot({ path: "/tmp/gameops-run.png", fullPage: true });

    await page.getByRole("link", { name: "Runbooks" }).first().click();
    await expect.poll(() => page.locator(`#run-history tr[data-run="${runId}"]`).textContent(), soon).toContain("Succeeded");
    expect(await page.locator(`#run-history tr[data-run="${runId}"]`).textContent()).toContain("mina · console");
    await page.screenshot({ path: "/tmp/gameops-runbooks.png", fullPage: true });
  });

  it("keeps a responder from starting runs, saying why", async () => {
    await page.goto(`${url}/#/runbooks`);
    await expect.poll(() => page.locator("#catalogue li").count(), soon).toBe(4);
    await page.locator('#catalogue li[data-runbook="hello"]').getByRole("button", { name: "Run…" }).click();
    const start = page.getByRole("button", { name: "Start run" });
    expect(await start.isDisabled()).toBe(true);
    expect(await start.getAttribute("title")).toBe("Needs the operator role or above");
  });
});
