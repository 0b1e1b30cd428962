// An incident's clocks as the console shows them: the response SLA (declaration to
// acknowledgement, against respondBy) and the next status update. A running clock is an element
// with data-until; one ticker per page redraws them every second, so a countdown is live without
// refetching anything.

import { h } from "./dom.js";
import { formatDuration, formatTime } from "./format.js";
import { isOngoing } from "./incident-looks.js";

const tickMs = 1_000;

const pad = (n) => String(n).padStart(2, "0");

/** 14:05 under an hour, "3 h 05 min" under two days, then days: what a countdown needs to say. */
function clockText(ms) {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  if (seconds < 3600) return `${Math.floor(seconds / 60)}:${pad(seconds % 60)}`;
  if (seconds < 48 * 3600) return `${Math.floor(seconds / 3600)} h ${pad(Math.floor((seconds % 3600) / 60))} min`;
  return `${Math.floor(seconds / 86_400)} days`;
}

const spoken = (ms) => (ms < 60_000 ? formatDuration(ms) : clockText(ms).replace(/^(\d+):(\d\d)$/, "$1 min $2 s"));

/**
 * The response SLA: "immediate" for a severity with no time to respond, "met" when acknowledged
 * by respondBy (or resolved before it), "breached" when the deadline passed first, else a
 * countdown to respondBy.
 */
function responseState(incident, severity) {
  const due = Date.parse(incident.respondBy);
  const declared = Date.parse(incident.declaredAt);
  const acked = incident.acknowledgedAt ? Date.parse(incident.acknowledgedAt) : undefined;
  if (severity?.respondWithin === 0) {
    return { state: "immediate", detail: acked === undefined ? "Respond at once: nobody has acknowledged yet" : `Respond at once: acknowledged ${spoken(acked - declared)} after declaration` };
  }
  if (acked !== undefined) {
    return acked <= due
      ? { state: "met", detail: `Acknowledged ${spoken(acked - declared)} after declaration, within the deadline` }
      : { state: "breached", detail: `Acknowledged ${spoken(acked - due)} after the deadline` };
  }
  if (incident.slaBreachedAt) return { state: "breached", detail: "The response deadline passed unacknowledged; the page escalated" };
  if (!isOngoing(incident.status)) {
    const resolved = incident.resolvedAt ? Date.parse(incident.resolvedAt) : undefined;
    return resolved !== undefined && resolved <= due ? { state: "met", detail: "Resolved before the response deadline" } : { state: "breached", detail: "Never acknowledged" };
  }
  return Date.now() < due ? { state: "running", detail: "Left to acknowledge" } : { state: "breached", detail: "The response deadline passed unacknowledged" };
}

const stateWords = { immediate: "immediate", met: "met", breached: "breached" };

export function responseClock(incident, severity, timeZone, attributes = {}) {
  const { state, detail } = responseState(incident, severity);
  const title = `${detail}. Respond by ${formatTime(incident.respondBy, timeZone)}`;
  if (state !== "running") return h("span", { class: `sla sla-${state}`, "data-state": state, title, ...attributes }, stateWords[state]);
  const element = h("span", { class: "sla sla-running", "data-state": "running", "data-clock": "sla", "data-until": incident.respondBy, title, ...attributes });
  draw(element, Date.now());
  return element;
}

/** When the next status update is due; nothing once the incident is resolved or its severity has no cadence. */
export function updateClock(incident, timeZone, attributes = {}) {
  if (!incident.nextUpdateAt || !isOngoing(incident.status)) return h("span", { class: "muted", "data-state": "none", ...attributes }, "no update due");
  const element = h("span", { class: "update-due", "data-clock": "update", "data-until": incident.nextUpdateAt, title: `Due at ${formatTime(incident.nextUpdateAt, timeZone)}`, ...attributes });
  draw(element, Date.now());
  return element;
}

function draw(element, now) {
  const left = Date.parse(element.dataset.until) - now;
  if (element.dataset.clock === "sla") {
    if (left > 0) element.textContent = `${clockText(left)} left`;
    else {
      // The server records the breach a moment later; the countdown does not wait for it.
      element.textContent = "breached";
      element.className = "sla sla-breached";
      element.dataset.state = "breached";
    }
    return;
  }
  element.textContent = left > 0 ? `due in ${clockText(left)}` : `overdue ${clockText(-left)}`;
  element.dataset.state = left > 0 ? "due" : "overdue";
  element.classList.toggle("overdue", left <= 0);
}

/** Redraws every running clock under `root` each second; returns a function that stops. */
export function startTicker(root) {
  const timer = setInterval(() => {
    if (document.visibilityState !== "visible") return;
    const now = Date.now();
    for (const element of root.querySelectorAll("[data-until]")) draw(element, now);
  }, tickMs);
  return () => clearInterval(timer);
}
