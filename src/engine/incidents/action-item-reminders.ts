import { localDate } from "../../domain/incidents/local-times.js";
import { incidentReference } from "../../domain/incidents/reference.js";
import { nextDailyRun } from "../../domain/schedule/next-run.js";
import type { Notice } from "../../integrations/notify/notice.js";
import type { Store } from "../../store/store.js";
import { deliveriesFor } from "../paging/notices.js";
import type { TimerHandler } from "../timer-loop.js";

export const actionItemReminderTimer = "incident.action-items";
const reminderKey = "incidents:action-items";
/** Reminders go out when the team's day starts. */
const reminderCron = "0 9 * * *";

/**
 * Post-mortem action items past their due date, reminded to their owners every morning until
 * done: the owner is a person id (an item owned by a team name has nobody to remind and is only
 * shown overdue). One keyed timer, rescheduled daily.
 */
export class ActionItemReminders {
  constructor(
    private readonly deps: {
      store: Store;
      timeZone: string;
      publicUrl: () => string;
      channels: () => readonly string[];
      now: () => Date;
    },
  ) {}

  async arm(): Promise<void> {
    if (await this.deps.store.timers.findByKey(reminderKey)) return;
    await this.scheduleNext();
  }

  readonly handler: TimerHandler = async () => {
    const { store } = this.deps;
    const now = this.deps.now();
    const today = localDate(this.deps.timeZone, now.getTime());
    const overdue = (await store.incidents.actionItems({ open: true })).filter((item) => item.dueOn !== undefined && item.dueOn < today);
    const byOwner = new Map<string, typeof overdue>();
    for (const item of overdue) byOwner.set(item.owner, [...(byOwner.get(item.owner) ?? []), item]);
    const base = this.deps.publicUrl().replace(/\/+$/, "");
    for (const [owner, items] of byOwner) {
      const person = await store.people.getPerson(owner);
      if (!person) continue;
      const lines: string[] = [];
      for (const item of items) {
        const incident = await store.incidents.get(item.incidentId);
        lines.push(`• ${item.text} — ${incident ? incidentReference(incident.number) : "an incident"}, due ${item.dueOn}`);
      }
      const notice: Notice = {
        kind: "incident",
        title: `${items.length} overdue action item${items.length === 1 ? "" : "s"}`,
        text: lines.join("\n"),
        links: { page: `${base}/#/incidents` },
      };
      await store.deliveries.queue(deliveriesFor(person, notice, { channels: this.deps.channels(), now }));
    }
    await this.scheduleNext();
  };

  private async scheduleNext(): Promise<void> {
    const dueAt = nextDailyRun(reminderCron, this.deps.timeZone, this.deps.now());
    await this.deps.store.timers.schedule({ kind: actionItemReminderTimer, key: reminderKey, dueAt });
  }
}
