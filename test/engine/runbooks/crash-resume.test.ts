import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openStore } from "../../../src/store/open-store.js";
import type { RunbookRun } from "../../../src/store/store.js";
import { startCrashWorker } from "./crash-worker.js";

/**
 * The real thing: a Node process executing a runbook is killed with SIGKILL in the middle of
 * step 2, and a second process takes the run up from the store on disk.
 */
describe("a run killed with SIGKILL mid-step", () => {
  let dir: string;
  const strays: number[] = [];

  afterEach(async () => {
    // The killed process's `sleep` outlives it in its own process group: end it.
    for (const pid of strays.splice(0)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await rm(dir, { recursive: true, force: true });
  });

  async function killInStepTwo(idempotent: boolean): Promise<{ runId: string; dataDir: string }> {
    dir = await mkdtemp(join(tmpdir(), "gameops-crash-"));
    const dataDir = join(dir, "data");
    const first = startCrashWorker(["start", dataDir, dir, String(idempotent)]);
    const iterator = first.lines[Symbol.asyncIterator]();
    const { value } = await iterator.next();
    const runId = (value as { runId: string }).runId;
    // Bounded polling, not a timed assertion: step 2 writes this file once it is running.
    const blocking = join(dir, "blocking");
    for (let i = 0; i < 600 && !existsSync(blocking); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(existsSync(blocking)).toBe(true);
    strays.push(Number((await readFile(blocking, "utf8")).trim()));
    first.child.kill("SIGKILL");
    await first.exited;
    return { runId, dataDir };
  }

  async function resume(dataDir: string): Promise<{ claimed: string[]; run: RunbookRun }> {
    const second = startCrashWorker(["resume", dataDir, dir, "unused"]);
    let result: { claimed: string[]; run: RunbookRun } | undefined;
    for await (const line of second.lines) result = line as typeof result;
    expect(await second.exited).toBe(0);
    return result!;
  }

  async function lines(name: string): Promise<string[]> {
    return existsSync(join(dir, name)) ? (await readFile(join(dir, name), "utf8")).trim().split("\n") : [];
  }

  it("re-runs an idempotent step 2 and never step 1", async () => {
    const { runId, dataDir } = await killInStepTwo(true);
    const { claimed, run } = await resume(dataDir);
    expect(claimed).toEqual([runId]);
    expect(run.status).toBe("succeeded");
    expect(await lines("appended")).toEqual(["ran"]);
    expect(await lines("rerun")).toEqual(["again"]);
    expect(await lines("after")).toEqual(["after"]);
    const store = await openStore({ dataDir });
    try {
      const steps = await store.runbookRuns.listSteps(runId);
      expect(steps.map((s) => `${s.stepId}#${s.attempt}=${s.status}`)).toEqual(["append#1=succeeded", "block#1=interrupted", "block#2=succeeded", "after#1=succeeded"]);
    } finally {
      await store.close();
    }
  });

  it("waits for a decision about a step 2 that is not idempotent", async () => {
    const { runId, dataDir } = await killInStepTwo(false);
    const { claimed, run } = await resume(dataDir);
    expect(claimed).toEqual([runId]);
    expect(run).toMatchObject({ status: "waiting_decision", waiting: { for: "decision", stepId: "block", attempt: 1 } });
    expect(await lines("appended")).toEqual(["ran"]);
    expect(await lines("rerun")).toEqual([]);
    expect(await lines("after")).toEqual([]);
    const store = await openStore({ dataDir });
    try {
      const interrupted = (await store.runbookRuns.listEvents(runId)).find((e) => e.type === "step.interrupted");
      expect(interrupted?.data).toMatchObject({ action: { summary: expect.stringContaining("sh -c:") }, startedAt: expect.any(String) });
    } finally {
      await store.close();
    }
  });
});
