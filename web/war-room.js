// The war room of one incident (#/incidents/42): its severity, status and clocks with the
// Acknowledge, "Move to…" (the moves the server says are allowed) and severity controls; the
// update and note forms above the live timeline; the roles, the phase checklist, the incident's
// pages with "Request more people", the recent rollouts of its deployments, and the action
// items. The page is built once and its parts redrawn on each change, so what someone is typing
// survives the live updates of everyone else.

import { h } from "./dom.js";
import { formatAgo, formatTime } from "./format.js";
import { responseClock, updateClock } from "./incident-clocks.js";
import { reference, severityBadge, stateBadge, stateLook } from "./incident-looks.js";
import { lookPill, nameOf, pageLook } from "./page-looks.js";
import { createActionItems } from "./war-room-action-items.js";
import { drawChecklist } from "./war-room-checklist.js";
import { createRoles } from "./war-room-roles.js";
import { createRollouts } from "./war-room-rollouts.js";
import { drawTimeline } from "./war-room-timeline.js";

const throughWords = { api: "the API", cli: "the CLI", console: "the console", alert: "an alert route" };

export function createWarRoom({ client, me, root, ref, people, severities }) {
  const timeZone = me.team.timeZone;
  const mayRespond = ["responder", "operator", "admin"].includes(me.actor.role);
  const needsResponder = mayRespond ? null : "Needs the responder role or above";
  const path = `/api/incidents/${encodeURIComponent(ref)}`;
  let room;
  let moveChoice = ""; // kept across live redraws of the header, while it is still a move allowed
  let severityChoice = ""; // likewise, while it is not the severity the incident has
  let disposed = false;

  const both = (iso) => (timeZone === "UTC" ? formatTime(iso, "UTC") : `${formatTime(iso, "UTC")} · ${formatTime(iso, timeZone)}`);
  const refetchQuietly = () => refetch().catch((failure) => (headError.textContent = failure.message));

  /** Runs a request, shows its refusal in `error`, and redraws from the server either way. */
  async function attempt(error, work) {
    error.textContent = "";
    try {
      await work();
    } catch (failure) {
      error.textContent = failure.message;
    }
    await refetchQuietly();
  }

  // ── the parts, built once ─────────────────────────────────────────────────────────────

  const crumbs = h("p", { class: "crumbs" });
  const head = h("div", { class: "overview panel page-head incident-head" });
  const headError = h("p", { id: "incident-error", class: "error", role: "alert" });
  const live = h("p", { id: "incident-live", class: "run-status", role: "status", "aria-live": "polite" });
  const peopleChoices = h("datalist", { id: "people-choices" }, [...people.values()].sort((a, b) => a.name.localeCompare(b.name)).map((p) => h("option", { value: p.id }, p.name)));
  const roles = createRoles({ client, path, people, mayRespond, onChange: refetchQuietly });
  const checklist = h("section", { class: "panel war-checklist", "aria-labelledby": "checklist-title" });
  const checklistError = h("p", { id: "checklist-error", class: "error", role: "alert" });
  const timeline = h("section", { class: "panel page-timeline incident-timeline", "aria-labelledby": "timeline-title" });
  const pages = h("div", { class: "incident-pages" });
  const actionItems = createActionItems({ client, path, people, timeZone, mayRespond, onChange: refetchQuietly });
  const rollouts = createRollouts({ client, path, timeZone, mayOperate: ["operator", "admin"].includes(me.actor.role), onChange: refetchQuietly });

  const updateText = h("textarea", { id: "update-text", rows: "3", maxlength: "4000", placeholder: "What is known, what is being done, when the next update comes", disabled: !mayRespond });
  const updateNotice = h("input", { id: "update-notice", type: "checkbox", disabled: !mayRespond });
  const updateError = h("p", { id: "update-error", class: "error", role: "alert" });
  const updateDue = h("span", { class: "muted", id: "update-due-note" });
  const updateForm = h(
    "form",
    {
      id: "update-form",
      class: "panel update-form",
      onsubmit: (event) => {
        event.preventDefault();
        void attempt(updateError, async () => {
          await client.post(`${path}/updates`, { text: updateText.value, customerNotice: updateNotice.checked });
          updateForm.reset();
        });
      },
    },
    h("h2", {}, h("label", { for: "update-text" }, "Post a status update"), " ", updateDue),
    updateText,
    h(
      "div",
      { class: "start-actions" },
      h("button", { type: "submit", class: "primary", id: "update-submit", disabled: !mayRespond, title: needsResponder }, "Post update"),
      h("label", { class: "person-choice" }, updateNotice, " with the customer notice"),
    ),
    updateError,
  );

  const noteText = h("input", { id: "note-text", type: "text", maxlength: "4000", placeholder: "Restarted game-3; error rate unchanged", autocomplete: "off", disabled: !mayRespond });
  const noteError = h("p", { id: "note-error", class: "error", role: "alert" });
  const noteForm = h(
    "form",
    {
      id: "note-form",
      class: "note-form",
      onsubmit: (event) => {
        event.preventDefault();
        void attempt(noteError, async () => {
          await client.post(`${path}/notes`, { text: noteText.value });
          noteForm.reset();
        });
      },
    },
    h("label", { for: "note-text" }, "Note"),
    noteText,
    h("button", { type: "submit", id: "note-submit", disabled: !mayRespond, title: needsResponder }, "Add to timeline"),
    noteError,
  );

  const schedule = h("select", { id: "request-schedule", disabled: !mayRespond, "aria-label": "Schedule whose on-call to page" });
  const requestError = h("p", { id: "request-error", class: "error", role: "alert" });
  const requestDone = h("p", { id: "request-done", class: "run-status", role: "status" });
  const requestForm = h(
    "form",
    {
      id: "request-form",
      class: "request-form",
      onsubmit: (event) => {
        event.preventDefault();
        requestDone.textContent = "";
        void attempt(requestError, async () => {
          const chosen = schedule.selectedOptions[0]?.textContent ?? schedule.value;
          await client.post(`${path}/request-people`, { schedule: schedule.value });
          requestDone.textContent = `Paged the on-call of ${chosen}.`;
        });
      },
    },
    h("h3", {}, "Request more people"),
    h("div", { class: "start-actions" }, schedule, h("button", { type: "submit", id: "request-submit", disabled: !mayRespond, title: needsResponder }, "Page their on-call")),
    requestDone,
    requestError,
  );

  root.replaceChildren(
    crumbs,
    head,
    peopleChoices,
    h(
      "div",
      { class: "war-room" },
      h("div", { class: "war-main" }, updateForm, h("div", { class: "panel note-panel" }, noteForm), timeline),
      h(
        "div",
        { class: "war-side" },
        roles.root,
        h("div", { class: "checklist-box" }, checklist, checklistError),
        h("section", { class: "panel war-pages", "aria-labelledby": "war-pages-title" }, h("h2", { id: "war-pages-title" }, "Pages"), pages, requestForm),
        rollouts.root,
        actionItems.root,
      ),
    ),
  );

  // ── drawing ────────────────────────────────────────────────────────────────────────────

  /** Every severity, the incident's own marked "(now)"; a change is recorded on the timeline. */
  function severityForm(incident) {
    if (severityChoice === incident.severity) severityChoice = "";
    const choices = [...severities.values()];
    const change = h(
      "button",
      { type: "submit", id: "severity-submit", disabled: !mayRespond || !severityChoice, title: needsResponder ?? "Change the severity: the response deadline and the update cadence follow it" },
      "Change severity",
    );
    const select = h(
      "select",
      {
        id: "severity-choice",
        "aria-label": "Severity",
        disabled: !mayRespond,
        onchange: (event) => {
          severityChoice = event.target.value === incident.severity ? "" : event.target.value;
          change.disabled = !severityChoice;
        },
      },
      choices.map((s) => h("option", { value: s.id, selected: s.id === (severityChoice || incident.severity) }, `${s.id} ${s.name}${s.id === incident.severity ? " (now)" : ""}`)),
    );
    return h(
      "form",
      {
        class: "move-form severity-form",
        onsubmit: (event) => {
          event.preventDefault();
          const severity = severityChoice;
          void attempt(headError, async () => {
            await client.post(`${path}/severity`, { severity });
            severityChoice = "";
          });
        },
      },
      select,
      change,
    );
  }

  function drawHead() {
    const { incident, severity } = room;
    // The server's life cycle says where it may go; it still decides, and a refusal names the allowed moves.
    const moves = room.nextStates;
    if (!moves.includes(moveChoice)) moveChoice = "";
    const moveTo = h(
      "select",
      { id: "move-status", "aria-label": "Move to", disabled: !mayRespond || moves.length === 0, onchange: (event) => (moveChoice = event.target.value) },
      moves.length === 0 ? h("option", { value: "" }, "final") : moves.map((state) => h("option", { value: state, selected: state === moveChoice }, stateLook(state).word)),
    );
    const lead = incident.roles.incident_commander ?? incident.roles.owner;
    head.replaceChildren(
      h(
        "div",
        { class: "verdict" },
        h("span", { class: "incident-ref", id: "incident-ref" }, reference(incident.number)),
        severityBadge(incident.severity, severity, { id: "incident-severity" }),
        h("h1", { id: "incident-title" }, incident.title),
        stateBadge(incident.status, { id: "incident-status", "aria-label": `Incident status: ${stateLook(incident.status).word}` }),
      ),
      h(
        "div",
        { class: "run-meta" },
        h(
          "dl",
          { class: "facts" },
          h("div", {}, h("dt", {}, "Severity"), h("dd", {}, `${severity.id} ${severity.name}`, h("span", { class: "muted" }, ` · ${severity.description}`))),
          h("div", {}, h("dt", {}, "Declared"), h("dd", { title: both(incident.declaredAt) }, formatAgo(incident.declaredAt), h("span", { class: "muted" }, ` by ${nameOf(people, incident.declaredBy)} through ${throughWords[incident.source] ?? incident.source}`))),
          h("div", {}, h("dt", {}, "Response SLA"), h("dd", {}, responseClock(incident, severity, timeZone, { id: "incident-sla" }))),
          h("div", {}, h("dt", {}, "Next update"), h("dd", {}, updateClock(incident, timeZone, { id: "incident-update-due" }))),
          h("div", {}, h("dt", {}, severity.warRoom ? "Commander" : "Owner"), h("dd", {}, lead ? nameOf(people, lead) : h("span", { class: "muted" }, "nobody"))),
          incident.acknowledgedAt
            ? h("div", {}, h("dt", {}, "Acknowledged"), h("dd", { id: "incident-acknowledged", title: both(incident.acknowledgedAt) }, `by ${nameOf(people, incident.acknowledgedBy)}, ${formatAgo(incident.acknowledgedAt)}`))
            : null,
          incident.resolvedAt ? h("div", {}, h("dt", {}, "Resolved"), h("dd", { title: both(incident.resolvedAt) }, formatAgo(incident.resolvedAt))) : null,
        ),
      ),
      h(
        "div",
        { class: "actions" },
        h(
          "div",
          { class: "page-actions" },
          h(
            "button",
            {
              type: "button",
              id: "ack-incident",
              class: "primary",
              disabled: !mayRespond || Boolean(incident.acknowledgedAt),
              title: needsResponder ?? (incident.acknowledgedAt ? "Acknowledged already" : "Acknowledge: stops the response clock and the escalation"),
              onclick: () => void attempt(headError, () => client.post(`${path}/acknowledge`)),
            },
            "Acknowledge",
          ),
          h(
            "form",
            {
              class: "move-form",
              onsubmit: (event) => {
                event.preventDefault();
                void attempt(headError, () => client.post(`${path}/status`, { status: moveTo.value }));
              },
            },
            moveTo,
            h("button", { type: "submit", id: "move-submit", disabled: !mayRespond || moves.length === 0, title: needsResponder ?? (moves.length ? "Move the incident along its life cycle" : "Documented is final") }, "Move"),
          ),
          severityForm(incident),
          h("a", { class: "button-link", id: "postmortem-link", href: `#/incidents/${incident.number}/postmortem` }, "Open the post-mortem"),
        ),
        headError,
        live,
      ),
    );
  }

  function drawPages() {
    const list = room.pages;
    pages.replaceChildren(
      list.length === 0
        ? h("p", { class: "muted", id: "no-incident-pages" }, "No page: nobody was paged for this incident.")
        : h(
            "ul",
            { class: "incident-page-list", id: "incident-pages" },
            list.map((page) =>
              h(
                "li",
                { "data-page": page.number },
                h("a", { href: `#/pages/${page.number}` }, `#${page.number}`),
                " ",
                lookPill(pageLook(page.status)),
                h("span", { class: "page-title" }, ` ${page.title}`),
                h("span", { class: "muted" }, page.assignees.length ? ` · ${page.assignees.map((id) => nameOf(people, id)).join(", ")}` : " · nobody yet"),
              ),
            ),
          ),
    );
  }

  function render() {
    const { incident } = room;
    document.title = `gameops · ${reference(incident.number)}`;
    crumbs.replaceChildren(h("a", { href: "#/incidents" }, "Incidents"), ` / ${reference(incident.number)}`);
    drawHead();
    roles.draw(incident, room.severity);
    drawChecklist(checklist, {
      incident,
      tasks: room.tasks,
      people,
      timeZone,
      mayRespond,
      onTick: (task, done) => void attempt(checklistError, () => client.post(`${path}/tasks/${encodeURIComponent(task.taskId)}`, { done })),
    });
    drawTimeline(timeline, { number: incident.number, events: room.events, people, timeZone });
    drawPages();
    actionItems.draw(room.actionItems);
    updateDue.textContent = incident.nextUpdateAt ? `next one due ${formatTime(incident.nextUpdateAt, timeZone, { withDate: false })}` : "";
  }

  async function refetch() {
    const next = await client.get(path);
    if (disposed) return;
    room = next;
    render();
  }

  /** The schedules whose on-call can be asked in, each with who that is now. */
  async function loadSchedules() {
    const { schedules } = await client.get("/api/oncall/now");
    schedule.replaceChildren(
      ...(schedules.length === 0
        ? [h("option", { value: "" }, "No schedule: add one under paging.schedules")]
        : schedules.map((entry) => h("option", { value: entry.schedule.id }, `${entry.schedule.name}${entry.primary ? ` — ${nameOf(people, entry.primary)} now` : " — nobody now"}`))),
    );
  }

  return {
    async load() {
      await Promise.all([refetch(), loadSchedules()]);
      // Reading the cluster can take seconds: the rest of the war room does not wait for it.
      void rollouts.load();
    },
    refetch,
    setLive: (text) => (live.textContent = text),
    incidentId: () => room?.incident.id,
    dispose() {
      disposed = true;
      rollouts.dispose();
    },
  };
}
