import type { Role } from "../../config/paging-schema.js";
import type { OnCallNow, OnCallWeeks } from "../../engine/paging/paging.js";
import { orRefusal, withLocalPaging } from "../local-paging.js";
import { printJson, targetFor, type GlobalOptions } from "../session.js";
import { paint, renderTable } from "../table.js";
import { inZone, spanEnd, timeFlag, utc } from "../times.js";
import { UsageError } from "../usage-error.js";

/** What `GET /api/oncall` answers, and what --json prints in both modes. */
type Plan = OnCallWeeks;

const iso = (d: Date) => d.toISOString();
const overridden = (o: OnCallNow["overriddenBy"]) => [o?.primary && "primary", o?.backup && "backup"].filter(Boolean).join(",") || "-";

export async function now(global: GlobalOptions, options: { json?: boolean }): Promise<number> {
  const target = targetFor(global);
  const answer =
    target.kind === "remote"
      ? await target.api.request<{ at: string; schedules: OnCallNow[] }>("GET", "/api/oncall/now")
      : await withLocalPaging(target.config, async ({ paging }) => {
          const at = new Date();
          return { at: iso(at), schedules: await paging.onCallNow(at) };
        });
  if (options.json) {
    printJson(answer);
    return 0;
  }
  if (answer.schedules.length === 0) {
    process.stdout.write("no on-call schedules — add them under paging.schedules in gameops.yaml\n");
    return 0;
  }
  const colour = Boolean(process.stdout.isTTY);
  const rows = answer.schedules.map((s) => [
    s.schedule.id,
    s.primary ?? paint("nobody", "red", colour),
    s.backup ?? paint("nobody", "yellow", colour),
    s.layer ?? "-",
    overridden(s.overriddenBy),
    `${inZone(s.schedule.timeZone, answer.at)} ${s.schedule.timeZone}`,
  ]);
  process.stdout.write(`${renderTable(["SCHEDULE", "PRIMARY", "BACKUP", "LAYER", "OVERRIDDEN", "LOCAL TIME"], rows)}\n`);
  return 0;
}

/** Shifts of the coming weeks and the gaps in them; exit 1 when there is a gap, so a cron job can say so. */
export async function show(global: GlobalOptions, options: { schedule?: string; weeks: string; json?: boolean }): Promise<number> {
  const weeks = Number(options.weeks);
  if (!Number.isInteger(weeks) || weeks < 1 || weeks > 26) throw new UsageError(`--weeks must be a whole number from 1 to 26, not "${options.weeks}"`);
  const target = targetFor(global);
  if (target.kind === "remote") {
    const query = new URLSearchParams({ weeks: String(weeks), ...(options.schedule ? { schedule: options.schedule } : {}) });
    return printPlan(await target.api.request<Plan>("GET", `/api/oncall?${query}`), Boolean(options.json));
  }
  return orRefusal(() =>
    withLocalPaging(target.config, async ({ paging }) => {
      const plan = await paging.onCallWeeks({ ...(options.schedule ? { scheduleId: options.schedule } : {}), from: new Date(), weeks });
      return printPlan(plan, Boolean(options.json));
    }),
  );
}

function printPlan(plan: Plan, json: boolean): number {
  const gaps = plan.schedules.reduce((n, s) => n + s.gaps.length, 0);
  if (json) {
    printJson(plan);
    return gaps > 0 ? 1 : 0;
  }
  if (plan.schedules.length === 0) {
    process.stdout.write("no on-call schedules — add them under paging.schedules in gameops.yaml\n");
    return 0;
  }
  const colour = Boolean(process.stdout.isTTY);
  const out: string[] = [];
  for (const { schedule, shifts, gaps } of plan.schedules) {
    const zone = schedule.timeZone;
    if (out.length > 0) out.push("");
    out.push(paint(`${schedule.id} — ${schedule.name} (${zone}), ${inZone(zone, plan.from)} to ${inZone(zone, plan.to)}`, "bold", colour));
    const rows = shifts.map((s) => [
      inZone(zone, s.start),
      inZone(zone, s.end),
      s.primary ?? paint("nobody", "red", colour),
      s.backup ?? paint("nobody", "yellow", colour),
      s.layer ?? "-",
      overridden(s.overriddenBy),
    ]);
    out.push(renderTable([`START (${zone})`, "END", "PRIMARY", "BACKUP", "LAYER", "OVERRIDDEN"], rows));
    if (gaps.length === 0) {
      out.push("no coverage gaps");
      continue;
    }
    out.push(paint(`${gaps.length} coverage ${gaps.length === 1 ? "gap" : "gaps"}:`, "red", colour));
    for (const gap of gaps) {
      const what = gap.missing === "primary" ? "no primary: an alert pages nobody" : "no backup: nobody to escalate to";
      out.push(paint(`  ${inZone(zone, gap.start)} → ${inZone(zone, gap.end)}  ${what}`, gap.missing === "primary" ? "red" : "yellow", colour));
    }
  }
  process.stdout.write(`${out.join("\n")}\n`);
  return gaps > 0 ? 1 : 0;
}

export async function override(
  global: GlobalOptions,
  options: { schedule: string; person: string; role: Role; from?: string; until?: string; for?: string; reason?: string },
): Promise<number> {
  const start = options.from !== undefined ? timeFlag("--from", options.from) : new Date();
  const end = spanEnd(start, options);
  const target = targetFor(global);
  if (target.kind === "remote") {
    const body = { schedule: options.schedule, person: options.person, role: options.role, start: iso(start), end: iso(end), ...(options.reason ? { reason: options.reason } : {}) };
    return printOverride(await target.api.request<SavedOverride>("POST", "/api/oncall/overrides", body));
  }
  return orRefusal(() =>
    withLocalPaging(target.config, async ({ paging, actor }) => {
      const reason = options.reason ? { reason: options.reason } : {};
      const o = await paging.addOverride({ scheduleId: options.schedule, personId: options.person, role: options.role, start, end, ...reason, by: await actor() });
      return printOverride({ ...o, start: iso(o.start), end: iso(o.end) });
    }),
  );
}

type SavedOverride = { id: string; scheduleId: string; role: Role; personId: string; start: string; end: string };

function printOverride(o: SavedOverride): number {
  process.stdout.write(`override ${o.id}: ${o.personId} is ${o.role} of ${o.scheduleId} from ${utc(o.start, false)} until ${utc(o.end, false)}\n`);
  return 0;
}

export async function feed(global: GlobalOptions, options: { schedule?: string; person?: string }): Promise<number> {
  const target = targetFor(global);
  if (target.kind === "remote") {
    const query = new URLSearchParams({ ...(options.schedule ? { schedule: options.schedule } : {}), ...(options.person ? { person: options.person } : {}) });
    process.stdout.write(`${(await target.api.request<{ url: string }>("GET", `/api/oncall/feed?${query}`)).url}\n`);
    return 0;
  }
  const config = target.config;
  return orRefusal(() =>
    withLocalPaging(config, async ({ paging }) => {
      process.stdout.write(`${await paging.feedUrl({ ...(options.schedule ? { scheduleId: options.schedule } : {}), ...(options.person ? { personId: options.person } : {}) })}\n`);
      return 0;
    }),
  );
}
