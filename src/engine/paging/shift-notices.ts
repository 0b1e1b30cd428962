import type { OnCallSchedule } from "../../config/paging-schema.js";
import { nextHandoff } from "../../domain/oncall/schedule.js";
import type { Notice } from "../../integrations/notify/notice.js";
import type { Store } from "../../store/store.js";
import type { TimerHandler } from "../timer-loop.js";
import { deliveriesFor, type NoticeContext } from "./notices.js";

export const shiftTimer = "oncall.shift";
const shiftKey = (scheduleId: string) => `oncall:shift:${scheduleId}`;

/**
 * Tells people when their on-call shift starts: one keyed timer per schedule, due at its next
 * handoff; firing notifies whoever takes a role then and schedules the handoff after.
 */
export class ShiftNotices {
  constructor(
    private readonly deps: {
      store: Store;
      schedules: () => readonly OnCallSchedule[];
      noticeContext: (now: Date) => NoticeContext;
      now: () => Date;
    },
  ) {}

  /** At start: each schedule's next handoff is due, computed from the config as it is now. */
  async arm(): Promise<void> {
    for (const schedule of this.deps.schedules()) await this.scheduleNext(schedule, this.deps.now());
  }

  readonly handler: TimerHandler = async (timer) => {
    const schedule = this.deps.schedules().find((s) => s.id === timer.payload.scheduleId);
    if (!schedule) return;
    const at = new Date(String(timer.payload.at));
    const { store } = this.deps;
    // The handoff as it stands now (an override added since may have changed who starts).
    const overrides = await store.oncall.overrides({ scheduleId: schedule.id, from: new Date(at.getTime() - 1), to: new Date(at.getTime() + 1) });
    const handoff = nextHandoff(schedule, overrides, new Date(at.getTime() - 1));
    if (handoff && handoff.at.getTime() === at.getTime()) {
      const people = new Map((await store.people.listPeople()).map((p) => [p.id, p]));
      const context = this.deps.noticeContext(this.deps.now());
      const deliveries = handoff.starts.flatMap(({ role, personId, until }) => {
        const person = people.get(personId);
        if (!person) return [];
        const notice: Notice = {
          kind: "shift",
          title: `Your on-call shift starts: ${role} for ${schedule.name ?? schedule.id}`,
          text: `From ${at.toISOString()}${until ? ` until ${until.toISOString()}` : ""} you are ${role} on call for ${schedule.name ?? schedule.id}.`,
          links: { page: `${context.publicUrl}/#/oncall` },
        };
        return deliveriesFor(person, notice, context);
      });
      if (deliveries.length > 0) await store.deliveries.queue(deliveries);
    }
    await this.scheduleNext(schedule, at);
  };

  private async scheduleNext(schedule: OnCallSchedule, after: Date): Promise<void> {
    const { store } = this.deps;
    const overrides = await store.oncall.overrides({ scheduleId: schedule.id, from: after, to: new Date(after.getTime() + 366 * 86_400_000) });
    const next = nextHandoff(schedule, overrides, after);
    if (!next) return;
    await store.timers.schedule({ kind: shiftTimer, key: shiftKey(schedule.id), dueAt: next.at, payload: { scheduleId: schedule.id, at: next.at.toISOString() } });
  }
}
