import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DailySchedule, dailyCheckTimer, type DailyCheckOccurrence } from "../../src/engine/daily-schedule.js";
import { TimerLoop, type TimerFailure, type TimerHandler, type TimerLoopOptions } from "../../src/engine/timer-loop.js";
import type { Store, Timer } from "../../src/store/store.js";
import { createTestStores, dialects, type TestStores } from "../store/test-stores.js";

/** A promise the test resolves when it wants: how a handler is held "in flight". */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe.each(dialects)("timers on %s", (dialect) => {
  let stores: TestStores;
  let store: Store;
  let clock: Date;
  let errors: string[];
  const loops: TimerLoop[] = [];

  const now = () => clock;
  function loop(options: Partial<TimerLoopOptions> = {}): TimerLoop {
    const created = new TimerLoop({
      timers: store.timers,
      owner: `replica-${loops.length + 1}`,
      now,
      onError: (error: TimerFailure) => errors.push(error.message),
      ...options,
    });
    loops.push(created);
    return created;
  }

  beforeAll(async () => {
    stores = await createTestStores(dialect);
  });
  afterAll(async () => {
    await stores?.dispose();
  });
  beforeEach(async () => {
    await stores.reset();
    clock = new Date("2026-03-01T12:00:00.000Z");
    errors = [];
    store = await stores.open({ now });
  });
  afterEach(async () => {
    await Promise.all(loops.splice(0).map((l) => l.stop()));
    await store.close();
    await stores.assertAllClosed();
  });

  describe("the loop", () => {
    it("fires each due timer once even when two loops tick concurrently", async () => {
      // Two replicas: separate pools on PostgreSQL; on SQLite one process serves the file.
      const other = dialect === "postgres" ? await stores.open({ now }) : store;
      try {
        const fired = new Map<string, string[]>();
        const handler: TimerHandler = async (timer) => {
          await new Promise((resolve) => setImmediate(resolve));
          fired.set(timer.id, [...(fired.get(timer.id) ?? []), timer.token]);
        };
        const a = loop({ batchSize: 2 }).handle("ping", handler);
        const b = loop({ timers: other.timers, batchSize: 2 }).handle("ping", handler);
        for (let i = 0; i < 12; i++) await store.timers.schedule({ kind: "ping", dueAt: new Date(clock.getTime() - i) });
        let completed = 0;
        for (;;) {
          const [ra, rb] = await Promise.all([a.tick(), b.tick()]);
          completed += ra.completed + rb.completed;
          if (ra.claimed + rb.claimed === 0) break;
        }
        expect(fired.size).toBe(12);
        expect([...fired.values()].every((tokens) => tokens.length === 1)).toBe(true);
        expect(completed).toBe(12);
        expect(errors).toEqual([]);
      } finally {
        if (other !== store) await other.close();
      }
    });

    it("retries a failed handler later, with the error recorded", async () => {
      let calls = 0;
      const l = loop().handle("reminder", async () => {
        if (++calls === 1) throw new Error("chat webhook answered 503");
      });
      await store.timers.schedule({ kind: "reminder", key: "INC-7/update", dueAt: clock });
      expect(await l.tick()).toEqual({ claimed: 1, completed: 0, failed: 1, superseded: 0 });
      expect(errors).toEqual([
        "timer INC-7/update (reminder) failed (attempt 1), due again at 2026-03-01T12:00:10.000Z: chat webhook answered 503",
      ]);
      expect(await store.timers.findByKey("INC-7/update")).toMatchObject({
        dueAt: new Date("2026-03-01T12:00:10.000Z"),
        attempts: 1,
        lastError: "chat webhook answered 503",
      });
      expect((await l.tick()).claimed).toBe(0);
      clock = new Date("2026-03-01T12:00:10.000Z");
      expect(await l.tick()).toEqual({ claimed: 1, completed: 1, failed: 0, superseded: 0 });
      expect(calls).toBe(2);
      expect(await store.timers.findByKey("INC-7/update")).toBeUndefined();
    });

    it("gives back a timer of a kind it has no handler for, with a clear error", async () => {
      const l = loop().handle("reminder", async () => {});
      await store.timers.schedule({ kind: "sla-clock", key: "INC-9/sla", dueAt: clock });
      expect(await l.tick()).toEqual({ claimed: 1, completed: 0, failed: 1, superseded: 0 });
      expect(errors).toEqual(['timer INC-9/sla (sla-clock) failed (attempt 1), due again at 2026-03-01T12:00:10.000Z: no handler for timer kind "sla-clock"']);
      expect(await store.timers.findByKey("INC-9/sla")).toMatchObject({ lastError: 'no handler for timer kind "sla-clock"' });
    });

    it("refuses two handlers for one kind", () => {
      const l = loop().handle("reminder", async () => {});
      expect(() => l.handle("reminder", async () => {})).toThrow('timer kind "reminder" has a handler already');
    });

    it("a stale token does nothing: a run that lost its lease neither completes nor fires again", async () => {
      const other = dialect === "postgres" ? await stores.open({ now }) : store;
      try {
        const held = gate();
        const runs: Timer[] = [];
        const handler: TimerHandler = async (timer) => {
          runs.push(timer);
          if (runs.length === 1) await held.opened;
        };
        const slow = loop({ leaseMs: 1000 }).handle("escalate", handler);
        const healthy = loop({ timers: other.timers, leaseMs: 1000 }).handle("escalate", handler);
        await store.timers.schedule({ kind: "escalate", key: "INC-3/step-2", dueAt: clock });
        const slowTick = slow.tick();
        await waitFor(() => runs.length === 1);
        clock = new Date(clock.getTime() + 1000);
        expect(await healthy.tick()).toEqual({ claimed: 1, completed: 1, failed: 0, superseded: 0 });
        held.open();
        expect(await slowTick).toEqual({ claimed: 1, completed: 0, failed: 0, superseded: 1 });
        expect(runs.map((t) => t.attempts)).toEqual([1, 2]);
        expect(await store.timers.findByKey("INC-3/step-2")).toBeUndefined();
        clock = new Date(clock.getTime() + 3_600_000);
        expect((await slow.tick()).claimed + (await healthy.tick()).claimed).toBe(0);
      } finally {
        if (other !== store) await other.close();
      }
    });

    it("a timer rescheduled while it runs fires again at its new time, not now", async () => {
      const runs: unknown[] = [];
      const l = loop().handle("reminder", async (timer) => {
        runs.push(timer.payload);
        if (runs.length === 1) await store.timers.schedule({ kind: "reminder", key: "INC-7/update", dueAt: new Date(clock.getTime() + 900_000), payload: { n: 2 } });
      });
      await store.timers.schedule({ kind: "reminder", key: "INC-7/update", dueAt: clock, payload: { n: 1 } });
      expect(await l.tick()).toEqual({ claimed: 1, completed: 0, failed: 0, superseded: 1 });
      expect((await l.tick()).claimed).toBe(0);
      clock = new Date(clock.getTime() + 900_000);
      expect(await l.tick()).toEqual({ claimed: 1, completed: 1, failed: 0, superseded: 0 });
      expect(runs).toEqual([{ n: 1 }, { n: 2 }]);
    });

    it("aborts the handler's signal when the lease runs out, and gives the timer back", async () => {
      const l = loop({ leaseMs: 20 }).handle("probe", async (_timer, { signal }) => {
        await new Promise((resolve) => signal.addEventListener("abort", resolve));
        throw signal.reason;
      });
      const timer = await store.timers.schedule({ kind: "probe", key: "p", dueAt: clock });
      expect(await l.tick()).toMatchObject({ failed: 1 });
      expect(await store.timers.findByKey("p")).toMatchObject({ lastError: `the lease of timer ${timer.id} ran out` });
    });

    it("polls once started, and stop waits for the handlers in flight", async () => {
      const held = gate();
      const started = gate();
      const l = loop({ pollIntervalMs: 5 }).handle("ping", async () => {
        started.open();
        await held.opened;
      });
      await store.timers.schedule({ kind: "ping", key: "p", dueAt: clock });
      l.start();
      await started.opened;
      let stopped = false;
      const stopping = l.stop().then(() => (stopped = true));
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(stopped).toBe(false);
      held.open();
      await stopping;
      expect(await store.timers.findByKey("p")).toBeUndefined();
    });

    it("reports a store it cannot reach and keeps polling", async () => {
      const broken = await stores.open({ now });
      await broken.close();
      const l = loop({ timers: broken.timers, pollIntervalMs: 5 });
      l.start();
      await waitFor(() => errors.length >= 2);
      await l.stop();
      expect(errors[0]).toMatch(/^cannot claim due timers: /);
    });
  });

  describe("the daily check", () => {
    const seoul = "Asia/Seoul";

    function dailyLoop(schedule: DailySchedule, runs: DailyCheckOccurrence[]): TimerLoop {
      return loop().handle(
        dailyCheckTimer,
        schedule.handler(async (occurrence) => {
          runs.push(occurrence);
        }),
      );
    }

    it("fires at 09:00 in Asia/Seoul, which is 00:00 UTC, then waits for the next day", async () => {
      const schedule = new DailySchedule({ timers: store.timers, timeZone: seoul, now });
      const runs: DailyCheckOccurrence[] = [];
      const l = dailyLoop(schedule, runs);
      expect((await schedule.ensureScheduled(clock)).dueAt).toEqual(new Date("2026-03-02T00:00:00.000Z"));
      clock = new Date("2026-03-01T23:59:59.999Z");
      expect((await l.tick()).claimed).toBe(0);
      clock = new Date("2026-03-02T00:00:00.000Z");
      // The handler reschedules its own timer, so the run counts as superseded, not completed.
      expect(await l.tick()).toEqual({ claimed: 1, completed: 0, failed: 0, superseded: 1 });
      expect(runs).toEqual([{ dueAt: new Date("2026-03-02T00:00:00.000Z") }]);
      expect((await store.timers.findByKey(dailyCheckTimer))?.dueAt).toEqual(new Date("2026-03-03T00:00:00.000Z"));
      clock = new Date("2026-03-02T23:00:00.000Z");
      expect((await l.tick()).claimed).toBe(0);
      expect(errors).toEqual([]);
    });

    it("after a server was down over two 09:00s, runs once at start, then at the next 09:00", async () => {
      await new DailySchedule({ timers: store.timers, timeZone: seoul, now }).ensureScheduled(clock);
      await store.close();

      // Down from 2 March 08:00 to 3 March 14:00 in Seoul: the 2 and 3 March runs were missed.
      clock = new Date("2026-03-03T05:00:00.000Z");
      store = await stores.open({ now });
      const schedule = new DailySchedule({ timers: store.timers, timeZone: seoul, now });
      const runs: DailyCheckOccurrence[] = [];
      const l = dailyLoop(schedule, runs);
      expect((await schedule.ensureScheduled(clock)).dueAt).toEqual(new Date("2026-03-02T00:00:00.000Z"));
      expect((await l.tick()).claimed).toBe(1);
      expect((await l.tick()).claimed).toBe(0);
      expect(runs).toEqual([{ dueAt: new Date("2026-03-02T00:00:00.000Z") }]);
      expect((await store.timers.findByKey(dailyCheckTimer))?.dueAt).toEqual(new Date("2026-03-04T00:00:00.000Z"));

      clock = new Date("2026-03-04T00:00:00.000Z");
      expect((await l.tick()).claimed).toBe(1);
      expect(runs).toHaveLength(2);
    });

    it("retries a failed run of the same day without skipping it", async () => {
      const schedule = new DailySchedule({ timers: store.timers, timeZone: seoul, now });
      let calls = 0;
      const l = loop().handle(
        dailyCheckTimer,
        schedule.handler(async () => {
          if (++calls === 1) throw new Error("store is read-only");
        }),
      );
      await schedule.ensureScheduled(clock);
      clock = new Date("2026-03-02T00:00:00.000Z");
      expect((await l.tick()).failed).toBe(1);
      expect((await store.timers.findByKey(dailyCheckTimer))?.dueAt).toEqual(new Date("2026-03-02T00:00:10.000Z"));
      clock = new Date("2026-03-02T00:00:10.000Z");
      expect((await l.tick()).superseded).toBe(1);
      expect((await store.timers.findByKey(dailyCheckTimer))?.dueAt).toEqual(new Date("2026-03-03T00:00:00.000Z"));
    });

    it("keeps a timer that matches the schedule and moves one that no longer does", async () => {
      const first = await new DailySchedule({ timers: store.timers, timeZone: seoul, now }).ensureScheduled(clock);
      const same = await new DailySchedule({ timers: store.timers, timeZone: seoul, now }).ensureScheduled(clock);
      expect(same).toEqual(first);
      const moved = await new DailySchedule({ timers: store.timers, cron: "30 7 * * 1-5", timeZone: "Europe/Berlin", now }).ensureScheduled(clock);
      // Sunday 1 March at noon UTC: the next weekday 07:30 in Berlin (CET) is Monday 06:30 UTC.
      expect(moved).toMatchObject({ id: first.id, dueAt: new Date("2026-03-02T06:30:00.000Z"), payload: { cron: "30 7 * * 1-5", timeZone: "Europe/Berlin" } });
      expect(moved.token).not.toBe(first.token);
    });

    it("refuses a bad schedule when it is built, not at the first run", () => {
      expect(() => new DailySchedule({ timers: store.timers, cron: "0 9 * *", timeZone: seoul })).toThrow(
        'cron "0 9 * *" must have 5 fields (minute hour day-of-month month day-of-week), like "0 9 * * *"',
      );
      expect(() => new DailySchedule({ timers: store.timers, timeZone: "Asia/Busan" })).toThrow(
        'unknown time zone "Asia/Busan": use an IANA name like Asia/Seoul or Europe/Berlin',
      );
    });
  });
});

/** Waits for a condition the test itself brings about; bounded by the test timeout, never by a guess. */
async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 1));
}
