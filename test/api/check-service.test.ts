import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig, type Config } from "../../src/config/load.js";
import { createCheckService, type CheckService, type RunEvent } from "../../src/engine/health/check-service.js";
import { UnknownCheckError } from "../../src/engine/health/run-checks.js";
import { openStore } from "../../src/store/open-store.js";
import type { CheckRunRecord, Store } from "../../src/store/store.js";
import { services } from "./fixture.js";

describe("check service", () => {
  let dir: string;
  let config: Config;
  let store: Store;
  let checks: CheckService;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "gameops-service-"));
    config = loadConfig({ cwd: dir, env: { GAMEOPS_DATA: dir, ...services } }).config;
    store = await openStore({ dataDir: dir });
    checks = createCheckService({ config, store });
  });

  afterEach(async () => {
    await checks.idle();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("stores one record with the requester and tells every watcher, late ones included", async () => {
    const recorded: CheckRunRecord[] = [];
    checks.onRecorded((run) => recorded.push(run));
    const early: RunEvent[] = [];
    const late: RunEvent[] = [];
    let lateJoinedAfter: RunEvent[] | undefined;

    const { id, done } = checks.start({ trigger: "cli", requestedBy: undefined, only: ["disk", "logs"] });
    expect(checks.running()).toEqual([id]);
    checks.subscribe(id, (event) => {
      early.push(event);
      if (event.type === "finished" && event.result.name === "disk" && !lateJoinedAfter) {
        lateJoinedAfter = [...early];
        checks.subscribe(id, (e) => late.push(e));
      }
    });
    const run = await done;
    expect(early).toContainEqual(expect.objectContaining({ type: "finished", result: expect.objectContaining({ name: "logs", status: "skipped" }) }));

    expect(early.map((e) => e.type).sort()).toEqual(["done", "finished", "finished", "started"]);
    expect(early.at(-1)).toEqual({ type: "done", run });
    expect(late.slice(0, lateJoinedAfter!.length)).toEqual(lateJoinedAfter);
    expect(late.at(-1)).toEqual({ type: "done", run });
    expect(recorded).toEqual([run]);
    expect(await store.checkRuns.get(id)).toEqual(run);
    expect(await store.checkRuns.list({ limit: 10 })).toHaveLength(1);
    expect(checks.running()).toEqual([]);
    expect(checks.subscribe(id, () => {})).toBeUndefined();
  });

  it("gives each check its previous stored result, for deltas between runs", async () => {
    await store.people.upsertPerson({ id: "rin", name: "Rin", titles: [] });
    const first = await checks.start({ trigger: "api", requestedBy: "rin", only: ["mysql"] }).done;
    expect(first.requestedBy).toBe("rin");
    expect(first.checks[0]!.details.newSlowQueries).toBeNull();
    const second = await checks.start({ trigger: "api", only: ["mysql"] }).done;
    expect(second.checks[0]).toMatchObject({ status: "ok", details: { newSlowQueries: expect.any(Number) } });
    expect(second.checks[0]!.summary).not.toContain("no previous run");
  });

  it("refuses an unknown check at once, before anything runs", () => {
    expect(() => checks.start({ trigger: "api", only: ["disk", "rediss"] })).toThrow(
      new UnknownCheckError(["rediss"]),
    );
    expect(() => checks.start({ trigger: "api", only: ["rediss"] })).toThrow(
      'unknown check "rediss"; choose from mysql, redis, disk, logs, alerts, kubernetes, backups',
    );
    expect(checks.running()).toEqual([]);
  });

  it("tells watchers when the run cannot be stored, and rejects `done`", async () => {
    await store.close();
    const seen: RunEvent[] = [];
    const { id, done } = checks.start({ trigger: "api", only: ["disk"] });
    checks.subscribe(id, (event) => seen.push(event));
    await expect(done).rejects.toThrow();
    expect(seen.at(-1)).toMatchObject({ type: "failed", message: expect.stringMatching(/^the check run failed: /) });
    expect(checks.running()).toEqual([]);
    store = await openStore({ dataDir: dir });
    expect(await store.checkRuns.list({ limit: 10 })).toEqual([]);
  });
});
