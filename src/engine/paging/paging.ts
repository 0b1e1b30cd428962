import type { Config } from "../../config/load.js";
import type { Role } from "../../config/paging-schema.js";
import { coverageGaps, onCallAt, roleShifts, shiftsBetween, type CoverageGap, type Shift } from "../../domain/oncall/schedule.js";
import { onCallCalendar } from "../../domain/oncall/ical.js";
import { snapshotPolicy } from "../../domain/paging/escalation.js";
import type { RetryPolicy } from "../../domain/schedule/retry-delay.js";
import { compileRoutes } from "../../domain/paging/routing.js";
import { alertmanagerClient } from "../../integrations/alertmanager/client.js";
import type { NotifyChannel } from "../../integrations/notify/channel.js";
import { emailChannel } from "../../integrations/notify/email-channel.js";
import type { Notice } from "../../integrations/notify/notice.js";
import { slackChannel } from "../../integrations/notify/slack-channel.js";
import { webhookChannel } from "../../integrations/notify/webhook-channel.js";
import type { DeliveryAttempt, DeliveryRecord, Labels, OnCallOverride, PageChange, PageEvent, PageRecord, Person, Store } from "../../store/store.js";
import type { TimerLoop } from "../timer-loop.js";
import { ActionLinks, type LinkClaim } from "./action-links.js";
import { DeliverySender, deliveryTimer, type ChannelSetup } from "./delivery-sender.js";
import { Escalation, escalationTimer } from "./escalation.js";
import { AlertIntakeService, type PagePlan } from "./intake.js";
import { deliveriesFor, pageNotice, type NoticeContext } from "./notices.js";
import { ShiftNotices, shiftTimer } from "./shift-notices.js";
import { Watchdog, watchdogTimer } from "./watchdog.js";
import { MaintenanceWindows, windowSilenceTimer } from "./windows.js";

/** A page whose route says `declare: P2` has this timer: incidents declare one for it. */
export const declareFromPageTimer = "incident.from-page";

/** A paging request that cannot be done as asked; `kind` picks the HTTP status and the exit code. */
export class PagingError extends Error {
  constructor(
    readonly kind: "not_found" | "invalid",
    message: string,
  ) {
    super(message);
    this.name = "PagingError";
  }
}

export interface PagingOptions {
  store: Store;
  config: Config;
  /** Base of the links in notifications: paging.publicUrl, or the server's own address. */
  publicUrl: () => string;
  linkKey: Buffer;
  /** Built from paging.channels when absent. */
  channels?: ChannelSetup[];
  /** Backoff of failed deliveries; tests shorten it. */
  retry?: RetryPolicy;
  now?: () => Date;
  log?: (message: string, fields: Record<string, unknown>) => void;
}

export interface OnCallNow {
  schedule: { id: string; name: string; timeZone: string };
  primary?: string;
  backup?: string;
  layer?: string;
  overriddenBy?: { primary?: string; backup?: string };
}

export interface OnCallPlan {
  schedule: { id: string; name: string; timeZone: string };
  shifts: Shift[];
  gaps: CoverageGap[];
}

/** An on-call plan as the API and `--json` show it: times as ISO strings. */
export interface OnCallWeeks {
  from: string;
  to: string;
  schedules: Array<{
    schedule: OnCallPlan["schedule"];
    shifts: Array<Omit<Shift, "start" | "end"> & { start: string; end: string }>;
    gaps: Array<Omit<CoverageGap, "start" | "end"> & { start: string; end: string }>;
  }>;
}

export interface PageDetail {
  page: PageRecord;
  events: PageEvent[];
  deliveries: Array<DeliveryRecord & { attemptLog: DeliveryAttempt[] }>;
}

/**
 * Paging, wired: alerts in (intake), escalation, deliveries, the watchdog, shift notices and
 * maintenance windows, plus the operations people run on pages and schedules. The API and the
 * CLI both go through this; the server also registers its timers.
 */
export class Paging {
  readonly intake: AlertIntakeService;
  readonly sender: DeliverySender;
  readonly windows: MaintenanceWindows;
  readonly links: ActionLinks;
  private readonly escalation: Escalation;
  private readonly watchdog: Watchdog | undefined;
  private readonly shiftNotices: ShiftNotices;
  private readonly route: (labels: Labels) => { route?: number; policy: string; declare?: string };
  private readonly now: () => Date;

