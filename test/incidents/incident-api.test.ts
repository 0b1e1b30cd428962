import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpReceiver, type HttpReceiver } from "../notify/http-receiver.js";
import { alertmanagerPayload, eventually, intakeToken, startPagingServer, type PagingServer } from "../paging/paging-server.js";

describe("incidents through the API", () => {
  let server: PagingServer;
  let hook: HttpReceiver;

  beforeAll(async () => {
    hook = await httpReceiver({ status: 200 });
    server = await startPagingServer({
      channels: { webhooks: [{ name: "war-room", url: `${hook.url}/war-room`, secret: "war-room-secret-0123456789" }] },
      routes: [{ match: { alertname: "LoginDown" }, declare: "P2" }],
      defaultPolicy: "ops",
      policies: [{ id: "ops", levels: [{ after: "0s", notify: [{ schedule: "ops" }] }, { after: "30m", notify: [{ schedule: "ops", role: "backup" }] }] }],
      schedules: [{ id: "ops", timeZone: "Asia/Seoul", layers: [{ name: "weekly", people: ["alice", "bob"], start: "2026-01-05", handoff: { day: "monday", time: "10:00" } }] }],
    }, {}, {
      warRoomChannel: "webhook:war-room",
      customerNotice: "[{id}] {title}: {status}. {update} Next update: {next_update}.",
      severities: { P2: { respondWithin: "1s", updateEvery: "1s" } },
    });
    for (const [id, titles] of [["alice", []], ["bob", []], ["carol", ["lead"]], ["dana", ["cto"]]] as const) {
      expect((await server.request("POST", "/api/people", { id, name: id, titles })).status).toBe(201);
    }
  });
  afterAll(async () => {
    await server?.close();
    await hook?.close();
  });

  const room = async (ref: number) => (await server.request("GET", `/api/incidents/${ref}`)).json;

  it("declares a P1: pages the commander and the CTO at once, opens the war room checklist, posts to the war-room channel", async () => {
    const declared = await server.request("POST", "/api/incidents", { title: "Login fails for 30% of players", severity: "p1", commander: "bob", impact: "30% cannot log in" });
    expect(declared.status).toBe(201);
    const { incident, page } = declared.json;
    expect(incident).toMatchObject({ number: 1, severity: "P1", status: "declared", roles: { incident_commander: "bob" } });
    expect(page).toMatchObject({ status: "triggered", title: "[P1] Login fails for 30% of players" });
    const detail = await eventually(async () => {
      const shown = (await server.request("GET", `/api/pages/${page.number}`)).json;
      return shown.events.some((e: { type: string }) => e.type === "page.escalated") ? shown : undefined;
    }, "the P1 page to reach the CTO");
    const notified = detail.events.filter((e: { type: string }) => e.type === "page.notified" || e.type === "page.escalated").flatMap((e: { data: { notified: string[] } }) => e.data.notified);
    expect(notified).toEqual(expect.arrayContaining(["bob", "dana"]));
    const war = await room(1);
    expect(war.tasks.map((t: { phase: string }) => t.phase)).toContain("first_15_minutes");
    await eventually(() => hook.received.some((r) => JSON.parse(r.body).notice.title === "INC-1 declared: P1 Critical"), "the war-room post");
  });

  it("moves along the life cycle and refuses an illegal step naming the allowed ones", async () => {
    const moved = await server.request("POST", "/api/incidents/1/status", { status: "mitigating" });
    expect(moved.json.incident.status).toBe("mitigating");
    const illegal = await server.request("POST", "/api/incidents/1/status", { status: "documented" });
    expect(illegal.status).toBe(400);
    expect(illegal.json.message).toMatch(/^status: /);
    expect(illegal.json.message).toContain("root_cause");
    const roles = await server.request("POST", "/api/incidents/1/roles", { role: "scribe", person: "alice" });
    expect(roles.json.incident.roles).toMatchObject({ incident_commander: "bob", scribe: "alice" });
    const handoff = await server.request("POST", "/api/incidents/1/roles", { role: "ic", person: "carol" });
    expect(handoff.json.incident.roles.incident_commander).toBe("carol");
    const events = (await room(1)).events.filter((e: { type: string }) => e.type === "incident.role");
    expect(events.at(-1).data).toEqual({ role: "incident_commander", to: "carol", from: "bob" });
  });

  it("answers bad input clearly", async () => {
    const bad = async (body: unknown) => (await server.request("POST", "/api/incidents", body)).json.message;
    expect(await bad({ title: "x", severity: "P5" })).toBe("severity: unknown severity P5; use P1, P2, P3 or P4");
    expect(await bad({ title: "  ", severity: "P2" })).toBe("title: must not be empty");
    expect(await bad({ title: "x", severity: "P2", commander: "zed" })).toBe('commander: no person "zed"; add them with gameops people add zed --name …');
    expect((await server.request("POST", "/api/incidents/1/roles", { role: "scribe", person: "zed" })).json.message).toBe('person: no person "zed"; add them with gameops people add zed --name …');
    expect((await server.request("POST", "/api/incidents/1/roles", { role: "janitor", person: "alice" })).json.message).toMatch(/^role: unknown role "janitor"/);
    expect((await server.request("GET", "/api/incidents/999")).status).toBe(404);
  });

  it("a P2 left unacknowledged breaches its response SLA, which escalates its page; the IC is reminded of updates", async () => {
    const { json } = await server.request("POST", "/api/incidents", { title: "Shop purchases time out", severity: "P2", commander: "alice" });
    const number = json.incident.number as number;
    const breached = await eventually(async () => {
      const war = await room(number);
      return war.incident.slaBreachedAt ? war : undefined;
    }, "the SLA breach");
    expect(breached.events.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(["incident.sla_breached", "incident.update_due"]));
    const page = await eventually(async () => {
      const shown = (await server.request("GET", `/api/pages/${json.page.number}`)).json;
      return shown.events.some((e: { type: string }) => e.type === "page.escalated") ? shown : undefined;
    }, "the page's escalation at the deadline");
    // The breach is the page's next level (the lead), once: not a second mechanism on top of it.
    expect(page.events.filter((e: { type: string }) => e.type === "page.escalated")).toHaveLength(1);
    expect(page.page.assignees).toEqual(["carol"]);
    await eventually(async () => (await server.store.deliveries.inbox("alice", { limit: 20 })).some((d) => String(d.notice.title).startsWith(`Status update due for INC-${number}`)), "the update reminder");

    const update = await server.request("POST", `/api/incidents/${number}/updates`, { text: "Payments provider degraded; failing over.", customerNotice: true });
    expect(update.status).toBe(200);
    const posted = (await room(number)).events.filter((e: { type: string }) => e.type === "incident.update").at(-1);
    expect(posted.data.customerNotice).toMatch(new RegExp(`^\\[INC-${number}\\] Shop purchases time out: investigating\\. Payments provider degraded; failing over\\. Next update: `));
    const ack = await server.request("POST", `/api/incidents/${number}/acknowledge`);
    expect(ack.json.incident.acknowledgedBy).toBe("admin");
  });

  it("an alert whose route says declare: P2 opens an incident around the alert's page", async () => {
    const response = await server.request("POST", "/webhooks/alertmanager", alertmanagerPayload("LoginDown", [{ fingerprint: "login" }]), intakeToken);
    const pageNumber = response.json.page as number;
    const page = await eventually(async () => {
      const shown = (await server.request("GET", `/api/pages/${pageNumber}`)).json.page;
      return shown.incidentId ? shown : undefined;
    }, "the incident to be declared");
    const incident = (await server.request("GET", `/api/incidents/${page.incidentId}`)).json.incident;
    expect(incident).toMatchObject({ severity: "P2", source: "alert", declaredBy: "alertmanager" });
    // Acknowledging the alert's page acknowledges the incident.
    await server.request("POST", `/api/pages/${pageNumber}/acknowledge`);
    expect((await server.request("GET", `/api/incidents/${incident.number}`)).json.incident.acknowledgedBy).toBe("admin");
  });

  it("resolves, drafts the post-mortem from the timeline, and keeps the edited one", async () => {
    await server.request("POST", "/api/incidents/1/analysis", { rootCause: "The DB connection pool was exhausted at peak.", lessons: "Pool sizing was outdated\nNo pool metrics" });
    await server.request("POST", "/api/incidents/1/action-items", { text: "Add connection pool metrics", owner: "alice", dueOn: "2026-12-01" });
    expect((await server.request("POST", "/api/incidents/1/action-items", { text: "x", owner: "alice", dueOn: "soon" })).json.message).toBe("dueOn: must be a date like 2026-12-01");
    expect((await server.request("POST", "/api/incidents/1/status", { status: "root cause" })).json.incident.status).toBe("root_cause");
    expect((await server.request("POST", "/api/incidents/1/status", { status: "resolved" })).json.incident.status).toBe("resolved");
    const { markdown, draft } = (await server.request("GET", "/api/incidents/1/postmortem")).json;
    expect(draft).toBe(true);
    for (const section of ["# Incident Post-Mortem: INC-1", "## Summary", "## Timeline", "## Root Cause Analysis", "## Lessons Learned", "## Action Items", "## Supporting Data"]) {
      expect(markdown).toContain(section);
    }
    expect(markdown).toContain("Add connection pool metrics");
    const saved = await server.request("POST", "/api/incidents/1/postmortem", { markdown: `${markdown}\n\nReviewed.` });
    expect(saved.json.incident.status).toBe("postmortem");
    expect((await server.request("GET", "/api/incidents/1/postmortem")).json).toMatchObject({ draft: false });
    const fresh = (await server.request("GET", "/api/incidents/1/postmortem?draft=true")).json;
    expect(fresh.draft).toBe(true);
    expect(fresh.markdown).not.toContain("Reviewed.");
    expect((await room(1)).nextStates).toEqual(["documented"]);
    expect((await server.request("GET", "/api/incidents?status=postmortem")).json.incidents.map((i: { number: number }) => i.number)).toEqual([1]);
    expect((await server.request("GET", "/api/incidents?severity=P9")).status).toBe(400);
  });
});
