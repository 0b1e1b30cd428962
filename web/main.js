// Signs in with an API token (kept in this browser's localStorage) and shows the Health page.

import { createClient } from "./api.js";
import { byId } from "./dom.js";
import { createHealthPage } from "./health-page.js";

const tokenKey = "gameops.token";
const refreshMs = 60_000;
let refresher;
let page;

function show(view) {
  byId("sign-in").hidden = view !== "sign-in";
  byId("health").hidden = view !== "health";
  byId("who").hidden = view !== "health";
}

function signOut(message) {
  clearInterval(refresher);
  page?.dispose();
  page = undefined;
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
  show("health");
  page?.dispose();
  page = createHealthPage({ client, me });
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

const saved = localStorage.getItem(tokenKey);
if (saved) void open(saved);
else show("sign-in");
