// One page: what fired, its status and who has it, the timeline, every delivery with each of
// its attempts, and the responder's buttons (acknowledge, resolve, escalate now, reassign).

import { h } from "./dom.js";
import { formatAgo, formatDuration, formatTime } from "./format.js";
import { alertLook, deliveryLook, labelChips, lookBadge, lookPill, nameOf, pageLook, severityPill } from "./page-looks.js";

const alertLimit = 1000;
const throughWords = { api: "the API", cli: "the CLI", console: "the console", link: "a signed link", intake: "the alert source" };
const shownAnnotations = ["summary", "description", "message"];

export function createPageDetail({ client, me, root, ref, people }) {
  const timeZone = me.team.timeZone;
  const mayRespond = ["responder", "operator", "admin"].includes(me.actor.role);
  const path = `/api/pages/${encodeURIComponent(ref)}`;
  let detail;
  let groupAlerts = [];
  let liveNote = "";
  let reassigning = false;
  let busy = false;
  let message = "";
  let disposed = false;
  const picked = new Set(); // people ticked in the reassign form, kept across redraws

  const names = (ids) => (ids?.length ? ids.map((id) => nameOf(people, id)).join(", ") : "nobody");
  const utc = (iso) => formatTime(iso, "UTC");
  const team = (iso) => formatTime(iso, timeZone);
  const both = (iso) => (timeZone === "UTC" ? utc(iso) : `${utc(iso)} · ${team(iso)}`);

  /** The page and the alerts of its group; a delivery's attempt is a page change too, so the live stream brings it. */
  async function refetch() {
    const next = await client.get(path);
    const alertList = next.page.groupKey ? await client.get(`/api/alerts?limit=${alertLimit}&group=${encodeURIComponent(next.page.groupKey)}`) : { alerts: [] };
    if (disposed) return;
    detail = next;
    groupAlerts = alertList.alerts;
    render();
  }

  function setLive(text) {
    liveNote = text;
    const note = root.querySelector("#page-live");
    if (note) note.textContent = text;
  }

  // ── actions ────────────────────────────────────────────────────────────────────────────

  async function act(action, body) {
    busy = true;
    message = "";
    render();
    try {
      await client.post(`${path}/${action}`, body);
      reassigning = false;
      picked.clear();
    } catch (error) {
      message = error.message;
    } finally {
      busy = false;
    }
    await refetch().catch((error) => (message = error.message));
    render();
  }

  function button(id, label, enabled, why, onclick, cls = "") {
    const allowed = mayRespond && enabled;
    return h(
      "button",
      { type: "button", id, class: cls, disabled: !allowed || busy, title: !mayRespond ? "Needs the responder role or above" : enabled ? label : why, onclick },
      label,
    );
  }

  function actions(page) {
    const open = page.status !== "resolved";
    return h(
      "div",
      { class: "page-actions" },
      button("ack-page", "Acknowledge", page.status === "triggered", `The page is ${page.status}`, () => void act("acknowledge"), "primary"),
      button("resolve-page", "Resolve", open, "The page is resolved", () => void act("resolve")),
      button("escalate-page", "Escalate now", page.status === "triggered", "Only a triggered page escalates", () => void act("escalate")),
      button("reassign-page", reassigning ? "Close" : "Reassign…", open, "The page is resolved", () => {
        reassigning = !reassigning;
        render();
      }),
    );
  }

  function reassignPanel(page) {
    if (!reassigning || page.status === "resolved") return null;
    const choices = [...people.values()].sort((a, b) => a.name.localeCompare(b.name));
    const form = h(
      "form",
      {
        id: "reassign-form",
        class: "panel reassign",
        onsubmit: (event) => {
          event.preventDefault();
          void act("reassign", { to: [...picked] });
        },
      },
      h("h2", {}, "Reassign: notify these people now"),
      h("p", { class: "muted" }, "The escalation carries on until someone acknowledges."),
      choices.length === 0
        ? h("p", { class: "muted" }, "Nobody to pick: add people with gameops people add.")
        : h(
            "fieldset",
            { class: "people-picker" },
            h("legend", {}, "People"),
            choices.map((person) =>
              h(
                "label",
                { class: "person-choice" },
                h("input", {
                  type: "checkbox",
                  name: "person",
                  value: person.id,
                  "data-person": person.id,
                  checked: picked.has(person.id),
                  onchange: (event) => (event.target.checked ? picked.add(person.id) : picked.delete(person.id)),
                }),
                ` ${person.name}`,
                person.titles?.length ? h("span", { class: "muted" }, ` · ${person.titles.join(", ")}`) : null,
              ),
            ),
          ),
      h("div", { class: "start-actions" }, h("button", { type: "submit", class: "primary", id: "reassign-submit", disabled: busy }, "Reassign")),
    );
    return form;
  }

  // ── drawing ────────────────────────────────────────────────────────────────────────────

  function render() {
    if (!detail) return;
    const { page } = detail;
    document.title = `gameops · Page ${page.number}`;
    root.replaceChildren(
      ...[
        h("p", { class: "crumbs" }, h("a", { href: "#/pages" }, "Pages"), ` / #${page.number}`),
        header(page),
        reassignPanel(page),
        whatFired(page),
        timeline(),
        deliveries(),
      ].filter(Boolean),
    );
  }

  function header(page) {
    const look = pageLook(page.status);
    const next = page.status === "triggered" ? nextEscalation() : undefined;
    return h(
      "div",
      { class: "overview panel page-head" },
      h("div", { class: "verdict" }, h("h1", { id: "page-title" }, page.title), lookBadge(look, { id: "page-status", "aria-label": `Page status: ${look.word}` })),
      h(
        "div",
        { class: "run-meta" },
        h(
          "dl",
          { class: "facts" },
          h("div", {}, h("dt", {}, "Page"), h("dd", { id: "page-number" }, `#${page.number}`)),
          page.severity ? h("div", {}, h("dt", {}, "Severity"), h("dd", {}, severityPill(page.severity))) : null,
          h("div", {}, h("dt", {}, "Opened"), h("dd", {}, h("time", { datetime: page.openedAt, title: both(page.openedAt) }, formatAgo(page.openedAt)))),
          h("div", {}, h("dt", {}, "Assignees"), h("dd", { id: "page-assignees" }, names(page.assignees))),
          page.route ? h("div", {}, h("dt", {}, "Policy"), h("dd", {}, page.route.policyId, page.route.declare ? h("span", { class: "muted" }, ` · declares ${page.route.declare}`) : null)) : null,
          page.acknowledgedAt ? h("div", {}, h("dt", {}, "Acknowledged"), h("dd", { id: "page-acknowledged" }, `by ${nameOf(people, page.acknowledgedBy)}, ${formatAgo(page.acknowledgedAt)}`)) : null,
          page.resolvedAt ? h("div", {}, h("dt", {}, "Resolved"), h("dd", {}, `by ${nameOf(people, page.resolvedBy)}, ${formatAgo(page.resolvedAt)}`)) : null,
          next ? h("div", {}, h("dt", {}, "Next level"), h("dd", { title: both(next) }, formatTime(next, timeZone))) : null,
        ),
      ),
      h(
        "div",
        { class: "actions" },
        actions(page),
        h("p", { id: "page-error", class: "error", role: "alert" }, message),
        h("p", { id: "page-live", class: "run-status", role: "status", "aria-live": "polite" }, liveNote),
      ),
    );
  }

  /** When the escalation's next level is due, as the last step announced it. */
  function nextEscalation() {
    const last = detail.events.filter((e) => e.type === "page.notified" || e.type === "page.escalated").at(-1);
    const at = last?.data.nextAt;
    return typeof at === "string" && Date.parse(at) > Date.now() ? at : undefined;
  }

  function whatFired(page) {
    const notes = shownAnnotations.filter((name) => page.annotations[name]).map((name) => h("p", { class: `annotation ${name}` }, page.annotations[name]));
    return h(
      "section",
      { class: "panel page-fired", "aria-labelledby": "fired-title" },
      h("h2", { id: "fired-title" }, "What fired"),
      ...notes,
      Object.keys(page.labels).length ? labelChips(page.labels) : h("p", { class: "muted" }, "No labels."),
      groupAlerts.length
        ? h(
            "ul",
            { class: "group-alerts", id: "page-alerts", "aria-label": "Alerts in this group" },
            groupAlerts.map((alert) =>
              h(
                "li",
                { "data-fingerprint": alert.fingerprint },
                lookPill(alertLook(alert.status)),
                labelChips(alert.labels, Object.keys(page.labels)),
                h("time", { datetime: alert.startsAt, title: both(alert.startsAt) }, ` since ${formatAgo(alert.startsAt)}`),
              ),
            ),
          )
        : null,
      h(
        "p",
        { class: "page-links" },
        page.runbook
          ? h("a", { id: "page-runbook", href: `#/runbooks/${encodeURIComponent(page.runbook)}` }, `Runbook: ${page.runbook}`)
          : h("span", { class: "muted" }, "No runbook: add a runbook annotation to the alert rule."),
        page.groupKey ? h("span", { class: "muted group-key", title: "Alertmanager's group key" }, ` · group ${page.groupKey}`) : null,
        h("span", { class: "muted" }, ` · from ${page.source}`),
      ),
    );
  }

  function timeline() {
    const entries = [...detail.events].sort((a, b) => a.seq - b.seq);
    return h(
      "section",
      { class: "panel page-timeline", "aria-labelledby": "timeline-title" },
      h("h2", { id: "timeline-title" }, "Timeline ", h("span", { class: "muted" }, timeZone === "UTC" ? "in UTC" : `in UTC and ${timeZone}`)),
      h(
        "ol",
        { id: "page-timeline" },
        entries.map((event) =>
          h(
            "li",
            { "data-event": event.type },
            h("time", { datetime: event.at, class: "utc" }, utc(event.at)),
            timeZone === "UTC" ? null : h("time", { datetime: event.at, class: "team" }, team(event.at)),
            h("span", { class: "what" }, describe(event)),
          ),
        ),
      ),
    );
  }

  function describe(event) {
    const d = event.data;
    const by = event.actor ? ` by ${nameOf(people, event.actor)}` : "";
    const through = d.through ? ` through ${throughWords[d.through] ?? d.through}` : "";
    switch (event.type) {
      case "page.triggered":
        // The actor here is the intake's credential, not a person: the source says more.
        return `Triggered from ${d.source}${d.route?.policyId ? `, escalation policy ${d.route.policyId}` : ""}`;
      case "page.notified":
      case "page.escalated": {
        const verb = event.type === "page.notified" ? "Notified" : d.manual ? "Escalated now" : "Escalated to";
        if (d.manual) return `${verb}${by}`;
        const unresolved = Array.isArray(d.unresolved) && d.unresolved.length ? ` (not reached: ${d.unresolved.join("; ")})` : "";
        return `${verb} ${names(d.notified)}, level ${(d.level ?? d.step ?? 0) + 1}${d.round ? `, round ${d.round + 1}` : ""}${unresolved}`;
      }
      case "page.exhausted":
        return `Escalation ended: ${d.message ?? "no more levels"}`;
      case "page.acknowledged":
        return `Acknowledged${by}${through}`;
      case "page.resolved":
        return `Resolved${by}${through}`;
      case "page.reassigned":
        return `Reassigned to ${names(d.to)}${by}`;
      case "page.alerts": {
        const parts = [d.firing?.length ? `firing: ${d.firing.join(", ")}` : "", d.resolved?.length ? `resolved: ${d.resolved.join(", ")}` : ""].filter(Boolean);
        return `Alerts changed — ${parts.join("; ")}`;
      }
      case "page.note":
        return `Note${by}: ${d.text ?? ""}`;
      default:
        return `${event.type}${by}`;
    }
  }

  function deliveries() {
    const list = detail.deliveries;
    return h(
      "section",
      { class: "panel page-deliveries", "aria-labelledby": "deliveries-title" },
      h("h2", { id: "deliveries-title" }, "Deliveries ", h("span", { class: "muted" }, `${list.length}`)),
      list.length === 0
        ? h("p", { class: "muted", id: "no-deliveries" }, "Nothing sent yet.")
        : h(
            "table",
            { class: "runs deliveries", id: "page-deliveries" },
            h("thead", {}, h("tr", {}, ["To", "Channel", "Status", "Attempts", "Detail"].map((title) => h("th", { scope: "col" }, title)))),
            list.map((delivery) =>
              h(
                "tbody",
                { "data-delivery": delivery.id, "data-channel": delivery.channel, "data-person": delivery.personId ?? delivery.recipient.id },
                h(
                  "tr",
                  { class: "delivery" },
                  h("td", {}, delivery.recipient.name),
                  h("td", {}, h("code", {}, delivery.channel)),
                  h("td", {}, lookPill(deliveryLook(delivery.status), { "data-status": delivery.status })),
                  h("td", { class: "attempts" }, String(delivery.attempts)),
                  h("td", { class: "note" }, deliveryNote(delivery)),
                ),
                delivery.attemptLog.length
                  ? h(
                      "tr",
                      { class: "attempt-log" },
                      h(
                        "td",
                        { colspan: "5" },
                        h(
                          "ol",
                          {},
                          delivery.attemptLog.map((a) =>
                            h(
                              "li",
                              { class: a.ok ? "ok" : "failed", "data-attempt": a.attempt },
                              h("time", { datetime: a.at, title: both(a.at) }, formatTime(a.at, timeZone, { withDate: false })),
                              ` attempt ${a.attempt}: ${a.ok ? "delivered" : a.retryable ? "failed, will retry" : "failed for good"} · ${formatDuration(a.durationMs)}`,
                              a.detail ? h("span", { class: "attempt-detail" }, ` · ${a.detail}`) : null,
                            ),
                          ),
                        ),
                      ),
                    )
                  : null,
              ),
            ),
          ),
    );
  }

  function deliveryNote(delivery) {
    if (delivery.status === "coalesced") return delivery.coalescedInto ? `sent together with ${delivery.coalescedInto.slice(0, 8)}… (rate limit)` : "sent together with others (rate limit)";
    if (delivery.lastError) return delivery.lastError;
    if (delivery.channel === "inbox") return delivery.readAt ? `read ${formatAgo(delivery.readAt)}` : "in their console inbox";
    if (delivery.sentAt) return `sent ${formatAgo(delivery.sentAt)}`;
    return "";
  }

  return {
    load: refetch,
    refetch,
    setLive,
    pageId: () => detail?.page.id,
    dispose() {
      disposed = true;
    },
  };
}
