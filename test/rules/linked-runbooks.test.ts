/**
 * The runbooks the shipped rules link to, run for real: on a demo fleet (real game server
 * processes), this machine, the shared Prometheus, and an Alertmanager of this test's own. Each
 * reads first, and changes something only after a second person approves.
 */
import { closeSync, mkdirSync, openSync, readFileSync, truncateSync, unlinkSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Config } from "../../src/config/load.js";
import type { Secret } from "../../src/config/secret.js";
import { startDemoFleet, type DemoFleet } from "../../src/demo/fleet.js";
import type { Plan } from "../../src/domain/runbooks/plan.js";
import { openFleet } from "../../src/integrations/fleet/open-fleet.js";
import { packageRoot } from "../../src/package-root.js";
import { startPrivateAlertmanager, type PrivateAlertmanager } from "../alerts/private-alertmanager.js";
import { builtIn, envConfig, openDesk, show, stepsById, tempDir, type Desk } from "../runbooks/builtin/support.js";
import { testServices } from "../services.js";

let fleet: DemoFleet;
let config: Config;
let desk: Desk;
let alertmanager: PrivateAlertmanager;

beforeAll(async () => {
  [fleet, alertmanager] = await Promise.all([startDemoFleet({ dataDir: tempDir("linked-runbooks"), playerIntervalMs: 0, initialPlayers: 2 }), startPrivateAlertmanager()]);
  config = envConfig({ GAMEOPS_FLEET_URL: fleet.url, GAMEOPS_FLEET_TOKEN: (fleet.target as { token: Secret }).token.reveal() });
  desk = await openDesk(config);
});

afterAll(async () => {
  await desk?.close();
  await fleet?.close();
  await alertmanager?.stop();
});

/** The runbooks the shipped rules name, each once. */
function linkedRunbooks(): string[] {
  const { groups } = parse(readFileSync(join(packageRoot(), "rules", "gameops.rules.yml"), "utf8")) as { groups: { rules: { annotations?: { runbook?: string } }[] }[] };
  return [...new Set(groups.flatMap((g) => g.rules.map((r) => r.annotations!.runbook!)))];
}

async function start(name: string, params: Record<string, string | number> = {}): Promise<string> {
  return desk.executor.start(builtIn(name), params, { startedBy: desk.starter.personId, through: "cli" });
}

async function detailOf(runId: string) {
  const detail = (await desk.executor.getRun(runId))!;
  show(detail);
  return { detail, steps: stepsById(detail) };
}

const statuses = (steps: Map<string, { status: string }>, ids: string[]) => Object.fromEntries(ids.map((id) => [id, steps.get(id)?.status]));

