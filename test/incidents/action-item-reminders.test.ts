import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { IncidentService } from "../../src/engine/incidents/incident-service.js";
import { loadLinkKey } from "../../src/engine/paging/action-links.js";
import { Paging } from "../../src/engine/paging/paging.js";
import { TimerLoop } from "../../src/engine/timer-loop.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/store.js";

describe("overdue action items", () => {
  let dir: string;
  let store: Store;
  let clock: Date;
  let incidents: IncidentService;
  let timers: TimerLoop;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "gameops-actions-"));
    const { config } = loadConfig({ cwd: dir, env: { GAMEOPS_DATA: dir, GAMEOPS_TIME_ZONE: "Asia/Seoul" } });
    clock = new Date("2026-03-10T12:00:00Z"); // 21:00 in Seoul
    store = await openStore({ dataDir: dir, now: () => clock });
    await store.people.upsertPerson({ id: "alice", name: "Alice", titles: [] });
    const paging = new Paging({ store, config, publicUrl: () => "http://gameops.test", linkKey: loadLinkKey(join(dir, "key")), now: () => clock });
    incidents = new IncidentService({ store, config, paging, publicUrl: () => "http://gameops.test", now: () => clock });
    timers = new TimerLoop({ timers: store.timers, owner: "test", now: () => clock });
    paging.register(timers);
    incidents.register(timers);
  });
  afterEach(async () => {
    await timers.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("reminds each owner every morning of the items past due, until they are done", async () => {
    const { incident } = await incidents.declare({ title: "Login outage", severity: "P3", by: "alice", source: "cli" });
    await store.incidents.addActionItem({ incidentId: incident.id, text: "Add pool metrics", owner: "alice", dueOn: "2026-03-10", createdBy: "alice" });
    await store.incidents.addActionItem({ incidentId: incident.id, text: "Resize the pool", owner: "Dev Team", dueOn: "2026-03-01", createdBy: "alice" });
    const later = await store.incidents.addActionItem({ incidentId: incident.id, text: "Write docs", owner: "alice", dueOn: "2026-03-20", createdBy: "alice" });
    await incidents.arm();
    // Next 09:00 in Seoul: 2026-03-11T00:00Z.
    expect((await store.timers.findByKey("incidents:action-items"))?.dueAt).toEqual(new Date("2026-03-11T00:00:00Z"));

    clock = new Date("2026-03-11T00:00:05Z");
    await timers.tick();
    const reminders = (await store.deliveries.inbox("alice", { limit: 10 })).filter((d) => d.notice.title === "1 overdue action item");
    expect(reminders).toHaveLength(1);
    expect(reminders[0]!.notice.text).toBe(`• Add pool metrics — INC-${incident.number}, due 2026-03-10`);
    expect(JSON.stringify(reminders)).not.toContain("Write docs");
    expect((await store.timers.findByKey("incidents:action-items"))?.dueAt).toEqual(new Date("2026-03-12T00:00:00Z"));
    expect(later.dueOn).toBe("2026-03-20");
  });
});
