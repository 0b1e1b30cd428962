/** The demo fleet's supervisor and the `local` fleet integration over it. */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Secret } from "../../src/config/secret.js";
import { demoFleetTarget, startDemoFleet, type DemoFleet } from "../../src/demo/fleet.js";
import { FleetError, FleetPartialFailure } from "../../src/integrations/fleet/errors.js";
import type { GameFleet } from "../../src/integrations/fleet/fleet.js";
import { LocalFleet } from "../../src/integrations/fleet/local-fleet.js";
import { alive, eventually, tempDir } from "./support.js";

let dataDir: string;
let demo: DemoFleet;
let fleet: GameFleet;

async function rejection(promise: Promise<unknown>): Promise<FleetError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FleetError);
  return error as FleetError;
}

beforeAll(async () => {
  dataDir = tempDir("demo-fleet");
  demo = await startDemoFleet({ dataDir, playerIntervalMs: 0, initialPlayers: 2 });
  fleet = new LocalFleet({ url: demo.url, token: (demo.target as { token: Secret }).token });
});

afterAll(async () => {
  await demo?.close();
});

describe("the demo fleet supervisor", () => {
  it("starts three servers on loopback with their logs under <data>/demo-fleet/", () => {
    const servers = demo.servers();
    expect(servers.map((s) => s.id)).toEqual(["game-1", "game-2", "game-3"]);
    for (const s of servers) {
      expect(s).toMatchObject({ region: "demo", state: "up", restarts: 0, logFile: join(dataDir, "demo-fleet", `${s.id}.log`) });
      expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(alive(s.pid!)).toBe(true);
      expect(existsSync(s.logFile)).toBe(true);
    }
    expect(demo.logSource).toEqual({ name: "demo-fleet", files: [join(dataDir, "demo-fleet", "*.log")] });
    expect(demo.target).toMatchObject({ kind: "local", url: demo.url });
    expect(String((demo.target as { token: Secret }).token)).toBe("<secret>");
  });

  it("leaves its control endpoint and token for other processes, readable by its owner only", () => {
    const file = join(dataDir, "demo-fleet", "fleet.json");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const target = demoFleetTarget(dataDir);
    expect(target).toMatchObject({ kind: "local", url: demo.url });
    expect((target as { token: Secret }).token.reveal()).toBe((demo.target as { token: Secret }).token.reveal());
    expect(JSON.parse(readFileSync(file, "utf8")).pid).toBe(process.pid);
  });

  it("refuses a fleet size it cannot run", async () => {
    await expect(startDemoFleet({ dataDir, size: 0 })).rejects.toThrow("the demo fleet's size must be a whole number from 1 to 16, not 0");
    await expect(demo.scale(17)).rejects.toThrow("the demo fleet's size must be a whole number from 0 to 16, not 17");
  });
});

