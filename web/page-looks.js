// How pages, alerts and deliveries look: the Health page's colours and marks (style.css), in
// paging words. A mark as well as a colour, so that a status reads without colour vision.

import { h } from "./dom.js";

const pageLooks = {
  triggered: { cls: "critical", mark: "!", word: "Triggered" },
  acknowledged: { cls: "running", mark: "◐", word: "Acknowledged" },
  resolved: { cls: "ok", mark: "✓", word: "Resolved" },
};

const alertLooks = {
  firing: { cls: "critical", mark: "!", word: "Firing" },
  resolved: { cls: "ok", mark: "✓", word: "Resolved" },
};

const deliveryLooks = {
  pending: { cls: "running", mark: "…", word: "Pending" },
  sent: { cls: "ok", mark: "✓", word: "Sent" },
  failed: { cls: "critical", mark: "✕", word: "Failed" },
  coalesced: { cls: "skipped", mark: "≡", word: "Coalesced" },
};

/** Alertmanager's usual severities; anything else shows plain. */
const severityClasses = { critical: "critical", page: "critical", error: "critical", warning: "warning", info: "running" };

export const pageStatuses = ["triggered", "acknowledged", "resolved"];

const lookOf = (looks, status) => looks[status] ?? { cls: "unknown", mark: "?", word: status };
export const pageLook = (status) => lookOf(pageLooks, status);
export const alertLook = (status) => lookOf(alertLooks, status);
export const deliveryLook = (status) => lookOf(deliveryLooks, status);

export function lookPill(look, attributes = {}) {
  return h("span", { class: `pill status-${look.cls}`, ...attributes }, h("span", { class: "mark", "aria-hidden": "true" }, look.mark), ` ${look.word}`);
}

export function lookBadge(look, attributes = {}) {
  return h("span", { class: `badge status-${look.cls}`, role: "status", ...attributes }, h("span", { class: "mark", "aria-hidden": "true" }, look.mark), ` ${look.word}`);
}

export function severityPill(severity) {
  if (!severity) return null;
  return h("span", { class: `pill severity status-${severityClasses[severity.toLowerCase()] ?? "skipped"}`, title: "severity" }, severity);
}

/** Labels as chips, `name=value`; `skip` leaves out those already shown elsewhere. */
export function labelChips(labels, skip = []) {
  return h(
    "ul",
    { class: "chips", "aria-label": "Labels" },
    Object.entries(labels)
      .filter(([name]) => !skip.includes(name))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, value]) => h("li", { class: "chip" }, h("span", { class: "chip-name" }, name), "=", value)),
  );
}

/** A person's name when known, else their id. */
export function nameOf(people, id) {
  return people.get(id)?.name ?? id;
}

export async function loadPeople(client) {
  const { people } = await client.get("/api/people");
  return new Map(people.map((p) => [p.id, p]));
}
