import type { OnCallSchedule } from "../../config/paging-schema.js";
import { escalationStep, resolveTargets, type PolicySnapshot } from "../../domain/paging/escalation.js";
import type { PageRecord, Store } from "../../store/store.js";
import type { TimerHandler } from "../timer-loop.js";
import { deliveriesFor, pageNotice, type NoticeContext } from "./notices.js";

export const escalationTimer = "page.escalate";

export interface EscalationDeps {
  store: Store;
  schedules: () => readonly OnCallSchedule[];
  /** Links and channels for the notices of a step fired now. */
  noticeContext: (now: Date) => NoticeContext;
  now: () => Date;
}

/**
 * Fires a page's escalation steps from its policy snapshot: whoever the step's targets name at
 * that moment is notified, the next step is scheduled, all in one commit (PageRepository.fireStep
 * moves the step under the page's row lock, so a step fires once even if its timer runs twice).
 * A step that reaches nobody (no one on call, no such title) is recorded and the next one is due
 * at once: an empty level must not hold a page for fifteen minutes.
 */
export class Escalation {
  constructor(private readonly deps: EscalationDeps) {}

  readonly handler: TimerHandler = async (timer) => {
    const page = await this.deps.store.pages.get(String(timer.payload.pageId));
    if (page?.status === "triggered") await this.fire(page);
  };

  private async fire(page: PageRecord): Promise<void> {
    const { store } = this.deps;
    const now = this.deps.now();
    const snapshot = page.policy as PolicySnapshot | undefined;
    const step = snapshot && escalationStep(snapshot, page.step);
    if (!snapshot || !step) {
      await store.pages.fireStep(page.id, {
        step: page.step,
        assignees: page.assignees,
        event: {
          type: "page.exhausted",
          data: snapshot
            ? { message: `escalation policy "${snapshot.id}" has no more levels; the page stays open until someone acknowledges it` }
            : { message: "no escalation policy applies (add paging.policies and paging.defaultPolicy): nobody was notified" },
        },
        deliveries: [],
      });
      return;
    }
    const people = await store.people.listPeople();
    const overrides = await store.oncall.overrides({ from: now, to: new Date(now.getTime() + 1) });
    const { personIds, unresolved } = resolveTargets(step.targets, { at: now, schedules: this.deps.schedules(), overrides, people });
    const context = this.deps.noticeContext(now);
    const byId = new Map(people.map((p) => [p.id, p]));
    const deliveries = personIds.flatMap((id) => {
      const person = byId.get(id)!;
      return deliveriesFor(person, pageNotice(page, person, context), context);
    });
    const next = escalationStep(snapshot, page.step + 1);
    const nextDue = next && (personIds.length === 0 ? now : new Date(Date.parse(page.openedAt) + next.dueOffsetMs));
    await store.pages.fireStep(page.id, {
      step: page.step,
      assignees: personIds.length > 0 ? personIds : page.assignees,
      event: {
        type: page.step === 0 ? "page.notified" : "page.escalated",
        data: {
          step: page.step,
          level: step.level,
          round: step.round,
          notified: personIds,
          ...(unresolved.length > 0 ? { unresolved: unresolved.map((u) => u.reason) } : {}),
          ...(nextDue ? { nextAt: nextDue.toISOString() } : {}),
        },
      },
      deliveries,
      ...(nextDue ? { next: { kind: escalationTimer, dueAt: nextDue, payload: { pageId: page.id } } } : {}),
    });
  }
}
