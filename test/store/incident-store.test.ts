import { describe, expect, it } from "vitest";
import { incidentTimerKey, type NewIncident } from "../../src/store/store.js";
import { dialects, storeForEachTest } from "./test-stores.js";

const t0 = new Date("2026-03-01T00:00:00.000Z");
const at = (ms: number) => new Date(t0.getTime() + ms);

function incident(extra: Partial<NewIncident> = {}): NewIncident {
  return {
    title: "Login fails for 30% of players",
    severity: "P1",
    source: "cli",
    labels: {},
    declaredBy: "alice",
    respondBy: t0,
    nextUpdateAt: at(15 * 60_000),
    roles: { incident_commander: "alice" },
    tasks: [
      { taskId: "impact", phase: "first-15-minutes", title: "Assess the impact", ownerRole: "incident_commander" },
      { taskId: "timeline", phase: "first-15-minutes", title: "Start the timeline", ownerRole: "scribe" },
    ],
    timers: [{ kind: "incident.sla", name: "sla", dueAt: t0 }],
    ...extra,
  };
}

describe.each(dialects)("incident store on %s", (dialect) => {
  const ctx = storeForEachTest(dialect, t0);

  it("declares an incident with its roles, tasks, clocks and page in one commit", async () => {
    const { incident: declared, page } = await ctx.store.incidents.declare(
      incident({ page: { title: "INC-1: Login fails", source: "manual", labels: {}, annotations: {}, escalation: { kind: "page.escalate", dueAt: t0 } } }),
    );
    expect(declared).toMatchObject({ number: 1, status: "declared", severity: "P1", roles: { incident_commander: "alice" }, respondBy: t0.toISOString() });
    expect(page).toMatchObject({ incidentId: declared.id, status: "triggered" });
    expect((await ctx.store.timers.findByKey(incidentTimerKey(declared.id, "sla")))?.payload).toEqual({ incidentId: declared.id });
    expect((await ctx.store.incidents.tasks(declared.id)).map((t) => t.taskId)).toEqual(["impact", "timeline"]);
    expect((await ctx.store.incidents.events(declared.id)).map((e) => e.type)).toEqual(["incident.declared", "incident.role", "incident.page"]);
    expect((await ctx.store.incidents.get("INC-1"))?.id).toBe(declared.id);
    expect((await ctx.store.incidents.pages(declared.id)).map((p) => p.number)).toEqual([page!.number]);
  });

  it("changes state only from the expected one, with its event and timers", async () => {
    const { incident: declared } = await ctx.store.incidents.declare(incident());
    ctx.clock = at(60_000);
    const moved = await ctx.store.incidents.change(declared.id, {
      fromStatus: ["declared"],
      set: { status: "mitigating", acknowledgedAt: ctx.clock, acknowledgedBy: "bob" },
      event: { type: "incident.status", actor: "bob", data: { from: "declared", to: "mitigating" } },
      cancelTimers: ["sla"],
    });
    expect(moved).toMatchObject({ status: "mitigating", acknowledgedBy: "bob", acknowledgedAt: ctx.clock.toISOString() });
    expect(await ctx.store.timers.findByKey(incidentTimerKey(declared.id, "sla"))).toBeUndefined();
    expect(await ctx.store.incidents.change(declared.id, { fromStatus: ["declared"], set: { status: "resolved" }, event: { type: "incident.status" } })).toBeUndefined();
    expect((await ctx.store.incidents.get(declared.id))?.status).toBe("mitigating");
  });

  it("records role handoffs, tasks, action items and linked pages", async () => {
    const { incident: declared } = await ctx.store.incidents.declare(incident());
    expect(await ctx.store.incidents.assignRole(declared.id, { role: "incident_commander", personId: "bob", by: "alice" })).toEqual({ previous: "alice" });
    expect(await ctx.store.incidents.assignRole(declared.id, { role: "scribe", personId: "carol", by: "bob" })).toEqual({});
    expect((await ctx.store.incidents.get(declared.id))?.roles).toEqual({ incident_commander: "bob", scribe: "carol" });
    expect((await ctx.store.incidents.setTaskDone(declared.id, "impact", { by: "bob", done: true }))?.doneBy).toBe("bob");
    expect(await ctx.store.incidents.setTaskDone(declared.id, "nope", { by: "bob", done: true })).toBeUndefined();
    const item = await ctx.store.incidents.addActionItem({ incidentId: declared.id, text: "Add pool metrics", owner: "ops", dueOn: "2026-03-10", createdBy: "bob" });
    expect(await ctx.store.incidents.actionItems({ open: true })).toEqual([item]);
    expect((await ctx.store.incidents.completeActionItem(item.id, "carol"))?.doneBy).toBe("carol");
    expect(await ctx.store.incidents.completeActionItem(item.id, "carol")).toBeUndefined();
    const page = await ctx.store.pages.open({ title: "HighErrorRate", source: "alertmanager", labels: {}, annotations: {} });
    await ctx.store.incidents.linkPage(declared.id, page.id);
    expect((await ctx.store.pages.get(page.id))?.incidentId).toBe(declared.id);
    const types = (await ctx.store.incidents.events(declared.id)).map((e) => e.type);
    expect(types.slice(2)).toEqual(["incident.role", "incident.role", "incident.task", "incident.action_item", "incident.action_item", "incident.page"]);
  });

  it("acknowledging any of its pages acknowledges the incident once, stopping its response ctx.clock", async () => {
    const { incident: declared, page } = await ctx.store.incidents.declare(incident({ page: { title: "INC-1", source: "manual", labels: {}, annotations: {} } }));
    const other = await ctx.store.pages.open({ title: "HighErrorRate", source: "alertmanager", labels: {}, annotations: {} });
    await ctx.store.incidents.linkPage(declared.id, other.id);
    ctx.clock = at(120_000);
    await ctx.store.pages.acknowledge(other.id, { by: "bob", through: "cli" });
    await ctx.store.pages.acknowledge(page!.id, { by: "carol", through: "cli" });
    expect(await ctx.store.incidents.get(declared.id)).toMatchObject({ acknowledgedBy: "bob", acknowledgedAt: ctx.clock.toISOString() });
    expect(await ctx.store.timers.findByKey(incidentTimerKey(declared.id, "sla"))).toBeUndefined();
    expect((await ctx.store.incidents.events(declared.id)).filter((e) => e.type === "incident.acknowledged")).toHaveLength(1);
  });

  it("lists newest first, filtered by status and severity, paged by number", async () => {
    for (const severity of ["P1", "P2", "P3", "P2"]) await ctx.store.incidents.declare(incident({ severity, timers: [] }));
    expect((await ctx.store.incidents.list({ limit: 10 })).map((i) => i.number)).toEqual([4, 3, 2, 1]);
    expect((await ctx.store.incidents.list({ limit: 10, severity: ["P2"] })).map((i) => i.number)).toEqual([4, 2]);
    expect((await ctx.store.incidents.list({ limit: 2, beforeNumber: 3 })).map((i) => i.number)).toEqual([2, 1]);
    expect(await ctx.store.incidents.list({ limit: 10, status: ["resolved"] })).toEqual([]);
    expect(await ctx.store.incidents.declaredBetween(at(-1), at(1))).toHaveLength(4);
    await expect(ctx.store.incidents.declare(incident({ title: "  " }))).rejects.toThrow("an incident needs a title");
  });

  it("keeps the first sign-off of a checklist item", async () => {
    const first = await ctx.store.checklists.signOff({ checklist: "daily", period: "2026-03-01", itemId: "server-status", doneBy: "automation", evidence: { checkRun: "r1" } });
    ctx.clock = at(1000);
    const second = await ctx.store.checklists.signOff({ checklist: "daily", period: "2026-03-01", itemId: "server-status", doneBy: "alice" });
    expect(second).toEqual(first);
    await ctx.store.checklists.signOff({ checklist: "daily", period: "2026-03-02", itemId: "alerts", doneBy: "bob", note: "two flapping" });
    expect((await ctx.store.checklists.signoffs("daily", ["2026-03-01", "2026-03-02"])).map((s) => [s.period, s.itemId, s.doneBy])).toEqual([
      ["2026-03-02", "alerts", "bob"],
      ["2026-03-01", "server-status", "automation"],
    ]);
  });
});