  constructor(private readonly options: PagingOptions) {
    const { store, config } = options;
    const paging = config.paging;
    this.now = options.now ?? (() => new Date());
    this.links = new ActionLinks(options.linkKey);
    this.route = compileRoutes(paging.routes, paging.defaultPolicy);
    this.sender = new DeliverySender({
      store,
      channels: options.channels ?? buildChannels(config),
      ...(options.retry ? { retry: options.retry } : {}),
      now: this.now,
      ...(options.log ? { log: options.log } : {}),
    });
    const schedules = () => paging.schedules;
    const noticeContext = (now: Date) => this.noticeContext(now);
    this.escalation = new Escalation({ store, schedules, noticeContext, now: this.now });
    this.shiftNotices = new ShiftNotices({ store, schedules, noticeContext, now: this.now });
    const watchdog = paging.watchdog;
    this.watchdog = watchdog
      ? new Watchdog({
          store,
          alertname: watchdog.alertname,
          withinMs: watchdog.within,
          plan: (at) => this.planFor(watchdog.policy ?? paging.defaultPolicy, at),
          now: this.now,
        })
      : undefined;
    this.intake = new AlertIntakeService({
      store,
      plan: (labels, at) => {
        const choice = this.route(labels);
        return {
          ...this.planFor(choice.policy, at),
          route: { ...(choice.route === undefined ? {} : { index: choice.route }), policyId: choice.policy, ...(choice.declare ? { declare: choice.declare } : {}) },
          // Committed with the page: the incident is declared even if this process dies right after.
          ...(choice.declare ? { timers: [{ name: "declare", kind: declareFromPageTimer, dueAt: at, payload: { severity: choice.declare } }] } : {}),
        };
      },
      ...(this.watchdog ? { watchdog: { alertname: watchdog!.alertname, seen: (at: Date) => this.watchdog!.seen(at) } } : {}),
      now: this.now,
    });
    const target = config.targets.alertmanager;
    this.windows = new MaintenanceWindows({
      store,
      ...(target ? { alertmanager: alertmanagerClient({ url: target.url }) } : {}),
      now: this.now,
      ...(options.log ? { log: options.log } : {}),
    });
  }

  /** The server's timers. Register before the loop starts, so that timers due now find their handler. */
  register(timers: TimerLoop): void {
    timers.handle(escalationTimer, this.escalation.handler);
    timers.handle(deliveryTimer, this.sender.handler);
    timers.handle(shiftTimer, this.shiftNotices.handler);
    timers.handle(watchdogTimer, this.watchdog?.handler ?? (async () => undefined));
    timers.handle(windowSilenceTimer, this.windows.handler);
  }

  /** At server start: the watchdog's first deadline and each schedule's next handoff. */
  async arm(): Promise<void> {
    await this.watchdog?.arm();
    await this.shiftNotices.arm();
  }

  /** What in the config names nobody known: a schedule's or a policy's person ids missing from the store. */
  async configWarnings(): Promise<string[]> {
    const known = new Set((await this.options.store.people.listPeople()).map((p) => p.id));
    const { paging } = this.options.config;
    const warnings: string[] = [];
    for (const schedule of paging.schedules) {
      for (const layer of schedule.layers) {
        const unknown = layer.people.filter((id) => !known.has(id));
        if (unknown.length > 0) warnings.push(`paging.schedules ${schedule.id}, layer ${layer.name}: no person ${unknown.join(", ")} yet; add them (gameops people add ID --name … --email …) or nobody is paged on their shifts`);
      }
    }
    for (const policy of paging.policies) {
      for (const level of policy.levels) {
        for (const target of level.notify) {
          if ("person" in target && !known.has(target.person)) warnings.push(`paging.policies ${policy.id}: no person ${target.person} yet; add them or this level pages nobody`);
        }
      }
    }
    return warnings;
  }

  async page(ref: string): Promise<PageDetail> {
    const page = await this.find(ref);
    const { store } = this.options;
    return { page, events: await store.pages.events(page.id), deliveries: await store.deliveries.listForPage(page.id) };
  }

  async acknowledge(ref: string, input: { by: string; through: string }): Promise<PageChange> {
    const page = await this.find(ref);
    const change = (await this.options.store.pages.acknowledge(page.id, input))!;
    if (!change.changed && change.page.status === "resolved") throw new PagingError("invalid", `page ${page.number} is resolved already; nothing to acknowledge`);
    return change;
  }

  async resolve(ref: string, input: { by: string; through: string }): Promise<PageChange> {
    const page = await this.find(ref);
    return (await this.options.store.pages.resolve(page.id, input))!;
  }

  async escalateNow(ref: string, by: string): Promise<PageRecord> {
    const page = await this.find(ref);
    if (page.status !== "triggered") throw new PagingError("invalid", `page ${page.number} is ${page.status}; only a triggered page escalates`);
    await this.options.store.pages.escalateNow(page.id, { by, timer: { kind: escalationTimer, dueAt: this.now(), payload: { pageId: page.id } } });
    return (await this.options.store.pages.get(page.id))!;
  }

