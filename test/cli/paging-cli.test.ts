import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { alertmanagerWebhook } from "../../src/api/webhook-schemas.js";
import { loadConfig } from "../../src/config/load.js";
import { loadLinkKey } from "../../src/engine/paging/action-links.js";
import { Paging } from "../../src/engine/paging/paging.js";
import { openStore } from "../../src/store/open-store.js";
import { httpReceiver, type HttpReceiver } from "../notify/http-receiver.js";
import { parseMail, smtpPeer, type SmtpPeer } from "../notify/smtp-peer.js";
import { alertmanagerPayload, eventually } from "../paging/paging-server.js";
import { runCli } from "./run-cli.js";
import { startUp, stopAll, type Up } from "./up-process.js";

const hookSecret = "hook-secret-for-the-cli-0123456789";
const intakeToken = "intake-token-for-the-cli-0123456789";

/** A data dir with paging configured: a full rotation (ops), an office-hours one with gaps (daytime), a webhook and email. */
function pagingDir(channels: { hookUrl: string; smtpUrl: string }): string {
  const dir = mkdtempSync(join(tmpdir(), "gameops-paging-cli-"));
  writeFileSync(join(dir, "hook.secret"), hookSecret);
  writeFileSync(join(dir, "intake.token"), intakeToken);
  const paging = {
    intake: { tokenFile: "intake.token" },
    channels: {
      webhooks: [{ name: "ops-bot", url: channels.hookUrl, secretFile: "hook.secret" }],
      email: { smtp: channels.smtpUrl, from: "gameops@example.com" },
    },
    defaultPolicy: "game-ops",
    policies: [
      {
        id: "game-ops",
        levels: [
          { after: "0s", notify: [{ schedule: "ops", role: "primary" }] },
          { after: "30m", notify: [{ schedule: "ops", role: "backup" }] },
        ],
      },
    ],
    schedules: [
      { id: "ops", name: "Game ops", timeZone: "Asia/Seoul", layers: [{ name: "weekly", people: ["alice", "bob"], start: "2026-01-05", handoff: { day: "monday", time: "10:00" } }] },
      {
        id: "daytime",
        name: "Office hours",
        timeZone: "Europe/Berlin",
        layers: [{ name: "office", people: ["carol"], start: "2026-01-05", handoff: { day: "monday", time: "09:00" }, restrict: { days: ["mon", "tue", "wed", "thu", "fri"], from: "09:00", to: "18:00" } }],
      },
    ],
  };
  writeFileSync(join(dir, "gameops.yaml"), stringify({ team: { name: "Live ops", timeZone: "Asia/Seoul" }, paging }));
  return dir;
}

/** Alerts arrive as the server's intake records them, straight into the data dir's store (no server runs yet). */
async function ingest(dir: string, payload: unknown) {
  const { config } = loadConfig({ cwd: dir, env: { GAMEOPS_DATA: join(dir, "data") } });
  const store = await openStore({ dataDir: config.dataDir });
  try {
    const paging = new Paging({ store, config, publicUrl: () => "http://gameops.test", linkKey: loadLinkKey(join(config.dataDir, "link-signing.key")) });
    return await paging.intake.fromAlertmanager(alertmanagerWebhook.parse(payload), "alertmanager");
  } finally {
    await store.close();
  }
}

async function auditOf(dir: string, subject: string) {
  const store = await openStore({ dataDir: join(dir, "data") });
  try {
    return await store.audit.list({ limit: 20, subject });
  } finally {
    await store.close();
  }
}

/** Seoul has no daylight saving: its wall clock is UTC + 9 h. */
const seoul = (iso: string) => new Date(Date.parse(iso) + 9 * 3600_000).toISOString().slice(0, 19).replace("T", " ");

