import fc from "fast-check";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { alertmanagerClient } from "../../src/integrations/alertmanager/client.js";
import { startPrivateAlertmanager, type PrivateAlertmanager } from "../alerts/private-alertmanager.js";
import { httpReceiver, type Answer, type HttpReceiver } from "../notify/http-receiver.js";
import { alertmanagerPayload, eventually, intakeToken, startPagingServer, type PagingServer } from "./paging-server.js";

const secret = "hook-secret-0123456789abcdef";

/** Everyone on one schedule, alice primary; one webhook channel answering `answers`. */
async function withWebhook(answers: Answer[], extra: Record<string, unknown> = {}, env: Record<string, string> = {}) {
  const hook = await httpReceiver(...answers);
  const server = await startPagingServer(
    {
      channels: { webhooks: [{ name: "bot", url: hook.url, secret, perMinute: (extra.perMinute as number | undefined) ?? 60 }] },
      policies: [{ id: "default", levels: [{ after: "0s", notify: [{ person: "alice" }] }] }],
      ...Object.fromEntries(Object.entries(extra).filter(([k]) => k !== "perMinute")),
    },
    env,
  );
  await server.request("POST", "/api/people", { id: "alice", name: "Alice" });
  return { hook, server };
}

describe("paging engine", () => {
  const open: { server: PagingServer; hook: HttpReceiver }[] = [];
  let alertmanager: PrivateAlertmanager | undefined;
  afterEach(async () => {
    for (const { server, hook } of open.splice(0)) {
      await server.close();
      await hook.close();
    }
  });
  afterAll(async () => {
    await alertmanager?.stop();
  });

  const webhookDeliveries = async (server: PagingServer, page: number) =>
    ((await server.request("GET", `/api/pages/${page}`)).json.deliveries as { channel: string; status: string; attemptLog: { ok: boolean; retryable: boolean; detail: string }[] }[]).filter((d) =>
      d.channel.startsWith("webhook:"),
    );

  it("retries a delivery on 503 with backoff until it goes through, recording every attempt", async () => {
    const setup = await withWebhook([{ status: 503 }, { status: 503 }, { status: 200 }]);
    open.push(setup);
    const { json } = await setup.server.request("POST", "/webhooks/alertmanager", alertmanagerPayload("ServerDown", [{ fingerprint: "a" }]), intakeToken);
    const [delivery] = await eventually(async () => {
      const list = await webhookDeliveries(setup.server, json.page);
      return list[0]?.status === "sent" ? list : undefined;
    }, "the webhook delivery to go through");
    expect(delivery!.attemptLog.map((a) => [a.ok, a.retryable])).toEqual([
      [false, true],
      [false, true],
      [true, false],
    ]);
    expect(setup.hook.received).toHaveLength(3);
  });

  it("does not retry what cannot succeed (a 400)", async () => {
    const setup = await withWebhook([{ status: 400, body: "bad payload" }]);
    open.push(setup);
    const { json } = await setup.server.request("POST", "/webhooks/alertmanager", alertmanagerPayload("ServerDown", [{ fingerprint: "a" }]), intakeToken);
    const [delivery] = await eventually(async () => {
      const list = await webhookDeliveries(setup.server, json.page);
      return list[0]?.status === "failed" ? list : undefined;
    }, "the webhook delivery to fail");
    expect(delivery!.attemptLog).toHaveLength(1);
    expect(delivery!.attemptLog[0]).toMatchObject({ ok: false, retryable: false });
    expect(setup.hook.received).toHaveLength(1);
  });

  it("a 10x burst past a channel's rate limit loses nothing: what does not fit goes out as digests", async () => {
    const setup = await withWebhook([{ status: 200 }], { perMinute: 10 });
    open.push(setup);
    const pages = 100;
    for (let i = 0; i < pages; i++) {
      const response = await setup.server.request("POST", "/webhooks/alertmanager", alertmanagerPayload(`Burst${i}`, [{ fingerprint: `b${i}` }]), intakeToken);
      expect(response.status).toBe(200);
    }
    const covered = await eventually(
      () => {
        const numbers = new Set<number>();
        for (const received of setup.hook.received) {
          const { notice } = JSON.parse(received.body) as { notice: { pageNumber?: number; items?: { pageNumber?: number }[] } };
          if (notice.pageNumber !== undefined) numbers.add(notice.pageNumber);
          for (const item of notice.items ?? []) if (item.pageNumber !== undefined) numbers.add(item.pageNumber);
        }
        return numbers.size === pages ? numbers : undefined;
      },
      "every page to reach the webhook",
      90_000,
    );
    expect([...covered].sort((a, b) => a - b)).toEqual(Array.from({ length: pages }, (_, i) => i + 1));
    expect(setup.hook.received.length).toBeLessThanOrEqual(10);
  }, 120_000);

  it("pages when the watchdog stops arriving, and resolves that page when it comes back", async () => {
    const setup = await withWebhook([{ status: 200 }], { watchdog: { within: "1s" } });
    open.push(setup);
    const page = await eventually(async () => (await setup.server.request("GET", "/api/pages")).json.pages[0], "the watchdog page");
    expect(page).toMatchObject({ source: "watchdog", severity: "critical", runbook: "alerting-pipeline", status: "triggered" });
    await eventually(() => setup.hook.received.some((r) => JSON.parse(r.body).notice.title.startsWith("No Watchdog alert")), "the watchdog notice");
    const watchdog = await setup.server.request("POST", "/webhooks/alertmanager", alertmanagerPayload("Watchdog", [{ fingerprint: "wd" }]), intakeToken);
    expect(watchdog.json.page).toBeUndefined();
    expect((await setup.server.request("GET", `/api/pages/${page.number}`)).json.page).toMatchObject({ status: "resolved", resolvedBy: "watchdog" });
    // The deadline moved on: no second page while the watchdog keeps arriving.
    expect(await setup.server.store.timers.findByKey("paging:watchdog")).toBeDefined();
  });

  it("mirrors a maintenance window as an Alertmanager silence, and expires it when the window ends", async () => {
    alertmanager = await startPrivateAlertmanager();
    const setup = await withWebhook([{ status: 200 }], {}, { GAMEOPS_ALERTMANAGER_URL: alertmanager.url });
    open.push(setup);
    const window = await setup.server.request("POST", "/api/windows", { title: "Patch game-1", matchers: ["instance=game-1", "alertname=~Server.*"], duration: "30m" });
    expect(window.status).toBe(201);
    expect(window.json.silenceId).toBeDefined();
    const client = alertmanagerClient({ url: alertmanager.url });
    const silence = await client.getSilence(window.json.silenceId);
    expect(silence).toMatchObject({ status: { state: "active" }, createdBy: "gameops:admin" });
    expect(silence!.matchers).toEqual(
      expect.arrayContaining([
        { name: "instance", value: "game-1", isRegex: false, isEqual: true },
        { name: "alertname", value: "Server.*", isRegex: true, isEqual: true },
      ]),
    );
    await setup.server.request("POST", `/api/windows/${window.json.id}/end`);
    expect((await client.getSilence(window.json.silenceId))?.status.state).toBe("expired");
  });

  it("takes Alertmanager's basic auth when paging.intake.basic is set", async () => {
    const setup = await withWebhook([{ status: 200 }], { intake: { basic: { username: "alertmanager", password: "basic-secret-0123456789" } } });
    open.push(setup);
    const send = (user: string, password: string) =>
      setup.server.app.inject({
        method: "POST",
        url: "/webhooks/alertmanager",
        payload: JSON.stringify(alertmanagerPayload("ServerDown", [{ fingerprint: "basic" }])),
        headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`, "content-type": "application/json" },
      });
    expect((await send("alertmanager", "basic-secret-0123456789")).statusCode).toBe(200);
    expect((await send("alertmanager", "wrong")).statusCode).toBe(401);
    expect((await send("someone", "basic-secret-0123456789")).statusCode).toBe(401);
    expect((await setup.server.request("GET", "/api/pages/1")).json.events[0]).toMatchObject({ type: "page.triggered", actor: "intake:alertmanager" });
  });

  it("answers any payload with a 2xx or a 4xx, never a 5xx, and stores nothing from a refused one", async () => {
    const setup = await withWebhook([{ status: 200 }]);
    open.push(setup);
    const count = async () => (await setup.server.store.alerts.list({ limit: 100_000 })).length;
    const valid = alertmanagerPayload("Fuzz", [{ fingerprint: "f1" }, { fingerprint: "f2", status: "resolved" }]);
    const mutation = fc.oneof(
      fc.anything(),
      fc.record({ path: fc.constantFrom("version", "groupKey", "status", "alerts", "commonLabels", "truncatedAlerts"), value: fc.anything() }),
      fc.record({ path: fc.constantFrom("status", "labels", "fingerprint", "startsAt", "endsAt", "annotations"), value: fc.anything(), alert: fc.nat(1) }),
    );
    await fc.assert(
      fc.asyncProperty(mutation, async (m) => {
        let body: unknown = structuredClone(valid);
        if (typeof m === "object" && m !== null && "path" in m && "alert" in m) (body as any).alerts[(m as any).alert][(m as any).path] = (m as any).value;
        else if (typeof m === "object" && m !== null && "path" in m) (body as any)[(m as any).path] = (m as any).value;
        else body = m;
        const before = await count();
        const response = await setup.server.app.inject({
          method: "POST",
          url: "/webhooks/alertmanager",
          headers: { authorization: `Bearer ${intakeToken}`, "content-type": "application/json" },
          payload: JSON.stringify(body) ?? "null",
        });
        expect(response.statusCode).toBeLessThan(500);
        if (response.statusCode >= 400) {
          expect(response.json().message).toEqual(expect.any(String));
          expect(await count()).toBe(before);
        }
      }),
      { numRuns: 300 },
    );
  });
});
