// Signs in with an API token (kept in this browser's localStorage) and shows the Health page,
// or the Runbooks page at #/runbooks and a run at #/runs/ID.

import { createClient } from "./api.js";
import { byId } from "./dom.js";
import { createHealthPage } from "./health-page.js";
import { createRunbooksPage } from "./runbooks-page.js";

const tokenKey = "gameops.token";
const refreshMs = 60_000;
let refresher;
let page;
let runbooks;

const viewOf = (hash) => (/^#\/(runbooks|runs\/)/.test(hash) ? "runbooks" : "health");

function show(view) {
  byId("sign-in").hidden = view !== "sign-in";
  byId("health").hidden = view !== "health";
  byId("runbooks").hidden = view !== "runbooks";
  byId("who").hidden = view === "sign-in";
  for (const [id, on] of [["nav-health", view === "health"], ["nav-runbooks", view === "runbooks"]]) {
    if (on) byId(id).setAttribute("aria-current", "page");
    else byId(id).removeAttribute("aria-current");
  }
  if (view === "health") document.title = "gameops · Health";
}

/** Shows the page the address names; the Runbooks page draws its own part (the catalogue, or one run). */
function navigate() {
  if (!page) return;
  const view = viewOf(location.hash);
  show(view);
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
