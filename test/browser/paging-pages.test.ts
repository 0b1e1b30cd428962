import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpReceiver, type HttpReceiver } from "../notify/http-receiver.js";
import { alertmanagerPayload, intakeToken, startPagingServer, type PagingServer } from "../paging/paging-server.js";
import { launchChromium, soon, watchForProblems } from "./chromium.js";

/** A datetime-local input's value for an instant, on the wall clock of a zone. */
function localInput(ms: number, timeZone: string): string {
  return new Date(ms).toLocaleString("sv-SE", { timeZone, hourCycle: "h23" }).replace(" ", "T").slice(0, 16);
}

describe("console: Alerts, Pages and On-call", () => {
  let server: PagingServer;
  let hook: HttpReceiver;
  let browser: Browser;
  let page: Page;
  let url: string;
  let aliceToken: string;
  const problems: string[] = [];

  const intake = (body: unknown) => server.request("POST", "/webhooks/alertmanager", body, intakeToken);

  beforeAll(async () => {
    hook = await httpReceiver({ status: 200 });
    server = await startPagingServer(
      {
        channels: { webhooks: [{ name: "ops-bot", url: `${hook.url}/hook`, secret: "hook-secret-0123456789abcdef" }] },
        defaultPolicy: "game-ops",
        policies: [
          {
            id: "game-ops",
            levels: [
              { after: "0s", notify: [{ schedule: "game-ops", role: "primary" }] },
              { after: "30m", notify: [{ schedule: "game-ops", role: "backup" }] },
            ],
          },
        ],
        schedules: [
          {
            id: "game-ops",
            name: "Game ops on-call",
            timeZone: "Asia/Seoul",
            layers: [{ name: "weekly", people: ["alice", "bob"], start: "2026-01-05", handoff: { day: "monday", time: "10:00" } }],
          },
          {
            // One person in office hours only: nights and weekends are gaps, and there is never a backup.
            id: "db",
            name: "Database office hours",
            timeZone: "Europe/Berlin",
            layers: [{ name: "office", people: ["carol"], start: "2026-01-05", handoff: { day: "monday", time: "09:00" }, restrict: { days: ["mon", "tue", "wed", "thu", "fri"], from: "09:00", to: "18:00" } }],
          },
        ],
      },
      { GAMEOPS_TIME_ZONE: "Asia/Seoul" },
    );
    for (const [id, name] of [["alice", "Alice Kim"], ["bob", "Bob Park"], ["carol", "Carol Lee"]] as const) {
      await server.store.people.upsertPerson({ id, name, titles: [] });
    }
    aliceToken = (await server.store.tokens.create({ personId: "alice", role: "operator", label: "browser test" })).token;
    url = await server.app.listen({ host: "127.0.0.1", port: 0 });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, timezoneId: "America/New_York" });
    // A script error or a CSP refusal (an inline style, say) shows here, not in the assertions.
    watchForProblems(page, problems);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await hook?.close();
  });

  it("lists pages live, shows a page's timeline and deliveries, and acknowledges it", async () => {
    const primary = (await server.request("GET", "/api/oncall/now")).json.schedules.find((s: { schedule: { id: string } }) => s.schedule.id === "game-ops").primary as string;
    const primaryName = primary === "alice" ? "Alice Kim" : "Bob Park";
    const first = await intake(alertmanagerPayload("ServerDown", [{ fingerprint: "fp-down", labels: { instance: "game-1" } }]));
    expect(first.json).toMatchObject({ status: "success", page: 1 });

    await page.goto(`${url}/#/pages`);
    await page.getByLabel("API token").fill(aliceToken);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByRole("heading", { name: "Pages", level: 1 }).isVisible(), soon).toBe(true);
    expect(await page.locator("#nav-pages").getAttribute("aria-current")).toBe("page");
    const row1 = page.locator('#pages-list tr[data-page="1"]');
    await expect.poll(() => row1.count(), soon).toBe(1);
    expect(await row1.textContent()).toContain("ServerDown");
    expect(await row1.locator(".pill.severity").textContent()).toBe("critical");
    expect(await row1.getAttribute("data-status")).toBe("triggered");
    await expect.poll(() => row1.locator("td").nth(5).textContent(), soon).toBe(primaryName);
    expect(await row1.locator("td").nth(4).textContent()).toBe("just now");

    // A second alert group opens a second page, and the list shows it without a reload.
    await expect.poll(() => page.locator("#pages-live").textContent(), soon).toBe("Live");
    await page.evaluate(() => ((window as unknown as { marker: boolean }).marker = true));
    const second = await intake(alertmanagerPayload("HighErrorRate", [{ fingerprint: "fp-errors", labels: { instance: "game-2" } }]));
    expect(second.json.page).toBe(2);
    await expect.poll(() => page.locator('#pages-list tr[data-page="2"]').count(), soon).toBe(1);
    expect(await page.evaluate(() => (window as unknown as { marker?: boolean }).marker)).toBe(true);
    expect(await page.locator("#pages-list tbody tr").first().getAttribute("data-page")).toBe("2");

    // Only resolved pages: none yet.
    await page.locator('.filter-chip[data-status="triggered"]').click();
    await page.locator('.filter-chip[data-status="acknowledged"]').click();
    await page.locator('.filter-chip[data-status="resolved"]').click();
    await expect.poll(() => page.locator("#no-pages").textContent(), soon).toContain("No resolved pages.");
    await page.locator('.filter-chip[data-status="resolved"]').click();
    await page.locator('.filter-chip[data-status="triggered"]').click();
    await page.locator('.filter-chip[data-status="acknowledged"]').click();
    await expect.poll(() => page.locator("#pages-list tbody tr").count(), soon).toBe(2);
    expect(await page.locator('.filter-chip[aria-pressed="true"]').evaluateAll((chips) => chips.map((c) => c.getAttribute("data-status")))).toEqual(["triggered", "acknowledged"]);

    // The page: what fired, the timeline in both zones, each delivery with its attempts.
    await row1.getByRole("link", { name: "#1" }).click();
    await expect.poll(() => page.locator("#page-title").textContent(), soon).toContain("ServerDown");
    expect(await page.locator("#page-status").textContent()).toContain("Triggered");
    expect(await page.locator(".page-fired .chips").first().textContent()).toBe("alertname=ServerDownseverity=critical");
    expect(await page.locator('#page-alerts li[data-fingerprint="fp-down"]').textContent()).toContain("Firinginstance=game-1 since just now");
    expect(await page.locator("#page-runbook").getAttribute("href")).toBe("#/runbooks/server-down");
    const webhook = page.locator('#page-deliveries tbody[data-channel="webhook:ops-bot"]');
    await expect.poll(() => webhook.locator(".delivery [data-status]").getAttribute("data-status"), soon).toBe("sent");
    expect(await webhook.locator(".delivery").textContent()).toContain(primaryName);
    expect(await webhook.locator("td.attempts").textContent()).toBe("1");
    expect(await webhook.locator('.attempt-log li[data-attempt="1"]').textContent()).toContain("attempt 1: delivered");
    expect(await page.locator('#page-deliveries tbody[data-channel="inbox"] .delivery').textContent()).toContain("in their console inbox");
    expect(hook.received.length).toBeGreaterThan(0);

    const triggered = page.locator('#page-timeline li[data-event="page.triggered"]');
    expect(await triggered.locator("time.utc").textContent()).toContain("UTC");
    expect(await triggered.locator("time.team").textContent()).toMatch(/GMT\+9|KST/);
    expect(await triggered.locator(".what").textContent()).toBe("Triggered from alertmanager, escalation policy game-ops");
    expect(await page.locator('#page-timeline li[data-event="page.notified"] .what').textContent()).toBe(`Notified ${primaryName}, level 1`);

    expect(await page.locator("#escalate-page").isEnabled()).toBe(true);
    await page.locator("#ack-page").click();
    await expect.poll(() => page.locator("#page-status").textContent(), soon).toContain("Acknowledged");
    expect(await page.locator("#ack-page").isDisabled()).toBe(true);
    expect(await page.locator("#escalate-page").isDisabled()).toBe(true);
    expect(await page.locator("#escalate-page").getAttribute("title")).toBe("Only a triggered page escalates");
    expect(await page.locator("#resolve-page").isEnabled()).toBe(true);
    expect(await page.locator('#page-timeline li[data-event="page.acknowledged"] .what').textContent()).toBe("Acknowledged by Alice Kim through the console");
    expect((await server.request("GET", "/api/pages/1")).json.page).toMatchObject({ status: "acknowledged", acknowledgedBy: "alice" });

    // Reassign with nobody ticked: the API's reason shows.
    await page.locator("#reassign-page").click();
    await page.locator("#reassign-submit").click();
    await expect.poll(() => page.locator("#page-error").textContent(), soon).toBe("to: must name at least one person");
    await page.locator('#reassign-form input[data-person="carol"]').check();
    await page.locator("#reassign-submit").click();
    await expect.poll(() => page.locator("#page-assignees").textContent(), soon).toContain("Carol Lee");
    expect(await page.locator("#page-error").textContent()).toBe("");
    await page.screenshot({ path: "/tmp/gameops-page.png", fullPage: true });

    await page.locator(".crumbs").getByRole("link", { name: "Pages" }).click();
    await expect.poll(() => page.locator('#pages-list tr[data-page="1"]').getAttribute("data-status"), soon).toBe("acknowledged");
    await page.screenshot({ path: "/tmp/gameops-pages.png", fullPage: true });
  });

  it("lists the alerts with their labels and their group's page, and starts and ends a maintenance window", async () => {
    await page.locator("#nav-alerts").click();
    const row = page.locator('#alerts-firing tr[data-fingerprint="fp-down"]');
    await expect.poll(() => row.count(), soon).toBe(1);
    expect(await row.locator(".chips").textContent()).toContain("instance=game-1");
    expect(await row.locator(".chips").textContent()).toContain("severity=critical");
    expect(await row.locator("td.group code").textContent()).toBe('{}:{alertname="ServerDown"}');
    expect(await row.locator("a[data-page-link]").getAttribute("href")).toBe("#/pages/1");
    expect(await page.locator("#alerts-count").textContent()).toBe("2 firing, 0 resolved");

    await intake(alertmanagerPayload("HighErrorRate", [{ fingerprint: "fp-errors", status: "resolved" }], "resolved"));
    await expect.poll(() => page.locator('#alerts-resolved tr[data-fingerprint="fp-errors"]').count(), soon).toBe(1);

    await page.locator("#window-title").fill("DB patching");
    await page.locator("#window-matchers").fill("alertname=~Replication(\n");
    await page.locator("#window-start").click();
    await expect.poll(() => page.locator("#window-error").textContent(), soon).toMatch(/^matchers\.0: /);
    await page.locator("#window-matchers").fill("alertname=~Replication.*\ncluster=db");
    await page.locator("#window-duration").fill("1h");
    await page.locator("#window-start").click();
    const window = page.locator("#windows-list tbody tr");
    await expect.poll(() => window.count(), soon).toBe(1);
    expect(await window.textContent()).toContain("alertname=~Replication.*");
    expect(await page.locator("#window-error").textContent()).toBe("");
    await page.screenshot({ path: "/tmp/gameops-alerts.png", fullPage: true });
    await window.getByRole("button", { name: "End" }).click();
    await expect.poll(() => page.locator("#no-windows").count(), soon).toBe(1);
  });

  it("shows who is on call, draws the schedules as calendars with their gaps, and adds an override", async () => {
    await page.locator("#nav-oncall").click();
    const now = (await server.request("GET", "/api/oncall/now")).json.schedules as { schedule: { id: string }; primary?: string; backup?: string }[];
    const gameOps = now.find((s) => s.schedule.id === "game-ops")!;
    const card = page.locator('#oncall-now li[data-schedule="game-ops"]');
    await expect.poll(() => card.locator('dd[data-role="primary"]').getAttribute("data-person"), soon).toBe(gameOps.primary);
    expect(await card.locator('dd[data-role="backup"]').getAttribute("data-person")).toBe(gameOps.backup);

    const covered = page.locator('svg.oncall-calendar[data-schedule="game-ops"]');
    expect(await covered.locator(".week").count()).toBe(4);
    expect(await covered.locator("rect.gap").count()).toBe(0);
    expect(await covered.locator('rect.shift[data-role="primary"][data-person="alice"]').count()).toBeGreaterThan(0);
    expect(await covered.locator('rect.shift[data-role="primary"][data-person="bob"]').count()).toBeGreaterThan(0);
    const officeHours = page.locator('svg.oncall-calendar[data-schedule="db"]');
    expect(await officeHours.locator("rect.gap.gap-primary").count()).toBeGreaterThan(10);
    expect(await officeHours.locator('rect.shift[data-person="carol"]').count()).toBeGreaterThan(10);
    expect(await page.locator('section.schedule[data-schedule="db"] .gap-count').textContent()).toMatch(/coverage gaps$/);
    expect(await officeHours.locator("rect.gap.gap-primary").first().getAttribute("data-describe")).toMatch(/^Coverage gap: nobody on call, /);

    await page.locator('button[data-feed="game-ops"]').click();
    await expect.poll(() => page.locator("#feed-game-ops").inputValue(), soon).toMatch(/^http:\/\/gameops\.test\/feeds\/oncall\/.+\.ics$/);

    // An override that ends before it starts: the API's reason shows.
    const day = 86_400_000;
    await page.locator("#override-schedule").selectOption("game-ops");
    await page.locator("#override-person").selectOption("carol");
    await page.locator("#override-start").fill(localInput(Date.now() + 2 * day, "Asia/Seoul"));
    await page.locator("#override-end").fill(localInput(Date.now() + day, "Asia/Seoul"));
    await page.locator("#override-add").click();
    await expect.poll(() => page.locator("#oncall-error").textContent(), soon).toBe("end: the override must end after it starts");

    const end = localInput(Date.now() + day, "Asia/Seoul");
    await page.locator("#override-start").fill("");
    await page.locator("#override-end").fill(end);
    await page.locator("#override-reason").fill("swap");
    await page.locator("#override-add").click();
    await expect.poll(() => page.locator("#overrides-list tbody tr").count(), soon).toBe(1);
    expect(await page.locator("#oncall-error").textContent()).toBe("");
    expect(await covered.locator('rect.shift.override[data-role="primary"][data-person="carol"]').count()).toBe(1);
    expect(await card.locator('dd[data-role="primary"]').getAttribute("data-person")).toBe("carol");
    expect(await card.locator('dd[data-role="primary"]').textContent()).toContain("override");
    const [override] = (await server.request("GET", "/api/oncall/overrides")).json.overrides;
    expect(override).toMatchObject({ scheduleId: "game-ops", role: "primary", personId: "carol", reason: "swap", createdBy: "alice" });
    // The end was typed on Seoul's wall clock, and read so in a browser that is in New York.
    expect(localInput(Date.parse(override.end), "Asia/Seoul")).toBe(end);
    await page.screenshot({ path: "/tmp/gameops-oncall.png", fullPage: true });
  });

  it("raised no script error and broke no content-security rule on the way", () => {
    expect(problems).toEqual([]);
  });
});
