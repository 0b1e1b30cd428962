// The Incidents page: incidents newest first, filtered by status and severity, each with its
// response SLA counting down, live as they change; the Declare form; MTTA and MTTR. At
// #/incidents/42 the war room (war-room.js), at #/incidents/42/postmortem the post-mortem
// editor (postmortem-editor.js).

import { h } from "./dom.js";
import { formatAgo, formatTime } from "./format.js";
import { responseClock, startTicker } from "./incident-clocks.js";
import { createDeclareForm } from "./incident-declare.js";
import { incidentStates, reference, severityBadge, severityIds, stateLook, statePill } from "./incident-looks.js";
import { createMetricsPanel } from "./incident-metrics.js";
import { createLiveStream } from "./live-stream.js";
import { loadPeople, nameOf } from "./page-looks.js";
import { createPostmortemEditor } from "./postmortem-editor.js";
import { createWarRoom } from "./war-room.js";

const listLimit = 100;
const refetchDelayMs = 150;
const refreshMs = 30_000; // ages ("5 min ago") and anything a dropped stream missed

export function createIncidentsPage({ client, me, root }) {
  const timeZone = me.team.timeZone;
  const stream = createLiveStream(client, { path: "/api/incidents/events", event: "incident" });
  const declare = createDeclareForm({ client, me, onDeclared: () => onChange(undefined) });
  const metrics = createMetricsPanel({ client });
  const home = h("div", { id: "incidents-home" });
  const detailView = h("div", { id: "incident-detail" });
  root.replaceChildren(home, detailView);

  // Work still to do first: everything before documented.
  const shownStates = new Set(incidentStates.filter((s) => s !== "documented"));
  const shownSeverities = new Set(severityIds);
  let incidents = [];
  let severities = new Map();
  let people = new Map();
  let detail; // the war room or the post-mortem editor on screen
  let declaring = false;
  let stopListening;
  let stopTicker;
  let refetchTimer;
  let refresher;
  let visit = 0; // counts leaves: a show that outlives its visit starts nothing
  let liveNote = "";
  let changedIds = new Set(); // drawn with a flash once, after a live change

  const both = (iso) => (timeZone === "UTC" ? formatTime(iso, "UTC") : `${formatTime(iso, "UTC")} · ${formatTime(iso, timeZone)}`);

  // The home's parts, built once: the Declare form keeps what is typed across live redraws.
  const summary = h("p", { class: "run-meta muted", id: "incidents-count" });
  const live = h("p", { id: "incidents-live", class: "run-status", role: "status", "aria-live": "polite" });
  const declareToggle = h("button", { type: "button", class: "danger", id: "declare-open", "aria-expanded": "false", "aria-controls": "declare", onclick: () => toggleDeclare() }, "Declare incident…");
  const chips = h("div", { class: "incident-filters" });
  const list = h("section", { class: "panel", "aria-label": "Incidents" });
  declare.root.hidden = true;
  home.append(
    h("div", { class: "overview panel" }, h("div", { class: "verdict" }, h("h1", { id: "incidents-title" }, "Incidents")), summary, h("div", { class: "actions" }, declareToggle, live)),
    declare.root,
    h("div", { class: "list-head" }, h("h2", { class: "section-title" }, "Incidents"), chips),
    list,
    metrics.root,
  );

  function toggleDeclare(open = !declaring) {
    declaring = open;
    declare.root.hidden = !open;
    declareToggle.setAttribute("aria-expanded", String(open));
    declareToggle.textContent = open ? "Close" : "Declare incident…";
    if (open) root.querySelector("#declare-title")?.focus();
  }

  function setLive(text) {
    liveNote = text;
    if (detail) detail.setLive(text);
    else live.textContent = text;
  }

  function chip(set, value, look, kind) {
    return h(
      "button",
      {
        type: "button",
        class: `filter-chip ${look.cls}`,
        [`data-${kind}`]: value,
        "aria-pressed": set.has(value) ? "true" : "false",
        onclick: () => {
          if (set.has(value)) set.delete(value);
          else set.add(value);
          void loadList().catch((error) => setLive(`Cannot load the incidents: ${error.message}`));
        },
      },
      look.mark ? h("span", { class: "mark", "aria-hidden": "true" }, look.mark) : null,
      look.mark ? ` ${look.word}` : look.word,
    );
  }

  function drawChips() {
    chips.replaceChildren(
      h(
        "div",
        { class: "filter-chips", role: "group", "aria-label": "Show incidents that are" },
        incidentStates.map((state) => {
          const look = stateLook(state);
          return chip(shownStates, state, { ...look, cls: `status-${look.cls}` }, "status");
        }),
      ),
      h(
        "div",
        { class: "filter-chips", role: "group", "aria-label": "Of severity" },
        severityIds.map((id) => chip(shownSeverities, id, { cls: `sev-chip sev-${id}`, word: id }, "severity")),
      ),
    );
  }

  function table() {
    if (shownStates.size === 0 || shownSeverities.size === 0) return h("p", { class: "muted", id: "no-incidents" }, "Choose at least one status and one severity above.");
    if (incidents.length === 0) return h("p", { class: "muted", id: "no-incidents" }, "No incidents like that. Declare one above, or let an alert route declare it (declare: P2).");
    return h(
      "table",
      { class: "runs incidents", id: "incidents-list" },
      h("thead", {}, h("tr", {}, ["Incident", "Severity", "Status", "Title", "Declared", "Response SLA", "Commander / owner"].map((title) => h("th", { scope: "col" }, title)))),
      h(
        "tbody",
        {},
        incidents.map((incident) => {
          const lead = incident.roles.incident_commander ?? incident.roles.owner;
          return h(
            "tr",
            { "data-incident": incident.number, "data-status": incident.status, class: changedIds.has(incident.id) ? "fresh" : null },
            h("td", {}, h("a", { href: `#/incidents/${incident.number}` }, reference(incident.number))),
            h("td", {}, severityBadge(incident.severity, severities.get(incident.severity))),
            h("td", {}, statePill(incident.status)),
            h("td", { class: "incident-title" }, h("a", { href: `#/incidents/${incident.number}` }, incident.title)),
            h("td", { title: both(incident.declaredAt) }, h("time", { datetime: incident.declaredAt }, formatAgo(incident.declaredAt))),
            h("td", {}, responseClock(incident, severities.get(incident.severity), timeZone)),
            h("td", { class: "lead" }, lead ? nameOf(people, lead) : h("span", { class: "muted" }, "nobody yet")),
          );
        }),
      ),
    );
  }

  function renderHome() {
    const open = incidents.filter((i) => ["declared", "triage", "mitigating", "root_cause"].includes(i.status)).length;
    summary.textContent = incidents.length ? `${incidents.length}${incidents.length === listLimit ? "+" : ""} shown, ${open} ongoing` : "";
    live.textContent = liveNote;
    drawChips();
    list.replaceChildren(table());
    changedIds = new Set();
  }

  async function loadList() {
    if (shownStates.size === 0 || shownSeverities.size === 0) incidents = [];
    else incidents = (await client.get(`/api/incidents?status=${[...shownStates].join(",")}&severity=${[...shownSeverities].join(",")}&limit=${listLimit}`)).incidents;
    renderHome();
  }

  function onChange(id) {
    if (detail && id && id !== detail.incidentId()) return;
    if (id) changedIds.add(id);
    clearTimeout(refetchTimer);
    refetchTimer = setTimeout(() => {
      const work = detail ? detail.refetch() : Promise.all([loadList(), metrics.load()]);
      work.catch((error) => setLive(`Cannot load the incidents: ${error.message}`));
    }, refetchDelayMs);
  }

  async function show(hash) {
    const match = /^#\/incidents\/([^/?#]+)(\/postmortem)?/.exec(hash);
    leave();
    const mine = visit;
    if (home.parentNode !== root) root.replaceChildren(home, detailView); // after an error took their place
    const [peopleList, severityList] = await Promise.all([loadPeople(client), client.get("/api/severities")]);
    if (mine !== visit) return;
    people = peopleList;
    severities = new Map(severityList.severities.map((s) => [s.id, s]));
    stopListening = stream.listen({ onChange, onLive: setLive });
    stopTicker = startTicker(root);
    refresher = setInterval(() => {
      if (document.visibilityState === "visible") onChange(undefined);
    }, refreshMs);
    if (match) {
      const ref = decodeURIComponent(match[1]);
      home.hidden = true;
      detailView.hidden = false;
      const create = match[2] ? createPostmortemEditor : createWarRoom;
      detail = create({ client, me, root: detailView, ref, people, severities });
      detail.setLive(liveNote);
      await detail.load();
      return;
    }
    home.hidden = false;
    detailView.hidden = true;
    detailView.replaceChildren();
    document.title = "gameops · Incidents";
    declare.fill([...severities.values()], people);
    await Promise.all([loadList(), metrics.load()]);
  }

  /** Stops the live stream and timers while another page is on screen. */
  function leave() {
    visit += 1;
    stopListening?.();
    stopListening = undefined;
    stopTicker?.();
    stopTicker = undefined;
    clearTimeout(refetchTimer);
    clearInterval(refresher);
    detail?.dispose();
    detail = undefined;
  }

  function dispose() {
    leave();
    stream.close();
  }

  return { show, leave, dispose };
}
