import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { loadLinkKey } from "../../src/engine/paging/action-links.js";
import { Paging } from "../../src/engine/paging/paging.js";
import { TimerLoop } from "../../src/engine/timer-loop.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/store.js";

/** Monday 2026-03-02 10:00 in Seoul is 01:00 UTC: bob's week starts (alice's began 2026-02-23). */
const handoff = new Date("2026-03-02T01:00:00Z");

describe("shift-start notices", () => {
  let dir: string;
  let store: Store;
  let clock: Date;
  let paging: Paging;
  let timers: TimerLoop;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "gameops-shifts-"));
    const { config } = loadConfig({ cwd: dir, env: { GAMEOPS_DATA: dir } });
    config.paging.schedules = [
      {
        id: "ops",
        name: "Game ops",
        timeZone: "Asia/Seoul",
        layers: [{ name: "weekly", people: ["alice", "bob"], start: "2026-02-23", handoff: { day: "mon", time: "10:00" } }],
      },
    ];
    clock = new Date(handoff.getTime() - 3600_000);
    store = await openStore({ dataDir: dir, now: () => clock });
    for (const id of ["alice", "bob"]) await store.people.upsertPerson({ id, name: id, titles: [] });
    paging = new Paging({ store, config, publicUrl: () => "http://gameops.test", linkKey: loadLinkKey(join(dir, "key")), now: () => clock });
    timers = new TimerLoop({ timers: store.timers, owner: "test", now: () => clock });
    paging.register(timers);
  });
  afterEach(async () => {
    await timers.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("tells whoever takes a role at the handoff, then waits for the next one", async () => {
    await paging.arm();
    expect((await store.timers.findByKey("oncall:shift:ops"))?.dueAt).toEqual(handoff);
    expect((await timers.tick()).claimed).toBe(0);

    clock = new Date(handoff.getTime() + 1000);
    expect((await timers.tick()).claimed).toBe(1);
    const bob = await store.deliveries.inbox("bob", { limit: 5 });
    const alice = await store.deliveries.inbox("alice", { limit: 5 });
    expect(bob.map((d) => d.notice.title)).toEqual(["Your on-call shift starts: primary for Game ops"]);
    expect(alice.map((d) => d.notice.title)).toEqual(["Your on-call shift starts: backup for Game ops"]);
    // The week after, at the same local time.
    expect((await store.timers.findByKey("oncall:shift:ops"))?.dueAt).toEqual(new Date(handoff.getTime() + 7 * 86_400_000));
  });

  it("an override moves the notice to whoever takes over", async () => {
    await paging.arm();
    await store.people.upsertPerson({ id: "carol", name: "carol", titles: [] });
    const start = new Date(handoff.getTime() - 600_000);
    await paging.addOverride({ scheduleId: "ops", role: "primary", personId: "carol", start, end: new Date(start.getTime() + 3600_000), by: "alice" });
    expect((await store.timers.findByKey("oncall:shift:ops"))?.dueAt).toEqual(start);
    clock = new Date(start.getTime() + 1000);
    await timers.tick();
    expect((await store.deliveries.inbox("carol", { limit: 5 })).map((d) => d.notice.title)).toEqual(["Your on-call shift starts: primary for Game ops"]);
  });
});
