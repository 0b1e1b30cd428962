import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { ensureAdminToken } from "../../src/api/admin-token.js";
import { buildServer } from "../../src/api/server.js";
import { loadConfig } from "../../src/config/load.js";
import { createCheckService, type CheckService } from "../../src/engine/health/check-service.js";
import { RunbookExecutor } from "../../src/engine/runbooks/executor.js";
import { stepKinds } from "../../src/engine/runbooks/steps/index.js";
import { TimerLoop } from "../../src/engine/timer-loop.js";
import { loadCatalog, runbookFolders } from "../../src/runbooks/catalog.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/store.js";
import { launchChromium, soon, signIn, watchForProblems } from "./chromium.js";

const hour = 3_600_000;
const sha = (digit: string) => digit.repeat(64);
/** The page looks again every 10 s: a change must show within a few of those, on a slow machine. */
const nextLook = { timeout: 45_000, interval: 250 };

describe("console: Backups", () => {
  let dir: string;
  let store: Store;
  let checks: CheckService;
  let executor: RunbookExecutor;
  let timers: TimerLoop;
  let app: FastifyInstance;
  let browser: Browser;
  let page: Page;
  let url: string;
  let minaToken: string;
  let veraToken: string;
  const executorErrors: string[] = [];
  const problems: string[] = [];
  // The store stamps sets with its clock: seeded sets are taken "earlier" by moving it back.
  let offsetMs = 0;
  let takenSet = ""; // the set "Back up now" really took

  const row = (id: string, on: Page = page) => on.locator(`#backup-sets tr.set-row[data-set="${id}"]`);

  const watch = (on: Page) => watchForProblems(on, problems);


  async function seed(id: string, hoursAgo: number, startedBy: string, then: (id: string) => Promise<unknown>) {
    offsetMs = -hoursAgo * hour;
    await store.backups.start({ id, components: ["mysql", "redis"], storage: { kind: "local", location: join(dir, "data", "backups", id) }, startedBy });
    offsetMs = -hoursAgo * hour + 4 * 60_000; // written four minutes later
    await then(id);
    offsetMs = 0;
  }

  const manifest = (id: string, extra: Record<string, unknown> = {}) => ({
    id,
    createdAt: new Date(Date.now() + offsetMs).toISOString(),
    status: "written",
    storage: { kind: "local" },
    components: [
      {
        name: "mysql",
        artifacts: [{ name: "dump.sql.zst", size: 10 * 1024 * 1024, sha256: sha("a"), compression: "zstd" }],
        tool: { name: "mariadb-dump", version: "10.11.6" },
        source: { binlogFile: "mysql-bin.000042", binlogPosition: 1337 },
      },
      { name: "redis", artifacts: [{ name: "dump.rdb.zst", size: 2 * 1024 * 1024, sha256: sha("b"), compression: "zstd" }], tool: { name: "redis", version: "7.2.4" } },
    ],
    ...extra,
  });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "gameops-backups-page-"));
    // The one component this machine can really back up without touching the shared services.
    const gameConfig = join(dir, "game-config");
    mkdirSync(gameConfig);
    writeFileSync(join(gameConfig, "server.cfg"), "max_players = 64\nmap = harbor\n");
    writeFileSync(join(dir, "gameops.yaml"), stringify({ backups: { files: { paths: [gameConfig] } } }));
    const { config } = loadConfig({ cwd: dir, env: { GAMEOPS_DATA: join(dir, "data") } });
    store = await openStore({ dataDir: config.dataDir, now: () => new Date(Date.now() + offsetMs) });
    checks = createCheckService({ config, store });
    const folders = runbookFolders({ cwd: dir, env: {} });
    const catalog = () => loadCatalog(folders);
    executor = new RunbookExecutor({ store, config, stepKinds, findRunbook: async (name) => catalog().runbooks.get(name), pollMs: 100, onError: (error) => executorErrors.push(error.message) });
    timers = new TimerLoop({ timers: store.timers, owner: "backups-page-test", pollIntervalMs: 100, onError: (error) => executorErrors.push(error.message) });
    executor.registerTimers(timers);
    timers.start();
    executor.startPolling();
    app = buildServer({ config, store, checks, runbooks: { executor, catalog } });
    await ensureAdminToken(store, {});
    await store.people.upsertPerson({ id: "mina", name: "Mina Park", titles: [] });
    await store.people.upsertPerson({ id: "vera", name: "Vera Cho", titles: [] });
    minaToken = (await store.tokens.create({ personId: "mina", role: "operator", label: "browser test" })).token;
    veraToken = (await store.tokens.create({ personId: "vera", role: "viewer", label: "browser test" })).token;

    // Oldest first: a deep-verified set three days ago, a failed one, one written but never
    // verified, and one still being written.
    await seed("20260101T030000Z-deep", 72, "schedule", async (id) => {
      await store.backups.finish(id, { status: "written", size: 12 * 1024 * 1024, manifest: manifest(id) });
      await store.backups.recordVerification(id, {
        ok: true,
        manifest: manifest(id, {
          status: "verified",
          verifiedAt: new Date(Date.now() + offsetMs).toISOString(),
          fingerprint: {
            tables: [
              { name: "players", rows: 12_345, checksum: "3735928559" },
              { name: "inventory", rows: 98_001, checksum: "4022250974" },
            ],
            redisKeys: 5210,
          },
        }),
      });
    });
    await seed("20260102T030000Z-failed", 50, "schedule", (id) =>
      store.backups.finish(id, { status: "failed", size: 0, error: "mysql: mariadb-dump exited with 2: Got error 2013: Lost connection to server during query" }),
    );
    await seed("20260103T030000Z-written", 20, "mina", (id) => store.backups.finish(id, { status: "written", size: 12 * 1024 * 1024, manifest: manifest(id) }));
    offsetMs = -10 * 60_000;
    await store.backups.start({ id: "20260103T230000Z-running", components: ["mysql"], storage: { kind: "local", location: join(dir, "data", "backups", "x") }, startedBy: "mina" });
    offsetMs = 0;

    url = await app.listen({ host: "127.0.0.1", port: 0 });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, timezoneId: "America/New_York" });
    watch(page);
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await timers?.stop();
    await executor?.stop();
    await checks?.idle();
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("says in red that no verified backup is recent enough, and shows every set with its status", async () => {
    await page.goto(`${url}/#/backups`);
    await signIn(page, minaToken);
    await expect.poll(() => page.getByRole("heading", { name: "Backups", level: 1 }).isVisible(), soon).toBe(true);
    expect(await page.locator("#nav-backups").getAttribute("aria-current")).toBe("page");
    expect(await page.title()).toBe("gameops · Backups");

    // The newest verified set is three days old: the health check's judgement, critical.
    const verdict = page.locator("#backups-verdict");
    await expect.poll(() => verdict.getAttribute("data-verdict"), soon).toBe("critical");
    expect(await verdict.textContent()).toBe("✕ No verified backup within 26 h");
    expect(await verdict.evaluate((badge) => getComputedStyle(badge).backgroundColor)).toBe("rgb(185, 28, 28)");
    expect(await page.locator("#backups-summary").textContent()).toBe("The newest verified set, 20260101T030000Z-deep, is 3 days old.");
    expect(await page.locator("#backups-facts").textContent()).toBe("Scheduled at “0 3 * * *” (cron, UTC) · stored in local storage · a verified set must be younger than 26 h.");

    // Newest first, each status in words and colour.
    expect(await page.locator("#backup-sets tr.set-row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-set")))).toEqual([
      "20260103T230000Z-running",
      "20260103T030000Z-written",
      "20260102T030000Z-failed",
      "20260101T030000Z-deep",
    ]);
    const deep = row("20260101T030000Z-deep");
    expect(await deep.locator(".set-status").textContent()).toBe("✓ Verifieddeep");
    expect(await deep.locator(".set-status .pill").first().evaluate((pill) => getComputedStyle(pill).color)).toBe("rgb(21, 128, 61)");
    expect(await deep.locator(".set-components").textContent()).toBe("mysql 10.0 MiB, redis 2.0 MiB");
    expect(await deep.locator("td.size").textContent()).toBe("12.0 MiB");
    expect(await deep.locator("td").nth(4).textContent()).toBe("3 days ago");
    expect(await deep.locator("td").nth(6).textContent()).toBe("schedule");
    const written = row("20260103T030000Z-written");
    expect(await written.locator(".set-status").textContent()).toBe("! Not verified");
    expect(await written.locator(".set-status .pill").evaluate((pill) => getComputedStyle(pill).color)).toBe("rgb(180, 83, 9)");
    expect(await written.locator("td").nth(5).textContent()).toBe("–");
    const failed = row("20260102T030000Z-failed");
    expect(await failed.locator(".set-status .pill").textContent()).toBe("✕ Failed");
    expect(await failed.locator(".set-error").textContent()).toBe("mysql: mariadb-dump exited with 2: Got error 2013: Lost connection to server during query");
    expect(await failed.locator(".set-components").textContent()).toBe("mysql, redis");
    const running = row("20260103T230000Z-running");
    expect(await running.locator(".set-status").textContent()).toBe("… Running");
    expect(await running.locator(".set-status .pill").evaluate((pill) => getComputedStyle(pill).color)).toBe("rgb(29, 78, 216)");

    // What cannot be verified or restored says why instead of failing on click.
    for (const name of ["Verify deeply", "Restore…"]) {
      expect(await failed.getByRole("button", { name }).isDisabled()).toBe(true);
      expect(await running.getByRole("button", { name }).isDisabled()).toBe(true);
      expect(await written.getByRole("button", { name }).isEnabled()).toBe(true);
    }
    expect(await failed.getByRole("button", { name: "Verify deeply" }).getAttribute("title")).toBe("A failed set cannot be verified or restored");
    expect(await running.getByRole("button", { name: "Restore…" }).getAttribute("title")).toBe("This set is still being written");
  });

  it("draws the sets' sizes over time, coloured by status and stacked by component", async () => {
    const bars = page.locator("#backups-chart g.set-bar");
    expect(await bars.count()).toBe(4);
    // Oldest on the left.
    expect(await bars.evaluateAll((gs) => gs.map((g) => `${g.getAttribute("data-set")} ${g.getAttribute("class")}`))).toEqual([
      "20260101T030000Z-deep set-bar status-ok",
      "20260102T030000Z-failed set-bar status-critical",
      "20260103T030000Z-written set-bar status-warning",
      "20260103T230000Z-running set-bar status-running",
    ]);
    const deep = page.locator('#backups-chart g[data-set="20260101T030000Z-deep"]');
    expect(await deep.locator("title").textContent()).toMatch(/^20260101T030000Z-deep: Verified \(deep\), 12\.0 MiB \(mysql 10\.0 MiB, redis 2\.0 MiB\), /);
    // mysql at the bottom, five times redis's height; the largest set reaches the top.
    const heights = await deep.locator("rect").evaluateAll((rects) => rects.map((r) => [r.getAttribute("data-component"), Number(r.getAttribute("height")), Number(r.getAttribute("y"))] as const));
    expect(heights.map(([name]) => name)).toEqual(["mysql", "redis"]);
    expect(heights[0]![1] / heights[1]![1]).toBeCloseTo(5, 5);
    expect(heights[1]![2]).toBeLessThan(heights[0]![2]);
    expect(await deep.locator("rect").first().evaluate((rect) => getComputedStyle(rect).fill)).toBe("rgb(21, 128, 61)");
    // A set with nothing stored still shows, as a stub on the baseline.
    expect(await page.locator('#backups-chart g[data-set="20260102T030000Z-failed"] rect').getAttribute("class")).toBe("bar stub");
    expect(await page.locator("#backups-chart-count").textContent()).toMatch(/^4 sets since /);
  });

  it("opens a set's manifest: artifacts with sizes and hashes, tools, the binlog position, the fingerprint", async () => {
    const deep = row("20260101T030000Z-deep");
    await deep.locator("td.set-components").click();
    const detail = page.locator('#backup-sets tr.manifest-row[data-manifest-of="20260101T030000Z-deep"]');
    await expect.poll(() => detail.isVisible(), soon).toBe(true);
    expect(await deep.getByRole("button", { name: "Manifest of 20260101T030000Z-deep" }).getAttribute("aria-expanded")).toBe("true");
    const mysql = detail.locator('[data-component="mysql"]');
    expect(await mysql.locator("h3").textContent()).toMatch(/^mysql 10\.0 MiB/);
    expect(await mysql.locator("h3 .pill.tool").textContent()).toBe("mariadb-dump 10.11.6");
    expect(await mysql.locator(".binlog").textContent()).toBe("Binlog position: mysql-bin.000042:1337");
    const dump = mysql.locator('tr[data-artifact="dump.sql.zst"]');
    expect(await dump.locator("td").allTextContents()).toEqual(["dump.sql.zst", "10.0 MiB", "aaaaaaaaaaaa…", "zstd"]);
    expect(await dump.locator("code.sha").getAttribute("title")).toBe(sha("a"));
    expect(await detail.locator('[data-component="redis"] h3 .pill.tool').textContent()).toBe("redis 7.2.4");
    expect(await detail.locator('.fingerprint tr[data-table="players"] td').allTextContents()).toEqual(["players", "12,345", "3735928559"]);
    expect(await detail.locator(".fingerprint .redis-keys").textContent()).toBe("Redis keys: 5,210");

    // A written set has no fingerprint yet, and says what takes one.
    await row("20260103T030000Z-written").getByRole("button", { name: "Manifest of 20260103T030000Z-written" }).click();
    await expect.poll(() => page.locator('tr[data-manifest-of="20260103T030000Z-written"] .no-fingerprint').textContent(), soon).toBe(
      "No fingerprint yet: only a deep verify restores the set and takes one.",
    );
    // The first stays open; clicking its row again closes it.
    expect(await detail.isVisible()).toBe(true);
    await deep.locator("td.set-components").click();
    await expect.poll(() => detail.count(), soon).toBe(0);
  });

  it("shows the retention dry run: what would go, and why each set stays", async () => {
    expect(await page.locator("#retention-policy").textContent()).toBe(
      "Keeps the newest verified set of each of the last 7 days, 4 weeks and 6 months, never fewer than 3 verified sets; a set not verified or failed stays 2 days. Only verified sets count.",
    );
    await expect.poll(() => page.locator("#retention-remove li").count(), soon).toBe(1);
    expect(await page.locator('#retention-remove li[data-set="20260102T030000Z-failed"]').textContent()).toBe("20260102T030000Z-failed — failed, older than the grace period");
    expect(await page.locator('#retention-keep li[data-set="20260103T030000Z-written"]').textContent()).toBe("20260103T030000Z-written — not verified yet, within the grace period");
    expect(await page.locator('#retention-keep li[data-set="20260101T030000Z-deep"]').textContent()).toMatch(/^20260101T030000Z-deep — newest verified set; daily \d{4}-\d\d-\d\d; weekly \d{4}-W\d\d; monthly \d{4}-\d\d$/);
    // A set still being written is in no plan.
    expect(await page.locator('#retention-box li[data-set="20260103T230000Z-running"]').count()).toBe(0);
    // A dry run removed nothing.
    expect(await store.backups.get("20260102T030000Z-failed")).toBeDefined();
  });

  it("backs up now: the run page follows the backup live, and the new verified set turns the headline green", async () => {
    await page.getByRole("button", { name: "Back up now" }).click();
    await expect.poll(() => page.url(), soon).toMatch(/#\/runs\/[0-9a-f-]+$/);
    const runId = decodeURIComponent(page.url().split("#/runs/")[1]!);
    // The run page draws after the URL changes: poll, or the previous page's title may still be there.
    await expect.poll(() => page.locator("#run-title").textContent(), soon).toBe("Take a backup set, and prove it restores");
    expect(await page.locator("#nav-runbooks").getAttribute("aria-current")).toBe("page");
    // The run's own words when it did not succeed, rather than only "Failed".
    await expect.poll(async () => ((run) => (run?.status === "succeeded" ? "succeeded" : `${run?.status}: ${run?.error}`))(await store.runbookRuns.getRun(runId)), nextLook).toBe("succeeded");
    await expect.poll(() => page.locator("#runbook-run-status").textContent(), soon).toContain("Succeeded");
    expect((await store.runbookRuns.getRun(runId))?.params).toMatchObject({ verify: "deep" });

    await page.locator("#nav-backups").click();
    const verdict = page.locator("#backups-verdict");
    await expect.poll(() => verdict.getAttribute("data-verdict"), soon).toBe("ok");
    expect(await verdict.textContent()).toBe("✓ Verified backup within 26 h");
    expect(await verdict.evaluate((badge) => getComputedStyle(badge).backgroundColor)).toBe("rgb(21, 128, 61)");
    const [newest] = await store.backups.list({ limit: 1 });
    expect(newest).toMatchObject({ status: "verified", components: ["files"], startedBy: `mina (run ${runId})` });
    expect(await page.locator("#backups-summary").textContent()).toMatch(new RegExp(`^The newest verified set, ${newest!.id}, is \\d+ s old, restored and fingerprinted\\.$`));
    takenSet = newest!.id;
    const fresh = row(newest!.id);
    expect(await fresh.locator(".started-by").textContent()).toMatch(/^mina · run [0-9a-f]{8}…[0-9a-f]{4}$/);
    expect(await fresh.locator(".started-by a").getAttribute("href")).toBe(`#/runs/${runId}`);
    expect(await fresh.locator(".set-status").textContent()).toBe("✓ Verifieddeep");
    expect(await fresh.locator(".set-components").textContent()).toMatch(/^files \d+ B$/);
    expect(await page.locator("#backups-chart g.set-bar").count()).toBe(5);
    expect(await page.locator("#backups-chart g.set-bar").last().getAttribute("data-set")).toBe(newest!.id);
  }, 120_000);

  it("verifies a set deeply, and restores one, each from its row onto its run page", async () => {
    await row("20260103T030000Z-written").getByRole("button", { name: "Verify deeply" }).click();
    await expect.poll(() => page.url(), soon).toMatch(/#\/runs\/[0-9a-f-]+$/);
    const verifyRun = decodeURIComponent(page.url().split("#/runs/")[1]!);
    expect((await store.runbookRuns.getRun(verifyRun))?.params).toMatchObject({ set: "20260103T030000Z-written", verify: "deep" });
    // The run page draws after the URL changes: poll, or the previous page's title may still be there.
    await expect.poll(() => page.locator("#run-title").textContent(), soon).toBe("Take a backup set, and prove it restores");
    // Its artifacts were never written here: the verify fails, and the run page says why.
    await expect.poll(() => page.locator("#runbook-run-status").textContent(), nextLook).toContain("Failed");
    expect(await page.locator(".run-error").textContent()).toBe(`step "verify": no backup set 20260103T030000Z-written in ${join(dir, "data", "backups")}: \`gameops backup list\` shows the sets there`);
    // A failed verify of a set that is not there says nothing about the set: it stays written.
    expect((await store.backups.get("20260103T030000Z-written"))?.status).toBe("written");

    await page.goBack();
    await expect.poll(() => page.locator("#backups").isVisible(), soon).toBe(true);
    // The set Back up now took is really there: restoring it (not over anything live) goes through.
    await row(takenSet).getByRole("button", { name: "Restore…" }).click();
    await expect.poll(() => page.url(), soon).toMatch(/#\/runs\/[0-9a-f-]+$/);
    const restoreRun = decodeURIComponent(page.url().split("#/runs/")[1]!);
    expect(restoreRun).not.toBe(verifyRun);
    await expect.poll(() => page.locator("#run-title").textContent(), soon).toBe("Restore a backup set — verified first, live data replaced only on approval");
    expect((await store.runbookRuns.getRun(restoreRun))?.params).toMatchObject({ set: takenSet });
    await expect.poll(async () => ((run) => (run?.status === "succeeded" ? "succeeded" : `${run?.status}: ${run?.error}`))(await store.runbookRuns.getRun(restoreRun)), nextLook).toBe("succeeded");
    await expect.poll(() => page.locator("#runbook-run-status").textContent(), soon).toContain("Succeeded");
    await page.screenshot({ path: "/tmp/gameops-restore-run.png", fullPage: true });

    // Back on the page, the screenshot a person would see.
    await page.locator("#nav-backups").click();
    await expect.poll(() => page.locator("#backup-sets tr.set-row").count(), soon).toBe(5);
    await page.screenshot({ path: "/tmp/gameops-backups.png", fullPage: true });
  }, 120_000);

  it("lets a viewer see the backups but start nothing, and says why", async () => {
    const viewer = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    watch(viewer);
    try {
      await viewer.goto(`${url}/#/backups`);
      await signIn(viewer, veraToken);
      await expect.poll(() => row("20260101T030000Z-deep", viewer).count(), soon).toBe(1);
      const backUp = viewer.getByRole("button", { name: "Back up now" });
      expect(await backUp.isDisabled()).toBe(true);
      expect(await backUp.getAttribute("title")).toBe("Needs the operator role or above");
      const restore = row("20260101T030000Z-deep", viewer).getByRole("button", { name: "Restore…" });
      expect(await restore.isDisabled()).toBe(true);
      expect(await restore.getAttribute("title")).toBe("Needs the operator role or above");
      expect(await viewer.locator("#retention-viewer-note").textContent()).toBe("Signed in as a viewer: seeing what the policy would remove needs the operator role or above.");

      // A set started elsewhere (the nightly schedule, a terminal) shows while the page is open.
      await store.backups.start({ id: "20261231T030000Z-nightly", components: ["files"], storage: { kind: "local", location: join(dir, "data", "backups") }, startedBy: "schedule" });
      await expect.poll(() => row("20261231T030000Z-nightly", viewer).locator(".set-status").textContent(), nextLook).toBe("… Running");
      expect(await viewer.locator("#backup-sets tr.set-row").first().getAttribute("data-set")).toBe("20261231T030000Z-nightly");
      expect(await viewer.locator('#backups-chart g[data-set="20261231T030000Z-nightly"]').count()).toBe(1);
    } finally {
      await viewer.close();
    }
  }, 90_000);

  it("raised no script error, broke no content-security rule, and the executor reported nothing", () => {
    expect(problems).toEqual([]);
    expect(executorErrors).toEqual([]);
  });
});
