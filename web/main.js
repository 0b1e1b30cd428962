// Signs in with an API token (kept in this browser's localStorage) and shows the Health page.

import { createClient } from "./api.js";
import { byId } from "./dom.js";
import { createHealthPage } from "./health-page.js";

const tokenKey = "gameops.token";
const refreshMs = 60_000;
let refresher;

function show(view) {
  byId("sign-in").hidden = view !== "sign-in";
  byId("health").hidden = view !== "health";
  byId("who").hidden = view !== "health";
}

function signOut(message) {
  clearInterval(refresher);
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
    signOut(error.status === 401 ? `That token was not accepted: ${error.message}` : `Cannot reach gameops: ${error.message}`);
    return;
  }
  localStorage.setItem(tokenKey, token);
  byId("who-name").textContent = me.person?.name ?? me.actor.name;
  byId("who-role").textContent = me.actor.role;
  byId("team-name").textContent = me.team.name;
  show("health");
  const page = createHealthPage({ client, me });
  const load = () =>
    page.load().catch((error) => {
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
