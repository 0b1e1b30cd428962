import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpReceiver, type HttpReceiver } from "../notify/http-receiver.js";
import { parseMail, smtpPeer, type SmtpPeer } from "../notify/smtp-peer.js";
import { alertmanagerPayload, eventually, intakeToken, startPagingServer, type PagingServer } from "./paging-server.js";

const hookSecret = "hook-secret-0123456789abcdef";

describe("paging through the API", () => {
  let server: PagingServer;
  let hook: HttpReceiver;
  let smtp: SmtpPeer;

  beforeAll(async () => {
    hook = await httpReceiver({ status: 200 });
    smtp = await smtpPeer();
    server = await startPagingServer({
      channels: {
        webhooks: [{ name: "ops-bot", url: `${hook.url}/hook`, secret: hookSecret }],
        email: { smtp: smtp.url, from: "gameops@example.com" },
      },
      routes: [{ match: { alertname: "ServerDown" }, policy: "game-ops", declare: "P2" }],
      defaultPolicy: "game-ops",
      policies: [
        {
          id: "game-ops",
          levels: [
            { after: "0s", notify: [{ schedule: "ops", role: "primary" }] },
            { after: "2s", notify: [{ schedule: "ops", role: "backup" }] },
          ],
        },
      ],
      schedules: [{ id: "ops", timeZone: "Asia/Seoul", layers: [{ name: "weekly", people: ["alice", "bob"], start: "2026-01-05", handoff: { day: "monday", time: "10:00" } }] }],
    });
    for (const id of ["alice", "bob"]) {
      const saved = await server.request("POST", "/api/people", { id, name: id === "alice" ? "Alice" : "Bob", email: `${id}@example.com` });
      expect(saved.status).toBe(201);
    }
  });
  afterAll(async () => {
    await server?.close();
    await hook?.close();
    await smtp?.close();
  });

  const intake = (body: unknown, token: string | null = intakeToken) => server.request("POST", "/webhooks/alertmanager", body, token);
  const mailsTo = (who: string) => smtp.mails.filter((m) => m.to.includes(`${who}@example.com`)).map((m) => parseMail(m.raw));
  const onCall = async () => (await server.request("GET", "/api/oncall/now")).json.schedules[0] as { primary: string; backup: string };

  it("pages the primary by email and signed webhook, then escalates to the backup when nobody acknowledges", async () => {
    const { primary, backup } = await onCall();
    const response = await intake(alertmanagerPayload("ServerDown", [{ fingerprint: "fp-1", labels: { instance: "game-1" } }]));
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ status: "success", alerts: 1, page: 1 });

    await eventually(() => mailsTo(primary).length > 0, "the primary's email");
    const mail = mailsTo(primary)[0]!;
    expect(mail.headers.subject).toContain("ServerDown");
    const posted = await eventually(() => hook.received.find((r) => JSON.parse(r.body).recipient.id === primary), "the webhook for the primary");
    const signature = createHmac("sha256", hookSecret).update(`${posted.headers["x-gameops-timestamp"]}.${posted.body}`).digest("hex");
    expect(posted.headers["x-gameops-signature"]).toBe(`sha256=${signature}`);
    expect(JSON.parse(posted.body).notice).toMatchObject({ kind: "page", pageNumber: 1, links: { runbook: "http://gameops.test/#/runbooks/server-down" } });

    await eventually(() => mailsTo(backup).length > 0, "the escalation to the backup");
    const detail = await eventually(async () => {
      const shown = (await server.request("GET", "/api/pages/1")).json;
      return shown.deliveries.length === 6 && shown.deliveries.every((d: { status: string }) => d.status !== "pending") ? shown : undefined;
    }, "every delivery of page 1 to be done");
    expect(detail.page).toMatchObject({ status: "triggered", route: { policyId: "game-ops", declare: "P2" }, assignees: [backup] });
    // The route's `declare: P2` made it an incident too (a note on the page says so).
    expect(detail.events.map((e: { type: string }) => e.type).filter((t: string) => t !== "page.note")).toEqual(["page.triggered", "page.notified", "page.escalated"]);
    expect(detail.page.incidentId).toEqual(expect.any(String));
    const sent = detail.deliveries.filter((d: { status: string }) => d.status === "sent");
    expect(sent.map((d: { channel: string }) => d.channel).sort()).toEqual(["email", "email", "inbox", "inbox", "webhook:ops-bot", "webhook:ops-bot"]);
    expect(detail.deliveries.find((d: { channel: string }) => d.channel === "email").attemptLog[0]).toMatchObject({ attempt: 1, ok: true });
  });

  it("stops escalating once acknowledged, and the acknowledgement shows on the page", async () => {
    const response = await intake(alertmanagerPayload("DiskSpaceLow", [{ fingerprint: "fp-disk" }]));
    const number = response.json.page as number;
    const ack = await server.request("POST", `/api/pages/${number}/acknowledge`);
    expect(ack.json).toMatchObject({ changed: true, page: { status: "acknowledged", acknowledgedBy: "admin" } });
    const detail = (await server.request("GET", `/api/pages/${number}`)).json;
    const timers = await server.store.timers.findByKey(`page:${detail.page.id}:escalation`);
    expect(timers).toBeUndefined();
    const again = await server.request("POST", `/api/pages/${number}/acknowledge`);
    expect(again.json.changed).toBe(false);
    expect((await server.request("POST", `/api/pages/${number}/escalate`)).status).toBe(409);
  });

  it("acknowledges from the signed link only on POST; GET shows a confirmation page", async () => {
    const { primary } = await onCall();
    const response = await intake(alertmanagerPayload("HighErrorRate", [{ fingerprint: "fp-err" }]));
    const number = response.json.page as number;
    const posted = await eventually(() => hook.received.map((r) => JSON.parse(r.body)).find((b) => b.notice.pageNumber === number && b.recipient.id === primary), "the notice");
    const link = new URL(posted.notice.links.acknowledge as string);
    const preview = await server.app.inject({ method: "GET", url: link.pathname });
    expect(preview.statusCode).toBe(200);
    expect(preview.body).toContain(`<form method="post"`);
    expect((await server.request("GET", `/api/pages/${number}`)).json.page.status).toBe("triggered");
    const done = await server.app.inject({ method: "POST", url: link.pathname, headers: { "content-type": "application/x-www-form-urlencoded" }, payload: "" });
    expect(done.statusCode).toBe(200);
    expect(done.body).toContain(`Page ${number} is acknowledged`);
    expect((await server.request("GET", `/api/pages/${number}`)).json.page).toMatchObject({ status: "acknowledged", acknowledgedBy: primary });

    const forged = link.pathname.slice(0, -3) + (link.pathname.endsWith("AAA") ? "BBB" : "AAA");
    const refused = await server.app.inject({ method: "POST", url: forged, headers: { "content-type": "application/x-www-form-urlencoded" }, payload: "" });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain("signature does not match");
  });

  it("resolves the page when Alertmanager sends the group resolved", async () => {
    const opened = await intake(alertmanagerPayload("LowMemory", [{ fingerprint: "fp-mem" }]));
    const resolved = await intake(alertmanagerPayload("LowMemory", [{ fingerprint: "fp-mem", status: "resolved" }], "resolved"));
    expect(resolved.status).toBe(200);
    const page = (await server.request("GET", `/api/pages/${opened.json.page}`)).json.page;
    expect(page).toMatchObject({ status: "resolved", resolvedBy: "alertmanager" });
  });

  it("takes PagerDuty Events v2: trigger, acknowledge and resolve by dedup_key", async () => {
    const events = (body: unknown) => server.request("POST", "/webhooks/events", body, intakeToken);
    const trigger = await events({ routing_key: "game", event_action: "trigger", payload: { summary: "Login queue stuck", source: "login-1", severity: "critical" } });
    expect(trigger.status).toBe(202);
    expect(trigger.json).toMatchObject({ status: "success", message: "Event processed" });
    const key = trigger.json.dedup_key as string;
    expect((await events({ event_action: "acknowledge", dedup_key: key })).status).toBe(202);
    const page = (await server.request("GET", "/api/pages?limit=1")).json.pages[0];
    expect(page).toMatchObject({ title: "Login queue stuck: Login queue stuck", status: "acknowledged", source: "events" });
    expect((await events({ event_action: "resolve", dedup_key: key })).status).toBe(202);
    expect((await server.request("GET", `/api/pages/${page.number}`)).json.page.status).toBe("resolved");
    const unknown = await events({ event_action: "resolve", dedup_key: "nope" });
    expect(unknown.status).toBe(404);
    const missing = await events({ event_action: "trigger" });
    expect(missing.json.message).toBe("payload: is required to trigger: {summary, source, severity}");
  });

  it("pages nobody for alerts a maintenance window covers", async () => {
    const window = await server.request("POST", "/api/windows", { title: "DB patching", matchers: ["alertname=~Replication.*"], duration: "1h" });
    expect(window.status).toBe(201);
    const before = (await server.request("GET", "/api/pages?limit=200")).json.pages.length;
    const response = await intake(alertmanagerPayload("ReplicationLag", [{ fingerprint: "fp-repl" }]));
    expect(response.status).toBe(200);
    expect(response.json.page).toBeUndefined();
    expect((await server.request("GET", "/api/pages?limit=200")).json.pages).toHaveLength(before);
    expect((await server.store.alerts.getGroup('{}:{alertname="ReplicationLag"}'))?.suppressedBy).toBe(window.json.id);
    const bad = await server.request("POST", "/api/windows", { title: "x", matchers: ["alertname=~(Server"], duration: "1h" });
    expect(bad.status).toBe(400);
    expect(bad.json.message).toContain("matchers.0:");
    const ended = await server.request("POST", `/api/windows/${window.json.id}/end`);
    expect(ended.json.endedBy).toBe("admin");
    expect((await server.request("POST", `/api/windows/${window.json.id}/end`)).status).toBe(409);
  });

  it("refuses bad input with a 4xx that says what is wrong, storing nothing", async () => {
    const count = async () => (await server.store.alerts.list({ limit: 10_000 })).length;
    const before = await count();
    const raw = (payload: string, headers: Record<string, string>) =>
      server.app.inject({ method: "POST", url: "/webhooks/alertmanager", payload, headers: { authorization: `Bearer ${intakeToken}`, ...headers } });

    const malformed = await raw("{not json", { "content-type": "application/json" });
    expect([malformed.statusCode, malformed.json().error]).toEqual([400, "invalid_json"]);
    const wrongType = await raw("alertname=ServerDown", { "content-type": "text/plain" });
    expect(wrongType.statusCode).toBe(415);
    const huge = await raw(JSON.stringify({ pad: "x".repeat(10 * 1024 * 1024) }), { "content-type": "application/json" });
    expect([huge.statusCode, huge.json().error]).toEqual([413, "payload_too_large"]);

    const noLabels = alertmanagerPayload("ServerDown", [{ fingerprint: "x" }]) as any;
    delete noLabels.alerts[0].labels;
    expect((await intake(noLabels)).json.message).toBe('alerts.0.labels: must be an object of labels, like {"alertname": "ServerDown"}');
    const emptyLabels = alertmanagerPayload("ServerDown", [{ fingerprint: "x" }]) as any;
    emptyLabels.alerts[0].labels = {};
    expect((await intake(emptyLabels)).json.message).toBe("alerts.0.labels: must hold at least one label (Alertmanager always sends alertname)");
    const badStatus = alertmanagerPayload("ServerDown", [{ fingerprint: "x" }]) as any;
    badStatus.alerts[0].status = "exploded";
    expect((await intake(badStatus)).json.message).toBe('alerts.0.status: must be "firing" or "resolved"');
    const wrongToken = await intake(alertmanagerPayload("ServerDown", [{ fingerprint: "x" }]), "not-the-token");
    expect(wrongToken.status).toBe(401);
    expect(wrongToken.json.message).toContain("the token is not accepted");
    const noToken = await intake(alertmanagerPayload("ServerDown", [{ fingerprint: "x" }]), null);
    expect(noToken.status).toBe(401);
    const basic = await server.app.inject({
      method: "POST",
      url: "/webhooks/alertmanager",
      payload: JSON.stringify(alertmanagerPayload("ServerDown", [{ fingerprint: "x" }])),
      headers: { authorization: `Basic ${Buffer.from("am:wrong").toString("base64")}`, "content-type": "application/json" },
    });
    expect(basic.statusCode).toBe(401);
    expect(await count()).toBe(before);
  });

  it("shows who is on call and when, with gaps, as JSON and as an iCalendar feed", async () => {
    const plan = (await server.request("GET", "/api/oncall?weeks=2&from=2026-06-01T00:00:00Z")).json;
    expect(plan.schedules[0].shifts.length).toBeGreaterThanOrEqual(2);
    expect(plan.schedules[0].gaps).toEqual([]);
    const feed = (await server.request("GET", "/api/oncall/feed?schedule=ops")).json.url as string;
    const calendar = await server.app.inject({ method: "GET", url: new URL(feed).pathname });
    expect(calendar.headers["content-type"]).toContain("text/calendar");
    expect(calendar.body).toContain("BEGIN:VCALENDAR\r\n");
    const tampered = await server.app.inject({ method: "GET", url: new URL(feed).pathname.replace(/.\.ics$/, "x.ics") });
    expect(tampered.statusCode).toBe(404);
    const override = await server.request("POST", "/api/oncall/overrides", { schedule: "ops", person: "bob", end: new Date(Date.now() + 3600_000).toISOString() });
    expect(override.status).toBe(201);
    expect((await onCall()).primary).toBe("bob");
    const unknown = await server.request("POST", "/api/oncall/overrides", { schedule: "ops", person: "carol", end: new Date(Date.now() + 3600_000).toISOString() });
    expect([unknown.status, unknown.json.message]).toEqual([404, 'no person "carol"; see gameops people']);
  });

  it("sends a test page through every channel", async () => {
    const response = await server.request("POST", "/api/people/alice/test-page");
    expect(response.status).toBe(202);
    expect(response.json.deliveries.map((d: { channel: string }) => d.channel).sort()).toEqual(["email", "inbox", "webhook:ops-bot"]);
    for (const delivery of response.json.deliveries) {
      await eventually(async () => (await server.request("GET", `/api/deliveries/${delivery.id}`)).json.status === "sent", `the ${delivery.channel} test page`);
    }
  });
});