describe("the runbooks the shipped rules link to", () => {
  it("all exist, plan with their default params, and gate every change behind an approval", async () => {
    expect(linkedRunbooks()).toEqual(["server-down", "high-error-rate", "high-cpu", "players-drop", "low-memory", "disk-space-low", "alerting-pipeline"]);
    for (const name of linkedRunbooks()) {
      const plan: Plan = await desk.executor.plan(builtIn(name), {});
      const firstApproval = plan.steps.findIndex((s) => s.approval !== undefined);
      // A sub-runbook step is a change too: what it runs is the callee's.
      const changes = plan.steps.filter((s) => s.destructive || s.kind === "runbook").map((s) => s.id);
      expect({ name, changes: changes.length > 0 }).toEqual({ name, changes: true });
      for (const id of changes) {
        const at = plan.steps.findIndex((s) => s.id === id);
        expect({ name, step: id, afterAnApproval: firstApproval >= 0 && firstApproval < at }).toEqual({ name, step: id, afterAnApproval: true });
      }
      for (const step of plan.steps.filter((s) => s.approval)) expect(step.approval).toMatchObject({ selfApproval: false, approvers: ["operator", "lead"] });
    }
  });

  it("server-down: names the dead server and why, restarts it after a second person approves", { timeout: 120_000 }, async () => {
    const victim = fleet.servers().find((s) => s.id === "game-2")!;
    process.kill(victim.pid!, "SIGKILL");
    for (let polls = 0; polls < 100 && fleet.servers().find((s) => s.id === "game-2")!.state !== "down"; polls++) await new Promise((resolve) => setTimeout(resolve, 100));

    // Without a server named it only looks.
    const look = await start("server-down");
    expect((await desk.executor.runUntilBlocked(look)).status).toBe("succeeded");
    const looked = (await detailOf(look)).steps;
    expect(looked.get("status")!.outputs).toMatchObject({ up: 2, desired: 3 });
    expect(looked.get("status")!.output).toMatch(/game-2: down \(.*SIGKILL.*\)/);
    expect(statuses(looked, ["pods", "events", "crash_logs", "target", "confirm_restart", "restart", "back"])).toEqual({
      pods: "skipped",
      events: "skipped",
      crash_logs: "skipped",
      target: "skipped",
      confirm_restart: "skipped",
      restart: "skipped",
      back: "skipped",
    });

    const runId = await start("server-down", { server: "game-2" });
    expect(await desk.executor.runUntilBlocked(runId)).toMatchObject({ status: "waiting_approval", waiting: { for: "approval", stepId: "confirm_restart" } });
    const { detail } = await detailOf(runId);
    expect(detail.approvals[0]!.prompt).toMatch(/^Restart game-2\? It is down: .*SIGKILL.*\. 2 of 3 servers are up, with 4 players\. /);
    await desk.executor.approve(runId, "confirm_restart", desk.approver, "approve", "cli");
    expect((await desk.executor.runUntilBlocked(runId)).status).toBe("succeeded");
    const { steps } = await detailOf(runId);
    expect(steps.get("restart")!.outputs).toEqual({ before: [{ server: "game-2" }], after: [{ server: "game-2", pid: expect.any(Number) }] });
    expect(statuses(steps, ["back", "healthy"])).toEqual({ back: "succeeded", healthy: "skipped" });
    expect(fleet.servers().find((s) => s.id === "game-2")).toMatchObject({ state: "up", restarts: 1 });
  });

  it("high-error-rate: shows the server's errors and faults, restarts it after approval", { timeout: 120_000 }, async () => {
    const drill = await start("demo-drill", { server: "game-3", fault: "errors" });
    expect((await desk.executor.runUntilBlocked(drill)).status).toBe("succeeded");
    const before = fleet.servers().find((s) => s.id === "game-3")!;

    const runId = await start("high-error-rate", { server: "game-3" });
    expect(await desk.executor.runUntilBlocked(runId)).toMatchObject({ status: "waiting_approval", waiting: { for: "approval", stepId: "confirm_restart" } });
    const { detail, steps } = await detailOf(runId);
    const game3 = (steps.get("status")!.outputs!.servers as { server: string; faults: string[] }[]).find((s) => s.server === "game-3");
    expect(game3!.faults).toEqual(["errors"]);
    expect(statuses(steps, ["rollout", "pod_errors", "confirm_rollback"])).toEqual({ rollout: "skipped", pod_errors: "skipped", confirm_rollback: "skipped" });
    expect(detail.approvals[0]!.prompt).toMatch(/^Restart game-3\? It has logged \d+ errors since it started; injected faults: errors\. /);

    await desk.executor.approve(runId, "confirm_restart", desk.approver, "approve", "cli");
    expect((await desk.executor.runUntilBlocked(runId)).status).toBe("succeeded");
    const after = fleet.servers().find((s) => s.id === "game-3")!;
    expect(after.pid).not.toBe(before.pid);
    expect(after.restarts).toBe(1);
  });

  it("players-drop: lets players into a server left closed, after approval", { timeout: 120_000 }, async () => {
    const demo = await openFleet(config);
    await demo.setAcceptingSessions(false, { scope: { server: "game-1" } });

    const runId = await start("players-drop", { server: "game-1", prometheus_url: testServices().prometheus.url });
    expect(await desk.executor.runUntilBlocked(runId)).toMatchObject({ status: "waiting_approval", waiting: { for: "approval", stepId: "confirm_accept" } });
    const { detail, steps } = await detailOf(runId);
    // The shared Prometheus scrapes no game server: an answer, with nothing in it.
    expect(steps.get("players")!.output).toContain("# players online now\n(no series)\n");
    expect(detail.approvals[0]!.prompt).toMatch(/^Let players into game-1 again\? It is up and not in maintenance mode, but refuses every new player, with 2 still on it/);

    await desk.executor.approve(runId, "confirm_accept", desk.approver, "approve", "cli");
    expect((await desk.executor.runUntilBlocked(runId)).status).toBe("succeeded");
    const status = await demo.status({ scope: { server: "game-1" } });
    expect(status.servers[0]).toMatchObject({ up: true, status: { acceptingSessions: true } });
  });

  it("disk-space-low: finds the big file and the deleted file still held open; offers nothing to delete under its journal limit", { timeout: 120_000 }, async () => {
    const dir = tempDir("disk-space-low");
    mkdirSync(join(dir, "logs"));
    writeFileSync(join(dir, "logs", "game.log.1"), "");
    truncateSync(join(dir, "logs", "game.log.1"), 150 * 1024 * 1024);
    // A rotated log this process still writes to: deleted, its 2 MiB held.
    const held = join(dir, "logs", "game.log");
    const fd = openSync(held, "w");
    try {
      writeSync(fd, Buffer.alloc(2 * 1024 * 1024, 120));
      unlinkSync(held);
      const runId = await start("disk-space-low", { path: dir, journal_max_mib: 1_000_000_000 });
      expect((await desk.executor.runUntilBlocked(runId)).status).toBe("succeeded");
      const { steps } = await detailOf(runId);
      expect(steps.get("large_files")!.output).toContain(`150.0 MiB`);
      expect(steps.get("large_files")!.output).toContain(join(dir, "logs", "game.log.1"));
      expect(steps.get("largest_folders")!.output).toContain(join(dir, "logs"));
      expect(steps.get("deleted_open")!.output).toMatch(new RegExp(`2\\.0 MiB  pid ${process.pid} \\(\\S+\\)  ${held.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} \\(deleted\\)`));
      expect(Number(steps.get("journal")!.outputs!.stdout)).toBeGreaterThanOrEqual(0);
      expect(statuses(steps, ["confirm_vacuum", "vacuum", "after"])).toEqual({ confirm_vacuum: "skipped", vacuum: "skipped", after: "skipped" });
    } finally {
      closeSync(fd);
    }
  });

  it("low-memory: shows this machine's memory and the fleet's, then asks before hunting a leak", { timeout: 120_000 }, async () => {
    const runId = await start("low-memory");
    expect(await desk.executor.runUntilBlocked(runId)).toMatchObject({ status: "waiting_approval", waiting: { for: "approval", stepId: "confirm_leak_hunt" } });
    const { detail, steps } = await detailOf(runId);
    expect(steps.get("host")!.output).toMatch(/^\s+total\s+used\s+free/m);
    expect(steps.get("host")!.output).toMatch(/PID USER\s+RSS/);
    expect(steps.get("oom_kills")!.status).toBe("succeeded");
    expect(statuses(steps, ["top_nodes", "top_pods"])).toEqual({ top_nodes: "skipped", top_pods: "skipped" });
    expect(detail.approvals[0]!.prompt).toMatch(/^Hunt a leak in the game servers\? The largest is game-\d with \d+ bytes resident/);
    await desk.executor.cancel(runId, desk.starter.personId);
    expect((await desk.executor.runUntilBlocked(runId)).status).toBe("cancelled");
  });

  it("alerting-pipeline: follows the Watchdog through Prometheus and Alertmanager, and expires the silence that hides it after approval", { timeout: 120_000 }, async () => {
    const now = Date.now();
    const post = async (path: string, body: unknown) => {
      const response = await fetch(`${alertmanager.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
      const text = await response.text();
      expect(response.status, text).toBe(200);
      return (text ? JSON.parse(text) : {}) as { silenceID?: string };
    };
    await post("/api/v2/alerts", [{ labels: { alertname: "Watchdog", severity: "none" }, startsAt: new Date(now).toISOString(), endsAt: new Date(now + 3_600_000).toISOString() }]);
    // A maintenance silence that matches every alert, the Watchdog too.
    const { silenceID } = await post("/api/v2/silences", {
      matchers: [{ name: "alertname", value: ".+", isRegex: true, isEqual: true }],
      startsAt: new Date(now).toISOString(),
      endsAt: new Date(now + 3_600_000).toISOString(),
      createdBy: "maintenance-bot",
      comment: "database upgrade",
    });

    const runId = await start("alerting-pipeline", { prometheus_url: testServices().prometheus.url, alertmanager_url: alertmanager.url });
    expect(await desk.executor.runUntilBlocked(runId)).toMatchObject({ status: "waiting_approval", waiting: { for: "approval", stepId: "confirm_expire" } });
    const { detail, steps } = await detailOf(runId);
    expect(
      statuses(steps, ["prometheus_ready", "prometheus_config", "watchdog_in_prometheus", "rule_failures", "alertmanagers", "send_errors", "alertmanager_ready", "watchdog_in_alertmanager", "notification_failures", "silence"]),
    ).toEqual({
      prometheus_ready: "succeeded",
      prometheus_config: "succeeded",
      watchdog_in_prometheus: "succeeded",
      rule_failures: "succeeded",
      // The shared Prometheus is wired to no Alertmanager, and this step says so.
      alertmanagers: "failed",
      send_errors: "succeeded",
      alertmanager_ready: "succeeded",
      watchdog_in_alertmanager: "succeeded",
      notification_failures: "succeeded",
      silence: "succeeded",
    });
    expect(steps.get("watchdog_in_prometheus")!.output).toMatch(/^ALERTS\{alertname="Watchdog", alertstate="firing", severity="none", team="ops"\} => 1 @\[/m);
    expect(steps.get("watchdog_in_alertmanager")!.outputs!.json).toMatchObject([{ labels: { alertname: "Watchdog" }, status: { state: "suppressed", silencedBy: [silenceID] } }]);
    expect(detail.approvals[0]!.prompt).toMatch(new RegExp(`^Expire silence ${silenceID}\\? It hides the Watchdog alert, so gameops believes the alerting pipeline is down\\. Created by maintenance-bot: "database upgrade", until `));

    await desk.executor.approve(runId, "confirm_expire", desk.approver, "approve", "cli");
    expect((await desk.executor.runUntilBlocked(runId)).status).toBe("succeeded");
    expect(statuses((await detailOf(runId)).steps, ["expire", "watchdog_active"])).toEqual({ expire: "succeeded", watchdog_active: "succeeded" });
    const silence = (await (await fetch(`${alertmanager.url}/api/v2/silence/${silenceID}`)).json()) as { status: { state: string } };
    expect(silence.status.state).toBe("expired");
  });
});
