/** The dry-run plan of each built-in runbook: its approval gates and the steps that change something. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Plan } from "../../../src/domain/runbooks/plan.js";
import { builtIn, envConfig, openDesk, show, type Desk } from "./support.js";

let desk: Desk;

beforeAll(async () => {
  desk = await openDesk(
    envConfig({ GAMEOPS_FLEET_URL: "http://127.0.0.1:7080", GAMEOPS_FLEET_TOKEN: "fleet-token-for-plans-only", GAMEOPS_MYSQL_URL: "mysql://monitor@127.0.0.1:3306/game" }),
  );
});

afterAll(async () => {
  await desk?.close();
});

/** Each main step as the plan shows it: id, kind, destructive, who approves, and its condition's decision. */
const outline = (plan: Plan) =>
  plan.steps.map((s) => [s.id, s.kind, s.destructive ? "destructive" : "reads", s.approval ? s.approval.approvers.join("|") : "", s.when?.decision ?? "runs"]);

describe("dry-run plans of the built-in runbooks", () => {
  it("high-cpu: reads first, then an approval gate before the restart (demo fleet) or the scale-up (Kubernetes)", async () => {
    const plan = await desk.executor.start(builtIn("high-cpu"), {}, { startedBy: "mina", through: "cli", dryRun: true });
    show(plan);
    expect(plan.runbook).toMatchObject({ name: "high-cpu", runtime: "node" });
    expect(plan.params).toEqual({ cpu_percent: 80, replicas: 10 });
    expect(plan.locks).toEqual(["fleet"]);
    expect(outline(plan)).toEqual([
      ["hot", "wait", "reads", "", "runs"],
      ["profile", "fleet", "reads", "", "runs"],
      ["hpa", "shell", "reads", "", "decided at run time"],
      ["top", "k8s", "reads", "", "decided at run time"],
      ["confirm_restart", "approve", "reads", "operator|lead", "decided at run time"],
      ["confirm_scale", "approve", "reads", "operator|lead", "decided at run time"],
      ["restart", "fleet", "destructive", "", "decided at run time"],
      ["scale_up", "fleet", "destructive", "", "decided at run time"],
      ["cooled", "wait", "reads", "", "decided at run time"],
      ["healthy", "check", "reads", "", "decided at run time"],
    ]);
    const byId = new Map(plan.steps.map((s) => [s.id, s]));
    expect(byId.get("hot")!.action.summary).toBe(
      "wait until ${{ probe.hottest.cpuPercent >= params.cpu_percent }}, probing every 5.0s for at most 1m: fleet: status of every server: players, CPU, memory, maintenance",
    );
    expect(byId.get("scale_up")!.action).toMatchObject({ summary: "fleet: scale the fleet to 10 servers", target: "the demo fleet at http://127.0.0.1:7080" });
    expect(byId.get("confirm_restart")!.approval).toMatchObject({ selfApproval: false, timeout: 30 * 60_000, onTimeout: "abort" });
    expect(byId.get("profile")!.idempotent).toBe(true);
    expect(JSON.stringify(plan)).not.toContain("fleet-token-for-plans-only");
  });

  it("memory-leak: reads and a snapshot, an approval gate, then the restart", async () => {
    const plan = await desk.executor.plan(builtIn("memory-leak"), { growth_mib: 64 });
    show(plan);
    expect(plan.runbook).toMatchObject({ name: "memory-leak", runtime: "node" });
    expect(plan.runbook.description).toContain("jcmd <pid> GC.heap_dump");
    expect(outline(plan)).toEqual([
      ["before", "fleet", "reads", "", "runs"],
      ["top", "k8s", "reads", "", "decided at run time"],
      ["threshold", "shell", "reads", "", "runs"],
      ["window", "wait", "reads", "", "runs"],
      ["snapshot", "fleet", "reads", "", "runs"],
      ["confirm_restart", "approve", "reads", "operator|lead", "runs"],
      ["restart", "fleet", "destructive", "", "runs"],
      ["after", "wait", "reads", "", "runs"],
    ]);
    expect(plan.steps.find((s) => s.id === "threshold")!.action.summary).toBe("expr '${{ steps.before.outputs.largest.rssBytes }}' + 64 '*' 1048576");
  });

  it("slow-query: every query reads; the approval gate stands before KILL QUERY, whose id is a bound value", async () => {
    const plan = await desk.executor.plan(builtIn("slow-query"), { min_seconds: 30, connection_id: 4242 });
    show(plan);
    expect(plan.runbook).toMatchObject({ name: "slow-query", runtime: "mariadb" });
    expect(outline(plan)).toEqual([
      ["server", "sql", "reads", "", "runs"],
      ["active", "sql", "reads", "", "runs"],
      ["digest", "sql", "reads", "", "decided at run time"],
      ["unused_indexes", "sql", "reads", "", "decided at run time"],
      ["transactions", "sql", "reads", "", "runs"],
      ["lock_waits", "sql", "reads", "", "decided at run time"],
      ["lock_waits_mysql", "sql", "reads", "", "decided at run time"],
      ["tables_in_use", "sql", "reads", "", "runs"],
      ["target", "sql", "reads", "", "decided at run time"],
      ["confirm_kill", "approve", "reads", "operator|lead", "decided at run time"],
      ["still_running", "sql", "reads", "", "decided at run time"],
      ["kill", "sql", "destructive", "", "decided at run time"],
      ["still_running_mysql", "sql", "reads", "", "decided at run time"],
      ["kill_mysql", "sql", "destructive", "", "decided at run time"],
      ["gone", "wait", "reads", "", "decided at run time"],
    ]);
    const byId = new Map(plan.steps.map((s) => [s.id, s]));
    expect(byId.get("active")!.action.detail).toMatchObject({ params: [30] });
    expect(byId.get("active")!.action.detail!.statement).toContain("COMMAND NOT IN ('Sleep', 'Daemon'");
    expect(byId.get("kill_mysql")!.action).toMatchObject({ summary: "KILL QUERY ? on mysql://monitor@127.0.0.1:3306/game", destructive: true });
    expect(byId.get("kill")!.action.detail).toEqual({ statement: "KILL QUERY ID ?", params: ["${{ steps.still_running.outputs.rows[0].query_id }}"] });
  });

  it("demo-drill: the fault chosen now, the others skipped, no approval", async () => {
    const plan = await desk.executor.plan(builtIn("demo-drill"), { server: "game-1", fault: "memory-growth" });
    expect(outline(plan)).toEqual([
      ["before", "fleet", "reads", "", "runs"],
      ["cpu_burn", "fleet", "destructive", "", "skipped"],
      ["memory_growth", "fleet", "destructive", "", "runs"],
      ["errors", "fleet", "destructive", "", "skipped"],
      ["clear", "fleet", "destructive", "", "skipped"],
    ]);
    expect(plan.steps[2]!.action.summary).toBe("fleet: drill: inject memory-growth into game-1 for 5m");
  });

  it("writes nothing: no run is recorded by a plan", async () => {
    expect(await desk.executor.listRuns({ limit: 10 })).toEqual([]);
  });
});
