// Signs in with an API token (kept in this browser's localStorage) and shows the Health page,
// or the Runbooks page at #/runbooks and a run at #/runs/ID, or the paging pages: #/alerts,
// #/pages (a page at #/pages/42) and #/oncall, or the incidents: #/incidents, a war room at
// #/incidents/42 and its post-mortem at #/incidents/42/postmortem, or the operations checklists
// at #/checklists (#/checklists/weekly, an earlier week at #/checklists/weekly/2026-W47), or
// the backup sets at #/backups.

import { createAlertsPage } from "./alerts-page.js";
import { createClient } from "./api.js";
import { createBackupsPage } from "./backups-page.js";
import { createChecklistsPage } from "./checklists-page.js";
import { byId } from "./dom.js";
import { createHealthPage } from "./health-page.js";
import { createIncidentsPage } from "./incidents-page.js";
import { createLiveStream } from "./live-stream.js";
import { createOnCallPage } from "./oncall-page.js";
import { createPagesPage } from "./pages-page.js";
import { createRunbooksPage } from "./runbooks-page.js";

const tokenKey = "gameops.token";
const refreshMs = 60_000;
let refresher;
let page;
let runbooks;
let pageStream;
let sections = {}; // view name → { show(hash), leave(), dispose() }: alerts, pages, oncall, incidents, checklists, backups

const sectionViews = ["alerts", "pages", "oncall", "incidents", "checklists", "backups"];
const sectionWords = { alerts: "the alerts", pages: "the pages", oncall: "the on-call schedules", incidents: "the incidents", checklists: "the checklists", backups: "the backups" };

function viewOf(hash) {
  if (/^#\/(runbooks|runs\/)/.test(hash)) return "runbooks";
  const match = /^#\/(alerts|pages|oncall|incidents|checklists|backups)(?:[/?]|$)/.exec(hash);
  return match ? match[1] : "health";
}

function show(view) {
  for (const id of ["sign-in", "health", "runbooks", ...sectionViews]) byId(id).hidden = view !== id;
  byId("who").hidden = view === "sign-in";
  for (const name of ["health", "runbooks", ...sectionViews]) {
    if (view === name) byId(`nav-${name}`).setAttribute("aria-current", "page");
    else byId(`nav-${name}`).removeAttribute("aria-current");
  }
  if (view === "health") document.title = "gameops · Health";
}

/** Shows the page the address names; the Runbooks page draws its own part (the catalogue, or one run). */
function navigate() {
  if (!page) return;
  const view = viewOf(location.hash);
  show(view);
  // Live streams and timers run only for the page on screen.
  for (const name of sectionViews) if (name !== view) sections[name].leave();
  if (sections[view]) {
    sections[view].show(location.hash).catch((error) => {
      if (error.status === 401) signOut(`Signed out: ${error.message}`);
      else byId(view).replaceChildren(Object.assign(document.createElement("p"), { className: "error", textContent: `Cannot load ${sectionWords[view]}: ${error.message}` }));
    });
  }
  if (view === "runbooks") {
    runbooks.show(location.hash).catch((error) => {
      if (error.status === 401) signOut(`Signed out: ${error.message}`);
      else byId("runbooks").replaceChildren(Object.assign(document.createElement("p"), { className: "error", textContent: `Cannot load the runbooks: ${error.message}` }));
    });
  }
}

function signOut(message) {
  clearInterval(refresher);
  page?.dispose();
  page = undefined;
  runbooks?.dispose();
  runbooks = undefined;
  for (const view of Object.values(sections)) view.dispose();
  sections = {};
  pageStream?.close();
  pageStream = undefined;
  localStorage.removeItem(tokenKey);
  byId("sign-in-error").textContent = message ?? "";
  show("sign-in");
  byId("token").focus();
}

async function open(token) {
  const client = createClient(token);
  let me;
  try {
    me = await client.get("/api/me");
  } catch (error) {
    if (error.status === 401) signOut(`That token was not accepted: ${error.message}`);
    else {
      // The server may be restarting: keep the token, say so, and let a reload try again.
      byId("sign-in-error").textContent = `Cannot reach gameops (${error.message}); reload the page to try again.`;
      show("sign-in");
    }
    return;
  }
  localStorage.setItem(tokenKey, token);
  byId("who-name").textContent = me.person?.name ?? me.actor.name;
  byId("who-role").textContent = me.actor.role;
  byId("team-name").textContent = me.team.name;
  page?.dispose();
  page = createHealthPage({ client, me });
  runbooks?.dispose();
  runbooks = createRunbooksPage({ client, token, me });
  for (const view of Object.values(sections)) view.dispose();
  pageStream?.close();
  pageStream = createLiveStream(client, { path: "/api/pages/events", event: "page" });
  sections = {
    alerts: createAlertsPage({ client, me, root: byId("alerts"), stream: pageStream }),
    pages: createPagesPage({ client, me, root: byId("pages"), stream: pageStream }),
    oncall: createOnCallPage({ client, me, root: byId("oncall") }),
    incidents: createIncidentsPage({ client, me, root: byId("incidents") }),
    checklists: createChecklistsPage({ client, me, root: byId("checklists") }),
    backups: createBackupsPage({ client, me, root: byId("backups") }),
  };
  navigate();
  const current = page;
  const load = () =>
    current.load().catch((error) => {
      if (error.status === 401) signOut(`Signed out: ${error.message}`);
      else byId("run-status").textContent = `Cannot load the checks: ${error.message}`;
    });
  await load();
  clearInterval(refresher);
  refresher = setInterval(() => {
    if (document.visibilityState === "visible") void load();
  }, refreshMs);
}

byId("sign-in-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const token = byId("token").value.trim();
  byId("token").value = "";
  if (token) void open(token);
});
byId("sign-out").addEventListener("click", () => signOut());
window.addEventListener("hashchange", navigate);

const saved = localStorage.getItem(tokenKey);
if (saved) void open(saved);
else show("sign-in");
