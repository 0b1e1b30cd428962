import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { run } from "../../src/engine/health/alerts-check.js";
import type { CheckContext } from "../../src/engine/health/check.js";
import { alertmanagerClient, type AlertmanagerClient, type PostableAlert } from "../../src/integrations/alertmanager/client.js";
import { testServices } from "../services.js";
import { startPrivateAlertmanager, type PrivateAlertmanager } from "./private-alertmanager.js";
import { closedPort, silentServer, type SilentServer } from "./servers.js";

// Two Alertmanagers: the shared one of scripts/test-services.mjs, which other tests and the
// bench may fill at any time (so only this run's labelled alerts are asserted there), and a
// private one for the cases that need an exact set of alerts. Every alert posted is resolved
// after its test; leftovers of a killed run on the shared one are resolved first.
const sharedUrl = testServices().alertmanager.url;
const shared = alertmanagerClient({ url: sharedUrl });
const TEST_LABEL = "gameops_test";
const thisRun = `alerts-check-${process.pid}-${Date.now()}`;

const cwd = mkdtempSync(join(tmpdir(), "gameops-alerts-"));
let fired: { to: AlertmanagerClient; alert: PostableAlert }[] = [];

function contextFor(url: string, timeoutMs = 5000, signal = AbortSignal.timeout(timeoutMs)): CheckContext {
  const { config } = loadConfig({ cwd, env: { GAMEOPS_ALERTMANAGER_URL: url } });
  return { config, signal, timeoutMs, now: () => new Date() };
}

async function fire(to: AlertmanagerClient, alertname: string, severity: string, summary: string): Promise<void> {
  const alert: PostableAlert = {
    labels: { alertname, severity, instance: "game-1:9100", [TEST_LABEL]: thisRun },
    annotations: { summary },
    // A minute back, so that resolving it with "endsAt = a second ago" stays after its start.
    startsAt: new Date(Date.now() - 60_000),
    endsAt: new Date(Date.now() + 5 * 60_000),
  };
  await to.postAlerts([alert]);
  fired.push({ to, alert });
}

async function resolve(to: AlertmanagerClient, alerts: readonly PostableAlert[]): Promise<void> {
  if (alerts.length === 0) return;
  const past = new Date(Date.now() - 1000);
  await to.postAlerts(alerts.map((a) => ({ labels: a.labels, ...(a.startsAt ? { startsAt: a.startsAt } : {}), endsAt: past })));
}

beforeAll(async () => {
  const leftovers = await shared.activeAlerts({ filter: [`${TEST_LABEL}=~"alerts-check-.*"`] });
  await resolve(shared, leftovers.map((a) => ({ labels: a.labels, startsAt: new Date(a.startsAt) })));
});

afterEach(async () => {
  for (const { to, alert } of fired) await resolve(to, [alert]);
  fired = [];
});

afterAll(() => rmSync(cwd, { recursive: true, force: true }));

describe("alerts check against the shared Alertmanager", () => {
  it("shows a firing critical alert, and is critical", async () => {
    const alertname = `GameopsTestServerDown-${thisRun}`;
    await fire(shared, alertname, "critical", "game-1 does not answer");
    const verdict = await run(contextFor(sharedUrl));
    expect(verdict.status).toBe("critical");
    expect(verdict.summary).toMatch(/^\d+ active: [1-9]\d* critical/);
    expect(verdict.details).toMatchObject({ alertmanager: sharedUrl });
    expect(verdict.details.alerts).toContainEqual({
      alertname,
      severity: "critical",
      instance: "game-1:9100",
      startsAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      summary: "game-1 does not answer",
    });
  });

  it("reads back only the alerts matching a filter", async () => {
    await fire(shared, "GameopsTestFilterA", "warning", "a");
    await fire(shared, "GameopsTestFilterB", "critical", "b");
    const alerts = await shared.activeAlerts({ filter: [`${TEST_LABEL}="${thisRun}"`, 'alertname="GameopsTestFilterB"'] });
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      labels: { alertname: "GameopsTestFilterB", severity: "critical" },
      annotations: { summary: "b" },
      status: { state: "active", silencedBy: [], inhibitedBy: [] },
      fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
  });

  it("reads through a URL that carries credentials (sent as a header, not in the URL)", async () => {
    await fire(shared, "GameopsTestCredentials", "warning", "c");
    const withCredentials = alertmanagerClient({ url: sharedUrl.replace("http://", "http://ops:hunter2@") });
    expect(withCredentials.label).toBe(sharedUrl);
    const alerts = await withCredentials.activeAlerts({ filter: [`${TEST_LABEL}="${thisRun}"`] });
    expect(alerts.map((a) => a.labels.alertname)).toEqual(["GameopsTestCredentials"]);
  });
});

