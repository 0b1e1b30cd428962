import type { Config } from "../../config/load.js";
import { ChecklistError } from "../../domain/checklists/checklist-error.js";
import { cadences, type Cadence, type ChecklistItem, type ProofKind } from "../../domain/checklists/operations-checklists.js";
import { isOverdue, periodAt, periodOf, type ChecklistPeriod } from "../../domain/checklists/periods.js";
import type { ChecklistSignoff, Store } from "../../store/store.js";

/** A checklist request that cannot be done as asked; `field: message`. */
export class ChecklistRefused extends Error {
  constructor(
    readonly kind: "not_found" | "invalid",
    message: string,
  ) {
    super(message);
    this.name = "ChecklistRefused";
  }
}

export interface ChecklistItemState extends ChecklistItem {
  signoff?: ChecklistSignoff;
  /** Not signed off and its period is over. */
  overdue: boolean;
}

export interface ChecklistView {
  cadence: Cadence;
  period: { key: string; start: string; end: string };
  items: ChecklistItemState[];
  done: number;
}

/** The operator as automation signs off: the evidence says what proved the item. */
export const automation = "automation";

/**
 * The daily, weekly and monthly operations checklists. An item whose proof automation can check
 * (today's daily check ran; no firing alert is left without an acknowledged page) is signed off
 * by `automation` with its evidence the first time it is looked at once the proof holds; the
 * others wait for a person. The first sign-off of an item for a period stands: history is kept.
 */
export class ChecklistService {
  private readonly now: () => Date;

  constructor(private readonly options: { store: Store; config: Config; now?: () => Date }) {
    this.now = options.now ?? (() => new Date());
  }

  async view(cadenceText: string, periodKey?: string): Promise<ChecklistView> {
    const cadence = this.cadence(cadenceText);
    const period = this.period(cadence, periodKey);
    const items = this.options.config.checklists[cadence];
    let signoffs = await this.options.store.checklists.signoffs(cadence, [period.key]);
    for (const item of items) {
      if (!item.proof || signoffs.some((s) => s.itemId === item.id)) continue;
      const evidence = await this.prove(item.proof, period);
      if (evidence) {
        await this.options.store.checklists.signOff({ checklist: cadence, period: period.key, itemId: item.id, doneBy: automation, evidence });
        signoffs = await this.options.store.checklists.signoffs(cadence, [period.key]);
      }
    }
    const now = this.now().getTime();
    const states = items.map((item) => {
      const signoff = signoffs.find((s) => s.itemId === item.id);
      return { ...item, ...(signoff ? { signoff } : {}), overdue: !signoff && isOverdue(period, now) };
    });
    return { cadence, period: iso(period), items: states, done: states.filter((s) => s.signoff).length };
  }

  /** The last `count` periods, newest first: how much of each was done. */
  async history(cadenceText: string, count: number): Promise<ChecklistView[]> {
    const cadence = this.cadence(cadenceText);
    const views: ChecklistView[] = [];
    let at = this.now().getTime();
    for (let i = 0; i < count; i++) {
      const period = periodAt(cadence, at, this.options.config.team.timeZone);
      views.push(await this.view(cadence, period.key));
      at = period.start - 1;
    }
    return views;
  }

  async signOff(input: { cadence: string; itemId: string; by: string; note?: string; period?: string }): Promise<ChecklistSignoff> {
    const cadence = this.cadence(input.cadence);
    const period = this.period(cadence, input.period);
    const items = this.options.config.checklists[cadence];
    if (!items.some((item) => item.id === input.itemId)) {
      throw new ChecklistRefused("not_found", `item: the ${cadence} checklist has no item "${input.itemId}"; its items are ${items.map((i) => i.id).join(", ")}`);
    }
    if (period.start > this.now().getTime()) throw new ChecklistRefused("invalid", `period: ${period.key} has not begun; sign off the current or a past period`);
    const signoff = await this.options.store.checklists.signOff({ checklist: cadence, period: period.key, itemId: input.itemId, doneBy: input.by, ...(input.note ? { note: input.note } : {}) });
    await this.options.store.audit.append({ actor: input.by, action: "checklist.signoff", subject: `checklist:${cadence}:${period.key}`, details: { item: input.itemId } });
    return signoff;
  }

  private async prove(proof: ProofKind, period: ChecklistPeriod): Promise<Record<string, unknown> | undefined> {
    const { store } = this.options;
    switch (proof) {
      case "daily-check": {
        // The newest run of the period: the runs list pages back from `before`.
        const [run] = await store.checkRuns.list({ limit: 1, before: new Date(period.end).toISOString() });
        if (!run || Date.parse(run.startedAt) < period.start) return undefined;
        return { checkRun: run.id, status: run.status, at: run.startedAt };
      }
      case "alerts-reviewed": {
        // What fires now says nothing of a past period; and now, only if nothing firing waits for a person.
        const now = this.now().getTime();
        if (now < period.start || now >= period.end) return undefined;
        const firing = await store.alerts.listGroups({ status: "firing", limit: 1000 });
        for (const group of firing) {
          if (group.suppressedBy) continue;
          const page = group.pageId ? await store.pages.get(group.pageId) : undefined;
          if (!page || page.status === "triggered") return undefined;
        }
        return { firingGroups: firing.length, at: this.now().toISOString() };
      }
      case "backup-verified": {
        // Deep only: re-hashing proves the bytes, not that they restore, and the monthly item is a restore test.
        const sets = await store.backups.list({ limit: 100, status: ["verified"] });
        const proved = sets.find((s) => s.verifiedAt && Date.parse(s.verifiedAt) >= period.start && Date.parse(s.verifiedAt) < period.end && s.manifest?.fingerprint !== undefined);
        return proved ? { backupSet: proved.id, verifiedAt: proved.verifiedAt, deep: true } : undefined;
      }
    }
  }

  private cadence(text: string): Cadence {
    const cadence = text.trim().toLowerCase();
    if (!(cadences as readonly string[]).includes(cadence)) throw new ChecklistRefused("invalid", `cadence: no "${text}" checklist; use ${cadences.join(", ")}`);
    return cadence as Cadence;
  }

  private period(cadence: Cadence, key: string | undefined): ChecklistPeriod {
    const zone = this.options.config.team.timeZone;
    if (key === undefined) return periodAt(cadence, this.now().getTime(), zone);
    try {
      return periodOf(cadence, key, zone);
    } catch (error) {
      if (error instanceof ChecklistError) throw new ChecklistRefused("invalid", `period: ${error.message}`);
      throw error;
    }
  }
}

function iso(period: ChecklistPeriod): ChecklistView["period"] {
  return { key: period.key, start: new Date(period.start).toISOString(), end: new Date(period.end).toISOString() };
}