describe("paging from the command line", () => {
  let hook: HttpReceiver;
  let smtp: SmtpPeer;
  let dir: string;
  const cli = (...args: string[]) => runCli(args, {}, dir);
  const as = (person: string, ...args: string[]) => runCli(args, { GAMEOPS_PERSON: person }, dir);
  const mailsTo = (who: string) => smtp.mails.filter((m) => m.to.includes(`${who}@example.com`)).map((m) => parseMail(m.raw));
  const posted = () => hook.received.map((r) => ({ ...r, json: JSON.parse(r.body) }));

  beforeAll(async () => {
    hook = await httpReceiver({ status: 200 });
    smtp = await smtpPeer();
    dir = pagingDir({ hookUrl: `${hook.url}/hook`, smtpUrl: smtp.url });
    for (const [id, name] of [["alice", "Alice"], ["bob", "Bob"], ["carol", "Carol"]]) {
      expect((await cli("people", "add", id!, "--name", name!, "--email", `${id}@example.com`)).code).toBe(0);
    }
  });
  afterAll(async () => {
    await stopAll();
    await hook?.close();
    await smtp?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe("on the local data dir", () => {
    it("lists alerts and pages as tables and as JSON", async () => {
      expect(await cli("page", "list")).toMatchObject({ code: 0, stdout: "no pages yet — an alert that fires opens one\n" });
      await ingest(dir, alertmanagerPayload("ServerDown", [{ fingerprint: "fp-game-1", labels: { instance: "game-1" } }]));
      await ingest(dir, alertmanagerPayload("DiskSpaceLow", [{ fingerprint: "fp-disk", labels: { mount: "/var" } }]));
      await ingest(dir, alertmanagerPayload("LowMemory", [{ fingerprint: "fp-mem", status: "resolved" }], "resolved"));

      const alerts = await cli("alert", "list");
      expect(alerts.code).toBe(0);
      expect(alerts.stdout).toMatch(/^STATUS\s+ALERT\s+SEVERITY\s+SINCE \(UTC\)\s+LAST SEEN \(UTC\)\s+LABELS\n/);
      expect(alerts.stdout).toMatch(/\nFIRING\s+ServerDown\s+critical\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\s+\S+ \S+\s+instance=game-1\n/);
      expect(alerts.stdout).toMatch(/\nRESOLVED\s+LowMemory\s+critical\s/);
      const firing = JSON.parse((await cli("alert", "list", "--status", "firing", "--json")).stdout) as { fingerprint: string; status: string }[];
      expect(firing.map((a) => a.fingerprint).sort()).toEqual(["fp-disk", "fp-game-1"]);

      const pages = await cli("page", "list");
      expect(pages.code).toBe(0);
      expect(pages.stdout).toMatch(/^PAGE\s+STATUS\s+OPENED \(UTC\)\s+SEVERITY\s+ASSIGNED\s+TITLE\n/);
      expect(pages.stdout).toMatch(/\n2\s+TRIGGERED\s+\S+ \S+\s+critical\s+-\s+DiskSpaceLow/);
      expect(pages.stdout).toMatch(/\n1\s+TRIGGERED\s+\S+ \S+\s+critical\s+-\s+ServerDown/);
      const json = JSON.parse((await cli("page", "list", "--status", "triggered,acknowledged", "--limit", "1", "--json")).stdout);
      expect(json).toEqual([expect.objectContaining({ number: 2, status: "triggered", labels: expect.objectContaining({ alertname: "DiskSpaceLow" }) })]);
      expect(await cli("page", "list", "--status", "resolved")).toMatchObject({ code: 0, stdout: "no resolved pages\n" });
    });

    it("acknowledges and resolves as GAMEOPS_PERSON, says when nothing changed, and shows the timeline in UTC and the team's zone", async () => {
      expect(await as("alice", "page", "ack", "1")).toMatchObject({ code: 0, stdout: "page 1 acknowledged: the escalation stops\n" });
      const again = await as("bob", "page", "ack", "#1");
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(/^page 1 was acknowledged already by alice at \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ; nothing changed\n$/);
      expect(await as("alice", "page", "resolve", "1")).toMatchObject({ code: 0, stdout: "page 1 resolved\n" });
      expect(await as("alice", "page", "ack", "1")).toMatchObject({ code: 1, stderr: "gameops: page 1 is resolved already; nothing to acknowledge\n" });
      expect((await auditOf(dir, "page:1")).map((a) => [a.actor, a.action])).toEqual([
        ["alice", "page.resolve"],
        ["alice", "page.acknowledge"],
      ]);

      const detail = JSON.parse((await cli("page", "show", "1", "--json")).stdout);
      expect(detail.page).toMatchObject({ number: 1, status: "resolved", acknowledgedBy: "alice", resolvedBy: "alice" });
      expect(detail.events.map((e: { type: string }) => e.type)).toEqual(["page.triggered", "page.acknowledged", "page.resolved"]);
      const shown = await cli("page", "show", detail.page.id);
      expect(shown.code).toBe(0);
      expect(shown.stdout).toContain("page 1 · ServerDown");
      expect(shown.stdout).toContain(`acknowledged  ${detail.page.acknowledgedAt.slice(0, 10)} `);
      expect(shown.stdout).toContain("console       http://127.0.0.1:7070/#/pages/1\n");
      expect(shown.stdout).toMatch(/\ntimeline\nUTC\s+Asia\/Seoul\s+EVENT\s+BY\s+DETAIL\n/);
      const ack = detail.events[1];
      expect(shown.stdout).toMatch(new RegExp(`\\n${ack.at.slice(0, 10)} ${ack.at.slice(11, 19)}Z\\s+\\w{3} ${seoul(ack.at)}\\s+acknowledged\\s+alice\\s+through cli\\n`));
      expect(shown.stdout).toMatch(/\s+triggered\s+alertmanager\s+from alertmanager, policy game-ops\n/);
      expect(shown.stdout).toContain("\ndeliveries\nnone yet\n");
    });

    it("escalates and reassigns, saying that a server sends the notifications", async () => {
      expect(await as("alice", "page", "escalate", "2")).toMatchObject({
        code: 0,
        stdout: "page 2 escalates now: the next level is notified once `gameops up` runs on this data dir (none runs now)\n",
      });
      expect(await as("alice", "page", "reassign", "2", "--to", "carol")).toMatchObject({
        code: 0,
        stdout: "page 2 reassigned to carol: they are notified once `gameops up` runs on this data dir (none runs now)\n",
      });
      expect((await auditOf(dir, "page:2")).map((a) => a.action)).toEqual(["page.reassign", "page.escalate"]);
    });

    it("sends a test page through every channel for real, with no server running", async () => {
      const result = await as("bob", "page", "test", "alice");
      expect(result).toMatchObject({ code: 0, stderr: "" });
      expect(result.stdout).toMatch(/^CHANNEL\s+STATUS\s+DETAIL\n/);
      expect(result.stdout).toMatch(/\ninbox\s+SENT\s+in Alice's console inbox\n/);
      expect(result.stdout).toMatch(/\nwebhook:ops-bot\s+SENT\s+to Alice at \S+ \S+ \(1 attempt\)\n/);
      expect(result.stdout).toMatch(/\nemail\s+SENT\s+to alice@example\.com at \S+ \S+ \(1 attempt\)\n/);

      const mail = mailsTo("alice").at(-1)!;
      expect(mail.headers.subject).toContain("Test page for Alice");
      expect(mail.text).toContain("bob sent this test page");
      const hookCall = posted().find((r) => r.json.notice.kind === "test")!;
      expect(hookCall.json.recipient).toMatchObject({ id: "alice", email: "alice@example.com" });
      const signature = createHmac("sha256", hookSecret).update(`${hookCall.headers["x-gameops-timestamp"]}.${hookCall.body}`).digest("hex");
      expect(hookCall.headers["x-gameops-signature"]).toBe(`sha256=${signature}`);
      expect((await auditOf(dir, "person:alice")).map((a) => [a.actor, a.action])).toContainEqual(["bob", "page.test"]);
    });

    it("shows who is on call, the shifts and the gaps (exit 1), and takes an override", async () => {
      const now = JSON.parse((await cli("oncall", "now", "--json")).stdout);
      const ops = now.schedules.find((s: { schedule: { id: string } }) => s.schedule.id === "ops");
      expect(ops).toMatchObject({ schedule: { name: "Game ops", timeZone: "Asia/Seoul" }, layer: "weekly" });
      expect([ops.primary, ops.backup].sort()).toEqual(["alice", "bob"]);
      const table = await cli("oncall");
      expect(table.stdout).toMatch(/^SCHEDULE\s+PRIMARY\s+BACKUP\s+LAYER\s+OVERRIDDEN\s+LOCAL TIME\n/);
      expect(table.stdout).toMatch(new RegExp(`\\nops\\s+${ops.primary}\\s+${ops.backup}\\s+weekly\\s+-\\s+\\w{3} \\S+ \\d\\d:\\d\\d Asia/Seoul\\n`));
      expect(table.stdout).toMatch(/\ndaytime\s+(carol|nobody)\s+nobody\s+/);

      const full = await cli("oncall", "show", "--schedule", "ops", "--weeks", "2");
      expect(full.code).toBe(0);
      expect(full.stdout).toMatch(/^ops — Game ops \(Asia\/Seoul\), \w{3} \S+ \d\d:\d\d to \w{3} \S+ \d\d:\d\d\nSTART \(Asia\/Seoul\)\s+END\s+PRIMARY\s+BACKUP\s+LAYER\s+OVERRIDDEN\n/);
      // Handoffs are on Mondays at 10:00 in Seoul.
      expect(full.stdout).toMatch(/\nMon \d{4}-\d\d-\d\d 10:00\s+Mon \d{4}-\d\d-\d\d 10:00\s+(alice|bob)\s+(alice|bob)\s+weekly\s+-\n/);
      expect(full.stdout).toMatch(/\nno coverage gaps\n$/);

      const all = await cli("oncall", "show", "--weeks", "1");
      expect(all.code).toBe(1);
      expect(all.stdout).toContain("\ndaytime — Office hours (Europe/Berlin), ");
      expect(all.stdout).toMatch(/\n\d+ coverage gaps:\n/);
      expect(all.stdout).toMatch(/\n {2}\w{3} \S+ 18:00 → \w{3} \S+ 09:00 {2}no primary: an alert pages nobody\n/);
      expect(all.stdout).toMatch(/no backup: nobody to escalate to\n/);
      const json = await cli("oncall", "show", "--schedule", "daytime", "--json");
      expect(json.code).toBe(1);
      expect(JSON.parse(json.stdout).schedules[0].gaps).toContainEqual(expect.objectContaining({ missing: "primary" }));

      const override = await as("alice", "oncall", "override", "--schedule", "ops", "--person", "carol", "--for", "2h", "--reason", "swap with alice");
      expect(override.code).toBe(0);
      expect(override.stdout).toMatch(/^override \S+: carol is primary of ops from \S+ \S+Z until \S+ \S+Z\n$/);
      const after = JSON.parse((await cli("oncall", "now", "--json")).stdout).schedules.find((s: { schedule: { id: string } }) => s.schedule.id === "ops");
      expect(after).toMatchObject({ primary: "carol", overriddenBy: { primary: expect.any(String) } });
      expect((await cli("oncall", "show", "--schedule", "ops", "--weeks", "1")).stdout).toMatch(/\s+carol\s+(alice|bob)\s+weekly\s+primary\n/);
      const backup = await cli("oncall", "override", "--schedule", "ops", "--person", "bob", "--role", "backup", "--from", "2099-01-05T10:00:00+09:00", "--until", "2099-01-06T10:00:00+09:00");
      expect(backup).toMatchObject({ code: 0, stdout: expect.stringMatching(/: bob is backup of ops from 2099-01-05 01:00Z until 2099-01-06 01:00Z\n$/) });
    });

    it("prints the calendar feed URL", async () => {
      expect((await cli("oncall", "feed", "--schedule", "ops")).stdout).toMatch(/^http:\/\/127\.0\.0\.1:7070\/feeds\/oncall\/[\w-]+\.[\w-]+\.ics\n$/);
      expect((await cli("oncall", "feed", "--person", "bob")).code).toBe(0);
    });

    it("starts, lists and ends maintenance windows", async () => {
      const started = await as("alice", "window", "start", "--title", "Patch night", "--match", "alertname=ServerDown", "--match", "instance=~game-.*", "--for", "2h");
      expect(started.code).toBe(0);
      expect(started.stdout).toMatch(/^window (\S+) started: alertname="ServerDown" instance=~"game-\.\*" pages nobody until \S+ \S+Z\n$/);
      const id = /^window (\S+) /.exec(started.stdout)![1]!;
      const later = await cli("window", "start", "--title", "Next year", "--match", "alertname=DiskSpaceLow", "--from", "2099-01-01T00:00:00Z", "--until", "2099-01-01T02:00:00Z");
      expect(later.stdout).toMatch(/ pages nobody from 2099-01-01 00:00Z until 2099-01-01 02:00Z\n$/);

      const listed = await cli("window", "list");
      expect(listed.stdout).toMatch(/^WINDOW\s+STATE\s+FROM \(UTC\)\s+UNTIL \(UTC\)\s+BY\s+MATCHERS\s+TITLE\n/);
      expect(listed.stdout).toMatch(new RegExp(`\\n${id}\\s+active\\s+\\S+ \\S+\\s+\\S+ \\S+\\s+alice\\s+alertname="ServerDown" instance=~"game-\\.\\*"\\s+Patch night\\n`));
      expect(listed.stdout).toMatch(/\s+ahead\s+2099-01-01 00:00Z\s+2099-01-01 02:00Z\s+/);

      expect(await as("alice", "window", "end", id)).toMatchObject({ code: 0, stdout: `window ${id} ended: its alerts page again\n` });
      const twice = await cli("window", "end", id);
      expect(twice.code).toBe(1);
      expect(twice.stderr).toMatch(new RegExp(`^gameops: window ${id} ended already at \\S+ \\S+Z\\n$`));
      expect((await cli("window", "list")).stdout).not.toContain(id);
      const ended = JSON.parse((await cli("window", "list", "--all", "--json")).stdout);
      expect(ended).toContainEqual(expect.objectContaining({ id, title: "Patch night", endedBy: "alice" }));
    });

    it("refuses bad input: exit 2 for a wrong call, exit 1 for what does not exist", async () => {
      expect(await cli("page", "show", "999")).toMatchObject({ code: 1, stdout: "", stderr: "gameops: no page 999; gameops page list shows the pages\n" });
      expect(await cli("page", "ack", "999")).toMatchObject({ code: 1, stderr: "gameops: no page 999; gameops page list shows the pages\n" });
      expect(await cli("page", "test", "ghost")).toMatchObject({ code: 1, stderr: 'gameops: no person "ghost"; see gameops people\n' });
      expect(await cli("oncall", "override", "--schedule", "ops", "--person", "ghost", "--for", "1h")).toMatchObject({
        code: 1,
        stderr: 'gameops: no person "ghost"; see gameops people\n',
      });
      expect(await cli("oncall", "show", "--schedule", "nightly")).toMatchObject({ code: 1, stderr: 'gameops: no schedule "nightly"; schedules: ops, daytime\n' });
      expect(await as("ghost", "page", "ack", "2")).toMatchObject({
        code: 2,
        stderr: 'gameops: GAMEOPS_PERSON "ghost" is not a known person; `gameops people` lists them, `gameops people add ghost --name …` adds one\n',
      });

      const role = await cli("oncall", "override", "--schedule", "ops", "--person", "bob", "--role", "foo", "--for", "1h");
      expect(role.code).toBe(2);
      expect(role.stderr).toContain("error: option '--role <role>' argument 'foo' is invalid. Allowed choices are primary, backup.");
      expect(await cli("oncall", "override", "--schedule", "ops", "--person", "bob", "--for", "abc")).toMatchObject({
        code: 2,
        stderr: 'gameops: --for "abc" is not a duration like 30m, 2h or 1h30m\n',
      });
      expect(await cli("oncall", "override", "--schedule", "ops", "--person", "bob")).toMatchObject({
        code: 2,
        stderr: "gameops: give --until TIME or --for DURATION (like --for 2h), one of them\n",
      });
      expect(await cli("oncall", "override", "--schedule", "ops", "--person", "bob", "--until", "tomorrow")).toMatchObject({
        code: 2,
        stderr: 'gameops: --until "tomorrow" is not an ISO 8601 time with its offset, like 2026-01-05T10:00:00Z or 2026-01-05T19:00+09:00\n',
      });
      expect(await cli("oncall", "show", "--weeks", "60")).toMatchObject({ code: 2, stderr: 'gameops: --weeks must be a whole number from 1 to 26, not "60"\n' });
      expect(await cli("page", "list", "--status", "open")).toMatchObject({
        code: 2,
        stderr: 'gameops: --status takes a comma-separated list of triggered, acknowledged, resolved; "open" is not one\n',
      });
      expect((await cli("alert", "list", "--status", "open")).code).toBe(2);
      expect(await cli("window", "start", "--title", "All", "--for", "1h")).toMatchObject({
        code: 2,
        stderr: "gameops: --match is needed at least once, like --match alertname=ServerDown; a window without one would silence every alert\n",
      });
      expect(await cli("window", "start", "--title", "Typo", "--match", "alert name=x", "--for", "1h")).toMatchObject({
        code: 2,
        stderr: 'gameops: --match matcher "alert name=x": write it as name=value, name!=value, name=~regex or name!~regex\n',
      });
      expect(await cli("window", "end", "no-such-window")).toMatchObject({ code: 1, stderr: "gameops: no maintenance window no-such-window; gameops window list --all shows them\n" });
    });
  });

  describe("through a server (GAMEOPS_URL and GAMEOPS_TOKEN)", () => {
    let up: Up;
    let remote: Record<string, string>;
    const viaServer = (...args: string[]) => runCli(args, remote, dir);

    beforeAll(async () => {
      up = await startUp(dir, { GAMEOPS_DATA: join(dir, "data") });
      remote = { GAMEOPS_URL: up.url, GAMEOPS_TOKEN: up.adminToken! };
    });

    it("lists pages, shows who was notified by webhook and email, and acknowledges once", async () => {
      const response = await fetch(`${up.url}/webhooks/alertmanager`, {
        method: "POST",
        headers: { authorization: `Bearer ${intakeToken}`, "content-type": "application/json" },
        body: JSON.stringify(alertmanagerPayload("HighErrorRate", [{ fingerprint: "fp-errors", labels: { service: "login" } }])),
      });
      const { page: number } = (await response.json()) as { page: number };
      expect(number).toBe(3);

      const list = await viaServer("page", "list", "--status", "triggered");
      expect(list.code).toBe(0);
      expect(list.stdout).toMatch(/\n3\s+TRIGGERED\s+\S+ \S+\s+critical\s+(carol|-)\s+HighErrorRate/);

      // The server's escalation notifies the primary; its delivery sender posts and mails.
      const detail = await eventually(async () => {
        const shown = JSON.parse((await viaServer("page", "show", "3", "--json")).stdout);
        return shown.deliveries.filter((d: { status: string }) => d.status === "sent").length >= 3 && shown;
      }, "the primary's notifications", 40_000);
      // The override taken on the command line above made carol primary of ops for now.
      const primary = detail.page.assignees[0] as string;
      expect(primary).toBe("carol");
      expect(mailsTo(primary).some((m) => m.headers.subject?.includes("HighErrorRate"))).toBe(true);
      expect(posted().some((r) => r.json.notice.pageNumber === 3 && r.json.recipient.id === primary)).toBe(true);

      const shown = await viaServer("page", "show", "3");
      expect(shown.stdout).toMatch(new RegExp(`\\s+notified\\s+-\\s+level 1: notified ${primary}; next level at `));
      expect(shown.stdout).toMatch(/\nTO\s+CHANNEL\s+STATUS\s+TRY\s+AT \(UTC\)\s+RESULT\n/);
      expect(shown.stdout).toMatch(new RegExp(`\\n${primary}\\s+email\\s+SENT\\s+#1\\s+\\S+ \\S+Z\\s+ok: `));
      expect(shown.stdout).toMatch(new RegExp(`\\n${primary}\\s+webhook:ops-bot\\s+SENT\\s+#1\\s+\\S+ \\S+Z\\s+ok: `));

      expect(await viaServer("page", "ack", "3")).toMatchObject({ code: 0, stdout: "page 3 acknowledged: the escalation stops\n" });
      expect((await viaServer("page", "ack", "3")).stdout).toMatch(/^page 3 was acknowledged already by admin at \S+ \S+Z; nothing changed\n$/);
      expect(await viaServer("page", "show", "999")).toMatchObject({ code: 1, stderr: "gameops: GET /api/pages/999: 404 no page 999; gameops page list shows the pages\n" });
    });

    it("sends a test page through the server, and a local test page leaves the sending to it", async () => {
      const remoteTest = await viaServer("page", "test", "bob");
      expect(remoteTest.code).toBe(0);
      expect(remoteTest.stdout).toMatch(/\nemail\s+SENT\s+to bob@example\.com /);
      expect(mailsTo("bob").some((m) => m.headers.subject?.includes("Test page for Bob"))).toBe(true);

      const localTest = await cli("page", "test", "carol");
      expect(localTest.code).toBe(0);
      expect(localTest.stdout).toMatch(/\nwebhook:ops-bot\s+SENT\s+to Carol /);
      expect(posted().filter((r) => r.json.notice.kind === "test" && r.json.recipient.id === "carol")).toHaveLength(1);
    });

    it("answers on-call, feed and window commands the same way", async () => {
      const shown = await viaServer("oncall", "show", "--weeks", "1");
      expect(shown.code).toBe(1);
      expect(shown.stdout).toContain("no primary: an alert pages nobody");
      expect(JSON.parse((await viaServer("oncall", "now", "--json")).stdout).schedules.map((s: { schedule: { id: string } }) => s.schedule.id)).toEqual(["ops", "daytime"]);

      // A feed URL printed locally works on the server running on this data dir: the same link key.
      const url = (await cli("oncall", "feed", "--schedule", "ops")).stdout.trim();
      expect(url.startsWith(`${up.url}/feeds/oncall/`)).toBe(true);
      expect(await (await fetch(url)).text()).toContain("BEGIN:VCALENDAR");
      expect((await viaServer("oncall", "feed", "--person", "alice")).stdout).toMatch(/\/feeds\/oncall\/\S+\.ics\n$/);

      const started = await viaServer("window", "start", "--title", "Deploy", "--match", "service=login", "--for", "30m");
      expect(started.code).toBe(0);
      const id = /^window (\S+) /.exec(started.stdout)![1]!;
      expect((await viaServer("window", "list")).stdout).toMatch(new RegExp(`\\n${id}\\s+active\\s+.*\\s+admin\\s+service="login"\\s+Deploy\\n`));
      expect(await viaServer("window", "end", id)).toMatchObject({ code: 0, stdout: `window ${id} ended: its alerts page again\n` });
      expect((await viaServer("oncall", "override", "--schedule", "ops", "--person", "ghost", "--for", "1h")).code).toBe(1);
    });
  });
});

describe("a test page with no server, when a channel fails", () => {
  async function testPage(answers: Parameters<typeof httpReceiver>, smtpOptions: Parameters<typeof smtpPeer>[0]) {
    const hook = await httpReceiver(...answers);
    const smtp = await smtpPeer(smtpOptions);
    const dir = pagingDir({ hookUrl: `${hook.url}/hook`, smtpUrl: smtp.url });
    try {
      expect((await runCli(["people", "add", "alice", "--name", "Alice", "--email", "alice@example.com"], {}, dir)).code).toBe(0);
      return { result: await runCli(["page", "test", "alice"], {}, dir), hook: hook.received.length };
    } finally {
      await hook.close();
      await smtp.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it("shows the refusals and exits 1", async () => {
    const { result } = await testPage([{ status: 400, body: "no such hook" }], { rejectRecipient: { code: 550, message: "no such mailbox" } });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/\nwebhook:ops-bot\s+FAILED\s+.*400.*\(1 attempt\)\n/);
    expect(result.stdout).toMatch(/\nemail\s+FAILED\s+[^]*550[^]*\(1 attempt\)\n/);
    expect(result.stderr).toBe("gameops: 2 of 3 test notifications did not go out\n");
  });

  it("tries a retryable failure again, as the server would", async () => {
    const { result, hook } = await testPage([{ status: 503, body: "busy" }, { status: 200 }], {});
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toMatch(/\nwebhook:ops-bot\s+SENT\s+to Alice at \S+ \S+ \(2 attempts\)\n/);
    expect(hook).toBe(2);
  });
});
