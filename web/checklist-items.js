// One period's checklist items, each in its state: done (by whom and when; for what automation
// ticked, the evidence it saw, linked), open, or OVERDUE once its period is over. An item not done
// has a Done button with an optional note; a past period's item can be signed off late.

import { h } from "./dom.js";
import { formatTime, statusWords } from "./format.js";
import { nameOf } from "./page-looks.js";

/** The operator automation signs off as (checklist-service.ts `automation`). */
const automation = "automation";

/** What each proof is, as operations-checklists.ts proofKinds says it. */
const proofWords = {
  "daily-check": "a daily check run in the period",
  "alerts-reviewed": "no firing alert left without an acknowledged page",
  "backup-verified": "a backup set deep-verified (restored and fingerprinted) in the period",
};

const states = {
  done: { cls: "ok", mark: "✓", word: "Done" },
  open: { cls: "skipped", mark: "○", word: "Open" },
  overdue: { cls: "critical", mark: "!", word: "OVERDUE" },
};

export const itemState = (item) => (item.signoff ? "done" : item.overdue ? "overdue" : "open");

const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** What automation saw, in words, with a link to where it can be looked at. */
function evidenceOf(evidence, timeZone) {
  if (typeof evidence.checkRun === "string") {
    const when = typeof evidence.at === "string" ? formatTime(evidence.at, timeZone) : "";
    return [
      "Proved by ",
      h("a", { href: `#/?run=${encodeURIComponent(evidence.checkRun)}`, class: "evidence-link", "data-run": evidence.checkRun, title: `Check run ${evidence.checkRun}: the Health page shows its results` }, `the check run of ${when}`),
      evidence.status ? ` (${statusWords[evidence.status] ?? evidence.status})` : "",
    ];
  }
  if (typeof evidence.firingGroups === "number") {
    return ["Proved: ", h("a", { href: "#/alerts", class: "evidence-link" }, `${plural(evidence.firingGroups, "firing alert group")}, none waiting`), typeof evidence.at === "string" ? ` at ${formatTime(evidence.at, timeZone, { withDate: false })}` : ""];
  }
  const facts = Object.entries(evidence).map(([name, value]) => `${name} ${typeof value === "object" ? JSON.stringify(value) : value}`);
  return facts.length ? `Proved: ${facts.join(", ")}` : "";
}

/**
 * Draws `view.items` into `root`. `notes` (item id → typed text) is kept by the caller, so that a
 * redraw gives back what was typed; `onDone(item, note)` signs one off.
 */
export function drawItems(root, { view, people, timeZone, mayRespond, notes, onDone }) {
  const both = (iso) => (timeZone === "UTC" ? formatTime(iso, "UTC") : `${formatTime(iso, "UTC")} · ${formatTime(iso, timeZone)}`);

  function item(entry) {
    const state = itemState(entry);
    const look = states[state];
    const signoff = entry.signoff;
    const byAutomation = signoff?.doneBy === automation;
    const note = h("input", {
      type: "text",
      class: "signoff-note",
      maxlength: "1000",
      placeholder: "Note (optional)",
      autocomplete: "off",
      "aria-label": `Note on “${entry.title}”`,
      disabled: !mayRespond,
      value: notes.get(entry.id) ?? "",
      oninput: (event) => notes.set(entry.id, event.target.value),
    });
    return h(
      "li",
      { class: `checklist-item ${state}`, "data-item": entry.id, "data-state": state },
      h(
        "div",
        { class: "item-head" },
        h("span", { class: `pill state-pill status-${look.cls}` }, h("span", { class: "mark", "aria-hidden": "true" }, look.mark), ` ${look.word}`),
        h("span", { class: "item-title" }, entry.title),
        h("span", { class: "muted item-team" }, entry.team),
      ),
      signoff
        ? h(
            "p",
            { class: "item-done" },
            h("span", { class: "done-by" }, byAutomation ? "Ticked by automation" : `Signed off by ${nameOf(people, signoff.doneBy)}`),
            ", ",
            h("time", { datetime: signoff.doneAt, title: both(signoff.doneAt) }, formatTime(signoff.doneAt, timeZone)),
            Date.parse(signoff.doneAt) >= Date.parse(view.period.end) ? h("span", { class: "late" }, " — late, after the period ended") : null,
          )
        : null,
      signoff?.evidence ? h("p", { class: "item-evidence" }, evidenceOf(signoff.evidence, timeZone)) : null,
      signoff?.note ? h("p", { class: "item-note" }, `“${signoff.note}”`) : null,
      !signoff && entry.proof
        ? h("p", { class: "muted item-proof" }, `Automation ticks it when it sees ${proofWords[entry.proof] ?? entry.proof}; until then a person signs it off.`)
        : null,
      signoff
        ? null
        : h(
            "form",
            {
              class: "signoff-form",
              "data-item": entry.id,
              onsubmit: (event) => {
                event.preventDefault();
                onDone(entry, note.value.trim());
              },
            },
            note,
            h(
              "button",
              { type: "submit", class: state === "overdue" ? "primary" : null, "data-done": entry.id, disabled: !mayRespond, title: mayRespond ? (state === "overdue" ? "Sign it off late, for this period" : "Sign it off for this period") : "Needs the responder role or above" },
              "Done",
            ),
          ),
    );
  }

  root.replaceChildren(h("ul", { class: "checklist-items", id: "checklist-items" }, view.items.map(item)));
}
