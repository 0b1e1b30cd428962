import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
import { alertmanagerPayload, eventually } from "../paging/paging-server.js";
import { runCli } from "./run-cli.js";
import { startUp, stopAll, type Up } from "./up-process.js";

const customerNotice = "[{id}] {title}: {status}. {update} Next update: {next_update}.";

/**
 * A data dir with paging and incidents configured: one on-call (alice is always the primary of
 * ops), a payments schedule to call in, titles for the escalations (cto, vp, lead), a war-room
 * webhook and a customer-notice template.
 */
function incidentDir(hookUrl: string): string {
  const dir = mkdtempSync(join(tmpdir(), "gameops-incident-cli-"));
  writeFileSync(join(dir, "hook.secret"), "war-room-secret-0123456789");
  const weekly = (people: string[]) => [{ name: "weekly", people, start: "2026-01-05", handoff: { day: "monday", time: "10:00" } }];
  const paging = {
    channels: { webhooks: [{ name: "war-room", url: hookUrl, secretFile: "hook.secret" }] },
    defaultPolicy: "game-ops",
    policies: [{ id: "game-ops", levels: [{ after: "0s", notify: [{ schedule: "ops", role: "primary" }] }, { after: "30m", notify: [{ schedule: "ops", role: "backup" }] }] }],
    schedules: [
      { id: "ops", name: "Game ops", timeZone: "Asia/Seoul", layers: weekly(["alice"]) },
      { id: "payments", name: "Payments", timeZone: "Asia/Seoul", layers: weekly(["carol"]) },
    ],
  };
  const incidents = { warRoomChannel: "webhook:war-room", customerNotice };
  writeFileSync(join(dir, "gameops.yaml"), stringify({ team: { name: "Live ops", timeZone: "Asia/Seoul" }, paging, incidents }));
  return dir;
}

/** An alert's page, as the server's intake opens it, straight into the data dir's store. */
async function alertPage(dir: string, alertname: string): Promise<number> {
  const { config } = loadConfig({ cwd: dir, env: { GAMEOPS_DATA: join(dir, "data") } });
  const store = await openStore({ dataDir: config.dataDir });
  try {
    const paging = new Paging({ store, config, publicUrl: () => "http://gameops.test", linkKey: loadLinkKey(join(config.dataDir, "link-signing.key")) });
    const result = await paging.intake.fromAlertmanager(alertmanagerWebhook.parse(alertmanagerPayload(alertname, [{ fingerprint: `fp-${alertname}` }])), "alertmanager");
    return result.opened!.number;
  } finally {
    await store.close();
  }
}

