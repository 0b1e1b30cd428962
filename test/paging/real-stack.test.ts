import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { startUp, stop, type Up } from "../cli/up-process.js";
import { httpReceiver, type HttpReceiver } from "../notify/http-receiver.js";
import { parseMail, smtpPeer, type SmtpPeer } from "../notify/smtp-peer.js";
import { gameTarget, startAlertingStack, type AlertingStack, type GameTarget } from "./alerting-stack.js";
import { eventually } from "./paging-server.js";

const escalateAfterS = 25;

/**
 * The "done when": a ServerDown fired by a real Prometheus through a real Alertmanager
 * pages the on-call person by email and webhook, escalates to the backup when nobody
 * acknowledges, stops on acknowledgement, and a restart of gameops between the trigger and the
 * escalation neither loses nor doubles the escalation.
 */
describe("paging end to end: Prometheus → Alertmanager → gameops → email and webhook", () => {
  const dir = mkdtempSync(join(tmpdir(), "gameops-real-stack-"));
  const tokenFile = join(dir, "intake-token");
  const env = { GAMEOPS_DATA: join(dir, "data") };
  let hook: HttpReceiver;
  let smtp: SmtpPeer;
  let gameops: Up;
  let stack: AlertingStack;
  let targets: GameTarget[];
  let port: number;
  let downPage: number | undefined;

  const api = async (method: "GET" | "POST", path: string, body?: unknown) => {
    const response = await fetch(`${gameops.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${gameops.adminToken}`, ...(body ? { "content-type": "application/json" } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, json: (await response.json()) as any };
  };
  const pageFor = async (instance: string) => {
    const { json } = await api("GET", "/api/pages?limit=50");
    return (json.pages as { number: number; labels: Record<string, string>; status: string; openedAt: string }[]).find((p) => p.labels.instance === instance);
  };
  const mails = (who: string, page: number) => smtp.mails.filter((m) => m.to.includes(`${who}@example.com`) && parseMail(m.raw).headers.subject?.includes(`P#${page} `));
  const posts = (who: string, page: number) =>
    hook.received.map((r) => JSON.parse(r.body)).filter((b) => b.recipient.id === who && b.notice.kind === "page" && b.notice.pageNumber === page);

  beforeAll(async () => {
    hook = await httpReceiver({ status: 200 });
    smtp = await smtpPeer();
    writeFileSync(tokenFile, "alertmanager-intake-token-0123456789\n", { mode: 0o600 });
    writeFileSync(join(dir, "hook-secret"), "hook-secret-0123456789", { mode: 0o600 });
    writeFileSync(
      join(dir, "gameops.yaml"),
      stringify({
        paging: {
          intake: { tokenFile },
          watchdog: { within: "10m" },
          channels: {
            webhooks: [{ name: "ops-bot", url: `${hook.url}/gameops`, secretFile: join(dir, "hook-secret") }],
            email: { smtp: smtp.url, from: "gameops@example.com" },
          },
          routes: [{ match: { alertname: "ServerDown" }, declare: "P2" }],
          defaultPolicy: "game-ops",
          policies: [
            {
              id: "game-ops",
              levels: [
                { after: "0s", notify: [{ schedule: "ops", role: "primary" }] },
                { after: `${escalateAfterS}s`, notify: [{ schedule: "ops", role: "backup" }] },
              ],
            },
          ],
          schedules: [{ id: "ops", timeZone: "UTC", layers: [{ name: "weekly", people: ["alice", "bob"], start: "2026-01-05", handoff: { day: "monday", time: "09:00" } }] }],
        },
      }),
    );
    gameops = await startUp(dir, env);
    port = Number(new URL(gameops.url).port);
    for (const id of ["alice", "bob"]) expect((await api("POST", "/api/people", { id, name: id, email: `${id}@example.com` })).status).toBe(201);
    targets = [await gameTarget(), await gameTarget()];
    stack = await startAlertingStack({ gameopsUrl: gameops.url, tokenFile, targets: targets.map((t) => t.address) });
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    for (const target of targets ?? []) await target.stop().catch(() => undefined);
    if (gameops) await stop(gameops.child);
    await hook?.close();
    await smtp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("pages, escalates once across a restart, and stops on acknowledgement", async () => {
    const { json: now } = await api("GET", "/api/oncall/now");
    const { primary, backup } = now.schedules[0] as { primary: string; backup: string };
    // Both game servers stop answering: Prometheus sees up == 0, ServerDown (for: 10s) fires per instance.
    await Promise.all(targets.map((t) => t.stop()));
    const [down, acked] = await Promise.all(targets.map((t) => eventually(() => pageFor(t.address), `the page for ${t.address}`, 60_000)));

    // The on-call primary is paged by email and by the signed webhook, for both pages.
    for (const page of [down!, acked!]) {
      await eventually(() => mails(primary, page.number).length > 0, `the primary's email for page ${page.number}`);
      await eventually(() => posts(primary, page.number).length > 0, `the primary's webhook for page ${page.number}`);
    }
    expect(mails(primary, down!.number)[0]!.raw).toContain("ServerDown");
    downPage = down!.number;

    // One is acknowledged; gameops is killed and started again on the same data dir and port before either escalates.
    expect((await api("POST", `/api/pages/${acked!.number}/acknowledge`)).json.page.status).toBe("acknowledged");
    gameops.child.kill("SIGKILL");
    await new Promise((done) => gameops.child.once("exit", done));
    gameops = { ...(await startUp(dir, env, ["--port", String(port)])), adminToken: gameops.adminToken! };

    // The unacknowledged page escalates to the backup, once.
    await eventually(() => mails(backup, down!.number).length > 0, "the escalation email to the backup", 60_000);
    await eventually(() => posts(backup, down!.number).length > 0, "the escalation webhook to the backup");
    const detail = (await api("GET", `/api/pages/${down!.number}`)).json;
    expect(detail.events.filter((e: { type: string }) => e.type === "page.escalated")).toHaveLength(1);

    // The acknowledged one never does: wait until its escalation would have been due, and a little more.
    const due = Date.parse(acked!.openedAt) + escalateAfterS * 1000 + 3000;
    await new Promise((done) => setTimeout(done, Math.max(0, due - Date.now())));
    const ackedDetail = (await api("GET", `/api/pages/${acked!.number}`)).json;
    expect(ackedDetail.events.map((e: { type: string }) => e.type)).not.toContain("page.escalated");
    expect(mails(backup, acked!.number)).toEqual([]);
    expect(posts(backup, acked!.number)).toEqual([]);
    // And nothing arrived twice.
    expect(mails(backup, down!.number)).toHaveLength(1);
    expect(posts(backup, down!.number)).toHaveLength(1);
    expect(mails(primary, down!.number)).toHaveLength(1);
  }, 150_000);

  it("the route declared each ServerDown a P2 incident around its page: roles, updates, resolution, post-mortem", async () => {
    const page = (await api("GET", `/api/pages/${downPage}`)).json.page;
    const incident = await eventually(async () => (page.incidentId ? (await api("GET", `/api/incidents/${page.incidentId}`)).json.incident : undefined), "the incident");
    expect(incident).toMatchObject({ severity: "P2", source: "alert", declaredBy: "alertmanager" });
    const ref = incident.number;
    expect((await api("POST", `/api/incidents/${ref}/roles`, { role: "tech_lead", person: "bob" })).status).toBe(200);
    expect((await api("POST", `/api/incidents/${ref}/updates`, { text: "game servers restarted; watching" })).status).toBe(200);
    for (const status of ["mitigating", "root_cause", "resolved"]) {
      expect((await api("POST", `/api/incidents/${ref}/status`, { status })).json.incident.status).toBe(status);
    }
    await api("POST", `/api/incidents/${ref}/analysis`, { rootCause: "Both game servers stopped answering their metrics port." });
    const { markdown } = (await api("GET", `/api/incidents/${ref}/postmortem`)).json;
    expect(markdown).toContain(`# Incident Post-Mortem: INC-${ref}`);
    expect(markdown).toContain("ServerDown");
    expect(markdown).toContain("game servers restarted; watching");
    expect(markdown).toContain(`Page ${downPage} joined the incident`);
  }, 60_000);
});