describe("the local fleet", () => {
  it("reports every server with its status, and the fleet's totals", async () => {
    const status = await fleet.status();
    expect(status).toMatchObject({ kind: "local", label: `the demo fleet at ${demo.url}`, desired: 3, players: 6, maintenance: { on: false } });
    expect(status.servers.map((s) => (s.up ? [s.server, s.status.pid, s.status.players] : s.server))).toEqual(demo.servers().map((s) => [s.id, s.pid, 2]));
    expect(status.hottest?.server).toMatch(/^game-\d$/);
    expect(status.largest?.server).toMatch(/^game-\d$/);
  });

  it("lists the sessions of every server, of one, or of a region", async () => {
    const all = await fleet.sessions();
    expect(all.count).toBe(6);
    expect(all.servers.map((s) => [s.server, s.count])).toEqual([["game-1", 2], ["game-2", 2], ["game-3", 2]]);
    expect((await fleet.sessions({ scope: { server: "game-2" } })).servers.map((s) => s.server)).toEqual(["game-2"]);
    expect((await fleet.sessions({ scope: { region: "demo" } })).count).toBe(6);
    expect((await rejection(fleet.sessions({ scope: { server: "game-9" } }))).message).toBe(`no server "game-9" in the demo fleet at ${demo.url}; it has game-1, game-2, game-3`);
    expect((await rejection(fleet.sessions({ scope: { region: "eu-1" } }))).message).toBe(`no server in region "eu-1" in the demo fleet at ${demo.url}; its regions: demo`);
  });

  it("restarts a server as a new process with a new pid on the same port", async () => {
    const old = demo.servers().find((s) => s.id === "game-2")!;
    const restarted = await fleet.restart("game-2");
    expect(restarted.before).toEqual([{ server: "game-2", pid: old.pid }]);
    expect(restarted.after[0]!.server).toBe("game-2");
    expect(restarted.after[0]!.pid).not.toBe(old.pid);
    const now = demo.servers().find((s) => s.id === "game-2")!;
    expect(now).toMatchObject({ state: "up", pid: restarted.after[0]!.pid, url: old.url, restarts: 1 });
    await eventually(() => (alive(old.pid!) ? undefined : true), "the old process to be gone");
    const status = await fleet.status({ scope: { server: "game-2" } });
    expect(status.servers[0]).toMatchObject({ up: true, status: { pid: now.pid } });
  });

  it("maintenance on kicks everyone, and a server restarted meanwhile comes back in maintenance", async () => {
    const changed = await fleet.setMaintenance(true, "Back at 10:00 UTC");
    expect(changed.map((s) => (s.up ? [s.server, s.status.maintenance.on, s.status.players] : s.server))).toEqual([
      ["game-1", true, 0],
      ["game-2", true, 0],
      ["game-3", true, 0],
    ]);
    expect((await fleet.sessions()).count).toBe(0);
    await fleet.restart("game-3");
    const status = await fleet.status();
    expect(status.maintenance).toEqual({ on: true, message: "Back at 10:00 UTC" });
    const game3 = status.servers.find((s) => s.server === "game-3")!;
    expect(game3.up && game3.status.maintenance).toMatchObject({ on: true, message: "Back at 10:00 UTC" });
    await fleet.setMaintenance(false);
    expect((await fleet.status()).maintenance).toEqual({ on: false });
  });

  it("stops and starts accepting sessions, and broadcasts", async () => {
    const refusing = await fleet.setAcceptingSessions(false, { scope: { server: "game-1" } });
    expect(refusing.map((s) => s.up && [s.server, s.status.acceptingSessions])).toEqual([["game-1", false]]);
    await fleet.setAcceptingSessions(true);
    const sent = await fleet.broadcast("Restart in 5 minutes");
    expect(sent.servers.map((s) => s.server)).toEqual(["game-1", "game-2", "game-3"]);
  });

  it("injects a fault into one server and profiles it", async () => {
    const injected = await fleet.inject("game-1", "cpu-burn", 4000);
    expect(injected).toMatchObject({ server: "game-1", fault: "cpu-burn" });
    const { profile } = await fleet.profile("game-1", 1000);
    expect(Array.isArray(profile.samples)).toBe(true);
    const cleared = await fleet.inject("game-1", "none", 0);
    expect(cleared).toEqual({ server: "game-1", fault: "none" });
  });

  it("streams a heap snapshot", async () => {
    const { chunks } = await fleet.heapSnapshot("game-3");
    let bytes = 0;
    let head = "";
    for await (const chunk of chunks) {
      if (head.length < 20) head += Buffer.from(chunk).toString("utf8", 0, 20);
      bytes += chunk.byteLength;
    }
    expect(head).toMatch(/^\{"snapshot":/);
    expect(bytes).toBeGreaterThan(100_000);
  });

  it("a hung server fails alone: the others still change, and the error names it", async () => {
    const game1 = demo.servers().find((s) => s.id === "game-1")!.pid!;
    process.kill(game1, "SIGSTOP");
    try {
      const error = await rejection(fleet.broadcast("Anyone there?", { timeoutMs: 500 }));
      expect(error).toBeInstanceOf(FleetPartialFailure);
      expect(error).toMatchObject({ retryable: true, changed: ["game-2", "game-3"] });
      expect(error.message).toBe("broadcasting: 1 of 3 servers failed — game-1: broadcasting to the players of game-1: no answer within 500ms");
      const status = await fleet.status({ timeoutMs: 500 });
      expect(status.servers[0]).toEqual({ server: "game-1", address: demo.servers()[0]!.url, up: false, problem: "reading the status of game-1: no answer within 500ms", pid: game1 });
      expect(status.servers.slice(1).every((s) => s.up)).toBe(true);
    } finally {
      process.kill(game1, "SIGCONT");
    }
  });

  it("scales up and down", async () => {
    const up = await fleet.scale(4);
    expect(up).toMatchObject({ from: 3, to: 4 });
    expect(up.servers.map((s) => s.server)).toEqual(["game-1", "game-2", "game-3", "game-4"]);
    const game4 = demo.servers().find((s) => s.id === "game-4")!.pid!;
    const down = await fleet.scale(3);
    expect(down).toMatchObject({ from: 4, to: 3 });
    await eventually(() => (alive(game4) ? undefined : true), "game-4 to be gone");
  });

  it("says which call failed and whether to try again", async () => {
    const wrongToken = new LocalFleet({ url: demo.url, token: new Secret("not-the-token") });
    const refused = await rejection(wrongToken.status());
    expect(refused).toMatchObject({ failure: "unauthorized", retryable: false });
    expect(refused.message).toBe(`listing the servers of the demo fleet at ${demo.url}: the demo fleet refused the token; set GAMEOPS_FLEET_TOKEN to the token in <data>/demo-fleet/fleet.json`);

    const unknown = await rejection(fleet.restart("game-9"));
    expect(unknown).toMatchObject({ failure: "unknown-server", retryable: false });

    const gone = new LocalFleet({ url: "http://127.0.0.1:1", token: new Secret("x") });
    const unreachable = await rejection(gone.status());
    expect(unreachable).toMatchObject({ failure: "unreachable", retryable: true });
    expect(unreachable.message).toBe("listing the servers of the demo fleet at http://127.0.0.1:1: connection refused");

    const cancelled = await rejection(fleet.profile("game-1", 5000, { signal: AbortSignal.abort() }));
    expect(cancelled).toMatchObject({ failure: "aborted", retryable: false });
  });
});

describe("no game server outlives the supervisor", () => {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

  async function parentWithFleet(): Promise<{ pid: number; children: number[]; exited: Promise<unknown> }> {
    const child = spawn(process.execPath, ["--import", tsx, join(import.meta.dirname, "fleet-parent.ts"), tempDir("fleet-parent")], { stdio: ["ignore", "pipe", "inherit"] });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    const line = await new Promise<string>((resolve, reject) => {
      let text = "";
      child.stdout.on("data", (c: Buffer) => {
        text += c.toString();
        if (text.includes("\n")) resolve(text.split("\n")[0]!);
      });
      child.once("exit", (code) => reject(new Error(`the parent exited with ${code} before its fleet was up`)));
    });
    const { pids } = JSON.parse(line) as { pids: number[] };
    expect(pids.every(alive)).toBe(true);
    return { pid: child.pid!, children: pids, exited };
  }

  it("close() stops every server", async () => {
    const own = await startDemoFleet({ dataDir: tempDir("fleet-close"), size: 2, playerIntervalMs: 0, initialPlayers: 0 });
    const pids = own.servers().map((s) => s.pid!);
    await own.close();
    expect(pids.filter(alive)).toEqual([]);
    expect(demoFleetTarget(join(own.logSource.files[0]!, "../.."))).toBeUndefined();
  });

  for (const signal of ["SIGTERM", "SIGINT", "SIGKILL"] as const) {
    it(`a ${signal} of the supervisor's process takes its servers with it`, async () => {
      const parent = await parentWithFleet();
      process.kill(parent.pid, signal);
      await parent.exited;
      await eventually(() => (parent.children.some(alive) ? undefined : true), "every game server to exit");
    });
  }
});
