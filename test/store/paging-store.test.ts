import { describe, expect, it } from "vitest";
import { deliveryTimerKey, pageEscalationKey, type AlertIntake, type IncomingAlert, type NewDelivery } from "../../src/store/store.js";
import { dialects, storeForEachTest } from "./test-stores.js";

const t0 = new Date("2026-03-01T00:00:00.000Z");
const at = (ms: number) => new Date(t0.getTime() + ms);

function alert(fingerprint: string, status: "firing" | "resolved", startsAt = t0, labels: Record<string, string> = {}): IncomingAlert {
  return { fingerprint, status, labels: { alertname: "ServerDown", instance: fingerprint, ...labels }, annotations: { summary: "down" }, startsAt };
}

function intake(alerts: IncomingAlert[], extra: Partial<AlertIntake> = {}): AlertIntake {
  const status = alerts.some((a) => a.status === "firing") ? "firing" : "resolved";
  return {
    source: "alertmanager",
    groupKey: '{}:{alertname="ServerDown"}',
    status,
    groupLabels: { alertname: "ServerDown" },
    commonLabels: { alertname: "ServerDown" },
    commonAnnotations: {},
    alerts,
    page: { title: "ServerDown", source: "alertmanager", labels: { alertname: "ServerDown" }, annotations: {}, escalation: { kind: "page.escalate", dueAt: t0 } },
    ...extra,
  };
}

const mail = (person: string): NewDelivery => ({
  personId: person,
  recipient: { id: person, name: person, email: `${person}@example.com` },
  channel: "email",
  notice: { title: "ServerDown" },
  timer: { kind: "delivery.send", dueAt: t0 },
});
const inbox = (person: string): NewDelivery => ({ personId: person, recipient: { id: person, name: person }, channel: "inbox", notice: { title: "ServerDown" } });

