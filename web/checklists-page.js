// The Checklists page: the daily, weekly and monthly operations checklists, a tab each.
// #/checklists/weekly is this week's; #/checklists/weekly/2026-W47 an earlier week, picked from
// the strip of the last periods. Automation ticks what it can prove whenever a checklist is
// looked at, so the page looks again every minute while it is on screen.

import { drawItems } from "./checklist-items.js";
import { drawPeriodStrip, periodTitle } from "./checklist-periods.js";
import { h } from "./dom.js";
import { formatTime } from "./format.js";
import { loadPeople } from "./page-looks.js";

const cadences = ["daily", "weekly", "monthly"];
const cadenceWords = { daily: "Daily", weekly: "Weekly", monthly: "Monthly" };
const historyPeriods = 8;
const refreshMs = 60_000;

export function createChecklistsPage({ client, me, root }) {
  const timeZone = me.team.timeZone;
  const mayRespond = ["responder", "operator", "admin"].includes(me.actor.role);
  let cadence = "daily";
  let periodKey; // undefined: the current period
  let view;
  let history = [];
  let people = new Map();
  let notes = new Map(); // item id → what is typed in its note, kept across redraws of one period
  let notesOf = "";
  let refresher;
  let visit = 0; // counts leaves: a show that outlives its visit draws nothing

  // ── the parts, built once ─────────────────────────────────────────────────────────────

  const summary = h(
    "p",
    { class: "run-meta muted", id: "checklist-summary" },
    `Automation ticks what it can prove; people sign off the rest. Periods and times are ${timeZone}'s${timeZone === "UTC" ? "" : " (UTC when you point at a time)"}.`,
  );
  const status = h("p", { id: "checklist-status", class: "run-status", role: "status", "aria-live": "polite" });
  const tabs = h(
    "nav",
    { class: "tabs", "aria-label": "Checklists" },
    cadences.map((name) => h("a", { href: `#/checklists/${name}`, id: `tab-${name}`, "data-cadence": name }, cadenceWords[name])),
  );
  const periodTitleLine = h("h2", { id: "checklist-period-title" });
  const count = h("span", { id: "checklist-count", class: "muted" });
  const periodNote = h("p", { id: "checklist-period-note", class: "muted" });
  const items = h("div", { class: "checklist-list" });
  const error = h("p", { id: "checklist-error", class: "error", role: "alert" });
  const strip = h("section", { class: "panel period-history", "aria-labelledby": "period-strip-title" });
  const page = h(
    "div",
    { id: "checklists-home" },
    h(
      "div",
      { class: "overview panel" },
      h("div", { class: "verdict" }, h("h1", { id: "checklists-title" }, "Checklists")),
      summary,
      h("div", { class: "actions" }, status),
    ),
    tabs,
    mayRespond ? null : h("p", { class: "muted viewer-note", id: "checklist-viewer-note" }, `Signed in as a ${me.actor.role}: signing items off needs the responder role or above.`),
    h("section", { class: "panel checklist-period", "aria-labelledby": "checklist-period-title" }, h("div", { class: "history-head" }, periodTitleLine, count), periodNote, error, items),
    strip,
  );

  // ── drawing ────────────────────────────────────────────────────────────────────────────

  function drawTabs() {
    for (const link of tabs.querySelectorAll("a")) {
      if (link.dataset.cadence === cadence) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
  }

  function render() {
    const current = history[0]?.period.key === view.period.key;
    const total = view.items.length;
    const overdue = view.items.filter((item) => item.overdue).length;
    const title = periodTitle(cadence, view.period, timeZone);
    document.title = `gameops · ${cadenceWords[cadence]} checklist`;
    periodTitleLine.textContent = `${title}${current ? " (now)" : ""}`;
    count.replaceChildren(`${view.done} of ${total} done`, ...(overdue ? [h("span", { class: "pill status-critical overdue-count" }, `${overdue} overdue`)] : []));
    periodNote.textContent = current
      ? `Open until ${formatTime(view.period.end, timeZone)}.`
      : Date.parse(view.period.start) > Date.now()
        ? "This period has not begun: nothing can be signed off for it yet."
        : "This period is over: what was not done is overdue. Done signs it off late, for this period.";
    const key = `${cadence}/${view.period.key}`;
    if (key !== notesOf) {
      notesOf = key;
      notes = new Map();
    }
    drawItems(items, { view, people, timeZone, mayRespond, notes, onDone: (item, note) => void signOff(item, note) });
    drawPeriodStrip(strip, { cadence, history, selected: view.period.key, timeZone });
    strip.hidden = history.length === 0;
  }

  function fail(message) {
    view = undefined;
    periodTitleLine.textContent = cadenceWords[cadence] ?? "Checklist";
    count.replaceChildren();
    periodNote.textContent = "";
    items.replaceChildren();
    strip.hidden = true;
    error.textContent = message;
  }

  // ── loading and signing off ────────────────────────────────────────────────────────────

  async function load() {
    const mine = visit;
    const query = periodKey ? `?period=${encodeURIComponent(periodKey)}` : "";
    const [shown, past] = await Promise.all([
      client.get(`/api/checklists/${encodeURIComponent(cadence)}${query}`),
      client.get(`/api/checklists/${encodeURIComponent(cadence)}/history?periods=${historyPeriods}`),
    ]);
    if (mine !== visit) return;
    view = shown;
    history = past.history;
    error.textContent = "";
    render();
  }

  /** Loads, and shows a refusal (an unknown cadence, a malformed period) on the page; a lost sign-in goes up. */
  async function loadOrSay() {
    try {
      await load();
    } catch (failure) {
      if (failure.status === 401) throw failure;
      fail(failure.message);
    }
  }

  async function signOff(item, note) {
    error.textContent = "";
    status.textContent = "";
    try {
      // The period on screen, not "now": around midnight the two differ, and a past one is signed off late.
      await client.post(`/api/checklists/${encodeURIComponent(cadence)}/items/${encodeURIComponent(item.id)}`, { period: view.period.key, ...(note ? { note } : {}) });
      notes.delete(item.id);
      status.textContent = `Signed off “${item.title}”.`;
    } catch (failure) {
      error.textContent = failure.message;
    }
    await loadOrSay().catch((failure) => (error.textContent = failure.message));
  }

  /** A note being typed is not redrawn under the typist's hands; the next minute looks again. */
  const typing = () => document.activeElement instanceof HTMLInputElement && root.contains(document.activeElement);

  async function show(hash) {
    leave();
    const mine = visit;
    if (page.parentNode !== root) root.replaceChildren(page); // the first time, or after an error took its place
    const match = /^#\/checklists(?:\/([^/?#]*))?(?:\/([^/?#]+))?/.exec(hash);
    cadence = match?.[1] ? decodeURIComponent(match[1]) : "daily";
    periodKey = match?.[2] ? decodeURIComponent(match[2]) : undefined;
    drawTabs();
    status.textContent = "";
    people = await loadPeople(client);
    if (mine !== visit) return;
    await loadOrSay();
    if (mine !== visit) return;
    refresher = setInterval(() => {
      if (document.visibilityState === "visible" && !typing()) void loadOrSay().catch((failure) => (error.textContent = failure.message));
    }, refreshMs);
  }

  /** Stops looking again while another page is on screen. */
  function leave() {
    visit += 1;
    clearInterval(refresher);
  }

  return { show, leave, dispose: leave };
}
