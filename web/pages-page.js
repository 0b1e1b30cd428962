// The Pages page: pages newest first, filtered by status, live as they change; and — at
// #/pages/42 — one page with its timeline and deliveries (page-detail.js).

import { h } from "./dom.js";
import { formatAgo, formatTime } from "./format.js";
import { createPageDetail } from "./page-detail.js";
import { loadPeople, lookPill, nameOf, pageLook, pageStatuses, severityPill } from "./page-looks.js";

const listLimit = 100;
const refetchDelayMs = 150;
const refreshMs = 30_000; // ages ("5 min ago") and anything a dropped stream missed

export function createPagesPage({ client, me, root, stream }) {
  const timeZone = me.team.timeZone;
  const home = h("div", { id: "pages-home" });
  const detailView = h("div", { id: "page-detail" });
  root.replaceChildren(home, detailView);

  const shown = new Set(["triggered", "acknowledged"]); // open pages first: what needs someone
  let pages = [];
  let people = new Map();
  let detail;
  let stopListening;
  let refetchTimer;
  let refresher;
  let visit = 0; // counts leaves: a show that outlives its visit starts nothing
  let liveNote = "";
  let changedIds = new Set(); // drawn with a flash once, after a live change

  const both = (iso) => (timeZone === "UTC" ? formatTime(iso, "UTC") : `${formatTime(iso, "UTC")} · ${formatTime(iso, timeZone)}`);

  function setLive(text) {
    liveNote = text;
    const note = root.querySelector("#pages-live");
    if (note) note.textContent = text;
  }

  function chips() {
    return h(
      "div",
      { class: "filter-chips", role: "group", "aria-label": "Show pages that are" },
      pageStatuses.map((status) => {
        const look = pageLook(status);
        return h(
          "button",
          {
            type: "button",
            class: `filter-chip status-${look.cls}`,
            "data-status": status,
            "aria-pressed": shown.has(status) ? "true" : "false",
            onclick: () => {
              if (shown.has(status)) shown.delete(status);
              else shown.add(status);
              void loadList().catch((error) => setLive(`Cannot load the pages: ${error.message}`));
            },
          },
          h("span", { class: "mark", "aria-hidden": "true" }, look.mark),
          ` ${look.word}`,
        );
      }),
    );
  }

  function table() {
    if (shown.size === 0) return h("p", { class: "muted", id: "no-pages" }, "Choose at least one status above.");
    if (pages.length === 0) {
      return h("p", { class: "muted", id: "no-pages" }, `No ${[...shown].join(" or ")} pages. Alertmanager's webhook (POST /webhooks/alertmanager) opens them.`);
    }
    return h(
      "table",
      { class: "runs pages", id: "pages-list" },
      h("thead", {}, h("tr", {}, ["Page", "Status", "Severity", "Title", "Opened", "Assignees"].map((title) => h("th", { scope: "col" }, title)))),
      h(
        "tbody",
        {},
        pages.map((page) =>
          h(
            "tr",
            { "data-page": page.number, "data-status": page.status, class: changedIds.has(page.id) ? "fresh" : null },
            h("td", {}, h("a", { href: `#/pages/${page.number}` }, `#${page.number}`)),
            h("td", {}, lookPill(pageLook(page.status))),
            h("td", {}, severityPill(page.severity) ?? h("span", { class: "muted" }, "–")),
            h("td", { class: "page-title" }, h("a", { href: `#/pages/${page.number}` }, page.title)),
            h("td", { title: both(page.openedAt) }, h("time", { datetime: page.openedAt }, formatAgo(page.openedAt))),
            h("td", {}, page.assignees.length ? page.assignees.map((id) => nameOf(people, id)).join(", ") : h("span", { class: "muted" }, "nobody yet")),
          ),
        ),
      ),
    );
  }

  function renderHome() {
    const open = pages.filter((p) => p.status !== "resolved").length;
    home.replaceChildren(
      h(
        "div",
        { class: "overview panel" },
        h("div", { class: "verdict" }, h("h1", { id: "pages-title" }, "Pages")),
        h("p", { class: "run-meta muted" }, shown.size === 0 ? "" : `${pages.length}${pages.length === listLimit ? "+" : ""} shown, ${open} open`),
        h("div", { class: "actions" }, h("p", { id: "pages-live", class: "run-status", role: "status", "aria-live": "polite" }, liveNote)),
      ),
      h("div", { class: "list-head" }, h("h2", { class: "section-title" }, "Pages"), chips()),
      h("section", { class: "panel", "aria-labelledby": "pages-title" }, table()),
    );
    changedIds = new Set();
  }

  async function loadList() {
    if (shown.size === 0) pages = [];
    else pages = (await client.get(`/api/pages?status=${[...shown].join(",")}&limit=${listLimit}`)).pages;
    renderHome();
  }

  function onChange(id) {
    if (detail && id && id !== detail.pageId()) return;
    if (id) changedIds.add(id);
    clearTimeout(refetchTimer);
    refetchTimer = setTimeout(() => {
      const work = detail ? detail.refetch() : loadList();
      work.catch((error) => setLive(`Cannot load the pages: ${error.message}`));
    }, refetchDelayMs);
  }

  async function show(hash) {
    const match = /^#\/pages\/([^/?#]+)/.exec(hash);
    leave();
    const mine = visit;
    if (home.parentNode !== root) root.replaceChildren(home, detailView); // after an error took their place
    people = await loadPeople(client);
    if (mine !== visit) return;
    stopListening = stream.listen({ onChange, onLive: (text) => (detail ? detail.setLive(text) : setLive(text)) });
    refresher = setInterval(() => {
      if (document.visibilityState === "visible") onChange(undefined);
    }, refreshMs);
    if (match) {
      home.hidden = true;
      home.replaceChildren();
      detailView.hidden = false;
      detail = createPageDetail({ client, me, root: detailView, ref: decodeURIComponent(match[1]), people });
      document.title = `gameops · Page ${decodeURIComponent(match[1])}`;
      await detail.load();
      return;
    }
    home.hidden = false;
    detailView.hidden = true;
    detailView.replaceChildren();
    document.title = "gameops · Pages";
    await loadList();
  }

  /** Stops the live stream and timers while another page is on screen. */
  function leave() {
    visit += 1;
    stopListening?.();
    stopListening = undefined;
    clearTimeout(refetchTimer);
    clearInterval(refresher);
    detail?.dispose();
    detail = undefined;
  }

  return { show, leave, dispose: leave };
}
