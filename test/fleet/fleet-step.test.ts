/** The `fleet` step kind against a real demo fleet. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig, type Config } from "../../src/config/load.js";
import type { Secret } from "../../src/config/secret.js";
import { startDemoFleet, type DemoFleet } from "../../src/demo/fleet.js";
import type { StepSpec } from "../../src/domain/runbooks/schema.js";
import * as fleetStep from "../../src/engine/runbooks/steps/fleet.js";
import { StepFailure, type StepContext } from "../../src/engine/runbooks/step-kind.js";
import { notConfigured } from "../../src/integrations/fleet/open-fleet.js";
import { tempDir } from "./support.js";
import { noStore } from "../runbooks/steps/support.js";

type Spec = StepSpec<"fleet">;

let demo: DemoFleet;
let config: Config;
const bare = loadConfig({ cwd: tempDir("no-fleet"), env: {} }).config;

interface Run {
  context: StepContext;
  lines: string[];
  artifacts: { name: string; data: Uint8Array | string; contentType: string }[];
}

function run(cfg: Config = config): Run {
  const lines: string[] = [];
  const artifacts: Run["artifacts"] = [];
  return {
    lines,
    artifacts,
    context: {
      config: cfg,
      store: noStore,
      signal: AbortSignal.timeout(60_000),
      run: { id: "run-1", runbook: "test" },
      step: { id: "step", attempt: 1 },
      log: (line) => lines.push(line),
      saveArtifact: async (name, data, contentType) => {
        artifacts.push({ name, data, contentType });
        return `artifact-${artifacts.length}`;
      },
      now: () => new Date(),
    },
  };
}

const spec = (s: Partial<Spec> & Pick<Spec, "action">): Spec => s as Spec;

async function failure(promise: Promise<unknown>): Promise<StepFailure> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StepFailure);
  return error as StepFailure;
}

beforeAll(async () => {
  demo = await startDemoFleet({ dataDir: tempDir("fleet-step"), playerIntervalMs: 0, initialPlayers: 2 });
  config = loadConfig({ cwd: tempDir("fleet-step-config"), env: { GAMEOPS_FLEET_URL: demo.url, GAMEOPS_FLEET_TOKEN: (demo.target as { token: Secret }).token.reveal() } }).config;
});

afterAll(async () => {
  await demo?.close();
});

describe("describing a fleet step", () => {
  it("says what each action does, on what, and whether it changes something", () => {
    const cases: [Partial<Spec> & Pick<Spec, "action">, string, boolean][] = [
      [{ action: "status" }, "status of every server: players, CPU, memory, maintenance", false],
      [{ action: "sessions", region: "eu-1" }, "list the sessions on the servers of region eu-1", false],
      [{ action: "maintenance", enabled: true, message: "Back soon" }, 'maintenance mode on for every server, kicking players with "Back soon"', true],
      [{ action: "maintenance", enabled: "false" }, "maintenance mode off on every server", true],
      [{ action: "accept-sessions", enabled: false, server: "game-2" }, "stop accepting new sessions on game-2", true],
      [{ action: "broadcast", message: "Restart in 5 minutes" }, 'broadcast "Restart in 5 minutes" to the players on every server', true],
      [{ action: "restart", server: "game-2" }, "restart game-2 (a new process)", true],
      [{ action: "restart" }, "restart every server, one at a time", true],
      [{ action: "drain", duration: 60_000 }, "drain every server: stop accepting new sessions, then wait up to 1m for the sessions to end", true],
      [{ action: "inject", server: "game-1", fault: "cpu-burn", duration: 30_000 }, "drill: inject cpu-burn into game-1 for 30s", true],
      [{ action: "inject", server: "game-1", fault: "none" }, "drill: inject none into game-1 (clear every fault)", true],
      [{ action: "profile", server: "game-1" }, "CPU profile of game-1 for 10s, kept with the run", false],
      [{ action: "heap-snapshot", server: "game-3" }, "heap snapshot of game-3, kept with the run", false],
      [{ action: "scale", replicas: 5 }, "scale the fleet to 5 servers", true],
    ];
    for (const [s, summary, destructive] of cases) {
      const described = fleetStep.describe(spec(s), config);
      expect(described.summary).toBe(`fleet: ${summary}`);
      expect(described.destructive, summary).toBe(destructive);
      expect(described.target).toBe(`the demo fleet at ${demo.url}`);
    }
    expect(fleetStep.describe(spec({ action: "status" }), bare).target).toBe("fleet (not configured)");
  });
});

describe("running a fleet step", () => {
  it("fails without a fleet, saying how to configure one", async () => {
    const error = await failure(fleetStep.execute(spec({ action: "status" }), run(bare).context));
    expect(error.message).toBe(notConfigured);
    expect(error.options.retryable).toBe(false);
  });

  it("status: every server, the totals and the hottest server", async () => {
    const { outputs } = await fleetStep.execute(spec({ action: "status" }), run().context);
    expect(outputs).toMatchObject({ desired: 3, up: 3, players: 6, maintenance: false });
    expect((outputs.servers as { server: string }[]).map((s) => s.server)).toEqual(["game-1", "game-2", "game-3"]);
    expect((outputs.hottest as { server: string }).server).toMatch(/^game-\d$/);
  });

  it("sessions: the count and who is on which server", async () => {
    const r = run();
    const { outputs } = await fleetStep.execute(spec({ action: "sessions" }), r.context);
    expect(outputs.count).toBe(6);
    expect((outputs.servers as { server: string; count: number }[]).map((s) => [s.server, s.count])).toEqual([["game-1", 2], ["game-2", 2], ["game-3", 2]]);
    expect(r.lines).toEqual(["6 sessions: game-1 2, game-2 2, game-3 2"]);
  });

  it("profile: the CPU profile is kept as an artifact and its hottest functions are outputs", async () => {
    await fleetStep.execute(spec({ action: "inject", server: "game-1", fault: "cpu-burn", duration: 5000 }), run().context);
    const r = run();
    const { outputs } = await fleetStep.execute(spec({ action: "profile", server: "game-1", duration: 1500 }), r.context);
    expect(outputs).toMatchObject({ server: "game-1", artifact: "artifact-1", durationMs: 1500 });
    expect((outputs.hottest as { function: string }[])[0]!.function).toBe("burnCpu");
    expect(r.artifacts[0]!.name).toMatch(/^game-1-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z\.cpuprofile$/);
    expect(r.artifacts[0]!.contentType).toBe("application/json");
    expect(JSON.parse(r.artifacts[0]!.data as string)).toHaveProperty("nodes");
    await fleetStep.execute(spec({ action: "inject", server: "game-1", fault: "none" }), run().context);
  });

  it("heap-snapshot: kept as an artifact", async () => {
    const r = run();
    const { outputs } = await fleetStep.execute(spec({ action: "heap-snapshot", server: "game-3" }), r.context);
    expect(outputs).toMatchObject({ server: "game-3", artifact: "artifact-1" });
    const data = r.artifacts[0]!.data as Uint8Array;
    expect(outputs.bytes).toBe(data.byteLength);
    expect(Buffer.from(data.subarray(0, 12)).toString()).toBe('{"snapshot":');
    expect(r.artifacts[0]!.name).toMatch(/^game-3-.*\.heapsnapshot$/);
  });

  it("drain: stops new sessions, and fails naming who is still on at the deadline", async () => {
    const error = await failure(fleetStep.execute(spec({ action: "drain", duration: 1000 }), run().context));
    expect(error.message).toMatch(/^drain: 6 sessions still on after \d+\.\ds: game-1 \(player-0001, player-0002\); game-2 \(player-0001, player-0002\); game-3 \(player-0001, player-0002\)$/);
    expect(error.options).toMatchObject({ retryable: false, outputs: { drained: false, count: 6 } });
    expect((await fleetStep.execute(spec({ action: "status" }), run().context)).outputs.servers).toEqual(
      expect.arrayContaining([expect.objectContaining({ server: "game-1", acceptingSessions: false })]),
    );
  });

  it("maintenance kicks everyone; then a drain finishes at once", async () => {
    const on = await fleetStep.execute(spec({ action: "maintenance", enabled: "true", message: "Patch 1.2" }), run().context);
    expect(on.outputs).toMatchObject({ enabled: true });
    expect((on.outputs.servers as { players: number }[]).every((s) => s.players === 0)).toBe(true);
    const r = run();
    const drained = await fleetStep.execute(spec({ action: "drain", duration: 60_000 }), r.context);
    expect(drained.outputs).toMatchObject({ drained: true, count: 0 });
    await fleetStep.execute(spec({ action: "maintenance", enabled: false }), run().context);
    await fleetStep.execute(spec({ action: "accept-sessions", enabled: true }), run().context);
    expect((await fleetStep.execute(spec({ action: "status" }), run().context)).outputs.maintenance).toBe(false);
  });

  it("broadcast, restart and scale", async () => {
    const sent = await fleetStep.execute(spec({ action: "broadcast", message: "Hello" }), run().context);
    expect((sent.outputs.servers as unknown[]).length).toBe(3);
    const r = run();
    const restarted = await fleetStep.execute(spec({ action: "restart", server: "game-1" }), r.context);
    const [before] = restarted.outputs.before as { pid: number }[];
    const [after] = restarted.outputs.after as { pid: number }[];
    expect(after!.pid).not.toBe(before!.pid);
    expect(r.lines).toEqual([`game-1 (pid ${before!.pid}) → game-1 (pid ${after!.pid})`]);
    const scaled = await fleetStep.execute(spec({ action: "scale", replicas: "4" }), run().context);
    expect(scaled.outputs).toMatchObject({ from: 3, to: 4 });
    await fleetStep.execute(spec({ action: "scale", replicas: 3 }), run().context);
  });

  it("says what is missing or wrong in the spec", async () => {
    const cases: [Partial<Spec> & Pick<Spec, "action">, string][] = [
      [{ action: "inject", fault: "cpu-burn" }, 'fleet inject acts on one server: name it with `server:`, e.g. server: "${{ steps.status.outputs.hottest.server }}"'],
      [{ action: "inject", server: "game-1" }, "fleet inject needs a fault: cpu-burn, memory-growth, errors or none"],
      [{ action: "maintenance" }, "fleet maintenance needs enabled: true or false"],
      [{ action: "accept-sessions", enabled: "maybe" }, 'fleet accept-sessions: enabled must be true or false, not "maybe"'],
      [{ action: "broadcast" }, "fleet broadcast needs a message"],
      [{ action: "scale", replicas: "many" }, 'fleet scale: replicas must be a whole number of servers, not "many"'],
      [{ action: "restart", server: "game-9" }, `no server "game-9" in the demo fleet at ${demo.url}; it has game-1, game-2, game-3`],
    ];
    for (const [s, message] of cases) {
      const error = await failure(fleetStep.execute(spec(s), run().context));
      expect(error.message).toBe(message);
      expect(error.options.retryable).toBe(false);
    }
  });
});