describe.each(dialects)("paging store on %s", (dialect) => {
  const ctx = storeForEachTest(dialect, t0);

  it("opens one page per firing group, with its escalation timer, and dedups repeats by fingerprint", async () => {
    const first = await ctx.store.pages.ingest(intake([alert("a", "firing")]));
    expect(first.opened).toMatchObject({ number: 1, status: "triggered", step: 0, groupKey: '{}:{alertname="ServerDown"}' });
    const timer = await ctx.store.timers.findByKey(pageEscalationKey(first.opened!.id));
    expect(timer).toMatchObject({ kind: "page.escalate", payload: { pageId: first.opened!.id } });

    ctx.clock = at(60_000);
    const repeat = await ctx.store.pages.ingest(intake([alert("a", "firing"), alert("b", "firing", at(30_000))]));
    expect(repeat.opened).toBeUndefined();
    expect(repeat.open?.id).toBe(first.opened!.id);
    expect(await ctx.store.alerts.list({ limit: 10 })).toHaveLength(2);
    expect(await ctx.store.pages.list({ limit: 10 })).toHaveLength(1);
    const events = await ctx.store.pages.events(first.opened!.id);
    expect(events.map((e) => e.type)).toEqual(["page.triggered", "page.alerts"]);
    expect(events[1]!.data).toEqual({ firing: ["ServerDown instance=b"], resolved: [] });
  });

  it("resolves the page when its group resolves, cancelling the escalation", async () => {
    const { opened } = await ctx.store.pages.ingest(intake([alert("a", "firing")]));
    ctx.clock = at(120_000);
    const done = await ctx.store.pages.ingest(intake([alert("a", "resolved")]));
    expect(done.resolved).toMatchObject({ id: opened!.id, status: "resolved", resolvedBy: "alertmanager" });
    expect(await ctx.store.timers.findByKey(pageEscalationKey(opened!.id))).toBeUndefined();
    expect((await ctx.store.alerts.getGroup('{}:{alertname="ServerDown"}'))?.status).toBe("resolved");
  });

  it("does not reopen a page a person resolved for alerts that still fire; a new firing opens a new page", async () => {
    const { opened } = await ctx.store.pages.ingest(intake([alert("a", "firing")]));
    ctx.clock = at(60_000);
    await ctx.store.pages.resolve(opened!.id, { by: "alice", through: "cli" });
    ctx.clock = at(120_000);
    expect((await ctx.store.pages.ingest(intake([alert("a", "firing")]))).opened).toBeUndefined();
    const again = await ctx.store.pages.ingest(intake([alert("a", "firing", at(90_000))]));
    expect(again.opened?.number).toBe(2);
  });

  it("records a suppressed group without paging", async () => {
    const result = await ctx.store.pages.ingest(intake([alert("a", "firing")], { page: undefined, suppressedBy: "w1" }));
    expect(result.opened).toBeUndefined();
    expect(await ctx.store.pages.list({ limit: 5 })).toEqual([]);
    expect((await ctx.store.alerts.getGroup('{}:{alertname="ServerDown"}'))?.suppressedBy).toBe("w1");
  });

  it("fires each escalation step once, queueing its deliveries and the next step in the same commit", async () => {
    const page = await ctx.store.pages.open({ title: "Watchdog silent", source: "watchdog", labels: {}, annotations: {} });
    const step0 = {
      step: 0,
      assignees: ["alice"],
      event: { type: "page.notified" as const, data: { step: 0 } },
      deliveries: [mail("alice"), inbox("alice")],
      next: { kind: "page.escalate", dueAt: at(900_000), payload: { pageId: page.id, step: 1 } },
    };
    expect(await ctx.store.pages.fireStep(page.id, step0)).toBe(true);
    expect(await ctx.store.pages.fireStep(page.id, step0)).toBe(false);
    expect((await ctx.store.pages.get(page.id))?.step).toBe(1);
    expect((await ctx.store.timers.findByKey(pageEscalationKey(page.id)))?.dueAt).toEqual(at(900_000));
    const deliveries = await ctx.store.deliveries.listForPage(page.id);
    expect(deliveries.map((d) => [d.channel, d.status])).toEqual([
      ["email", "pending"],
      ["inbox", "sent"],
    ]);
    expect(await ctx.store.timers.findByKey(deliveryTimerKey(deliveries[0]!.id))).toMatchObject({ kind: "delivery.send" });
    expect(await ctx.store.deliveries.inbox("alice", { limit: 5 })).toHaveLength(1);
  });

  it("acknowledging stops the escalation; a second acknowledgement changes nothing", async () => {
    const { opened } = await ctx.store.pages.ingest(intake([alert("a", "firing")]));
    ctx.clock = at(30_000);
    const ack = await ctx.store.pages.acknowledge(opened!.id, { by: "alice", through: "cli" });
    expect(ack).toMatchObject({ changed: true, page: { status: "acknowledged", acknowledgedBy: "alice" } });
    expect(await ctx.store.timers.findByKey(pageEscalationKey(opened!.id))).toBeUndefined();
    expect(await ctx.store.pages.fireStep(opened!.id, { step: 0, assignees: [], event: { type: "page.notified", data: {} }, deliveries: [] })).toBe(false);
    expect(await ctx.store.pages.acknowledge(opened!.id, { by: "bob", through: "api" })).toMatchObject({ changed: false, page: { acknowledgedBy: "alice" } });
    expect(await ctx.store.pages.escalateNow(opened!.id, { by: "bob", timer: { kind: "page.escalate", dueAt: ctx.clock } })).toBe(false);
    expect(await ctx.store.pages.acknowledge("missing", { by: "bob", through: "api" })).toBeUndefined();
  });

  it("numbers pages without gaps and finds them by number", async () => {
    for (let i = 0; i < 3; i++) await ctx.store.pages.open({ title: `p${i}`, source: "manual", labels: {}, annotations: {} });
    expect((await ctx.store.pages.get("2"))?.title).toBe("p1");
    expect((await ctx.store.pages.list({ limit: 2 })).map((p) => p.number)).toEqual([3, 2]);
    expect((await ctx.store.pages.list({ limit: 5, beforeNumber: 2 })).map((p) => p.number)).toEqual([1]);
  });

  it("records delivery attempts; a sent digest coalesces the deliveries it covers and cancels their timers", async () => {
    const page = await ctx.store.pages.open({ title: "x", source: "manual", labels: {}, annotations: {}, deliveries: [mail("bob"), mail("bob"), mail("bob")] });
    const [first, ...rest] = await ctx.store.deliveries.pending("email", "bob");
    expect(rest).toHaveLength(2);
    await ctx.store.deliveries.recordAttempt(first!.id, { outcome: "retry", retryable: true, detail: "451 try later", durationMs: 12 });
    ctx.clock = at(60_000);
    await ctx.store.deliveries.recordAttempt(first!.id, { outcome: "sent", retryable: false, detail: "250 ok", durationMs: 8, covers: rest.map((d) => d.id) });
    const all = await ctx.store.deliveries.listForPage(page.id);
    expect(all.map((d) => d.status)).toEqual(["sent", "coalesced", "coalesced"]);
    expect(all[0]!.attemptLog.map((a) => [a.attempt, a.ok, a.detail])).toEqual([
      [1, false, "451 try later"],
      [2, true, "250 ok"],
    ]);
    expect(all[1]!.coalescedInto).toBe(first!.id);
    expect(await ctx.store.timers.findByKey(deliveryTimerKey(rest[0]!.id))).toBeUndefined();
    expect(await ctx.store.deliveries.sentSince("email", at(0))).toBe(1);
    expect(await ctx.store.deliveries.pendingCounts()).toEqual({});
    expect(await ctx.store.pages.openCounts()).toEqual({ triggered: 1, acknowledged: 0 });
    // Ended: a late attempt (a timer that fired twice) records nothing.
    expect(await ctx.store.deliveries.recordAttempt(first!.id, { outcome: "sent", retryable: false, detail: "again", durationMs: 1 })).toBeUndefined();
  });

  it("keeps overrides and maintenance windows", async () => {
    const override = await ctx.store.oncall.addOverride({ scheduleId: "ops", role: "primary", personId: "bob", start: at(0), end: at(3_600_000), createdBy: "alice" });
    expect(await ctx.store.oncall.overrides({ scheduleId: "ops", from: at(1_800_000), to: at(7_200_000) })).toEqual([override]);
    expect(await ctx.store.oncall.overrides({ from: at(3_600_000), to: at(7_200_000) })).toEqual([]);
    expect(await ctx.store.oncall.cancelOverride(override.id)).toBe(true);
    expect(await ctx.store.oncall.overrides({ from: at(0), to: at(7_200_000) })).toEqual([]);
    await expect(ctx.store.oncall.addOverride({ scheduleId: "ops", role: "primary", personId: "bob", start: at(10), end: at(10), createdBy: "a" })).rejects.toThrow(
      "an override must end after it starts",
    );

    const matchers = [{ name: "alertname", value: "ServerDown", isRegex: false, isEqual: true }];
    const window = await ctx.store.windows.create({ title: "patch", matchers, startsAt: at(0), endsAt: at(3_600_000), createdBy: "alice" });
    expect((await ctx.store.windows.active(at(10))).map((w) => w.id)).toEqual([window.id]);
    await ctx.store.windows.recordSilence(window.id, { silenceId: "s-1" });
    expect((await ctx.store.windows.end(window.id, { by: "alice", at: at(60_000) }))?.silenceId).toBe("s-1");
    expect(await ctx.store.windows.end(window.id, { by: "alice", at: at(60_000) })).toBeUndefined();
    expect(await ctx.store.windows.active(at(120_000))).toEqual([]);
    await expect(ctx.store.windows.create({ title: "all", matchers: [], startsAt: at(0), endsAt: at(1), createdBy: "a" })).rejects.toThrow("at least one matcher");
  });

  it("ingests a 256-alert batch in one commit", async () => {
    const alerts = Array.from({ length: 256 }, (_, i) => alert(`fp-${i}`, "firing"));
    const result = await ctx.store.pages.ingest(intake(alerts));
    expect(result.alerts).toBe(256);
    expect(await ctx.store.alerts.list({ limit: 1000, status: "firing" })).toHaveLength(256);
    expect(await ctx.store.pages.list({ limit: 5 })).toHaveLength(1);
  });
});
