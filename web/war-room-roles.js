// The war room's roles: the four of a P1/P2 (Incident Commander, Technical Lead,
// Communications, Scribe) or the owner of a P3/P4, who holds each, and a picker to assign it or
// hand it off. The picker takes a name or an id (the people list suggests them); what matches
// nobody goes to the API as typed, and its answer says so. The rows are built once per set of
// roles, so a live redraw never takes what someone is typing.

import { h } from "./dom.js";
import { roleDuties, roleLabels, rolesOf } from "./incident-looks.js";
import { nameOf } from "./page-looks.js";

/** A typed name or id as a person's id; anything else unchanged. */
export function personIdOf(people, typed) {
  const text = typed.trim();
  if (people.has(text)) return text;
  const byName = [...people.values()].find((p) => p.name.toLowerCase() === text.toLowerCase());
  return byName ? byName.id : text;
}

export function createRoles({ client, path, people, mayRespond, onChange }) {
  const list = h("ul", { class: "role-list", id: "incident-roles" });
  const error = h("p", { id: "roles-error", class: "error", role: "alert" });
  const root = h(
    "section",
    { class: "panel war-roles", "aria-labelledby": "roles-title" },
    h("h2", { id: "roles-title" }, "Roles"),
    list,
    error,
  );
  let rows = new Map(); // role → { holder, button }
  let shape = "";

  async function assign(role, input) {
    error.textContent = "";
    try {
      await client.post(`${path}/roles`, { role, person: personIdOf(people, input.value) });
      input.value = "";
    } catch (failure) {
      error.textContent = failure.message;
    }
    await onChange();
  }

  function row(role) {
    const holder = h("span", { class: "holder" });
    const input = h("input", { type: "text", list: "people-choices", id: `role-${role}`, placeholder: "name or id", autocomplete: "off", spellcheck: "false", "aria-label": `${roleLabels[role]}: person`, disabled: !mayRespond });
    const button = h("button", { type: "submit", class: "quiet", disabled: !mayRespond, title: mayRespond ? null : "Needs the responder role or above" }, "Assign");
    const item = h(
      "li",
      { "data-role": role },
      h("div", { class: "role-head" }, h("strong", {}, roleLabels[role]), holder),
      h("p", { class: "muted duty" }, roleDuties[role]),
      h(
        "form",
        {
          class: "role-form",
          "data-role": role,
          onsubmit: (event) => {
            event.preventDefault();
            void assign(role, input);
          },
        },
        input,
        button,
      ),
    );
    rows.set(role, { holder, button });
    return item;
  }

  function draw(incident, severity) {
    const roles = rolesOf(severity);
    if (roles.join() !== shape) {
      shape = roles.join();
      rows = new Map();
      list.replaceChildren(...roles.map(row));
    }
    for (const role of roles) {
      const { holder, button } = rows.get(role);
      const id = incident.roles[role];
      holder.replaceChildren(id ? h("span", { "data-person": id }, nameOf(people, id)) : h("span", { class: "muted vacant" }, "nobody"));
      button.textContent = id ? "Hand off" : "Assign";
    }
  }

  return { root, draw };
}
