import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alertmanagerClient, AlertmanagerError, type AlertmanagerClient } from "../../src/integrations/alertmanager/client.js";
import { startPrivateAlertmanager, type PrivateAlertmanager } from "./private-alertmanager.js";

// A private Alertmanager: silences and alerts here would otherwise mute or confuse other tests.
let alertmanager: PrivateAlertmanager;
let client: AlertmanagerClient;

beforeAll(async () => {
  alertmanager = await startPrivateAlertmanager();
  client = alertmanagerClient({ url: alertmanager.url });
});

afterAll(async () => {
  await alertmanager?.stop();
});

const hour = 3_600_000;

/** What Alertmanager itself lists and reports, read without the client under test. */
async function apiGet<T>(path: string): Promise<T> {
  const response = await fetch(`${alertmanager.url}/api/v2/${path}`);
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

interface ListedAlert {
  labels: Record<string, string>;
  status: { state: string; silencedBy: string[] };
}

async function alertNamed(alertname: string): Promise<ListedAlert | undefined> {
  const alerts = await apiGet<ListedAlert[]>(`alerts?filter=${encodeURIComponent(`alertname="${alertname}"`)}`);
  return alerts[0];
}

describe("alertmanager silences", () => {
  it("creates an active silence that mutes matching alerts, and expiring it unmutes them", async () => {
    const now = new Date();
    const id = await client.createSilence({
      matchers: [
        { name: "alertname", value: "SilenceTestDown", isRegex: false, isEqual: true },
        { name: "instance", value: "game-[0-9]+", isRegex: true, isEqual: true },
      ],
      startsAt: now,
      endsAt: new Date(now.getTime() + hour),
      createdBy: "gameops maintenance window 7",
      comment: "patching game-1",
    });
    expect(id).toMatch(/^[0-9a-f-]{36}$/);

    expect(await client.getSilence(id)).toMatchObject({
      id,
      status: { state: "active" },
      createdBy: "gameops maintenance window 7",
      comment: "patching game-1",
      matchers: [
        { name: "alertname", value: "SilenceTestDown", isRegex: false, isEqual: true },
        { name: "instance", value: "game-[0-9]+", isRegex: true, isEqual: true },
      ],
    });
    const listed = await apiGet<{ id: string; status: { state: string } }[]>("silences");
    expect(listed).toContainEqual(expect.objectContaining({ id, status: { state: "active" } }));

    // Alertmanager works out silencing when asked, so the answer right after posting is final.
    await client.postAlerts([{ labels: { alertname: "SilenceTestDown", instance: "game-1" }, startsAt: now }]);
    expect(await alertNamed("SilenceTestDown")).toMatchObject({ status: { state: "suppressed", silencedBy: [id] } });
    expect(await client.activeAlerts({ filter: ['alertname="SilenceTestDown"'] })).toEqual([]);

    expect(await client.expireSilence(id)).toBe(true);
    expect(await client.getSilence(id)).toMatchObject({ id, status: { state: "expired" } });
    expect(await alertNamed("SilenceTestDown")).toMatchObject({ status: { state: "active", silencedBy: [] } });
    expect(await client.activeAlerts({ filter: ['alertname="SilenceTestDown"'] })).toHaveLength(1);

    // A retried expiry (say, after a crash) is not an error.
    expect(await client.expireSilence(id)).toBe(true);
  });

  it("leaves alerts that a negated matcher excludes unsilenced", async () => {
    const now = new Date();
    const id = await client.createSilence({
      matchers: [
        { name: "alertname", value: "SilenceTestNegated", isRegex: false, isEqual: true },
        { name: "instance", value: "game-2", isRegex: false, isEqual: false },
      ],
      startsAt: now,
      endsAt: new Date(now.getTime() + hour),
      createdBy: "test",
      comment: "all but game-2",
    });
    await client.postAlerts([
      { labels: { alertname: "SilenceTestNegated", instance: "game-1" }, startsAt: now },
      { labels: { alertname: "SilenceTestNegated", instance: "game-2" }, startsAt: now },
    ]);
    const alerts = await apiGet<ListedAlert[]>(`alerts?filter=${encodeURIComponent('alertname="SilenceTestNegated"')}`);
    const stateOf = (instance: string) => alerts.find((a) => a.labels.instance === instance)?.status.state;
    expect({ "game-1": stateOf("game-1"), "game-2": stateOf("game-2") }).toEqual({ "game-1": "suppressed", "game-2": "active" });
    await client.expireSilence(id);
  });

  it("answers undefined and false for a silence Alertmanager does not know", async () => {
    const unknown = "00000000-0000-4000-8000-000000000000";
    expect(await client.getSilence(unknown)).toBeUndefined();
    expect(await client.expireSilence(unknown)).toBe(false);
  });

  it("reports a bad matcher regex with Alertmanager's words, as a mistake retrying will not fix", async () => {
    const now = new Date();
    const failure = await client
      .createSilence({
        matchers: [{ name: "instance", value: "game-(1", isRegex: true, isEqual: true }],
        startsAt: now,
        endsAt: new Date(now.getTime() + hour),
        createdBy: "test",
        comment: "bad regex",
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(failure).toBeInstanceOf(AlertmanagerError);
    expect(failure).toMatchObject({ failure: "http-status", status: 400, retryable: false });
    expect((failure as AlertmanagerError).reason).toBe(
      'HTTP 400 Bad Request: silence invalid: invalid label matcher 0: invalid regular expression "game-(1": error parsing regexp: missing closing ): `game-(1`',
    );
  });

  it("reports an end before the start as Alertmanager says it", async () => {
    const now = new Date();
    const failure = await client
      .createSilence({
        matchers: [{ name: "alertname", value: "X", isRegex: false, isEqual: true }],
        startsAt: new Date(now.getTime() + hour),
        endsAt: now,
        createdBy: "test",
        comment: "backwards",
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(failure).toMatchObject({ status: 400, retryable: false, reason: "HTTP 400 Bad Request: Failed to create silence: start time must be before end time" });
  });
});
