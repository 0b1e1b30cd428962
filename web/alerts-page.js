// The Alerts page: alerts as they came in, firing first, each with its labels, when it
// started, its Alertmanager group and that group's page; then the maintenance windows.

import { h } from "./dom.js";
import { formatAgo, formatTime } from "./format.js";
import { alertLook, labelChips, lookPill, pageLook } from "./page-looks.js";
import { createWindowsSection } from "./windows-section.js";

const alertLimit = 200;
const pageLimit = 200;
const refetchDelayMs = 150;
const refreshMs = 30_000;

export function createAlertsPage({ client, me, root, stream }) {
  const timeZone = me.team.timeZone;
  const windows = createWindowsSection({ client, me });
  let alerts = [];
  let pageOfGroup = new Map();
  let liveNote = "";
  let stopListening;
  let refetchTimer;
  let refresher;
  let visit = 0; // counts leaves: a show that outlives its visit starts nothing

  const both = (iso) => (timeZone === "UTC" ? formatTime(iso, "UTC") : `${formatTime(iso, "UTC")} · ${formatTime(iso, timeZone)}`);

  function setLive(text) {
    liveNote = text;
    const note = root.querySelector("#alerts-live");
    if (note) note.textContent = text;
  }

  function groupCell(alert) {
    const page = pageOfGroup.get(alert.groupKey);
    return h(
      "td",
      { class: "group" },
      h("code", { class: "group-key", title: alert.groupKey }, alert.groupKey),
      page
        ? h("p", {}, h("a", { href: `#/pages/${page.number}`, "data-page-link": page.number }, `Page #${page.number}`), " ", lookPill(pageLook(page.status)))
        : h("p", { class: "muted" }, "no page"),
    );
  }

  function table(id, list, empty) {
    if (list.length === 0) return h("p", { class: "muted", id: `${id}-empty` }, empty);
    return h(
      "table",
      { class: "runs alerts", id },
      h("thead", {}, h("tr", {}, ["Alert", "Labels", "Started", "Group"].map((t) => h("th", { scope: "col" }, t)))),
      h(
        "tbody",
        {},
        list.map((alert) =>
          h(
            "tr",
            { "data-fingerprint": alert.fingerprint, "data-status": alert.status },
            h(
              "td",
              { class: "alert-name" },
              h("strong", {}, alert.labels.alertname ?? alert.fingerprint),
              " ",
              lookPill(alertLook(alert.status)),
              alert.annotations.summary ? h("p", { class: "muted" }, alert.annotations.summary) : null,
              alert.generatorUrl ? h("p", {}, h("a", { href: alert.generatorUrl, rel: "noreferrer", target: "_blank" }, "source")) : null,
            ),
            h("td", {}, labelChips(alert.labels, ["alertname"])),
            h(
              "td",
              {},
              h("time", { datetime: alert.startsAt, title: both(alert.startsAt) }, formatAgo(alert.startsAt)),
              alert.status === "resolved" && alert.endsAt ? h("p", { class: "muted" }, `ended ${formatAgo(alert.endsAt)}`) : null,
            ),
            groupCell(alert),
          ),
        ),
      ),
    );
  }

  function render() {
    const firing = alerts.filter((a) => a.status === "firing");
    const resolved = alerts.filter((a) => a.status === "resolved");
    root.replaceChildren(
      h(
        "div",
        { class: "overview panel" },
        h("div", { class: "verdict" }, h("h1", { id: "alerts-title" }, "Alerts")),
        h("p", { class: "run-meta muted", id: "alerts-count" }, `${firing.length} firing, ${resolved.length} resolved${alerts.length === alertLimit ? ` (the last ${alertLimit})` : ""}`),
        h("div", { class: "actions" }, h("p", { id: "alerts-live", class: "run-status", role: "status", "aria-live": "polite" }, liveNote)),
      ),
      h("h2", { class: "section-title" }, "Firing"),
      h("section", { class: "panel", "aria-label": "Firing alerts" }, table("alerts-firing", firing, "Nothing is firing.")),
      h("h2", { class: "section-title" }, "Resolved"),
      h("section", { class: "panel", "aria-label": "Resolved alerts" }, table("alerts-resolved", resolved, "No resolved alerts yet.")),
      windows.root,
    );
  }

  async function load() {
    const [alertList, pageList] = await Promise.all([client.get(`/api/alerts?limit=${alertLimit}`), client.get(`/api/pages?limit=${pageLimit}`)]);
    alerts = alertList.alerts;
    // Newest first: a group's first page in the list is its latest.
    pageOfGroup = new Map();
    for (const page of pageList.pages) if (page.groupKey && !pageOfGroup.has(page.groupKey)) pageOfGroup.set(page.groupKey, page);
    render();
  }

  function refetchSoon() {
    clearTimeout(refetchTimer);
    refetchTimer = setTimeout(() => void load().catch((error) => setLive(`Cannot load the alerts: ${error.message}`)), refetchDelayMs);
  }

  async function show() {
    leave();
    const mine = visit;
    document.title = "gameops · Alerts";
    await load();
    await windows.load();
    if (mine !== visit) return;
    // A page changing is the sign of alerts that came in; alerts that page nobody (a window
    // covers them) show on the next refresh.
    stopListening = stream.listen({ onChange: refetchSoon, onLive: setLive });
    refresher = setInterval(() => {
      if (document.visibilityState === "visible") refetchSoon();
    }, refreshMs);
  }

  function leave() {
    visit += 1;
    stopListening?.();
    stopListening = undefined;
    clearTimeout(refetchTimer);
    clearInterval(refresher);
  }

  return { show, leave, dispose: leave };
}
