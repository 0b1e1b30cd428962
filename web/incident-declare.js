// The Declare form on the incident list: a title, a severity from the team's policy (GET
// /api/severities, with what each means and how fast it must be answered), the impact, and the
// incident commander — by default whoever is on call. The browser does not validate: the API's
// message says what is wrong, in the same words as the CLI's.

import { h } from "./dom.js";
import { formatSeconds } from "./format.js";
import { reference } from "./incident-looks.js";

function respondText(severity) {
  if (severity.respondWithin === 0) return "respond at once";
  return `respond within ${formatSeconds(severity.respondWithin / 1000)}${severity.businessHoursOnly ? " of business hours" : ""}`;
}

export function createDeclareForm({ client, me, onDeclared }) {
  const mayDeclare = ["responder", "operator", "admin"].includes(me.actor.role);
  const title = h("input", { id: "declare-title", name: "title", type: "text", maxlength: "300", placeholder: "Login fails for 30% of players", autocomplete: "off" });
  const severity = h("select", { id: "declare-severity", name: "severity" });
  const severityHint = h("p", { class: "muted hint", id: "declare-severity-hint" });
  const impact = h("textarea", { id: "declare-impact", name: "impact", rows: "2", placeholder: "Who is affected, and how" });
  const commander = h("select", { id: "declare-commander", name: "commander" });
  const submit = h("button", { type: "submit", class: "danger", id: "declare-submit", disabled: !mayDeclare, title: mayDeclare ? "Declare the incident: pages the commander and starts its clocks" : "Needs the responder role or above" }, "Declare incident");
  const error = h("p", { id: "declare-error", class: "error", role: "alert" });
  const done = h("p", { id: "declare-done", class: "run-status", role: "status", "aria-live": "polite" });
  let severities = [];

  const form = h(
    "form",
    {
      id: "declare-form",
      class: "declare-form",
      novalidate: true,
      onsubmit: (event) => {
        event.preventDefault();
        void declare();
      },
    },
    h("div", { class: "param wide" }, h("label", { for: "declare-title" }, "Title"), title),
    h("div", { class: "param" }, h("label", { for: "declare-severity" }, "Severity"), severity, severityHint),
    h("div", { class: "param" }, h("label", { for: "declare-commander" }, "Incident commander ", h("span", { class: "muted" }, "or owner")), commander),
    h("div", { class: "param wide" }, h("label", { for: "declare-impact" }, "Impact ", h("span", { class: "muted" }, "optional")), impact),
    h("div", { class: "start-actions" }, submit, mayDeclare ? null : h("span", { class: "muted" }, "Declaring needs the responder role or above.")),
    error,
  );
  severity.addEventListener("change", hint);

  function hint() {
    const chosen = severities.find((s) => s.id === severity.value);
    severityHint.textContent = chosen
      ? `${chosen.description}; ${respondText(chosen)}; ${chosen.warRoom ? "a war room with four roles" : "an owner, no war room"}.`
      : "";
  }

  /** Fills the pickers; keeps what was chosen when they are filled again. */
  function fill(nextSeverities, people) {
    severities = nextSeverities;
    const [chosenSeverity, chosenCommander] = [severity.value, commander.value];
    severity.replaceChildren(
      h("option", { value: "" }, "Choose a severity"),
      ...severities.map((s) => h("option", { value: s.id }, `${s.id} ${s.name}`)),
    );
    severity.value = chosenSeverity;
    commander.replaceChildren(
      h("option", { value: "" }, "Whoever is on call (default)"),
      ...[...people.values()].sort((a, b) => a.name.localeCompare(b.name)).map((p) => h("option", { value: p.id }, p.name)),
    );
    commander.value = chosenCommander;
    hint();
  }

  async function declare() {
    error.textContent = "";
    done.replaceChildren();
    submit.setAttribute("aria-busy", "true");
    try {
      const body = { title: title.value, severity: severity.value };
      if (impact.value.trim()) body.impact = impact.value.trim();
      if (commander.value) body.commander = commander.value;
      const { incident } = await client.post("/api/incidents", body);
      form.reset();
      hint();
      done.replaceChildren("Declared ", h("a", { href: `#/incidents/${incident.number}`, id: "declared-link" }, `${reference(incident.number)}: ${incident.title}`), " — open its war room.");
      onDeclared(incident);
    } catch (failure) {
      error.textContent = failure.message;
    } finally {
      submit.removeAttribute("aria-busy");
    }
  }

  const root = h(
    "section",
    { class: "panel declare", id: "declare", "aria-labelledby": "declare-heading" },
    h("div", { class: "history-head" }, h("h2", { id: "declare-heading" }, "Declare an incident"), h("span", { class: "muted" }, "pages the commander and the first responders, and starts the response clock")),
    form,
    done,
  );

  return { root, fill };
}
