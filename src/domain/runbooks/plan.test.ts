import { describe, expect, it } from "vitest";
import { formatPlan, planRun, type ActionDescription } from "./plan.js";
import { runbookSchema, type Step } from "./schema.js";

const restartFleet = runbookSchema.parse({
  name: "restart-fleet",
  title: "Restart the fleet after a config change",
  params: { region: { type: "string", default: "eu-1" }, token: { secret: true }, force: { type: "boolean", default: false } },
  locks: ["fleet/${{ params.region }}"],
  steps: [
    { id: "sessions", fleet: { action: "sessions", region: "${{ params.region }}" } },
    { id: "confirm", approve: { prompt: "Restart ${{ steps.sessions.outputs.count }} sessions?", approvers: ["ops"], timeout: "30m" } },
    { id: "restart", shell: ["kubectl", "rollout", "restart", "deployment/game-server", "-n", "game-production", "--token=${{ params.token }}"], timeout: "5m" },
    { id: "drained", wait: { until: "${{ probe.count == 0 }}", every: "5s", deadline: "5m", probe: { fleet: { action: "sessions" } } } },
    { id: "healthy", check: { only: ["kubernetes"] }, retries: { attempts: 3, backoff: "10s" } },
    { id: "forced", when: "${{ params.force }}", notify: { channel: "ops", text: "forced" } },
    { id: "busy", when: "${{ steps.sessions.outputs.count > 100 }}", notify: { channel: "ops", text: "busy" } },
    { id: "sub", runbook: { name: "announce", params: { region: "${{ params.region }}" } } },
  ],
  rollback: [{ id: "notify", notify: { channel: "ops", text: "restart-fleet failed at ${{ run.failedStep }}" } }],
});

const announce = runbookSchema.parse({
  name: "announce",
  title: "Tell the players",
  params: { region: {} },
  steps: [{ id: "broadcast", fleet: { action: "broadcast", region: "${{ params.region }}", message: "Restart soon" } }],
});

/** A describe as a step kind would write it: pure, from the rendered spec. */
function describeStep(step: Step): ActionDescription {
  switch (step.kind) {
    case "shell":
      return { summary: (step.spec as string[]).join(" "), target: "kubernetes", destructive: true };
    case "fleet":
      return { summary: `fleet ${step.spec.action}${step.spec.region ? ` in ${step.spec.region}` : ""}`, target: "fleet", destructive: !["status", "sessions"].includes(step.spec.action) };
    case "notify":
      return { summary: `notify ${step.spec.channel}: ${step.spec.text}`, destructive: false };
    default:
      throw new Error(`describe() was asked about ${step.kind}`);
  }
}

describe("planRun", () => {
  const plan = planRun(restartFleet, { region: "us-1", token: "hunter2", force: false }, describeStep, { runbooks: new Map([["announce", announce]]) });

  it("renders every action with the params, and leaves what the run decides as written", () => {
    expect(plan.locks).toEqual(["fleet/us-1"]);
    expect(plan.steps.map((s) => s.action.summary)).toEqual([
      "fleet sessions in us-1",
      'approval: "Restart ${{ steps.sessions.outputs.count }} sessions?"',
      "kubectl rollout restart deployment/game-server -n game-production --token=<secret>",
      "wait until ${{ probe.count == 0 }}, probing every 5.0s for at most 5m: fleet sessions",
      "run health checks: kubernetes; fails at critical",
      "notify ops: forced",
      "notify ops: busy",
      "run runbook announce with region=us-1",
    ]);
    expect(plan.rollback[0]!.action.summary).toBe("notify ops: restart-fleet failed at ${{ run.failedStep }}");
  });

  it("marks destructive steps, approval gates and conditions", () => {
    expect(plan.steps.filter((s) => s.destructive).map((s) => s.id)).toEqual(["restart", "sub"]);
    expect(plan.steps[1]!.approval).toEqual({ prompt: "Restart ${{ steps.sessions.outputs.count }} sessions?", approvers: ["ops"], selfApproval: false, timeout: 1_800_000, onTimeout: "abort" });
    expect(plan.steps.find((s) => s.id === "forced")!.when).toEqual({ expression: "${{ params.force }}", decision: "skipped" });
    expect(plan.steps.find((s) => s.id === "busy")!.when).toEqual({ expression: "${{ steps.sessions.outputs.count > 100 }}", decision: "decided at run time" });
    expect(plan.steps.find((s) => s.id === "sub")!.runbook!.steps[0]!.action.summary).toBe("fleet broadcast in us-1");
  });

  it("never shows a secret", () => {
    expect(plan.params).toEqual({ region: "us-1", token: "<secret>", force: false });
    expect(JSON.stringify(plan)).not.toContain("hunter2");
    expect(formatPlan(plan)).not.toContain("hunter2");
  });

  it("formats as terminal text", () => {
    expect(formatPlan(plan)).toBe(
      [
        "Plan for restart-fleet — Restart the fleet after a config change",
        "Dry run: nothing has been touched.",
        "params: region=us-1 token=<secret> force=false",
        "locks: fleet/us-1 (fail at once if another run holds one)",
        "",
        "steps:",
        "  1. sessions [fleet]",
        "     fleet sessions in us-1",
        "     target: fleet",
        "  2. confirm [approve]  APPROVAL GATE",
        '     approval: "Restart ${{ steps.sessions.outputs.count }} sessions?"',
        "     approvers: ops; not the person who started the run",
        "     no answer in 30m: the run aborts",
        "  3. restart [shell]  DESTRUCTIVE",
        "     kubectl rollout restart deployment/game-server -n game-production --token=<secret>",
        "     target: kubernetes",
        "     timeout 5m",
        "  4. drained [wait]",
        "     wait until ${{ probe.count == 0 }}, probing every 5.0s for at most 5m: fleet sessions",
        "     target: fleet",
        "  5. healthy [check]",
        "     run health checks: kubernetes; fails at critical",
        "     target: health checks",
        "     3 attempts, backoff 10s ×2",
        "  6. forced [notify]",
        "     notify ops: forced",
        "     when ${{ params.force }}: skipped",
        "  7. busy [notify]",
        "     notify ops: busy",
        "     when ${{ steps.sessions.outputs.count > 100 }}: decided at run time",
        "  8. sub [runbook]  DESTRUCTIVE",
        "     run runbook announce with region=us-1",
        "       params: region=us-1",
        "",
        "       steps:",
        "         1. broadcast [fleet]  DESTRUCTIVE",
        "            fleet broadcast in us-1",
        "            target: fleet",
        "",
        "rollback (when a step with on_failure: rollback fails):",
        "  1. notify [notify]",
        "     notify ops: restart-fleet failed at ${{ run.failedStep }}",
      ].join("\n"),
    );
  });

  it("shows a step it cannot render with the reason, and plans the rest", () => {
    const bad = runbookSchema.parse({ name: "x", title: "x", params: { n: { default: "many" } }, steps: [{ id: "scale", k8s: { action: "scale", replicas: "${{ params.n }}" } }] });
    const p = planRun(bad, { n: "many" }, describeStep);
    expect(p.steps[0]!.error).toBe("k8s.replicas: must render to a whole number (0 or more), not other text");
  });
});