/** Seoul has no daylight saving: its wall clock is UTC + 9 h. */
const seoul = (iso: string) => new Date(Date.parse(iso) + 9 * 3600_000).toISOString().slice(0, 16).replace("T", " ");
const utcText = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 19)}Z`;
const both = (iso: string) => `${utcText(iso)} \\(\\w{3} ${seoul(iso)} Asia/Seoul\\)`;

describe("incidents from the command line", () => {
  let hook: HttpReceiver;
  let dir: string;
  const cli = (...args: string[]) => runCli(args, {}, dir);
  const as = (person: string, ...args: string[]) => runCli(args, { GAMEOPS_PERSON: person }, dir);
  const room = async (ref: string) => JSON.parse((await cli("incident", "show", ref, "--json")).stdout);

  beforeAll(async () => {
    hook = await httpReceiver({ status: 200 });
    dir = incidentDir(`${hook.url}/war-room`);
    const people: [string, string, string[]][] = [["alice", "Alice", []], ["bob", "Bob", []], ["carol", "Carol", []], ["dana", "Dana", ["cto"]], ["vic", "Vic", ["vp"]], ["erin", "Erin", ["lead"]]];
    for (const [id, name, titles] of people) {
      expect((await cli("people", "add", id, "--name", name, ...(titles.length ? ["--title", ...titles] : []))).code).toBe(0);
    }
  });
  afterAll(async () => {
    await stopAll();
    await hook?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe("on the local data dir", () => {
    it("declares a P1: the commander and the on-call paged, the CTO and VP at once, the deadline in UTC and the team's zone, the war room's first items", async () => {
      expect(await cli("incident", "list")).toMatchObject({ code: 0, stdout: "no incidents yet — gameops incident declare --title … --severity P2 declares one\n" });
      const declared = await as("bob", "incident", "declare", "--title", "Login fails for 30% of players", "--severity", "P1", "--impact", "30% cannot log in", "--commander", "bob");
      expect(declared).toMatchObject({ code: 0, stderr: "" });
      const room1 = await room("1");
      const { respondBy, nextUpdateAt } = room1.incident;
      const lines = declared.stdout.split("\n");
      expect(lines.slice(0, 6)).toEqual([
        "INC-1 declared: P1 Critical — Login fails for 30% of players",
        "commander   bob",
        "page 1      bob (commander), alice (ops primary): paged once `gameops up` runs on this data dir (none runs now)",
        "escalates   at once to dana (cto), vic (vp)",
        expect.stringMatching(new RegExp(`^respond by  ${both(respondBy)} — immediately$`)),
        expect.stringMatching(new RegExp(`^updates     every 15m; the first is due ${both(nextUpdateAt)}$`)),
      ]);
      expect(declared.stdout).toContain(
        "\nwar room    first 15 minutes:\n" +
          "  [ ] assess-impact        Assess the impact — Technical Lead\n" +
          "  [ ] temporary-fix        Apply a temporary fix — Technical Lead\n" +
          "  [ ] notify-stakeholders  Notify stakeholders — Incident Commander\n" +
          "  [ ] start-timeline       Start the timeline — Scribe\n" +
          "console     http://127.0.0.1:7070/#/incidents/1\n",
      );
      expect(room1.incident).toMatchObject({ severity: "P1", status: "declared", declaredBy: "bob", source: "cli", impact: "30% cannot log in", roles: { incident_commander: "bob" } });
      expect(room1.pages).toEqual([expect.objectContaining({ number: 1, status: "triggered", title: "[P1] Login fails for 30% of players" })]);
    });

    it("declares with --json, the on-call primary owning a P3, and an alert's page joining a P2", async () => {
      const json = await as("bob", "incident", "declare", "--title", "Shop purchases slow", "--severity", "p3", "--json");
      expect(json.code).toBe(0);
      const { incident, page } = JSON.parse(json.stdout);
      expect(incident).toMatchObject({ number: 2, severity: "P3", status: "declared", roles: { owner: "alice" } });
      expect(page).toMatchObject({ number: 2, status: "triggered", incidentId: incident.id });

      const alert = await alertPage(dir, "MatchmakingErrors");
      const p2 = await as("bob", "incident", "declare", "--title", "Matchmaking fails", "--severity", "P2", "--page", String(alert));
      expect(p2.code).toBe(0);
      expect(p2.stdout).toContain("\ncommander   alice\npage 4      alice (commander): paged once `gameops up` runs");
      expect(p2.stdout).toMatch(/\nescalates {3}if unacknowledged at \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ to erin \(lead\)\n/);
      expect(p2.stdout).toContain(`\njoined      page ${alert} (MatchmakingErrors: MatchmakingErrors fired)\n`);
      expect(p2.stdout).toMatch(/\nrespond by {2}\S+ \S+Z \(\w{3} \S+ \S+ Asia\/Seoul\) — within 15m\n/);
      expect((await room("3")).pages.map((p: { number: number }) => p.number).sort()).toEqual([alert, 4].sort());
    });

    it("lists incidents with severity, state, age, SLA and commander, filtered by status and severity", async () => {
      const listed = await cli("incident", "list");
      expect(listed.code).toBe(0);
      expect(listed.stdout).toMatch(/^INCIDENT\s+SEV\s+STATUS\s+AGE\s+SLA\s+IC\/OWNER\s+TITLE\n/);
      expect(listed.stdout).toMatch(/\nINC-3\s+P2\s+Declared\s+\S+\s+\d+m left\s+alice\s+Matchmaking fails\n/);
      expect(listed.stdout).toMatch(/\nINC-2\s+P3\s+Declared\s+\S+\s+(\d+m|1h) left\s+alice\s+Shop purchases slow\n/);
      expect(listed.stdout).toMatch(/\nINC-1\s+P1\s+Declared\s+\S+\s+due now\s+bob\s+Login fails for 30% of players\n/);

      const numbers = async (...flags: string[]) => JSON.parse((await cli("incident", "list", ...flags, "--json")).stdout).map((i: { number: number }) => i.number);
      expect(await numbers("--severity", "P1,p2")).toEqual([3, 1]);
      expect(await numbers("--status", "open", "--severity", "P3")).toEqual([2]);
      expect(await numbers("--limit", "1")).toEqual([3]);
      expect(await cli("incident", "list", "--status", "resolved,documented")).toMatchObject({ code: 0, stdout: "no incidents match\n" });
    });

    it("acknowledges as GAMEOPS_PERSON, once: the response clock stops and the page with it", async () => {
      const ack = await as("alice", "incident", "ack", "INC-1");
      expect(ack.code).toBe(0);
      expect(ack.stdout).toMatch(/^INC-1 acknowledged by alice: the response clock stops \(met, acked in \d+[sm]\) and its pages stop escalating\n$/);
      const again = await as("bob", "incident", "ack", "1");
      expect(again.stdout).toMatch(/^INC-1 was acknowledged already by alice at \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ; nothing changed\n$/);
      const { pages, incident } = await room("1");
      expect(incident.acknowledgedBy).toBe("alice");
      expect(pages[0]).toMatchObject({ status: "acknowledged", acknowledgedBy: "alice" });
      expect((await cli("incident", "list", "--severity", "P1")).stdout).toMatch(/\nINC-1\s+P1\s+Declared\s+\S+\s+met, acked in \d+[sm]\s+bob\s/);
    });

    it("hands a role over, takes notes, ticks the checklist and calls in another team", async () => {
      expect(await as("bob", "incident", "role", "1", "ic", "carol")).toMatchObject({ code: 0, stdout: "INC-1: Incident Commander is carol now (handed over from bob)\n" });
      expect(await as("carol", "incident", "role", "1", "scribe", "dana")).toMatchObject({ code: 0, stdout: "INC-1: Scribe is dana now\n" });
      expect(await as("dana", "incident", "note", "1", "Auth pool exhausted since the 18:50 deploy")).toMatchObject({ code: 0, stdout: "noted on INC-1's timeline\n" });
      expect(await as("alice", "incident", "task", "1", "assess-impact")).toMatchObject({ code: 0, stdout: "INC-1: [x] Assess the impact\n" });
      expect(await as("alice", "incident", "task", "1", "temporary-fix")).toMatchObject({ code: 0, stdout: "INC-1: [x] Apply a temporary fix\n" });
      expect(await as("alice", "incident", "task", "1", "temporary-fix", "--undo")).toMatchObject({ code: 0, stdout: "INC-1: [ ] Apply a temporary fix\n" });
      const help = await as("carol", "incident", "help", "1", "--schedule", "payments");
      expect(help).toMatchObject({ code: 0, stdout: "page 5 calls the on-call of payments into INC-1: paged once `gameops up` runs on this data dir (none runs now)\n" });

      const { incident, events, tasks } = await room("1");
      expect(incident.roles).toEqual({ incident_commander: "carol", scribe: "dana" });
      expect(events.filter((e: { type: string }) => e.type === "incident.role").at(-2)).toMatchObject({ actor: "bob", data: { role: "incident_commander", to: "carol", from: "bob" } });
      expect(events).toContainEqual(expect.objectContaining({ type: "incident.note", actor: "dana", data: { text: "Auth pool exhausted since the 18:50 deploy" } }));
      expect(tasks.find((t: { taskId: string }) => t.taskId === "assess-impact")).toMatchObject({ doneBy: "alice" });
      expect(tasks.find((t: { taskId: string }) => t.taskId === "temporary-fix").doneAt).toBeUndefined();
    });

    it("posts a status update with the customer notice filled in", async () => {
      const update = await as("carol", "incident", "update", "1", "Auth servers restarted; logins recovering.", "--customer-notice");
      expect(update.code).toBe(0);
      const { incident, events } = await room("1");
      expect(update.stdout).toMatch(new RegExp(`^update posted on INC-1; the next is due ${both(incident.nextUpdateAt)}\\n\\ncustomer notice:\\n`));
      expect(update.stdout.split("customer notice:\n")[1]).toBe(
        `[INC-1] Login fails for 30% of players: investigating. Auth servers restarted; logins recovering. Next update: ${seoul(incident.nextUpdateAt)} Asia/Seoul.\n`,
      );
      expect(events.at(-1)).toMatchObject({ type: "incident.update", actor: "carol", data: { text: "Auth servers restarted; logins recovering.", customerNotice: expect.stringContaining("[INC-1]") } });
      expect(await as("carol", "incident", "update", "1", "Still recovering")).toMatchObject({ code: 0, stdout: expect.stringMatching(/^update posted on INC-1; the next is due \S+ \S+Z \(/) });
    });

    it("moves along the life cycle, refusing an illegal step with the states allowed, and resolving its pages", async () => {
      expect(await as("carol", "incident", "status", "1", "triage")).toMatchObject({ code: 0, stdout: "INC-1: Declared → Triage\n" });
      expect(await as("carol", "incident", "status", "1", "documented")).toMatchObject({
        code: 1,
        stdout: "",
        stderr: "gameops: status: cannot move the incident from triage to documented; from triage it can move to mitigating or resolved\n",
      });
      expect(await as("carol", "incident", "status", "1", "mitigating")).toMatchObject({ code: 0, stdout: "INC-1: Triage → Mitigating\n" });
      expect(await as("carol", "incident", "status", "1", "postmortem")).toMatchObject({
        code: 1,
        stderr: "gameops: status: cannot move the incident from mitigating to postmortem; from mitigating it can move to root_cause or resolved\n",
      });
      expect(await as("carol", "incident", "status", "1", "Root cause")).toMatchObject({ code: 0, stdout: "INC-1: Mitigating → Root cause\n" });
      const resolved = await as("carol", "incident", "resolve", "1");
      expect(resolved.code).toBe(0);
      expect(resolved.stdout).toMatch(/^INC-1: Root cause → Resolved\nresolved \d+[sm] after it was declared; its pages are resolved\nnext: the post-mortem — gameops incident postmortem 1 --out INC-1\.md\n$/);
      expect(await as("carol", "incident", "status", "1", "bogus")).toMatchObject({
        code: 1,
        stderr: 'gameops: status: unknown incident state "bogus"; use declared, triage, mitigating, root_cause, resolved, postmortem, documented\n',
      });
      const { incident, pages } = await room("1");
      expect(incident.status).toBe("resolved");
      expect(pages.map((p: { status: string }) => p.status)).toEqual(["resolved", "resolved"]);
      expect(await as("carol", "incident", "severity", "2", "P2")).toMatchObject({ code: 0, stdout: expect.stringMatching(/^INC-2: P3 Medium → P2 High; respond by \S+ \S+Z \(/) });
      expect(await as("carol", "incident", "severity", "2", "p2")).toMatchObject({ code: 0, stdout: "INC-2 is P2 already; nothing changed\n" });
    });

    it("shows the war room: clocks, roles, checklist by phase, pages, action items, and the timeline in UTC and Seoul time", async () => {
      const added = await as("carol", "incident", "action", "1", "--text", "Alert on the auth pool's saturation", "--owner", "bob", "--due", "2026-12-01");
      expect(added.code).toBe(0);
      const id = /^action item (\S+) on INC-1: Alert on the auth pool's saturation — bob, due 2026-12-01\n$/.exec(added.stdout)![1]!;
      expect(await as("carol", "incident", "action", "1", "--text", "Load-test the auth pool", "--owner", "alice")).toMatchObject({ code: 0 });
      expect(await as("bob", "incident", "action-done", id)).toMatchObject({ code: 0, stdout: `action item ${id} done: Alert on the auth pool's saturation\n` });
      expect(await as("bob", "incident", "action-done", id)).toMatchObject({ code: 1, stderr: `gameops: no open action item ${id}; gameops incident show INCIDENT lists its items\n` });

      const { incident, events } = await room("1");
      const shown = await cli("incident", "show", "INC-1");
      expect(shown.code).toBe(0);
      const out = shown.stdout;
      expect(out).toMatch(/^INC-1 · Login fails for 30% of players\nP1 Critical · Resolved · SLA met, acked in \d+[sm]\n/);
      expect(out).toMatch(new RegExp(`\\ndeclared {6}${both(incident.declaredAt)} by bob \\(cli\\)\\n`));
      expect(out).toMatch(new RegExp(`\\nacknowledged  ${both(incident.acknowledgedAt)} by alice\\n`));
      expect(out).toContain("\nimpact        30% cannot log in\nconsole       http://127.0.0.1:7070/#/incidents/1\n");
      expect(out).toMatch(/\nwar room\nROLE\s+PERSON\s+DOES\n.*\nIncident Commander\s+carol\s+leads the whole response\nTechnical Lead\s+nobody\s+leads the technical fix\n/);
      expect(out).toMatch(/\nchecklist \(1 of 12 done\)\nFirst 15 minutes\n {2}\[x\] assess-impact\s+Assess the impact — Technical Lead \(alice, \S+ \S+Z\)\n {2}\[ \] temporary-fix /);
      expect(out).toContain("\nOngoing (15 minutes to resolution)\n");
      expect(out).toContain("\nAfter resolution\n");
      expect(out).toMatch(/\npages\nPAGE\s+STATUS\s+OPENED \(UTC\)\s+ASSIGNED\s+TITLE\n.*\n1\s+RESOLVED\s+.*\[P1\] Login fails for 30% of players\n5\s+RESOLVED\s+/);
      expect(out).toMatch(new RegExp(`\\naction items\\nID\\s+STATE\\s+OWNER\\s+DUE\\s+TEXT\\n.*\\n${id}\\s+done\\s+bob\\s+2026-12-01\\s+Alert on the auth pool's saturation\\n\\S+\\s+open\\s+alice\\s+-\\s+Load-test the auth pool\\n`));
      expect(out).toMatch(/\ntimeline\nUTC\s+Asia\/Seoul\s+EVENT\s+BY\s+DETAIL\n/);
      const note = events.find((e: { type: string }) => e.type === "incident.note");
      expect(out).toMatch(new RegExp(`\\n${utcText(note.at)}\\s+\\w{3} ${seoul(note.at)}:\\d\\d\\s+note\\s+dana\\s+Auth pool exhausted since the 18:50 deploy\\n`));
      expect(out).toMatch(/\s+role\s+bob\s+Incident Commander: carol \(was bob\)\n/);
      expect(out).toMatch(/\s+status\s+carol\s+Root cause → Resolved\n/);
    });

    it("writes the post-mortem draft to a file and saves the edited one back", async () => {
      const printed = await cli("incident", "postmortem", "1");
      expect(printed.code).toBe(0);
      expect(printed.stdout).toMatch(/^# Incident Post-Mortem: INC-1 — Login fails for 30% of players\n/);
      expect(printed.stdout).toContain("Note (Dana): Auth pool exhausted since the 18:50 deploy");
      expect(printed.stderr).toBe("gameops: a draft from INC-1's record; edit it and keep it with gameops incident postmortem 1 --save FILE\n");

      const file = join(dir, "INC-1.md");
      expect(await cli("incident", "postmortem", "1", "--out", file)).toMatchObject({
        code: 0,
        stdout: `wrote INC-1's post-mortem (a draft from the incident) to ${file}; edit it and keep it with gameops incident postmortem 1 --save FILE\n`,
      });
      const draft = readFileSync(file, "utf8");
      expect(draft).toBe(printed.stdout);
      expect(await cli("incident", "postmortem", "1", "--out", file)).toMatchObject({
        code: 2,
        stderr: `gameops: --out ${file} exists; it may hold your edits — save them with --save ${file}, or overwrite it with --force\n`,
      });

      const edited = draft.replace("## Root Cause Analysis\n_To be written._", "## Root Cause Analysis\nThe 18:50 deploy halved the auth pool.");
      expect(edited).not.toBe(draft);
      writeFileSync(file, edited);
      expect(await as("carol", "incident", "postmortem", "1", "--save", file)).toMatchObject({
        code: 0,
        stdout: `saved ${file} as INC-1's post-mortem (${edited.length} characters); INC-1 is Post-mortem\n`,
      });
      expect(await cli("incident", "postmortem", "1")).toMatchObject({ code: 0, stdout: edited, stderr: "" });
      expect(JSON.parse((await cli("incident", "postmortem", "1", "--json")).stdout)).toEqual({ markdown: edited, draft: false });
      expect(await as("carol", "incident", "status", "1", "documented")).toMatchObject({ code: 0, stdout: "INC-1: Post-mortem → Documented\n" });
      expect((await cli("incident", "postmortem", "1", "--save", join(dir, "missing.md"))).code).toBe(2);
    });

    it("computes MTTA and MTTR per month and severity", async () => {
      const rows = JSON.parse((await cli("incident", "metrics", "--json")).stdout);
      const p1 = rows.find((r: { severity: string }) => r.severity === "P1");
      expect(p1).toMatchObject({ incidents: 1, mtta: { count: 1 }, mttr: { count: 1 } });
      expect(rows.find((r: { severity: string }) => r.severity === "P2")).toMatchObject({ incidents: 2, mtta: { count: 0 }, mttr: { count: 0 } });
      const table = await cli("incident", "metrics", "--months", "1");
      expect(table.code).toBe(0);
      expect(table.stdout).toMatch(/^mean time to acknowledge \(MTTA\) and to resolve \(MTTR\), by month in Asia\/Seoul, the last 1 month\nMONTH\s+SEV\s+DECLARED\s+ACKED\s+MTTA\s+MEDIAN\s+RESOLVED\s+MTTR\s+MEDIAN\n/);
      expect(table.stdout).toMatch(new RegExp(`\\n${p1.month}\\s+P1\\s+1\\s+1\\s+\\d+[sm]\\s+\\d+[sm]\\s+1\\s+\\d+[sm]\\s+\\d+[sm]\\n`));
      expect(table.stdout).toMatch(new RegExp(`\\n${p1.month}\\s+P2\\s+2\\s+0\\s+-\\s+-\\s+0\\s+-\\s+-\\n`));
    });

    it("answers bad input clearly: exit 1 for what is refused or missing, exit 2 for a wrong call", async () => {
      expect(await cli("incident", "declare", "--title", "Lag", "--severity", "P5")).toMatchObject({ code: 1, stdout: "", stderr: "gameops: severity: unknown severity P5; use P1, P2, P3 or P4\n" });
      expect(await cli("incident", "declare", "--title", "  ", "--severity", "P2")).toMatchObject({
        code: 1,
        stderr: 'gameops: title: an incident needs a title, like "Login fails for 30% of players"\n',
      });
      expect(await cli("incident", "declare", "--title", "Lag", "--severity", "P2", "--commander", "zed")).toMatchObject({
        code: 1,
        stderr: 'gameops: commander: no person "zed"; add them with gameops people add zed --name …\n',
      });
      expect(await cli("incident", "role", "3", "scribe", "zed")).toMatchObject({ code: 1, stderr: 'gameops: person: no person "zed"; add them with gameops people add zed --name …\n' });
      expect((await cli("incident", "role", "3", "janitor", "bob")).stderr).toMatch(/^gameops: role: unknown role "janitor"; use incident_commander, /);
      expect(await cli("incident", "role", "2", "owner", "bob")).toMatchObject({ code: 1, stderr: "gameops: role: a P2 incident has Incident Commander, Technical Lead, Communications, Scribe; not Owner\n" });
      expect(await cli("incident", "severity", "3", "P5")).toMatchObject({ code: 1, stderr: "gameops: severity: unknown severity P5; use P1, P2, P3 or P4\n" });
      for (const args of [["show", "999"], ["ack", "999"], ["resolve", "INC-999"], ["note", "999", "x"], ["postmortem", "999"]]) {
        expect(await cli("incident", ...args)).toMatchObject({ code: 1, stderr: `gameops: no incident ${args[1]}; gameops incident list shows them\n` });
      }
      expect(await cli("incident", "task", "3", "tidy-up")).toMatchObject({ code: 1, stderr: 'gameops: task: INC-3 has no checklist item "tidy-up"; its items are assess-impact, temporary-fix, notify-stakeholders, start-timeline, status-updates, request-people, customer-notice, review-rollback, confirm-normal, strengthen-monitoring, schedule-rca, initial-report\n' });
      expect(await cli("incident", "help", "3", "--schedule", "nightly")).toMatchObject({ code: 1, stderr: 'gameops: schedule: no schedule "nightly"; schedules: ops, payments\n' });
      expect(await cli("incident", "note", "3", " ")).toMatchObject({ code: 1, stderr: "gameops: text: a note needs some text\n" });

      expect(await cli("incident", "list", "--severity", "P5")).toMatchObject({ code: 2, stderr: 'gameops: --severity takes a comma-separated list of P1, P2, P3, P4; "P5" is not one\n' });
      expect(await cli("incident", "list", "--status", "closed")).toMatchObject({
        code: 2,
        stderr: 'gameops: --status takes a comma-separated list of open, declared, triage, mitigating, root_cause, resolved, postmortem, documented; "closed" is not one\n',
      });
      expect(await cli("incident", "list", "--limit", "0")).toMatchObject({ code: 2, stderr: 'gameops: --limit must be a whole number from 1 to 200, not "0"\n' });
      expect(await cli("incident", "metrics", "--months", "x")).toMatchObject({ code: 2, stderr: 'gameops: --months must be a whole number from 1 to 36, not "x"\n' });
      expect(await cli("incident", "action", "3", "--text", "x", "--owner", "bob", "--due", "2026-02-30")).toMatchObject({ code: 2, stderr: 'gameops: --due "2026-02-30" is not a date like 2026-12-01\n' });
      expect(await cli("incident", "postmortem", "3", "--out", "a.md", "--save", "b.md")).toMatchObject({ code: 2 });
      expect((await cli("incident", "declare", "--severity", "P2")).stderr).toContain("error: required option '--title <text>' not specified");
      expect((await cli("incident", "declare", "--severity", "P2")).code).toBe(2);
      expect(await as("ghost", "incident", "ack", "3")).toMatchObject({
        code: 2,
        stderr: 'gameops: GAMEOPS_PERSON "ghost" is not a known person; `gameops people` lists them, `gameops people add ghost --name …` adds one\n',
      });
    });
  });

  describe("through a server (GAMEOPS_URL and GAMEOPS_TOKEN)", () => {
    let up: Up;
    let remote: Record<string, string>;
    const viaServer = (...args: string[]) => runCli(args, remote, dir);
    const posts = () => hook.received.map((r) => JSON.parse(r.body) as { notice: { title: string; text: string } });

    beforeAll(async () => {
      up = await startUp(dir, { GAMEOPS_DATA: join(dir, "data") });
      remote = { GAMEOPS_URL: up.url, GAMEOPS_TOKEN: up.adminToken! };
    });

    it("declares, lists and acknowledges, the server paging and posting to the war room", async () => {
      const declared = await viaServer("incident", "declare", "--title", "Guild chat down", "--severity", "P2", "--commander", "bob");
      expect(declared).toMatchObject({ code: 0, stderr: "" });
      expect(declared.stdout).toMatch(/^INC-4 declared: P2 High — Guild chat down\ncommander   bob\n/);
      expect(declared.stdout).toContain(`\npage 6      bob (commander), alice (ops primary): paged now by the server at ${up.url}\n`);
      expect(declared.stdout).toMatch(/\nescalates {3}if unacknowledged at \S+ \S+Z to erin \(lead\)\n/);
      expect(declared.stdout).toContain(`\nconsole     ${up.url}/#/incidents/4\n`);

      const listed = await viaServer("incident", "list", "--severity", "P2", "--status", "open");
      expect(listed.code).toBe(0);
      expect(listed.stdout).toMatch(/\nINC-4\s+P2\s+Declared\s+\S+\s+\d+m left\s+bob\s+Guild chat down\n/);
      expect(JSON.parse((await viaServer("incident", "list", "--severity", "P2", "--json")).stdout).map((i: { number: number }) => i.number)).toEqual([4, 3, 2]);

      // The server's escalation notifies level 1 at once: the page's first notification.
      const paged = await eventually(async () => {
        const page = JSON.parse((await viaServer("page", "show", "6", "--json")).stdout);
        return page.events.some((e: { type: string }) => e.type === "page.notified") && page;
      }, "the incident's page to notify its first level");
      expect(paged.page.assignees.sort()).toEqual(["alice", "bob"]);

      expect(await viaServer("incident", "ack", "4")).toMatchObject({ code: 0, stdout: expect.stringMatching(/^INC-4 acknowledged by admin: the response clock stops \(met, acked in \d+[sm]\)/) });
      expect((await viaServer("incident", "ack", "4")).stdout).toMatch(/^INC-4 was acknowledged already by admin at \S+ \S+Z; nothing changed\n$/);
      expect((await room("4")).pages[0]).toMatchObject({ number: 6, status: "acknowledged" });

      // What was declared and posted before any server ran goes out now, and what is new at once.
      await eventually(() => posts().some((p) => p.notice.title === "INC-4 declared: P2 High"), "the war-room post of INC-4");
      await eventually(() => posts().some((p) => p.notice.title === "INC-1 update" && p.notice.text.startsWith("[INC-1] Login fails")), "INC-1's customer notice");
    });

    it("prints the customer notice, the role handoff and the refusals the server answers", async () => {
      const update = await viaServer("incident", "update", "4", "Chat servers back; watching.", "--customer-notice");
      expect(update.code).toBe(0);
      expect(update.stdout).toMatch(/\ncustomer notice:\n\[INC-4\] Guild chat down: investigating\. Chat servers back; watching\. Next update: \S+ \S+ Asia\/Seoul\.\n$/);
      expect(await viaServer("incident", "role", "4", "ic", "carol")).toMatchObject({ code: 0, stdout: "INC-4: Incident Commander is carol now (handed over from bob)\n" });
      expect(await viaServer("incident", "declare", "--title", "Lag", "--severity", "P5")).toMatchObject({
        code: 1,
        stderr: "gameops: POST /api/incidents: 400 severity: unknown severity P5; use P1, P2, P3 or P4\n",
      });
      expect(await viaServer("incident", "status", "4", "documented")).toMatchObject({
        code: 1,
        stderr: "gameops: POST /api/incidents/4/status: 400 status: cannot move the incident from declared to documented; from declared it can move to triage, mitigating or resolved\n",
      });
      expect(await viaServer("incident", "show", "999")).toMatchObject({ code: 1, stderr: "gameops: GET /api/incidents/999: 404 no incident 999; gameops incident list shows them\n" });
    });
  });
});
