import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiRoutes } from "../../src/api/route.js";
import { registerRolloutRoutes } from "../../src/api/routes/rollout-routes.js";
import { RunbookExecutor } from "../../src/engine/runbooks/executor.js";
import { stepKinds } from "../../src/engine/runbooks/steps/index.js";
import { packageRoot } from "../../src/package-root.js";
import { loadCatalog } from "../../src/runbooks/catalog.js";
import { alertmanagerPayload, eventually, intakeToken, startPagingServer, type PagingServer } from "../paging/paging-server.js";
import { launchChromium, soon, watchForProblems } from "./chromium.js";

const teamZone = "Asia/Seoul";

/** YYYY-MM-DD of an instant on the team's calendar. */
const teamDay = (ms: number) => new Intl.DateTimeFormat("en-CA", { timeZone: teamZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date(ms));

describe("console: Incidents, the war room and the post-mortem", () => {
  let server: PagingServer;
  let executor: RunbookExecutor;
  const runErrors: Error[] = [];
  let browser: Browser;
  let page: Page;
  let url: string;
  let aliceToken: string;
  const problems: string[] = [];

  const timeline = () => page.locator("#incident-timeline > li");

  beforeAll(async () => {
    server = await startPagingServer(
      {
        // An alert naming a Deployment declares an incident whose war room looks for its rollouts.
        routes: [{ match: { alertname: "GameServerPodsMissing" }, declare: "P2" }],
        defaultPolicy: "game-ops",
        policies: [{ id: "game-ops", levels: [{ after: "0s", notify: [{ schedule: "game-ops", role: "primary" }] }, { after: "30m", notify: [{ schedule: "game-ops", role: "backup" }] }] }],
        schedules: [
          { id: "game-ops", name: "Game ops on-call", timeZone: teamZone, layers: [{ name: "weekly", people: ["alice", "bob"], start: "2026-01-05", handoff: { day: "monday", time: "10:00" } }] },
          { id: "db", name: "Database on-call", timeZone: teamZone, layers: [{ name: "weekly", people: ["carol"], start: "2026-01-05", handoff: { day: "monday", time: "10:00" } }] },
        ],
      },
      { GAMEOPS_TIME_ZONE: teamZone },
      { customerNotice: "[{id}] {title}: {status}. {update}" },
    );
    for (const [id, name, titles] of [["alice", "Alice Kim", []], ["bob", "Bob Park", []], ["carol", "Carol Lee", ["lead"]]] as const) {
      await server.store.people.upsertPerson({ id, name, titles: [...titles] });
    }
    aliceToken = (await server.store.tokens.create({ personId: "alice", role: "operator", label: "browser test" })).token;
    // The war room's rollouts, as `gameops up` wires them beside the runbooks (before the server is ready).
    executor = new RunbookExecutor({ store: server.store, config: server.config, stepKinds, onError: (error) => runErrors.push(error) });
    const catalog = loadCatalog({ builtIn: join(packageRoot(), "src", "runbooks") });
    registerRolloutRoutes(new ApiRoutes(server.app, server.store), { store: server.store, config: server.config, incidents: server.incidents, executor, catalog: () => catalog });
    url = await server.app.listen({ host: "127.0.0.1", port: 0 });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, timezoneId: "America/New_York" });
    // A script error or a CSP refusal (an inline style, say) shows here, not in the assertions.
    watchForProblems(page, problems);
  });

  afterAll(async () => {
    await browser?.close();
    await executor?.stop();
    await server?.close();
    expect(runErrors).toEqual([]);
  });

  it("declares a P2 from the console and lists it live with its response SLA counting down", async () => {
    await page.goto(`${url}/#/incidents`);
    await page.getByLabel("API token").fill(aliceToken);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByRole("heading", { name: "Incidents", level: 1 }).isVisible(), soon).toBe(true);
    expect(await page.locator("#nav-incidents").getAttribute("aria-current")).toBe("page");
    await expect.poll(() => page.locator("#no-incidents").textContent(), soon).toContain("No incidents like that.");

    await page.locator("#declare-open").click();
    await expect.poll(() => page.locator("#declare-severity option").allTextContents(), soon).toEqual(["Choose a severity", "P1 Critical", "P2 High", "P3 Medium", "P4 Low"]);
    await page.locator("#declare-severity").selectOption("P2");
    expect(await page.locator("#declare-severity-hint").textContent()).toBe("A major feature is down; respond within 15 min; a war room with four roles.");

    // An empty title: the API's reason shows, and nothing is declared.
    await page.locator("#declare-submit").click();
    await expect.poll(() => page.locator("#declare-error").textContent(), soon).toBe("title: must not be empty");

    await page.locator("#declare-title").fill("Shop purchases time out");
    await page.locator("#declare-impact").fill("About 20% of purchases fail");
    await page.locator("#declare-commander").selectOption("bob");
    await page.locator("#declare-submit").click();
    await expect.poll(() => page.locator("#declare-done").textContent(), soon).toBe("Declared INC-1: Shop purchases time out — open its war room.");
    expect(await page.locator("#declare-error").textContent()).toBe("");
    expect(await page.locator("#declare-title").inputValue()).toBe("");

    const row1 = page.locator('#incidents-list tr[data-incident="1"]');
    await expect.poll(() => row1.count(), soon).toBe(1);
    expect(await row1.locator(".sev-badge").textContent()).toBe("P2");
    expect(await row1.getAttribute("data-status")).toBe("declared");
    expect(await row1.locator("td.incident-title").textContent()).toBe("Shop purchases time out");
    expect(await row1.locator("td.lead").textContent()).toBe("Bob Park");
    expect(await row1.locator("td").nth(4).textContent()).toBe("just now");
    const sla = row1.locator(".sla");
    expect(await sla.getAttribute("data-state")).toBe("running");
    expect(await sla.textContent()).toMatch(/^1[0-5]:\d\d left$/);
    // The countdown moves on its own, without the list being fetched again.
    const shown = await sla.textContent();
    await expect.poll(() => sla.textContent(), soon).not.toBe(shown);
    const declared = (await server.request("GET", "/api/incidents/1")).json.incident;
    expect(declared).toMatchObject({ severity: "P2", source: "console", declaredBy: "alice", roles: { incident_commander: "bob" }, impact: "About 20% of purchases fail" });

    // A P1 declared elsewhere shows up without a reload; its response is "immediate".
    await expect.poll(() => page.locator("#incidents-live").textContent(), soon).toBe("Live");
    await page.evaluate(() => ((window as unknown as { marker: boolean }).marker = true));
    expect((await server.request("POST", "/api/incidents", { title: "Nobody can log in", severity: "P1", commander: "alice" })).status).toBe(201);
    const row2 = page.locator('#incidents-list tr[data-incident="2"]');
    await expect.poll(() => row2.count(), soon).toBe(1);
    expect(await page.evaluate(() => (window as unknown as { marker?: boolean }).marker)).toBe(true);
    expect(await row2.locator(".sla").getAttribute("data-state")).toBe("immediate");
    expect(await row2.locator(".sev-badge").evaluate((badge) => getComputedStyle(badge).backgroundColor)).toBe("rgb(185, 28, 28)");
    expect(await page.locator("#incidents-list tbody tr").first().getAttribute("data-incident")).toBe("2");

    // Only P2: the P1 goes; both again.
    await page.locator('.filter-chip[data-severity="P1"]').click();
    await expect.poll(() => row2.count(), soon).toBe(0);
    expect(await row1.count()).toBe(1);
    await page.locator('.filter-chip[data-severity="P1"]').click();
    await expect.poll(() => row2.count(), soon).toBe(1);

    // MTTA/MTTR: this month's P1 and P2, nothing acknowledged yet.
    const month = teamDay(Date.now()).slice(0, 7);
    const p2 = page.locator(`#metrics-table tr[data-month="${month}"][data-severity="P2"]`);
    await expect.poll(() => p2.locator("td.count").textContent(), soon).toBe("1");
    expect(await p2.locator("td.metric").first().textContent()).toBe("–");
    await page.screenshot({ path: "/tmp/gameops-incidents.png", fullPage: true });
  });

  it("runs the war room: roles, checklist, live timeline, updates, acknowledgement, status, pages, action items", async () => {
    await page.locator('#incidents-list tr[data-incident="1"]').getByRole("link", { name: "INC-1" }).click();
    await expect.poll(() => page.locator("#incident-title").textContent(), soon).toBe("Shop purchases time out");
    expect(await page.locator("#incident-ref").textContent()).toBe("INC-1");
    expect(await page.locator("#incident-severity").textContent()).toBe("P2");
    expect(await page.locator("#incident-status").textContent()).toContain("Declared");
    expect(await page.locator("#incident-sla").getAttribute("data-state")).toBe("running");
    expect(await page.locator("#incident-update-due").textContent()).toMatch(/^due in 1[0-5]:\d\d$/);
    const moves = () => page.locator("#move-status option").evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value));
    expect(await moves()).toEqual(["triage", "mitigating", "resolved"]);
    expect(await moves()).toEqual((await server.request("GET", "/api/incidents/1")).json.nextStates);

    // Roles: the war room's four, the commander from the declaration.
    expect(await page.locator("#incident-roles > li").evaluateAll((items) => items.map((i) => i.getAttribute("data-role")))).toEqual(["incident_commander", "tech_lead", "communications", "scribe"]);
    expect(await page.locator('#incident-roles li[data-role="incident_commander"] .holder').textContent()).toBe("Bob Park");
    expect(await page.locator('#incident-roles li[data-role="scribe"] .holder').textContent()).toBe("nobody");

    // A role for somebody unknown: the API's reason shows.
    await page.locator("#role-scribe").fill("zed");
    await page.locator('form.role-form[data-role="scribe"] button').click();
    await expect.poll(() => page.locator("#roles-error").textContent(), soon).toBe('person: no person "zed"; add them with gameops people add zed --name …');
    // A name works as well as an id.
    await page.locator("#role-scribe").fill("Carol Lee");
    await page.locator('form.role-form[data-role="scribe"] button').click();
    await expect.poll(() => page.locator('#incident-roles li[data-role="scribe"] .holder').textContent(), soon).toBe("Carol Lee");
    expect(await page.locator("#roles-error").textContent()).toBe("");
    expect(await page.locator('form.role-form[data-role="scribe"] button').textContent()).toBe("Hand off");
    expect(await timeline().first().locator(".what").textContent()).toBe("Scribe: Carol Lee by Alice Kim");
    // A handoff names who had the role.
    await page.locator("#role-incident_commander").fill("alice");
    await page.locator('form.role-form[data-role="incident_commander"] button').click();
    await expect.poll(() => timeline().first().locator(".what").textContent(), soon).toBe("Incident Commander: Alice Kim, handed off from Bob Park by Alice Kim");

    // The checklist: three phases, owners by role; a tick is recorded.
    expect(await page.locator(".war-checklist .phase").evaluateAll((phases) => phases.map((p) => p.getAttribute("data-phase")))).toEqual(["first_15_minutes", "ongoing", "after_resolution"]);
    const startTimeline = page.locator('li[data-task="start-timeline"]');
    expect(await startTimeline.locator(".task-owner").textContent()).toBe("Scribe: Carol Lee");
    await startTimeline.locator("input").check();
    await expect.poll(() => startTimeline.getAttribute("class"), soon).toBe("done");
    expect(await page.locator("#checklist-count").textContent()).toBe("1 of 12 done");
    expect(await startTimeline.locator(".task-owner").textContent()).toMatch(/^Scribe: Carol Lee · ✓ Alice Kim, \d\d:\d\d /);
    await expect.poll(() => timeline().first().locator(".what").textContent(), soon).toBe("Checklist: “Start the timeline” done by Alice Kim");

    // A status update with the customer notice: on the timeline, and the next one is due later.
    await page.locator("#update-text").fill("Payments provider degraded; failing over to the backup.");
    await page.locator("#update-notice").check();
    await page.locator("#update-submit").click();
    const update = page.locator('#incident-timeline li[data-event="incident.update"]');
    await expect.poll(() => update.locator(".what").textContent(), soon).toBe("Status update by Alice Kim: Payments provider degraded; failing over to the backup.");
    expect(await update.locator(".customer-notice").textContent()).toBe("Customer notice: [INC-1] Shop purchases time out: investigating. Payments provider degraded; failing over to the backup.");
    expect(await update.locator("time.utc").textContent()).toContain("UTC");
    expect(await update.locator("time.team").textContent()).toMatch(/GMT\+9|KST/);
    expect(await page.locator("#update-text").inputValue()).toBe("");
    expect(await page.locator("#update-notice").isChecked()).toBe(false);
    // An empty update: the API's reason.
    await page.locator("#update-submit").click();
    await expect.poll(() => page.locator("#update-error").textContent(), soon).toBe("text: must not be empty");

    // A note written elsewhere (the CLI, say) appears live, without a reload.
    await page.evaluate(() => ((window as unknown as { marker: boolean }).marker = true));
    await server.request("POST", "/api/incidents/1/notes", { text: "Provider confirms an outage on their side" });
    await expect.poll(() => timeline().first().locator(".what").textContent(), soon).toBe("Note by admin: Provider confirms an outage on their side");
    expect(await page.evaluate(() => (window as unknown as { marker?: boolean }).marker)).toBe(true);
    await page.locator("#note-text").fill("Failover started on game-3");
    await page.locator("#note-submit").click();
    await expect.poll(() => timeline().first().locator(".what").textContent(), soon).toBe("Note by Alice Kim: Failover started on game-3");

    // Acknowledge: the response SLA is met, and the button is spent.
    await page.locator("#ack-incident").click();
    await expect.poll(() => page.locator("#incident-sla").getAttribute("data-state"), soon).toBe("met");
    expect(await page.locator("#incident-acknowledged").textContent()).toMatch(/^by Alice Kim, /);
    expect(await page.locator('#incident-timeline li[data-event="incident.acknowledged"] .what').textContent()).toBe("Acknowledged by Alice Kim on page #1");
    expect(await page.locator("#ack-incident").isDisabled()).toBe(true);

    // Along the life cycle: only the allowed next states are offered.
    await page.locator("#move-status").selectOption("mitigating");
    await page.locator("#move-submit").click();
    await expect.poll(() => page.locator("#incident-status").textContent(), soon).toContain("Mitigating");
    expect(await moves()).toEqual(["root_cause", "resolved"]);
    expect(await timeline().first().locator(".what").textContent()).toBe("Declared → Mitigating by Alice Kim");

    // Its page, and another team's on-call asked in.
    expect(await page.locator('#incident-pages li[data-page="1"] a').getAttribute("href")).toBe("#/pages/1");
    await page.locator("#request-schedule").selectOption("db");
    await page.locator("#request-submit").click();
    await expect.poll(() => page.locator("#incident-pages > li").count(), soon).toBe(2);
    expect(await page.locator("#request-done").textContent()).toBe("Paged the on-call of Database on-call — Carol Lee now.");
    expect(await page.locator('#incident-timeline li[data-event="incident.people_requested"] .what').textContent()).toBe("More people requested from db by Alice Kim: page #3");

    // Action items: an empty one is refused; one past its date stands out; one is marked done.
    await page.locator("#action-add").click();
    await expect.poll(() => page.locator("#action-error").textContent(), soon).toBe("text: must not be empty; owner: must not be empty");
    await page.locator("#action-text").fill("Alert on payment provider latency");
    await page.locator("#action-owner").fill("Carol Lee");
    await page.locator("#action-due").fill(teamDay(Date.now() - 2 * 86_400_000));
    await page.locator("#action-add").click();
    const overdue = page.locator("#action-items tbody tr").first();
    await expect.poll(() => overdue.getAttribute("class"), soon).toBe("overdue");
    expect(await overdue.textContent()).toContain("Carol Lee");
    expect(await overdue.locator("td.due .pill").textContent()).toBe("overdue");
    expect(await page.locator("#action-error").textContent()).toBe("");
    await page.locator("#action-text").fill("Document the failover");
    await page.locator("#action-owner").fill("bob");
    await page.locator("#action-add").click();
    const second = page.locator("#action-items tbody tr").nth(1);
    await expect.poll(() => second.locator("td").nth(1).textContent(), soon).toBe("Bob Park");
    await second.getByRole("button", { name: "Mark done" }).click();
    await expect.poll(() => second.getAttribute("class"), soon).toBe("done");

    // Resolved: the clocks stop.
    for (const state of ["root_cause", "resolved"]) {
      await page.locator("#move-status").selectOption(state);
      await page.locator("#move-submit").click();
      await expect.poll(() => page.locator("#incident-status").getAttribute("data-state"), soon).toBe(state);
    }
    expect(await page.locator("#incident-update-due").textContent()).toBe("no update due");
    expect(await page.locator('.phase[data-phase="after_resolution"] h3').textContent()).toMatch(/^After resolution · from \d\d:\d\d/);
    // Nothing sticks out past the window's width.
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth)).toBe(true);
    await page.screenshot({ path: "/tmp/gameops-war-room.png", fullPage: true });
  });

  it("edits the post-mortem with a live preview, redrafts it from the analysis, and saves it", async () => {
    await page.locator("#postmortem-link").click();
    const text = page.locator("#postmortem-text");
    await expect.poll(() => text.inputValue(), soon).toContain("# Incident Post-Mortem: INC-1 — Shop purchases time out");
    expect(await page.locator("#postmortem-draft").textContent()).toBe("draft");
    const preview = page.locator("#postmortem-preview");
    expect(await preview.locator("h1").textContent()).toBe("Incident Post-Mortem: INC-1 — Shop purchases time out");
    expect(await preview.locator("h2").allTextContents()).toEqual(["Summary", "Timeline", "Root Cause Analysis", "Lessons Learned", "Action Items", "Supporting Data"]);
    expect(await preview.locator("li strong").first().textContent()).toBe("Date");
    expect(await preview.locator('ul.task-list input[type="checkbox"]').evaluateAll((boxes) => boxes.map((b) => (b as HTMLInputElement).checked))).toEqual([false, true]);
    expect(await preview.locator("a").first().getAttribute("href")).toBe("http://gameops.test/#/incidents/1");
    expect(await page.locator("#analysis-impact").inputValue()).toBe("About 20% of purchases fail");

    // The analysis goes into the draft.
    await page.locator("#analysis-root-cause").fill("The payment provider's connection pool was exhausted. It had not been resized since launch.");
    await page.locator("#analysis-lessons").fill("Pool sizing was outdated\nNo alert on provider latency");
    await page.locator("#analysis-save").click();
    await expect.poll(() => text.inputValue(), soon).toContain("- **Root Cause**: The payment provider's connection pool was exhausted.\n");
    expect(await text.inputValue()).toContain("## Lessons Learned\n1. Pool sizing was outdated\n2. No alert on provider latency\n");
    expect(await page.locator("#postmortem-status").textContent()).toBe("Analysis saved; the draft is redrawn with it.");
    await expect.poll(() => preview.locator("ol").last().locator("li").allTextContents(), soon).toEqual(["Pool sizing was outdated", "No alert on provider latency"]);

    // Edits show in the preview as typed; markup is text, and only http(s) links are links.
    await text.focus();
    await page.keyboard.press("Control+End");
    await text.pressSequentially("\n## Notes\n**Failover** took *9 min* — see `pool.max` and [the dashboard](https://grafana.test/d/1), not [this](javascript:alert(1)) <img src=x onerror=alert(1)>\n");
    expect(await page.locator("#postmortem-status").textContent()).toBe("Unsaved changes");
    const notes = preview.locator("h2", { hasText: "Notes" }).locator("xpath=following-sibling::p[1]");
    await expect.poll(() => notes.locator("strong").textContent(), soon).toBe("Failover");
    expect(await notes.locator("em").textContent()).toBe("9 min");
    expect(await notes.locator("code").textContent()).toBe("pool.max");
    expect(await notes.locator("a").evaluateAll((links) => links.map((a) => a.getAttribute("href")))).toEqual(["https://grafana.test/d/1"]);
    expect(await notes.textContent()).toContain("[this](javascript:alert(1)) <img src=x onerror=alert(1)>");
    expect(await preview.locator("img").count()).toBe(0);

    await page.locator("#postmortem-save").click();
    await expect.poll(() => page.locator("#postmortem-draft").textContent(), soon).toBe("saved");
    expect(await page.locator("#postmortem-status").textContent()).toBe("Saved; the incident moved to post-mortem.");
    expect(await page.locator("#postmortem-state [data-state]").getAttribute("data-state")).toBe("postmortem");
    const saved = (await server.request("GET", "/api/incidents/1/postmortem")).json;
    expect(saved.draft).toBe(false);
    expect(saved.markdown).toContain("**Failover** took *9 min*");

    // Once saved, the analysis no longer rewrites the document.
    await page.locator("#analysis-impact").fill("About 20% of purchases failed for 40 minutes");
    await page.locator("#analysis-save").click();
    await expect.poll(() => page.locator("#postmortem-status").textContent(), soon).toBe(
      "Analysis saved. The post-mortem was saved before, so it stays as written: put the new analysis in by hand.",
    );
    expect(await text.inputValue()).toBe(saved.markdown);

    // "Redraft from the incident" would replace written text: it asks first, and "Keep" keeps it.
    await page.locator("#postmortem-redraft").click();
    await expect.poll(() => page.locator("#redraft-confirm").isVisible(), soon).toBe(true);
    expect(await page.locator("#redraft-question").textContent()).toBe(
      "Replace the saved post-mortem's text in the editor with a fresh draft from the incident? Nothing is saved until you press Save. ",
    );
    await page.locator("#redraft-keep").click();
    expect(await page.locator("#redraft-confirm").isVisible()).toBe(false);
    expect(await page.locator("#postmortem-status").textContent()).toBe("Kept your text.");
    expect(await text.inputValue()).toBe(saved.markdown);
    // Asked again and replaced: the fresh draft has the new impact and none of the hand-written notes.
    await page.locator("#postmortem-redraft").click();
    await page.locator("#redraft-replace").click();
    await expect.poll(() => text.inputValue(), soon).toContain("About 20% of purchases failed for 40 minutes");
    expect(await text.inputValue()).not.toContain("**Failover** took");
    expect(await page.locator("#postmortem-status").textContent()).toBe("Redrafted from the incident: Save to keep it in place of the saved version.");
    await expect.poll(() => preview.textContent(), soon).toContain("About 20% of purchases failed for 40 minutes");
    // Nothing saved until Save.
    expect((await server.request("GET", "/api/incidents/1/postmortem")).json.markdown).toBe(saved.markdown);
    await page.screenshot({ path: "/tmp/gameops-postmortem.png", fullPage: true });

    // Back on the list: the incident in post-mortem with its SLA met, and its acknowledgement in MTTA.
    await page.locator(".crumbs").getByRole("link", { name: "Incidents" }).click();
    const row1 = page.locator('#incidents-list tr[data-incident="1"]');
    await expect.poll(() => row1.getAttribute("data-status"), soon).toBe("postmortem");
    expect(await row1.locator(".sla").getAttribute("data-state")).toBe("met");
    const p2 = page.locator(`#metrics-table tr[data-month="${teamDay(Date.now()).slice(0, 7)}"][data-severity="P2"]`);
    await expect.poll(() => p2.locator("td.metric").first().locator(".metric-value").textContent(), soon).toMatch(/^\d+ s$/);
    expect(await p2.locator("td.metric").nth(1).locator(".metric-value").textContent()).toMatch(/^\d+ s$/);
  });

  it("renders Markdown from anyone as text: nothing becomes markup, script or a non-http link", async () => {
    // A string, not a function: the test runner would rewrite a function's import() for Node.
    const source = [
      "# <script>alert(1)</script>",
      "- [x] done **<b>bold</b>**",
      "- [ ] [click](JavaScript:alert(1)) [data](data:text/html,x) [ok](http://a.test/x)",
      "1. snake_case_name and _italic_",
      "> quoted `<i>`",
      "```",
      "<div onclick=x>",
      "```",
    ].join("\n");
    const html = await page.evaluate(`import("/markdown.js").then(({ renderMarkdown }) => {
      const box = document.createElement("div");
      box.append(...renderMarkdown(${JSON.stringify(source)}));
      return box.innerHTML;
    })`);
    expect(html).toBe(
      [
        "<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>",
        '<ul class="task-list"><li><input type="checkbox" disabled="" checked="" aria-label="done"> done <strong>&lt;b&gt;bold&lt;/b&gt;</strong></li>',
        '<li><input type="checkbox" disabled="" aria-label="not done"> [click](JavaScript:alert(1)) [data](data:text/html,x) <a href="http://a.test/x" rel="noopener noreferrer" target="_blank">ok</a></li></ul>',
        "<ol><li>snake_case_name and <em>italic</em></li></ol>",
        "<blockquote><p>quoted <code>&lt;i&gt;</code></p></blockquote>",
        "<pre><code>&lt;div onclick=x&gt;</code></pre>",
      ].join(""),
    );
  });

  it("changes the severity, offers the moves the server names, and lists no rollouts without a deployment", async () => {
    await page.goto(`${url}/#/incidents/2`);
    await expect.poll(() => page.locator("#incident-title").textContent(), soon).toBe("Nobody can log in");
    const choice = page.locator("#severity-choice");
    expect(await choice.locator("option").allTextContents()).toEqual(["P1 Critical (now)", "P2 High", "P3 Medium", "P4 Low"]);
    expect(await page.locator("#severity-submit").isDisabled()).toBe(true);

    // P1 → P2: recorded, and the war room follows it.
    await choice.selectOption("P2");
    expect(await page.locator("#severity-submit").isEnabled()).toBe(true);
    await page.locator("#severity-submit").click();
    await expect.poll(() => page.locator("#incident-severity").textContent(), soon).toBe("P2");
    expect(await timeline().first().locator(".what").textContent()).toBe("Severity P1 → P2 by Alice Kim");
    expect(await choice.inputValue()).toBe("P2");
    expect(await choice.locator("option").allTextContents()).toEqual(["P1 Critical", "P2 High (now)", "P3 Medium", "P4 Low"]);
    expect(await page.locator("#severity-submit").isDisabled()).toBe(true);
    expect(await page.locator("#incident-error").textContent()).toBe("");
    expect((await server.request("GET", "/api/incidents/2")).json.incident.severity).toBe("P2");

    // "Move to…" offers what the server's answer names, nothing of its own.
    const moves = () => page.locator("#move-status option").evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value));
    expect(await moves()).toEqual((await server.request("GET", "/api/incidents/2")).json.nextStates);
    await page.route("**/api/incidents/2", async (route) => {
      const response = await route.fetch();
      await route.fulfill({ response, json: { ...(await response.json()), nextStates: ["resolved"] } });
    });
    await server.request("POST", "/api/incidents/2/notes", { text: "Login service restarted" });
    await expect.poll(moves, soon).toEqual(["resolved"]);
    await page.unroute("**/api/incidents/2");
    await server.request("POST", "/api/incidents/2/notes", { text: "Logins recovering" });
    await expect.poll(moves, soon).toEqual(["triage", "mitigating", "resolved"]);

    // Its labels and alerts name no deployment: the rollouts section says so, quietly.
    await expect.poll(() => page.locator("#rollouts-note").textContent(), soon).toMatch(/^no deployment to look at: /);
    expect(await page.locator("#rollouts-error").textContent()).toBe("");
  });

  it("shows the rollouts section's note when the incident names a deployment but no Kubernetes is configured", async () => {
    const intake = await server.request(
      "POST",
      "/webhooks/alertmanager",
      alertmanagerPayload("GameServerPodsMissing", [{ fingerprint: "fp-pods", labels: { namespace: "live", deployment: "game-server" } }]),
      intakeToken,
    );
    expect(intake.status).toBe(200);
    // The route declares the incident a moment after the page opens.
    const incidentId = await eventually(async () => (await server.request("GET", `/api/pages/${intake.json.page}`)).json.page.incidentId as string | undefined, "the incident to be declared");
    const declared = (await server.request("GET", `/api/incidents/${incidentId}`)).json.incident;
    await page.goto(`${url}/#/incidents/${declared.number}`);
    await expect.poll(() => page.locator("#rollouts-note").textContent(), soon).toBe(
      "kubernetes is not configured: set GAMEOPS_KUBECONFIG and GAMEOPS_K8S_NAMESPACE or targets.kubernetes",
    );
    expect(await page.locator('#rollouts li[data-deployment="live/game-server"] h3').textContent()).toBe("live/game-server");
    expect(await page.locator("#rollouts button").count()).toBe(0);
    expect(await page.locator("#rollouts-error").textContent()).toBe("");
    await page.screenshot({ path: "/tmp/gameops-war-room-rollouts.png", fullPage: true });
  });

  it("raised no script error and broke no content-security rule on the way", () => {
    expect(problems).toEqual([]);
  });
});
