import type { PageDetail } from "../../engine/paging/paging.js";
import type { DeliveryRecord, PageChange, PageEvent, PageRecord, PageStatus, Timer } from "../../store/store.js";
import { deliveryTimerKey } from "../../store/store.js";
import { orRefusal, withLocalPaging, type LocalPaging } from "../local-paging.js";
import { serverUrl } from "../server-address.js";
import { printJson, targetFor, withLocalStore, type GlobalOptions } from "../session.js";
import { paint, renderTable, type Colour } from "../table.js";
import { inZone, utc } from "../times.js";
import { UsageError } from "../usage-error.js";

const statuses: readonly PageStatus[] = ["triggered", "acknowledged", "resolved"];
const statusColour: Record<PageStatus, Colour> = { triggered: "red", acknowledged: "yellow", resolved: "green" };

const paintPage = (status: PageStatus, colour: boolean) => paint(status.toUpperCase(), statusColour[status], colour);
const ref = (text: string) => encodeURIComponent(text.replace(/^#/, ""));

export async function list(global: GlobalOptions, options: { status?: string; limit: string; json?: boolean }): Promise<number> {
  const limit = Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw new UsageError(`--limit must be a whole number from 1 to 200, not "${options.limit}"`);
  const wanted = options.status?.split(",").map((s) => s.trim()).filter(Boolean);
  const wrong = wanted?.filter((s) => !(statuses as readonly string[]).includes(s)) ?? [];
  if (wrong.length > 0 || wanted?.length === 0) {
    throw new UsageError(`--status takes a comma-separated list of ${statuses.join(", ")}; "${wrong[0] ?? options.status}" is not one`);
  }
  const status = wanted as PageStatus[] | undefined;
  const target = targetFor(global);
  const pages =
    target.kind === "remote"
      ? (await target.api.request<{ pages: PageRecord[] }>("GET", `/api/pages?limit=${limit}${status ? `&status=${status.join(",")}` : ""}`)).pages
      : await withLocalStore(target.config, (store) => store.pages.list({ limit, ...(status ? { status } : {}) }));
  if (options.json) {
    printJson(pages);
    return 0;
  }
  if (pages.length === 0) {
    process.stdout.write(status ? `no ${status.join(" or ")} pages\n` : "no pages yet — an alert that fires opens one\n");
    return 0;
  }
  const colour = Boolean(process.stdout.isTTY);
  const rows = pages.map((p) => [String(p.number), paintPage(p.status, colour), utc(p.openedAt), p.severity ?? "-", p.assignees.join(",") || "-", p.title]);
  process.stdout.write(`${renderTable(["PAGE", "STATUS", "OPENED (UTC)", "SEVERITY", "ASSIGNED", "TITLE"], rows)}\n`);
  return 0;
}

export async function show(global: GlobalOptions, pageRef: string, options: { json?: boolean }): Promise<number> {
  const target = targetFor(global);
  if (target.kind === "remote") {
    const detail = await target.api.request<PageDetail>("GET", `/api/pages/${ref(pageRef)}`);
    if (options.json) printJson(detail);
    else printDetail(detail, { zone: (await target.api.request<{ team: { timeZone: string } }>("GET", "/api/me")).team.timeZone, baseUrl: target.api.baseUrl });
    return 0;
  }
  const config = target.config;
  return orRefusal(() =>
    withLocalPaging(config, async ({ paging }) => {
      const detail = await paging.page(pageRef);
      if (options.json) printJson(detail);
      else printDetail(detail, { zone: config.team.timeZone, baseUrl: config.paging.publicUrl ?? serverUrl(config) });
      return 0;
    }),
  );
}

function printDetail({ page, events, deliveries }: PageDetail, where: { zone: string; baseUrl: string }): void {
  const colour = Boolean(process.stdout.isTTY);
  const both = (at: string) => `${utc(at)} (${inZone(where.zone, at, true)})`;
  const base = where.baseUrl.replace(/\/+$/, "");
  const out = [`page ${page.number} · ${page.title}  ${paintPage(page.status, colour)}`];
  out.push(
    [page.severity && `severity ${page.severity}`, `from ${page.source}`, page.route && `policy ${page.route.policyId}`, page.route?.declare && `declares ${page.route.declare}`]
      .filter(Boolean)
      .join(" · "),
  );
  out.push(`opened        ${both(page.openedAt)}`);
  if (page.acknowledgedAt) out.push(`acknowledged  ${both(page.acknowledgedAt)} by ${page.acknowledgedBy ?? "?"}`);
  if (page.resolvedAt) out.push(`resolved      ${both(page.resolvedAt)} by ${page.resolvedBy ?? "?"}`);
  out.push(`assigned      ${page.assignees.join(", ") || "nobody yet"}`);
  const labels = Object.entries(page.labels).map(([name, value]) => `${name}=${value}`);
  if (labels.length > 0) out.push(`labels        ${labels.join(" ")}`);
  if (page.runbook) out.push(`runbook       ${base}/#/runbooks/${encodeURIComponent(page.runbook)}`);
  out.push(`console       ${base}/#/pages/${page.number}`);

  out.push("", paint("timeline", "bold", colour));
  const timeline = events.map((e) => [utc(e.at), inZone(where.zone, e.at, true), e.type.replace(/^page\./, ""), e.actor ?? "-", eventDetail(e)]);
  out.push(renderTable(["UTC", where.zone, "EVENT", "BY", "DETAIL"], timeline));

  out.push("", paint("deliveries", "bold", colour));
  out.push(deliveries.length === 0 ? "none yet" : renderTable(["TO", "CHANNEL", "STATUS", "TRY", "AT (UTC)", "RESULT"], deliveryRows(deliveries, colour)));
  process.stdout.write(`${out.join("\n")}\n`);
}

/** A row per attempt, the delivery named on its first. */
function deliveryRows(deliveries: PageDetail["deliveries"], colour: boolean): string[][] {
  return deliveries.flatMap((d) => {
    const head = [d.recipient.id, d.channel, deliveryStatus(d, colour)];
    if (d.attemptLog.length === 0) {
      const why = d.status === "coalesced" ? `sent within ${d.coalescedInto}'s digest` : d.channel === "inbox" ? "in the console inbox" : "not tried yet";
      return [[...head, "-", "-", why]];
    }
    return d.attemptLog.map((a, i) => {
      const result = `${a.ok ? "ok" : a.retryable ? "failed, retried" : "failed"}: ${a.detail} (${a.durationMs} ms)`;
      return [...(i === 0 ? head : ["", "", ""]), `#${a.attempt}`, utc(a.at), result];
    });
  });
}

const deliveryColour: Record<DeliveryRecord["status"], Colour> = { pending: "yellow", sent: "green", failed: "red", coalesced: "green" };
const deliveryStatus = (d: DeliveryRecord, colour: boolean) => paint(d.status.toUpperCase(), deliveryColour[d.status], colour);

/** One line about an event, in words; unknown data is printed as it is. */
function eventDetail(event: PageEvent): string {
  const d = event.data;
  const names = (value: unknown) => (Array.isArray(value) && value.length > 0 ? value.join(", ") : undefined);
  switch (event.type) {
    case "page.triggered": {
      const route = d.route as { policyId?: string } | undefined;
      return [`from ${String(d.source)}`, route?.policyId && `policy ${route.policyId}`].filter(Boolean).join(", ");
    }
    case "page.notified":
    case "page.escalated": {
      if (d.manual) return `escalated now by hand (step ${Number(d.step) + 1})`;
      const round = Number(d.round ?? 0);
      return [
        `level ${Number(d.level) + 1}${round > 0 ? ` (repeat ${round})` : ""}: ${names(d.notified) ? `notified ${names(d.notified)}` : "nobody to notify"}`,
        names(d.unresolved),
        typeof d.nextAt === "string" ? `next level at ${utc(d.nextAt)}` : undefined,
      ]
        .filter(Boolean)
        .join("; ");
    }
    case "page.acknowledged":
    case "page.resolved":
      return `through ${String(d.through ?? "?")}`;
    case "page.reassigned":
      return `to ${names(d.to) ?? "?"}`;
    case "page.alerts":
      return [names(d.firing) && `firing: ${names(d.firing)}`, names(d.resolved) && `resolved: ${names(d.resolved)}`].filter(Boolean).join("; ");
    default:
      return typeof d.message === "string" ? d.message : Object.keys(d).length > 0 ? JSON.stringify(d) : "";
  }
}

// ── acting on a page ───────────────────────────────────────────────────────────────────────

type Action = "acknowledge" | "resolve";
const done: Record<Action, string> = { acknowledge: "acknowledged", resolve: "resolved" };

export async function acknowledge(global: GlobalOptions, pageRef: string): Promise<number> {
  return act(global, pageRef, "acknowledge");
}

export async function resolve(global: GlobalOptions, pageRef: string): Promise<number> {
  return act(global, pageRef, "resolve");
}

async function act(global: GlobalOptions, pageRef: string, action: Action): Promise<number> {
  const target = targetFor(global);
  if (target.kind === "remote") return printChange(await target.api.request<PageChange>("POST", `/api/pages/${ref(pageRef)}/${action}`), action);
  return orRefusal(() =>
    withLocalPaging(target.config, async ({ paging, store, actor }) => {
      const by = await actor();
      const change = await paging[action](pageRef, { by, through: "cli" });
      // As the API records it: only a change is an action someone took.
      if (change.changed) await store.audit.append({ actor: by, action: `page.${action}`, subject: `page:${change.page.number}`, details: {} });
      return printChange(change, action);
    }),
  );
}

function printChange({ changed, page }: PageChange, action: Action): number {
  if (changed) {
    process.stdout.write(`page ${page.number} ${done[action]}${action === "acknowledge" ? ": the escalation stops" : ""}\n`);
  } else {
    const by = action === "acknowledge" ? page.acknowledgedBy : page.resolvedBy;
    const at = action === "acknowledge" ? page.acknowledgedAt : page.resolvedAt;
    process.stdout.write(`page ${page.number} was ${done[action]} already${by ? ` by ${by}` : ""}${at ? ` at ${utc(at)}` : ""}; nothing changed\n`);
  }
  return 0;
}

export async function escalate(global: GlobalOptions, pageRef: string): Promise<number> {
  const target = targetFor(global);
  if (target.kind === "remote") {
    const page = await target.api.request<PageRecord>("POST", `/api/pages/${ref(pageRef)}/escalate`);
    process.stdout.write(`page ${page.number} escalates now: the server notifies its next level\n`);
    return 0;
  }
  return orRefusal(() =>
    withLocalPaging(target.config, async ({ paging, store, actor, server }) => {
      const by = await actor();
      const page = await paging.escalateNow(pageRef, by);
      await store.audit.append({ actor: by, action: "page.escalate", subject: `page:${page.number}`, details: {} });
      process.stdout.write(`page ${page.number} escalates now: ${server ? `the server at ${server} notifies its next level` : whenNoServer("the next level is notified")}\n`);
      return 0;
    }),
  );
}

export async function reassign(global: GlobalOptions, pageRef: string, options: { to: string }): Promise<number> {
  const to = options.to.split(",").map((s) => s.trim()).filter(Boolean);
  if (to.length === 0) throw new UsageError("--to names the people to notify, like --to bob or --to bob,carol");
  const target = targetFor(global);
  if (target.kind === "remote") {
    const { page } = await target.api.request<PageChange>("POST", `/api/pages/${ref(pageRef)}/reassign`, { to });
    process.stdout.write(`page ${page.number} reassigned to ${to.join(", ")}: the server notifies them now\n`);
    return 0;
  }
  return orRefusal(() =>
    withLocalPaging(target.config, async ({ paging, store, actor, server }) => {
      const by = await actor();
      const { page } = await paging.reassign(pageRef, to, by);
      await store.audit.append({ actor: by, action: "page.reassign", subject: `page:${page.number}`, details: { to } });
      process.stdout.write(`page ${page.number} reassigned to ${to.join(", ")}: ${server ? `the server at ${server} notifies them now` : whenNoServer("they are notified")}\n`);
      return 0;
    }),
  );
}

/** Notifications and escalations are timers: only a running server sends and fires them. */
const whenNoServer = (what: string) => `${what} once \`gameops up\` runs on this data dir (none runs now)`;

// ── test page ──────────────────────────────────────────────────────────────────────────────

/** How long a test waits for its notifications to go out: enough for a retry or two, short for a terminal. */
const testBoundMs = 30_000;

export async function test(global: GlobalOptions, personId: string): Promise<number> {
  const target = targetFor(global);
  const deadline = Date.now() + testBoundMs;
  if (target.kind === "remote") {
    const { deliveries } = await target.api.request<{ deliveries: DeliveryRecord[] }>("POST", `/api/people/${encodeURIComponent(personId)}/test-page`);
    const get = (id: string) => target.api.request<DeliveryRecord>("GET", `/api/deliveries/${encodeURIComponent(id)}`);
    return report(await settled(deliveries, get, deadline), "the server keeps trying");
  }
  return orRefusal(() =>
    withLocalPaging(target.config, async (local) => {
      const ids = await local.paging.testPage(personId, await local.actor());
      const get = async (id: string) => (await local.store.deliveries.get(id))!;
      const queued = await Promise.all(ids.map(get));
      // A running server's timer loop sends them; sending here too could send each twice.
      if (local.server) return report(await settled(queued, get, deadline), `the server at ${local.server} keeps trying`);
      await sendHere(local, queued, deadline);
      return report(await Promise.all(ids.map(get)), "`gameops up` tries again once it runs here");
    }),
  );
}

/**
 * Sends the queued deliveries as the server's timer loop would: the delivery sender runs each
 * one's timer, and a retry it schedules runs here too while the bound allows. The oldest
 * pending delivery to a person on a channel is the one that sends, carrying the others.
 */
async function sendHere({ paging, store }: LocalPaging, queued: DeliveryRecord[], deadline: number): Promise<void> {
  for (;;) {
    const pending = (await Promise.all(queued.map((d) => store.deliveries.get(d.id)))).filter((d) => d?.status === "pending") as DeliveryRecord[];
    const timers: Timer[] = [];
    for (const delivery of pending) {
      const head = (delivery.personId ? (await store.deliveries.pending(delivery.channel, delivery.personId))[0] : undefined) ?? delivery;
      const timer = await store.timers.findByKey(deliveryTimerKey(head.id));
      if (timer && !timers.some((t) => t.id === timer.id)) timers.push(timer);
    }
    const next = timers.sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime())[0];
    if (!next || next.dueAt.getTime() > deadline) return;
    await sleep(next.dueAt.getTime() - Date.now());
    await paging.sender.handler(next, { signal: AbortSignal.timeout(Math.max(1000, deadline - Date.now())) });
    // A retry or a wait moved the timer (a new token): then it stays pending, as in the loop.
    await store.timers.complete(next.id, next.token);
  }
}

/** Each delivery once it is sent or failed, or as it stands when the bound is reached. */
async function settled(deliveries: DeliveryRecord[], get: (id: string) => Promise<DeliveryRecord>, deadline: number): Promise<DeliveryRecord[]> {
  let current = deliveries;
  while (current.some((d) => d.status === "pending") && Date.now() < deadline) {
    await sleep(Math.min(500, deadline - Date.now()));
    current = await Promise.all(current.map((d) => (d.status === "pending" ? get(d.id) : d)));
  }
  return current;
}

/** What arrived where; exit 1 when any notification did not go out. `retry` says who retries a pending one. */
function report(deliveries: DeliveryRecord[], retry: string): number {
  const colour = Boolean(process.stdout.isTTY);
  const rows = deliveries.map((d) => [d.channel, deliveryStatus(d, colour), deliveryDetail(d, retry)]);
  process.stdout.write(`${renderTable(["CHANNEL", "STATUS", "DETAIL"], rows)}\n`);
  const missed = deliveries.filter((d) => d.status === "failed" || d.status === "pending").length;
  if (missed > 0) process.stderr.write(`gameops: ${missed} of ${deliveries.length} test notifications did not go out\n`);
  return missed > 0 ? 1 : 0;
}

function deliveryDetail(d: DeliveryRecord, retry: string): string {
  const tries = `${d.attempts} ${d.attempts === 1 ? "attempt" : "attempts"}`;
  switch (d.status) {
    case "sent":
      if (d.channel === "inbox") return `in ${d.recipient.name}'s console inbox`;
      return `to ${d.channel === "email" ? d.recipient.email : d.recipient.name} at ${utc(d.sentAt ?? d.createdAt)} (${tries})`;
    case "coalesced":
      return `sent in one digest with ${d.coalescedInto}`;
    case "failed":
      return `${d.lastError ?? "failed"} (${tries})`;
    case "pending":
      return `not sent yet${d.lastError ? `: ${d.lastError}` : ""}; ${retry}`;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

