import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPagingServer, type PagingServer } from "../paging/paging-server.js";
import { launchChromium, soon, signIn, watchForProblems } from "./chromium.js";

const teamZone = "Asia/Seoul";

/** YYYY-MM-DD of an instant on the team's calendar: a daily period's key. */
const teamDay = (ms: number) => new Intl.DateTimeFormat("en-CA", { timeZone: teamZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date(ms));

describe("console: Checklists", () => {
  let server: PagingServer;
  let browser: Browser;
  let page: Page;
  let url: string;
  let aliceToken: string;
  let veraToken: string;
  const problems: string[] = [];

  const item = (id: string, on: Page = page) => on.locator(`#checklist-items li[data-item="${id}"]`);

  const watch = (on: Page) => watchForProblems(on, problems);


  beforeAll(async () => {
    server = await startPagingServer({}, { GAMEOPS_TIME_ZONE: teamZone });
    await server.store.people.upsertPerson({ id: "alice", name: "Alice Kim", titles: [] });
    await server.store.people.upsertPerson({ id: "vera", name: "Vera Cho", titles: [] });
    aliceToken = (await server.store.tokens.create({ personId: "alice", role: "responder", label: "browser test" })).token;
    veraToken = (await server.store.tokens.create({ personId: "vera", role: "viewer", label: "browser test" })).token;
    url = await server.app.listen({ host: "127.0.0.1", port: 0 });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, timezoneId: "America/New_York" });
    watch(page);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("shows today's daily checklist; a recorded check run ticks its items with the run as evidence", async () => {
    await page.goto(`${url}/#/checklists`);
    await signIn(page, aliceToken);
    await expect.poll(() => page.getByRole("heading", { name: "Checklists", level: 1 }).isVisible(), soon).toBe(true);
    expect(await page.locator("#nav-checklists").getAttribute("aria-current")).toBe("page");
    expect(await page.locator("#tab-daily").getAttribute("aria-current")).toBe("page");
    await expect.poll(() => page.locator("#checklist-items > li").count(), soon).toBe(5);
    expect(await page.locator("#checklist-period-title").textContent()).toMatch(/ \(now\)$/);
    expect(await page.locator("#checklist-viewer-note").count()).toBe(0);

    // Nothing fires: the alerts review proves itself, with what automation saw.
    const alerts = item("alerts-review");
    expect(await alerts.getAttribute("data-state")).toBe("done");
    expect(await alerts.locator(".done-by").textContent()).toBe("Ticked by automation");
    expect(await alerts.locator(".item-evidence").textContent()).toMatch(/^Proved: 0 firing alert groups, none waiting at \d\d:\d\d GMT\+9$/);
    // No check has run today: the server check waits, and says what would tick it.
    const serverStatus = item("server-status");
    expect(await serverStatus.getAttribute("data-state")).toBe("open");
    expect(await serverStatus.locator(".state-pill").textContent()).toBe("○ Open");
    expect(await serverStatus.locator(".item-proof").textContent()).toBe("Automation ticks it when it sees a daily check run in the period; until then a person signs it off.");
    expect(await page.locator("#checklist-count").textContent()).toBe("1 of 5 done");

    await server.store.checkRuns.record({ id: "run-today", startedAt: new Date().toISOString(), durationMs: 300, status: "warning", trigger: "schedule", checks: [] });
    // The strip's "now" is a link to today: looking again ticks the three items the run proves.
    await page.locator("#period-strip li").last().locator("a").click();
    await expect.poll(() => serverStatus.getAttribute("data-state"), soon).toBe("done");
    for (const id of ["server-status", "error-logs", "performance-metrics"]) {
      const evidence = item(id).locator(".item-evidence");
      expect(await evidence.textContent()).toMatch(/^Proved by the check run of .+ \(Warning\)$/);
      expect(await evidence.locator("a").getAttribute("href")).toBe("#/?run=run-today");
    }
    expect(await page.locator("#checklist-count").textContent()).toBe("4 of 5 done");
    // No backup set was deep-verified today: a person signs it off.
    expect(await item("backup-status").getAttribute("data-state")).toBe("open");
    expect(await page.locator("#period-strip li").last().locator(".period-count").textContent()).toBe("4/5");

    // The evidence leads to the Health page.
    await serverStatus.locator(".item-evidence a").click();
    await expect.poll(() => page.locator("#health").isVisible(), soon).toBe(true);
    await page.goBack();
    await expect.poll(() => page.locator("#checklists").isVisible(), soon).toBe(true);
  });

  it("signs off a manual item with a note, on the weekly tab", async () => {
    await page.locator("#tab-weekly").click();
    await expect.poll(() => page.locator("#tab-weekly").getAttribute("aria-current"), soon).toBe("page");
    await expect.poll(() => item("security-updates").count(), soon).toBe(1);
    expect(await page.locator("#checklist-period-title").textContent()).toMatch(/^Week \d+: .+ \(now\)$/);
    const security = item("security-updates");
    expect(await security.getAttribute("data-state")).toBe("open");
    expect(await security.locator(".item-team").textContent()).toBe("security");

    await security.getByLabel("Note on “Check for security updates”").fill("OpenSSL and the game-server base image patched");
    await security.getByRole("button", { name: "Done" }).click();
    await expect.poll(() => security.getAttribute("data-state"), soon).toBe("done");
    expect(await security.locator(".done-by").textContent()).toBe("Signed off by Alice Kim");
    expect(await security.locator(".item-note").textContent()).toBe("“OpenSSL and the game-server base image patched”");
    expect(await security.locator("time").textContent()).toMatch(/GMT\+9$/);
    expect(await page.locator("#checklist-status").textContent()).toBe("Signed off “Check for security updates”.");
    expect(await page.locator("#checklist-error").textContent()).toBe("");
    const weekly = (await server.request("GET", "/api/checklists/weekly")).json;
    expect(weekly.items.find((i: { id: string }) => i.id === "security-updates").signoff).toMatchObject({ doneBy: "alice", note: "OpenSSL and the game-server base image patched" });
  });

  it("marks a past period's undone items OVERDUE in red, in the strip and the list, and signs one off late", async () => {
    await page.locator("#tab-daily").click();
    const yesterday = teamDay(Date.now() - 86_400_000);
    const past = page.locator(`#period-strip li[data-period="${yesterday}"]`);
    await expect.poll(() => past.getAttribute("class"), soon).toBe("overdue");
    expect(await page.locator("#period-strip li").count()).toBe(8);
    expect(await past.locator(".period-count").textContent()).toBe("0/5 !");
    expect(await past.locator("a").getAttribute("aria-label")).toMatch(/: 0 of 5 done, 5 overdue$/);

    await past.locator("a").click();
    await expect.poll(() => page.url(), soon).toContain(`#/checklists/daily/${yesterday}`);
    await expect.poll(() => item("server-status").getAttribute("data-state"), soon).toBe("overdue");
    expect(await past.locator("a").getAttribute("aria-current")).toBe("true");
    expect(await page.locator("#checklist-period-title").textContent()).not.toContain("(now)");
    expect(await page.locator("#checklist-period-note").textContent()).toBe("This period is over: what was not done is overdue. Done signs it off late, for this period.");
    const overdue = item("backup-status");
    expect(await overdue.locator(".state-pill").textContent()).toBe("! OVERDUE");
    expect(await overdue.evaluate((li) => getComputedStyle(li).borderLeftColor)).toBe("rgb(185, 28, 28)");
    expect(await overdue.locator(".state-pill").evaluate((pill) => getComputedStyle(pill).backgroundColor)).toBe("rgb(185, 28, 28)");
    expect(await page.locator("#checklist-count").textContent()).toBe("0 of 5 done5 overdue");

    // Done late: recorded for that day, not today.
    await overdue.getByRole("button", { name: "Done" }).click();
    await expect.poll(() => overdue.getAttribute("data-state"), soon).toBe("done");
    expect(await overdue.locator(".late").textContent()).toBe(" — late, after the period ended");
    expect(await page.locator("#checklist-count").textContent()).toBe("1 of 5 done4 overdue");
    expect(await past.locator(".period-count").textContent()).toBe("1/5 !");
    const signed = (await server.request("GET", `/api/checklists/daily?period=${yesterday}`)).json;
    expect(signed.items.find((i: { id: string }) => i.id === "backup-status").signoff).toMatchObject({ period: yesterday, doneBy: "alice" });
    expect((await server.request("GET", "/api/checklists/daily")).json.items.find((i: { id: string }) => i.id === "backup-status").signoff).toBeUndefined();
    await page.screenshot({ path: "/tmp/gameops-checklists.png", fullPage: true });
  });

  it("shows the API's reason for a checklist or a period that does not exist", async () => {
    await page.goto(`${url}/#/checklists/yearly`);
    await expect.poll(() => page.locator("#checklist-error").textContent(), soon).toBe('cadence: no "yearly" checklist; use daily, weekly, monthly');
    expect(await page.locator("#checklist-items").count()).toBe(0);
    await page.goto(`${url}/#/checklists/weekly/2026-13`);
    await expect.poll(() => page.locator("#checklist-error").textContent(), soon).toMatch(/^period: "2026-13" is not a weekly period; write it like 2026-W48/);
    // And back to a real one: the error goes.
    await page.locator("#tab-monthly").click();
    await expect.poll(() => item("dr-drill").count(), soon).toBe(1);
    expect(await page.locator("#checklist-error").textContent()).toBe("");
    expect(await page.locator("#checklist-period-title").textContent()).toMatch(/^[A-Z][a-z]+ \d{4} \(now\)$/);
  });

  it("lets a viewer see the checklists but not sign them off, and says why", async () => {
    const viewer = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    watch(viewer);
    try {
      await viewer.goto(`${url}/#/checklists/weekly`);
      await signIn(viewer, veraToken);
      await expect.poll(() => item("capacity-planning", viewer).count(), soon).toBe(1);
      expect(await viewer.locator("#checklist-viewer-note").textContent()).toBe("Signed in as a viewer: signing items off needs the responder role or above.");
      const done = item("capacity-planning", viewer).getByRole("button", { name: "Done" });
      expect(await done.isDisabled()).toBe(true);
      expect(await done.getAttribute("title")).toBe("Needs the responder role or above");
      expect(await item("capacity-planning", viewer).locator("input.signoff-note").isDisabled()).toBe(true);
      // What others signed off shows all the same.
      expect(await item("security-updates", viewer).locator(".done-by").textContent()).toBe("Signed off by Alice Kim");
    } finally {
      await viewer.close();
    }
  });

  it("raised no script error and broke no content-security rule on the way", () => {
    expect(problems).toEqual([]);
  });
});
