import { createHash } from "node:crypto";
import type { AlertmanagerWebhook, EventsV2 } from "../../api/webhook-schemas.js";
import { compileMatchers, type Matcher } from "../../domain/paging/matchers.js";
import type { AlertIntake, IncomingAlert, IntakeResult, Labels, MaintenanceWindow, NewPage, PageRecord, Store, WindowMatcher } from "../../store/store.js";

/** How a page for these labels is escalated: chosen by the routes, snapshotted as it opens. */
export type PagePlan = Pick<NewPage, "route" | "policy" | "escalation" | "timers">;

export interface IntakeDeps {
  store: Store;
  plan(labels: Labels, at: Date): PagePlan;
  /** The always-firing alert's name, when the dead man's switch is on: it is recorded, never paged. */
  watchdog?: { alertname: string; seen(at: Date): Promise<void> };
  now(): Date;
}

/**
 * Turns what alert sources send into stored alerts and pages. Answers only once it is committed:
 * the sender's retry (Alertmanager retries a failed webhook) is the delivery guarantee.
 */
export class AlertIntakeService {
  constructor(private readonly deps: IntakeDeps) {}

  async fromAlertmanager(payload: AlertmanagerWebhook, sender: string): Promise<IntakeResult> {
    const alerts: IncomingAlert[] = payload.alerts.map((a) => ({
      fingerprint: a.fingerprint,
      status: a.status,
      labels: a.labels,
      annotations: a.annotations,
      startsAt: new Date(a.startsAt),
      // Alertmanager sends 0001-01-01T00:00:00Z for "no end yet".
      ...(a.endsAt && !a.endsAt.startsWith("0001-") ? { endsAt: new Date(a.endsAt) } : {}),
      ...(a.generatorURL ? { generatorUrl: a.generatorURL } : {}),
    }));
    return this.receive({
      source: "alertmanager",
      groupKey: payload.groupKey,
      receiver: payload.receiver,
      status: payload.status,
      groupLabels: payload.groupLabels,
      commonLabels: payload.commonLabels,
      commonAnnotations: payload.commonAnnotations,
      ...(payload.externalURL ? { externalUrl: payload.externalURL } : {}),
      alerts,
      sender,
      truncated: payload.truncatedAlerts,
    });
  }

  /** PagerDuty Events v2: trigger / acknowledge / resolve by dedup_key. */
  async fromEvent(event: EventsV2, sender: string): Promise<{ dedupKey: string; page?: PageRecord; found: boolean }> {
    const now = this.deps.now();
    const dedupKey = event.dedup_key ?? createHash("sha256").update(`${sender}|${now.toISOString()}|${JSON.stringify(event.payload)}`).digest("hex").slice(0, 32);
    const groupKey = `events:${dedupKey}`;
    if (event.event_action === "acknowledge") {
      const page = await this.deps.store.pages.openForGroup(groupKey);
      if (!page) return { dedupKey, found: false };
      const change = await this.deps.store.pages.acknowledge(page.id, { by: sender, through: "events" });
      return { dedupKey, found: true, ...(change ? { page: change.page } : {}) };
    }
    const existing = await this.deps.store.alerts.getGroup(groupKey);
    if (event.event_action === "resolve" && !existing) return { dedupKey, found: false };
    const payload = event.payload;
    const labels: Labels = payload
      ? {
          alertname: payload.class ?? payload.summary.slice(0, 80),
          severity: payload.severity,
          source: payload.source,
          ...(payload.component ? { component: payload.component } : {}),
          ...(payload.group ? { group: payload.group } : {}),
          ...(event.routing_key ? { routing_key: event.routing_key } : {}),
        }
      : existing!.commonLabels;
    const annotations: Labels = payload ? { summary: payload.summary, ...(event.client_url ? { client_url: event.client_url } : {}) } : existing!.commonAnnotations;
    const status = event.event_action === "resolve" ? "resolved" : "firing";
    const startsAt = payload?.timestamp ? new Date(payload.timestamp) : now;
    const result = await this.receive({
      source: "events",
      groupKey,
      status,
      groupLabels: {},
      commonLabels: labels,
      commonAnnotations: annotations,
      alerts: [{ fingerprint: groupKey, status, labels, annotations, startsAt, ...(status === "resolved" ? { endsAt: now } : {}) }],
      sender,
      truncated: 0,
    });
    const page = result.opened ?? result.resolved ?? result.open;
    return { dedupKey, found: true, ...(page ? { page } : {}) };
  }

  private async receive(input: Omit<AlertIntake, "page" | "suppressedBy"> & { sender: string; truncated: number }): Promise<IntakeResult> {
    const { sender, truncated, ...group } = input;
    const now = this.deps.now();
    const watchdog = this.deps.watchdog;
    const isWatchdog = (a: IncomingAlert) => watchdog !== undefined && a.labels.alertname === watchdog.alertname;
    const paging = group.alerts.filter((a) => a.status === "firing" && !isWatchdog(a));
    if (watchdog && group.alerts.some((a) => a.status === "firing" && isWatchdog(a))) await watchdog.seen(now);

    const intake: AlertIntake = { ...group };
    if (group.status === "firing" && paging.length > 0) {
      const window = suppressingWindow(await this.deps.store.windows.active(now), paging);
      if (window) intake.suppressedBy = window.id;
      else intake.page = this.newPage(group, paging, sender, truncated, now);
    }
    return this.deps.store.pages.ingest(intake);
  }

  private newPage(group: Omit<AlertIntake, "page">, firing: IncomingAlert[], sender: string, truncated: number, now: Date): NewPage {
    const first = firing[0]!;
    const labels = Object.keys(group.commonLabels).length > 0 ? group.commonLabels : first.labels;
    const annotations = Object.keys(group.commonAnnotations).length > 0 ? group.commonAnnotations : first.annotations;
    const alertname = labels.alertname ?? first.labels.alertname ?? "Alert";
    const summary = annotations.summary ?? first.annotations.summary;
    const more = firing.length + truncated > 1 ? ` (+${firing.length + truncated - 1} more)` : "";
    return {
      title: `${alertname}${summary ? `: ${summary}` : ""}${more}`.slice(0, 300),
      ...(labels.severity ? { severity: labels.severity } : {}),
      source: group.source,
      labels,
      annotations,
      ...(annotations.runbook ? { runbook: annotations.runbook } : {}),
      ...this.deps.plan(labels, now),
      actor: sender,
    };
  }
}

/** The window that covers every firing alert of the group, if one does. */
function suppressingWindow(windows: MaintenanceWindow[], firing: IncomingAlert[]): MaintenanceWindow | undefined {
  return windows.find((window) => {
    const matches = compileMatchers(window.matchers.map(toMatcher));
    return firing.every((alert) => matches(alert.labels));
  });
}

function toMatcher(m: WindowMatcher): Matcher {
  return { name: m.name, value: m.value, type: m.isRegex ? (m.isEqual ? "=~" : "!~") : m.isEqual ? "=" : "!=" };
}
