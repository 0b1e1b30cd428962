import { formatMatcher, MatcherError, parseMatcher, type Matcher } from "../../domain/paging/matchers.js";
import type { MaintenanceWindow, WindowMatcher } from "../../store/store.js";
import { withLocalPaging } from "../local-paging.js";
import { printJson, targetFor, withLocalStore, type GlobalOptions } from "../session.js";
import { paint, renderTable } from "../table.js";
import { spanEnd, timeFlag, utc } from "../times.js";
import { UsageError } from "../usage-error.js";

export async function start(global: GlobalOptions, options: { title: string; match?: string[]; from?: string; until?: string; for?: string }): Promise<number> {
  const texts = options.match ?? [];
  if (texts.length === 0) throw new UsageError("--match is needed at least once, like --match alertname=ServerDown; a window without one would silence every alert");
  const matchers = texts.map((text) => {
    try {
      return parseMatcher(text);
    } catch (error) {
      if (error instanceof MatcherError) throw new UsageError(`--match ${error.message}`);
      throw error;
    }
  });
  const startsAt = options.from !== undefined ? timeFlag("--from", options.from) : new Date();
  const endsAt = spanEnd(startsAt, options);
  const target = targetFor(global);
  const window =
    target.kind === "remote"
      ? await target.api.request<MaintenanceWindow>("POST", "/api/windows", {
          title: options.title,
          matchers: texts,
          ...(options.from !== undefined ? { startsAt: startsAt.toISOString() } : {}),
          endsAt: endsAt.toISOString(),
        })
      : await withLocalPaging(target.config, async ({ paging, actor }) => paging.windows.start({ title: options.title, matchers, startsAt, endsAt, by: await actor() }));
  const when = Date.parse(window.startsAt) > Date.now() ? `from ${utc(window.startsAt, false)} ` : "";
  process.stdout.write(`window ${window.id} started: ${matchers.map(formatMatcher).join(" ")} pages nobody ${when}until ${utc(window.endsAt, false)}\n`);
  if (window.silenceId) process.stdout.write(`Alertmanager silence ${window.silenceId} holds the same matchers\n`);
  if (window.silenceError) process.stderr.write(`gameops: warning: ${window.silenceError}\n`);
  return 0;
}

export async function list(global: GlobalOptions, options: { all?: boolean; json?: boolean }): Promise<number> {
  const target = targetFor(global);
  const windows =
    target.kind === "remote"
      ? (await target.api.request<{ windows: MaintenanceWindow[] }>("GET", `/api/windows?all=${options.all ? "true" : "false"}`)).windows
      : await withLocalStore(target.config, (store) => store.windows.list({ limit: 50, includeEnded: Boolean(options.all) }));
  if (options.json) {
    printJson(windows);
    return 0;
  }
  if (windows.length === 0) {
    process.stdout.write(`no maintenance windows${options.all ? "" : " in force or ahead (--all shows ended ones)"}\n`);
    return 0;
  }
  const colour = Boolean(process.stdout.isTTY);
  const now = Date.now();
  const state = (w: MaintenanceWindow) => {
    if (w.endedAt || Date.parse(w.endsAt) <= now) return paint("ended", "gray", colour);
    return Date.parse(w.startsAt) > now ? paint("ahead", "blue", colour) : paint("active", "yellow", colour);
  };
  const rows = windows.map((w) => [w.id, state(w), utc(w.startsAt, false), utc(w.endedAt ?? w.endsAt, false), w.createdBy, w.matchers.map((m) => formatMatcher(asMatcher(m))).join(" "), w.title]);
  process.stdout.write(`${renderTable(["WINDOW", "STATE", "FROM (UTC)", "UNTIL (UTC)", "BY", "MATCHERS", "TITLE"], rows)}\n`);
  return 0;
}

export async function end(global: GlobalOptions, id: string): Promise<number> {
  const target = targetFor(global);
  if (target.kind === "remote") {
    printEnded(await target.api.request<MaintenanceWindow>("POST", `/api/windows/${encodeURIComponent(id)}/end`));
    return 0;
  }
  return withLocalPaging(target.config, async ({ paging, store, actor }) => {
    const ended = await paging.windows.end(id, await actor());
    if (ended) {
      printEnded(ended);
      return 0;
    }
    const window = await store.windows.get(id);
    process.stderr.write(`gameops: ${window ? `window ${id} ended already at ${utc(window.endedAt ?? window.endsAt)}` : `no maintenance window ${id}; gameops window list --all shows them`}\n`);
    return 1;
  });
}

function printEnded(window: MaintenanceWindow): void {
  process.stdout.write(`window ${window.id} ended: its alerts page again\n`);
  if (window.silenceError) process.stderr.write(`gameops: warning: ${window.silenceError}\n`);
}

/** The window's matcher as written on the command line. */
function asMatcher(m: WindowMatcher): Matcher {
  return { name: m.name, value: m.value, type: m.isEqual ? (m.isRegex ? "=~" : "=") : m.isRegex ? "!~" : "!=" };
}
