import type { Store } from "../../store/store.js";
import type { TimerHandler } from "../timer-loop.js";
import type { PagePlan } from "./intake.js";

export const watchdogTimer = "paging.watchdog";
const watchdogKey = "paging:watchdog";
/** The group of the page the watchdog opens: one at a time. */
export const watchdogGroup = "gameops:watchdog";

export interface WatchdogDeps {
  store: Store;
  alertname: string;
  withinMs: number;
  plan: (at: Date) => PagePlan;
  now: () => Date;
}

/**
 * The dead man's switch. Prometheus fires an always-on alert; each time it arrives the deadline
 * moves on. When the deadline passes, the pipeline (Prometheus, Alertmanager, the network to
 * gameops) is down, and that is itself a page. The deadline is a keyed timer: it survives restarts.
 */
export class Watchdog {
  constructor(private readonly deps: WatchdogDeps) {}

  /** The watchdog alert arrived: move the deadline, and resolve the page of an earlier silence. */
  async seen(at: Date): Promise<void> {
    const { store } = this.deps;
    await store.timers.schedule({ kind: watchdogTimer, key: watchdogKey, dueAt: new Date(at.getTime() + this.deps.withinMs) });
    const open = await store.pages.openForGroup(watchdogGroup);
    if (open) await store.pages.resolve(open.id, { by: "watchdog", through: "intake" });
  }

  /** At start: a gameops that never hears the watchdog must page too, once the first deadline passes. */
  async arm(): Promise<void> {
    const { store } = this.deps;
    if (await store.timers.findByKey(watchdogKey)) return;
    await store.timers.schedule({ kind: watchdogTimer, key: watchdogKey, dueAt: new Date(this.deps.now().getTime() + this.deps.withinMs) });
  }

  readonly handler: TimerHandler = async () => {
    const { store } = this.deps;
    if (await store.pages.openForGroup(watchdogGroup)) return;
    const now = this.deps.now();
    const minutes = Math.round(this.deps.withinMs / 60_000);
    const labels = { alertname: "WatchdogSilent", severity: "critical" };
    await store.pages.open({
      title: `No ${this.deps.alertname} alert for ${minutes > 0 ? `${minutes} min` : `${Math.round(this.deps.withinMs / 1000)} s`}: the alerting pipeline may be down`,
      severity: "critical",
      source: "watchdog",
      groupKey: watchdogGroup,
      labels,
      annotations: {
        summary: "Alerts are not reaching gameops",
        description: `gameops expects the always-firing ${this.deps.alertname} alert at least every ${minutes} min. Check Prometheus (rule evaluation, its alertmanagers), Alertmanager (the gameops receiver, its notification log) and the network between them and gameops.`,
        runbook: "alerting-pipeline",
      },
      runbook: "alerting-pipeline",
      ...this.deps.plan(now),
      actor: "watchdog",
    });
  };
}