  async reassign(ref: string, to: string[], by: string): Promise<PageChange> {
    const page = await this.find(ref);
    if (to.length === 0) throw new PagingError("invalid", "name at least one person to reassign the page to");
    const people = await this.people(to);
    const context = this.noticeContext(this.now());
    const deliveries = people.flatMap((person) => deliveriesFor(person, pageNotice(page, person, context), context));
    const change = await this.options.store.pages.reassign(page.id, { to, by, deliveries });
    if (!change || (!change.changed && change.page.status === "resolved")) throw new PagingError("invalid", `page ${page.number} is resolved; reassigning it would page nobody`);
    return change;
  }

  /** A test notice to one person through every channel that can reach them; returns the delivery ids. */
  async testPage(personId: string, by: string): Promise<string[]> {
    const [person] = await this.people([personId]);
    const now = this.now();
    const context = this.noticeContext(now);
    const notice: Notice = {
      kind: "test",
      title: `Test page for ${person!.name}`,
      text: `${by} sent this test page at ${now.toISOString()} to check that paging reaches you. Nothing to do.`,
      links: { page: `${context.publicUrl}/#/pages` },
    };
    const ids = await this.options.store.deliveries.queue(deliveriesFor(person!, notice, context));
    await this.options.store.audit.append({ actor: by, action: "page.test", subject: `person:${personId}`, details: { deliveries: ids.length } });
    return ids;
  }

  /** A signed link's claim, checked against the page as it is now. */
  async linkClaim(token: string): Promise<{ claim: LinkClaim; page: PageRecord; person?: Person }> {
    const verified = this.links.verify(token, this.now());
    if ("problem" in verified) throw new PagingError("invalid", verified.problem);
    const page = await this.find(verified.claim.pageId);
    const person = await this.options.store.people.getPerson(verified.claim.personId);
    return { claim: verified.claim, page, ...(person ? { person } : {}) };
  }

  async actOnLink(token: string): Promise<PageChange> {
    const { claim } = await this.linkClaim(token);
    const input = { by: claim.personId, through: "link" };
    return claim.action === "acknowledge" ? this.acknowledge(claim.pageId, input) : this.resolve(claim.pageId, input);
  }

  async onCallNow(at: Date = this.now()): Promise<OnCallNow[]> {
    const overrides = await this.options.store.oncall.overrides({ from: at, to: new Date(at.getTime() + 1) });
    return this.options.config.paging.schedules.map((schedule) => {
      const now = onCallAt(schedule, overrides, at);
      return {
        schedule: { id: schedule.id, name: schedule.name ?? schedule.id, timeZone: schedule.timeZone },
        ...(now.primary ? { primary: now.primary } : {}),
        ...(now.backup ? { backup: now.backup } : {}),
        ...(now.layer ? { layer: now.layer } : {}),
        ...(now.overriddenBy ? { overriddenBy: now.overriddenBy } : {}),
      };
    });
  }

  async onCallPlan(input: { scheduleId?: string; from: Date; to: Date }): Promise<OnCallPlan[]> {
    const schedules = this.schedules(input.scheduleId);
    const overrides = await this.options.store.oncall.overrides({ from: input.from, to: input.to });
    return schedules.map((schedule) => ({
      schedule: { id: schedule.id, name: schedule.name ?? schedule.id, timeZone: schedule.timeZone },
      shifts: shiftsBetween(schedule, overrides, input.from, input.to),
      gaps: coverageGaps(schedule, overrides, input.from, input.to),
    }));
  }

  /** The plan of the `weeks` from `from`, ready to print or send. */
  async onCallWeeks(input: { scheduleId?: string; from: Date; weeks: number }): Promise<OnCallWeeks> {
    const to = new Date(input.from.getTime() + input.weeks * 7 * 86_400_000);
    const plans = await this.onCallPlan({ ...(input.scheduleId ? { scheduleId: input.scheduleId } : {}), from: input.from, to });
    const iso = (d: Date) => d.toISOString();
    return {
      from: iso(input.from),
      to: iso(to),
      schedules: plans.map((p) => ({
        schedule: p.schedule,
        shifts: p.shifts.map((s) => ({ ...s, start: iso(s.start), end: iso(s.end) })),
        gaps: p.gaps.map((g) => ({ ...g, start: iso(g.start), end: iso(g.end) })),
      })),
    };
  }

