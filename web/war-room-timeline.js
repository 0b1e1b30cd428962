// The war room's timeline, newest first: every event of the incident in words, in UTC and the
// team's zone. Pages and runbook runs link to their own pages; a status update sent with the
// customer notice shows the notice as it went out.

import { h } from "./dom.js";
import { formatTime } from "./format.js";
import { roleLabels, stateLook } from "./incident-looks.js";
import { nameOf } from "./page-looks.js";

const throughWords = { api: "the API", cli: "the CLI", console: "the console", link: "a signed link", alert: "an alert route", incident: "the incident" };

export function drawTimeline(root, { number, events, people, timeZone }) {
  const name = (id) => nameOf(people, id);
  const entries = [...events].sort((a, b) => b.seq - a.seq);
  root.replaceChildren(
    h("h2", { id: "timeline-title" }, "Timeline ", h("span", { class: "muted" }, `newest first, ${timeZone === "UTC" ? "in UTC" : `in UTC and ${timeZone}`}`)),
    h(
      "ol",
      { id: "incident-timeline", reversed: true },
      entries.map((event) =>
        h(
          "li",
          { "data-event": event.type, "data-seq": event.seq },
          h("time", { datetime: event.at, class: "utc" }, formatTime(event.at, "UTC")),
          timeZone === "UTC" ? null : h("time", { datetime: event.at, class: "team" }, formatTime(event.at, timeZone)),
          h("span", { class: "what" }, describe(event, name, number)),
          event.type === "incident.update" && typeof event.data.customerNotice === "string"
            ? h("blockquote", { class: "customer-notice" }, h("span", { class: "muted" }, "Customer notice: "), event.data.customerNotice)
            : null,
        ),
      ),
    ),
  );
}

const pageLink = (number) => h("a", { href: `#/pages/${number}` }, `page #${number}`);

/** An event in words: text and links, never HTML. */
function describe(event, name, number) {
  const d = event.data;
  const by = event.actor ? ` by ${name(event.actor)}` : "";
  const state = (s) => stateLook(String(s)).word;
  switch (event.type) {
    case "incident.declared":
      return [`Declared ${d.severity}${by}${d.source ? ` through ${throughWords[d.source] ?? d.source}` : ""}`, d.impact ? ` — impact: ${d.impact}` : ""];
    case "incident.status":
      return `${state(d.from)} → ${state(d.to)}${by}`;
    case "incident.severity":
      return `Severity ${d.from} → ${d.to}${by}`;
    case "incident.acknowledged":
      return d.page === undefined ? `Acknowledged${by}` : [`Acknowledged${by} on `, pageLink(d.page)];
    case "incident.sla_breached":
      return `Response deadline passed unacknowledged (${d.severity}); the page escalated`;
    case "incident.role":
      return `${roleLabels[d.role] ?? d.role}: ${name(String(d.to))}${d.from ? `, handed off from ${name(String(d.from))}` : ""}${by}`;
    case "incident.update":
      return `Status update${by}: ${d.text}`;
    case "incident.update_due":
      return `A status update is due${d.remind ? `; reminded ${name(String(d.remind))}` : ""}`;
    case "incident.note":
      if (typeof d.text === "string") return `Note${by}: ${d.text}`;
      return `Analysis edited${by}${Array.isArray(d.edited) && d.edited.length ? ` (${d.edited.map((f) => ({ rootCause: "root cause" })[f] ?? f).join(", ")})` : ""}`;
    case "incident.page":
      return [pageLink(d.page), d.opened ? " opened" : " joined the incident"];
    case "incident.alerts":
      return `Alerts: ${d.summary ?? ""}`;
    case "incident.task":
      return `Checklist: “${d.title}” ${d.done ? "done" : "reopened"}${by}`;
    case "incident.action_item":
      return d.done ? `Action item done: ${d.text}${by}` : `Action item: ${d.text} (owner ${name(String(d.owner))}${d.dueOn ? `, due ${d.dueOn}` : ""})${by}`;
    case "incident.runbook_run":
      return ["Runbook ", h("a", { href: `#/runs/${encodeURIComponent(String(d.run))}` }, String(d.runbook)), ` ${d.status ?? "started"}${by}`];
    case "incident.people_requested":
      return [`More people requested from ${d.schedule}${by}: `, pageLink(d.page)];
    case "incident.postmortem":
      return [`Post-mortem saved${by} — `, h("a", { href: `#/incidents/${number}/postmortem` }, "read it")];
    default:
      return `${event.type}${by}`;
  }
}
