/**
 * Issue 3's "done when", end to end: `gameops up --demo`, a CPU burn, the high-cpu runbook run by
 * the server, a SIGKILL of the server in the middle of a step, a new server that takes the run
 * over, an approval by a second person, and the run's success. Real processes throughout.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { eventually, startUp, stopAll, type Up } from "./up-process.js";

afterEach(stopAll);

async function call<T>(up: Up, token: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${up.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(15_000),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

interface Detail {
  run: { status: string };
  steps: { stepId: string; attempt: number; status: string }[];
}

const demoServers = () => {
  try {
    return execFileSync("pgrep", ["-f", "demo-game-server"], { encoding: "utf8" }).trim().split("\n").filter(Boolean);
  } catch {
    return [];
  }
};

describe("gameops up --demo survives a kill -9 in the middle of a runbook", () => {
  it("takes the run over after the crash, asks for the approval, and finishes", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "gameops-demo-crash-"));
    const before = new Set(demoServers());
    const first = await startUp(cwd, {}, ["--demo", "3"]);
    expect(first.output()).toMatch(/demo fleet: game-1 \(pid \d+, :\d+\), game-2 \(pid \d+, :\d+\), game-3 \(pid \d+, :\d+\)/);
    const admin = first.adminToken!;
    await call(first, admin, "POST", "/api/people", { id: "mina", name: "Mina Park", titles: [] });
    await call(first, admin, "POST", "/api/people", { id: "joon", name: "Joon Lee", titles: ["lead"] });
    const mina = (await call<{ token: string }>(first, admin, "POST", "/api/tokens", { personId: "mina", role: "operator", label: "test" })).token;
    const joon = (await call<{ token: string }>(first, admin, "POST", "/api/tokens", { personId: "joon", role: "operator", label: "test" })).token;

    const drill = await call<{ id: string }>(first, mina, "POST", "/api/runbooks/demo-drill/runs", { params: { fault: "cpu-burn", server: "game-2" } });
    await eventually(async () => ((await call<Detail>(first, mina, "GET", `/api/runs/${drill.id}`)).run.status === "succeeded" ? true : undefined));

    // A low bar: on a busy two-core machine the burn is still the hottest thing there is.
    const run = await call<{ id: string }>(first, mina, "POST", "/api/runbooks/high-cpu/runs", { params: { cpu_percent: 40 } });
    await eventually(async () => {
      const detail = await call<Detail>(first, mina, "GET", `/api/runs/${run.id}`);
      return detail.steps.some((s) => s.stepId === "profile" && s.status === "running") ? true : undefined;
    });

    first.child.kill("SIGKILL");
    await new Promise((resolve) => first.child.once("exit", resolve));

    // The new server finds the run whose executor died, once its lease has run out.
    const second = await startUp(cwd, {}, ["--demo", "3"]);
    const waiting = await eventually(async () => {
      const detail = await call<Detail>(second, mina, "GET", `/api/runs/${run.id}`);
      return detail.run.status === "waiting_approval" ? detail : undefined;
    });
    const profile = waiting.steps.filter((s) => s.stepId === "profile").map((s) => [s.attempt, s.status]);
    expect(profile).toEqual([
      [1, "interrupted"],
      [2, "succeeded"],
    ]);
    // Finished steps never run twice.
    expect(waiting.steps.filter((s) => s.stepId === "hot")).toHaveLength(1);

    await expect(call(second, mina, "POST", `/api/runs/${run.id}/approvals`, { step: "confirm_restart", decision: "approve" })).rejects.toThrow(/403/);
    await call(second, joon, "POST", `/api/runs/${run.id}/approvals`, { step: "confirm_restart", decision: "approve" });
    const done = await eventually(async () => {
      const detail = await call<Detail>(second, mina, "GET", `/api/runs/${run.id}`);
      return ["succeeded", "failed", "rolled_back"].includes(detail.run.status) ? detail : undefined;
    });
    expect(done.run.status).toBe("succeeded");

    await stopAll();
    // The fleet of the killed server went with it; the second one's stopped with it.
    expect(demoServers().filter((pid) => !before.has(pid))).toEqual([]);
  }, 240_000);
});
