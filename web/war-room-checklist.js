// The war room's checklist in its three phases (first 15 minutes, ongoing, after resolution):
// each item with a tick box, the role that sees to it and who holds that role, and who ticked it
// when. A phase not open yet says when it opens; its items can be ticked ahead all the same.

import { h } from "./dom.js";
import { formatTime } from "./format.js";
import { phaseLabels, phases, roleLabels } from "./incident-looks.js";
import { nameOf } from "./page-looks.js";

const firstPhaseMs = 15 * 60_000;

function opens(phase, incident, timeZone) {
  const time = (ms) => formatTime(new Date(ms).toISOString(), timeZone, { withDate: false });
  const declared = Date.parse(incident.declaredAt);
  const resolved = incident.resolvedAt ? Date.parse(incident.resolvedAt) : undefined;
  switch (phase) {
    case "first_15_minutes":
      return `from ${time(declared)}`;
    case "ongoing":
      return resolved !== undefined && resolved < declared + firstPhaseMs ? "skipped: resolved within 15 minutes" : `from ${time(declared + firstPhaseMs)}`;
    case "after_resolution":
      return resolved === undefined ? "once resolved" : `from ${time(resolved)}`;
  }
}

export function drawChecklist(root, { incident, tasks, people, timeZone, mayRespond, onTick }) {
  const done = tasks.filter((t) => t.doneAt).length;

  function item(task) {
    const holder = task.ownerRole ? incident.roles[task.ownerRole] : undefined;
    return h(
      "li",
      { "data-task": task.taskId, class: task.doneAt ? "done" : null },
      h(
        "label",
        {},
        h("input", {
          type: "checkbox",
          checked: Boolean(task.doneAt),
          disabled: !mayRespond,
          "data-task": task.taskId,
          onchange: (event) => onTick(task, event.target.checked),
        }),
        h("span", { class: "task-title" }, task.title),
      ),
      h(
        "span",
        { class: "task-owner muted" },
        task.ownerRole ? `${roleLabels[task.ownerRole] ?? task.ownerRole}${holder ? `: ${nameOf(people, holder)}` : ""}` : "",
        task.doneAt ? h("span", { class: "task-done", title: formatTime(task.doneAt, timeZone) }, ` · ✓ ${nameOf(people, task.doneBy)}, ${formatTime(task.doneAt, timeZone, { withDate: false })}`) : null,
      ),
    );
  }

  const phase = (id) =>
    h(
      "div",
      { class: "phase", "data-phase": id },
      h("h3", {}, phaseLabels[id], h("span", { class: "muted" }, ` · ${opens(id, incident, timeZone)}`)),
      h("ul", { class: "tasks" }, tasks.filter((t) => t.phase === id).map(item)),
    );

  root.replaceChildren(
    h("h2", { id: "checklist-title" }, "Checklist ", h("span", { class: "muted", id: "checklist-count" }, `${done} of ${tasks.length} done`)),
    ...phases.filter((id) => tasks.some((t) => t.phase === id)).map(phase),
  );
}
