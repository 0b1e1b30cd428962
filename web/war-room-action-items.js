// The incident's action items: what must change so it does not happen again, each with an
// owner and a due date; open ones past their date (in the team's zone) stand out. A form adds
// one, a button marks one done. The form is built once, so a live redraw keeps what is typed.

import { h } from "./dom.js";
import { dayKey, formatAgo } from "./format.js";
import { nameOf } from "./page-looks.js";
import { personIdOf } from "./war-room-roles.js";

export function createActionItems({ client, path, people, timeZone, mayRespond, onChange }) {
  const list = h("div", { class: "action-list" });
  const error = h("p", { id: "action-error", class: "error", role: "alert" });
  const text = h("input", { id: "action-text", type: "text", maxlength: "1000", placeholder: "Add connection pool metrics", autocomplete: "off", disabled: !mayRespond });
  const owner = h("input", { id: "action-owner", type: "text", list: "people-choices", placeholder: "name or id", autocomplete: "off", spellcheck: "false", disabled: !mayRespond });
  const due = h("input", { id: "action-due", type: "date", disabled: !mayRespond });
  const form = h(
    "form",
    {
      id: "action-form",
      class: "action-form",
      novalidate: true,
      onsubmit: (event) => {
        event.preventDefault();
        void add();
      },
    },
    h("div", { class: "param wide" }, h("label", { for: "action-text" }, "Action item"), text),
    h("div", { class: "param" }, h("label", { for: "action-owner" }, "Owner"), owner),
    h("div", { class: "param" }, h("label", { for: "action-due" }, "Due ", h("span", { class: "muted" }, "optional")), due),
    h("div", { class: "start-actions" }, h("button", { type: "submit", id: "action-add", disabled: !mayRespond }, "Add action item")),
  );
  const root = h(
    "section",
    { class: "panel war-actions", "aria-labelledby": "actions-title" },
    h("h2", { id: "actions-title" }, "Action items"),
    list,
    form,
    error,
  );

  async function attempt(work) {
    error.textContent = "";
    try {
      await work();
    } catch (failure) {
      error.textContent = failure.message;
    }
    await onChange();
  }

  const add = () =>
    attempt(async () => {
      const body = { text: text.value, owner: personIdOf(people, owner.value) };
      if (due.value) body.dueOn = due.value;
      await client.post(`${path}/action-items`, body);
      form.reset();
    });

  const complete = (item) => attempt(() => client.post(`/api/action-items/${encodeURIComponent(item.id)}/done`));

  function draw(items) {
    const today = dayKey(new Date().toISOString(), timeZone);
    const overdue = (item) => !item.doneAt && item.dueOn !== undefined && item.dueOn < today;
    list.replaceChildren(
      items.length === 0
        ? h("p", { class: "muted", id: "no-action-items" }, "None yet: add what must change so that this does not happen again.")
        : h(
            "table",
            { class: "runs action-items", id: "action-items" },
            h("thead", {}, h("tr", {}, ["Item", "Owner", "Due", ""].map((t) => h("th", { scope: "col" }, t)))),
            h(
              "tbody",
              {},
              items.map((item) =>
                h(
                  "tr",
                  { "data-item": item.id, class: item.doneAt ? "done" : overdue(item) ? "overdue" : null },
                  h("td", { class: "item-text" }, item.text),
                  h("td", {}, nameOf(people, item.owner)),
                  h("td", { class: "due" }, item.dueOn ? h("span", { class: "due-date" }, item.dueOn) : h("span", { class: "muted" }, "–"), overdue(item) ? h("span", { class: "pill status-critical" }, "overdue") : null),
                  h(
                    "td",
                    {},
                    item.doneAt
                      ? h("span", { class: "pill status-ok", title: `by ${nameOf(people, item.doneBy)}, ${formatAgo(item.doneAt)}` }, "✓ done")
                      : h("button", { type: "button", class: "quiet", "data-done": item.id, disabled: !mayRespond, onclick: () => void complete(item) }, "Mark done"),
                  ),
                ),
              ),
            ),
          ),
    );
  }

  return { root, draw };
}