describe("alerts check with an exact set of alerts (private Alertmanager)", () => {
  let alertmanager: PrivateAlertmanager;
  let client: AlertmanagerClient;
  beforeAll(async () => {
    alertmanager = await startPrivateAlertmanager();
    client = alertmanagerClient({ url: alertmanager.url });
  });
  afterAll(() => alertmanager?.stop());

  it("is ok when no alert is active", async () => {
    expect(await run(contextFor(alertmanager.url))).toEqual({
      status: "ok",
      summary: "no active alerts",
      details: { alertmanager: alertmanager.url, active: 0, critical: 0, bySeverity: {}, alerts: [] },
    });
  });

  it("is a warning when only a warning alert fires", async () => {
    await fire(client, "GameopsTestDiskSpaceLow", "warning", "/var at 85 %");
    const verdict = await run(contextFor(alertmanager.url));
    expect(verdict.status).toBe("warning");
    expect(verdict.summary).toBe("1 active: 1 warning");
  });

  it("counts both when a critical and a warning alert fire, and is critical", async () => {
    await fire(client, "GameopsTestDiskSpaceLow", "warning", "/var at 85 %");
    await fire(client, "GameopsTestServerDown", "critical", "game-1 does not answer");
    const verdict = await run(contextFor(alertmanager.url));
    expect(verdict).toMatchObject({
      status: "critical",
      summary: "2 active: 1 critical, 1 warning",
      details: { active: 2, critical: 1, bySeverity: { critical: 1, warning: 1 } },
    });
    expect((verdict.details.alerts as { alertname: string }[]).map((a) => a.alertname)).toEqual(["GameopsTestServerDown", "GameopsTestDiskSpaceLow"]);
  });

  it("no longer counts an alert once it is resolved", async () => {
    await fire(client, "GameopsTestHighErrorRate", "critical", "5xx above 5 %");
    expect((await run(contextFor(alertmanager.url))).status).toBe("critical");
    await resolve(client, fired.map((f) => f.alert));
    expect((await run(contextFor(alertmanager.url))).status).toBe("ok");
  });
});

describe("alerts check when Alertmanager cannot be read", () => {
  let silent: SilentServer;
  beforeAll(async () => {
    silent = await silentServer();
  });
  afterAll(() => silent.close());

  it("is critical with a clear message on a closed port", async () => {
    const port = await closedPort();
    await expect(run(contextFor(`http://127.0.0.1:${port}`))).rejects.toMatchObject({
      name: "CheckFailure",
      status: "critical",
      message: `alertmanager at http://127.0.0.1:${port} unreachable: connection refused`,
    });
  });

  it("never prints the credentials of the URL", async () => {
    const port = await closedPort();
    const failure = await run(contextFor(`http://ops:hunter2@127.0.0.1:${port}/alertmanager`)).catch((e: unknown) => e);
    expect(failure).toMatchObject({ message: `alertmanager at http://127.0.0.1:${port}/alertmanager unreachable: connection refused` });
    const { message, details } = failure as { message: string; details: unknown };
    expect(JSON.stringify({ message, details })).not.toMatch(/hunter2|ops:/);
  });

  it("is critical when Alertmanager accepts the connection but never answers", async () => {
    const never = new AbortController().signal;
    await expect(run(contextFor(silent.url, 300, never))).rejects.toMatchObject({
      status: "critical",
      message: `alertmanager at ${silent.url} unreachable: no answer within 300ms`,
    });
  });

  it("is unknown when the URL is not an Alertmanager (here: Prometheus)", async () => {
    const prometheusUrl = testServices().prometheus.url;
    await expect(run(contextFor(prometheusUrl))).rejects.toMatchObject({
      status: "unknown",
      message: `alertmanager at ${prometheusUrl} gave no usable answer: HTTP 404 Not Found: 404 page not found (is this an Alertmanager 0.16 or newer? gameops uses API v2)`,
    });
  });
});
