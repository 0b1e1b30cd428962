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

describe("incident clocks on a fake clock", () => {
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

  it("a P2's response deadline passing unacknowledged records the breach and escalates its page; the IC is reminded when an update is due", async () => {
    await store.people.upsertPerson({ id: "lee", name: "Lee", titles: ["lead"] });
    const declaredAt = clock;
    const { incident, page } = await incidents.declare({ title: "Shop down", severity: "P2", commander: "alice", by: "alice", source: "cli" });
    expect(incident.respondBy).toBe(new Date(declaredAt.getTime() + 15 * 60_000).toISOString());
    await timers.tick(); // level 0: alice
    expect((await store.pages.get(page!.id))?.assignees).toEqual(["alice"]);

    clock = new Date(declaredAt.getTime() + 15 * 60_000 + 1000);
    await timers.tick(); // the SLA, the update reminder and level 1 (the lead) are all due now
    await timers.tick();
    const events = (await store.incidents.events(incident.id)).map((e) => e.type);
    expect(events).toEqual(expect.arrayContaining(["incident.sla_breached", "incident.update_due"]));
    expect(events.filter((e) => e === "incident.sla_breached")).toHaveLength(1);
    const pageEvents = await store.pages.events(page!.id);
    expect(pageEvents.filter((e) => e.type === "page.escalated")).toHaveLength(1);
    expect((await store.pages.get(page!.id))?.assignees).toEqual(["lee"]);
    expect((await store.deliveries.inbox("alice", { limit: 10 })).map((d) => d.notice.title)).toContain(`Status update due for INC-${incident.number}`);

    // An update moves the next reminder a cadence on.
    await incidents.postUpdate(String(incident.number), { text: "Rolled back the release", by: "alice" });
    expect((await store.timers.findByKey(`incident:${incident.id}:update`))?.dueAt).toEqual(new Date(clock.getTime() + 15 * 60_000));
    // Acknowledged in time, a P3 never breaches.
    const { incident: p3 } = await incidents.declare({ title: "Slow leaderboard", severity: "P3", commander: "alice", by: "alice", source: "cli" });
    await incidents.acknowledge(String(p3.number), "alice", "cli");
    clock = new Date(clock.getTime() + 2 * 3600_000);
    await timers.tick();
    expect((await store.incidents.get(p3.id))?.slaBreachedAt).toBeUndefined();
  });
});