  /** iCalendar of one schedule's shifts, or of one person's across all schedules. */
  async calendar(input: { scheduleId?: string; personId?: string; from: Date; to: Date }): Promise<string> {
    const schedules = this.schedules(input.scheduleId);
    const overrides = await this.options.store.oncall.overrides({ from: input.from, to: input.to });
    const names = new Map((await this.options.store.people.listPeople()).map((p) => [p.id, p.name]));
    const shifts = schedules.flatMap((schedule) =>
      roleShifts(schedule, overrides, input.from, input.to)
        .filter((shift) => input.personId === undefined || shift.personId === input.personId)
        .map((shift) => ({ ...shift, scheduleName: schedule.name ?? schedule.id, ...(names.has(shift.personId) ? { personName: names.get(shift.personId)! } : {}) })),
    );
    const name = input.personId ? `On call: ${names.get(input.personId) ?? input.personId}` : `On call: ${schedules.map((s) => s.name ?? s.id).join(", ")}`;
    return onCallCalendar({ name, shifts, now: this.now() });
  }

  /** The signed URL of an iCalendar feed of a schedule's shifts, or of one person's; refuses an unknown one now rather than in the calendar app. */
  async feedUrl(scope: { scheduleId?: string; personId?: string }): Promise<string> {
    if (scope.scheduleId) this.schedules(scope.scheduleId);
    if (scope.personId) await this.people([scope.personId]);
    const token = this.links.signFeed(scope);
    return `${this.options.publicUrl().replace(/\/+$/, "")}/feeds/oncall/${token}.ics`;
  }

  async addOverride(input: { scheduleId: string; role: Role; personId: string; start: Date; end: Date; reason?: string; by: string }): Promise<OnCallOverride> {
    this.schedules(input.scheduleId);
    await this.people([input.personId]);
    if (!(input.end.getTime() > input.start.getTime())) throw new PagingError("invalid", "the override must end after it starts");
    const override = await this.options.store.oncall.addOverride({
      scheduleId: input.scheduleId,
      role: input.role,
      personId: input.personId,
      start: input.start,
      end: input.end,
      ...(input.reason ? { reason: input.reason } : {}),
      createdBy: input.by,
    });
    await this.options.store.audit.append({ actor: input.by, action: "oncall.override", subject: `schedule:${input.scheduleId}`, details: { ...override } });
    // Who starts a shift next may have changed.
    await this.shiftNotices.arm();
    return override;
  }

  private planFor(policyId: string, at: Date): PagePlan {
    const policy = this.options.config.paging.policies.find((p) => p.id === policyId);
    return {
      ...(policy ? { policy: snapshotPolicy(policy) as unknown as Record<string, unknown> } : {}),
      escalation: { kind: escalationTimer, dueAt: at },
    };
  }

  private noticeContext(now: Date): NoticeContext {
    return { publicUrl: this.options.publicUrl().replace(/\/+$/, ""), links: this.links, channels: this.sender.channelNames, now };
  }

  private schedules(id: string | undefined) {
    const all = this.options.config.paging.schedules;
    if (id === undefined) return all;
    const schedule = all.find((s) => s.id === id);
    if (!schedule) {
      throw new PagingError("not_found", all.length === 0 ? `no schedule "${id}": no schedules are configured (paging.schedules)` : `no schedule "${id}"; schedules: ${all.map((s) => s.id).join(", ")}`);
    }
    return [schedule];
  }

  private async people(ids: string[]): Promise<Person[]> {
    const people = await Promise.all(ids.map((id) => this.options.store.people.getPerson(id)));
    const missing = ids.filter((_, i) => !people[i]);
    if (missing.length > 0) throw new PagingError("not_found", `no person ${missing.map((m) => `"${m}"`).join(", ")}; see gameops people`);
    return people as Person[];
  }

  private async find(ref: string): Promise<PageRecord> {
    const page = await this.options.store.pages.get(ref.replace(/^#/, ""));
    if (!page) throw new PagingError("not_found", `no page ${ref}; gameops page list shows the pages`);
    return page;
  }
}

/** The channels paging.channels configures; a channel's constructor refuses a bad URL at start. */
export function buildChannels(config: Config): ChannelSetup[] {
  const { channels } = config.paging;
  const setups: ChannelSetup[] = [];
  const add = (channel: NotifyChannel, perMinute: number) => setups.push({ channel, perMinute });
  for (const hook of channels.webhooks) {
    if (hook.secret) add(webhookChannel({ name: hook.name, url: hook.url, secret: hook.secret }), hook.perMinute);
  }
  if (channels.slack?.url) add(slackChannel({ url: channels.slack.url }), channels.slack.perMinute);
  const email = channels.email;
  if (email) {
    add(
      emailChannel({ smtp: email.smtp, from: email.from, ...(email.username ? { username: email.username } : {}), ...(email.password ? { password: email.password } : {}) }),
      email.perMinute,
    );
  }
  return setups;
}
