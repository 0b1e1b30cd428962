// The post-mortem editor (#/incidents/42/postmortem): the Markdown document beside a live
// preview (markdown.js), Save; and the impact, root cause and lessons, which the server writes
// into the draft. Until someone saves, the document is a draft drawn from the incident and it
// follows the incident as it changes; once saved it is kept as written. "Redraft from the
// incident" draws it afresh, even once saved — after asking, when it would replace written text.

import { h } from "./dom.js";
import { reference, stateBadge } from "./incident-looks.js";
import { renderMarkdown } from "./markdown.js";

const previewDelayMs = 120;

export function createPostmortemEditor({ client, me, root, ref }) {
  const mayRespond = ["responder", "operator", "admin"].includes(me.actor.role);
  const needsResponder = mayRespond ? null : "Needs the responder role or above";
  const path = `/api/incidents/${encodeURIComponent(ref)}`;
  let incident;
  let draft = true;
  let loaded = ""; // the document as the server last had it: anything else in the editor is unsaved
  let pending; // a fresh draft held back because the editor has unsaved edits
  let redrafted; // a fresh draft asked for, waiting for "Replace" because written text would go
  let previewTimer;
  let disposed = false;

  const crumbs = h("p", { class: "crumbs" });
  const title = h("h1", { id: "postmortem-title" });
  const state = h("span", { id: "postmortem-state" });
  const kind = h("span", { id: "postmortem-draft", class: "pill" });
  const status = h("p", { id: "postmortem-status", class: "run-status", role: "status", "aria-live": "polite" });
  const error = h("p", { id: "postmortem-error", class: "error", role: "alert" });
  const live = h("p", { id: "postmortem-live", class: "run-status", role: "status", "aria-live": "polite" });
  const text = h("textarea", { id: "postmortem-text", spellcheck: "true", "aria-label": "Post-mortem (Markdown)", disabled: !mayRespond });
  const preview = h("article", { id: "postmortem-preview", class: "markdown", "aria-label": "Preview" });
  const save = h("button", { type: "button", class: "primary", id: "postmortem-save", disabled: !mayRespond, title: needsResponder, onclick: () => void saveDocument() }, "Save");
  const takeDraft = h("button", { type: "button", id: "postmortem-take-draft", hidden: true, onclick: () => useDraft(pending) }, "Replace my edits with the new draft");
  const redraft = h(
    "button",
    { type: "button", id: "postmortem-redraft", disabled: !mayRespond, title: needsResponder ?? "Draw the document afresh from the incident as it is now", onclick: () => void askRedraft() },
    "Redraft from the incident",
  );
  const confirmText = h("span", { id: "redraft-question" });
  const confirmRedraft = h(
    "div",
    { id: "redraft-confirm", class: "redraft-confirm", role: "alertdialog", "aria-labelledby": "redraft-question", hidden: true },
    confirmText,
    h("button", { type: "button", class: "danger", id: "redraft-replace", onclick: () => applyRedraft() }, "Replace"),
    h("button", { type: "button", id: "redraft-keep", onclick: () => closeRedraft("Kept your text.") }, "Keep my text"),
  );

  const field = (id, hint, rows) => h("textarea", { id, rows: String(rows), placeholder: hint, disabled: !mayRespond });
  const impact = field("analysis-impact", "Who was affected, how many, for how long", 4);
  const rootCause = field("analysis-root-cause", "The first sentence becomes the summary's root cause", 4);
  const lessons = field("analysis-lessons", "One lesson a line", 4);
  const analysisError = h("p", { id: "analysis-error", class: "error", role: "alert" });
  const analysis = h(
    "form",
    {
      id: "analysis-form",
      class: "panel analysis-form",
      onsubmit: (event) => {
        event.preventDefault();
        void saveAnalysis();
      },
    },
    h("div", { class: "history-head" }, h("h2", {}, "Analysis"), h("span", { class: "muted" }, "written into the draft; a saved post-mortem keeps its own words")),
    h(
      "div",
      { class: "analysis-fields" },
      h("div", { class: "param" }, h("label", { for: "analysis-impact" }, "Impact"), impact),
      h("div", { class: "param" }, h("label", { for: "analysis-root-cause" }, "Root cause"), rootCause),
      h("div", { class: "param" }, h("label", { for: "analysis-lessons" }, "Lessons learned"), lessons),
    ),
    h("div", { class: "start-actions" }, h("button", { type: "submit", id: "analysis-save", disabled: !mayRespond, title: needsResponder }, "Save analysis")),
    analysisError,
  );

  root.replaceChildren(
    crumbs,
    h(
      "div",
      { class: "overview panel page-head postmortem-head" },
      h("div", { class: "verdict" }, title, kind, state),
      h("p", { class: "run-meta muted" }, "Markdown: # headings, - lists, - [ ] tasks, **bold**, *italic*, `code`, [links](https://…)."),
      h("div", { class: "actions" }, h("div", { class: "page-actions" }, takeDraft, redraft, save), confirmRedraft, status, error, live),
    ),
    analysis,
    h(
      "div",
      { class: "postmortem-editor" },
      h("section", { class: "panel", "aria-label": "Markdown" }, h("h2", {}, h("label", { for: "postmortem-text" }, "Document")), text),
      h("section", { class: "panel", "aria-labelledby": "preview-title" }, h("h2", { id: "preview-title" }, "Preview"), preview),
    ),
  );

  text.addEventListener("input", () => {
    status.textContent = text.value === loaded ? "" : "Unsaved changes";
    clearTimeout(previewTimer);
    previewTimer = setTimeout(drawPreview, previewDelayMs);
  });

  function drawPreview() {
    preview.replaceChildren(...renderMarkdown(text.value));
  }

  function drawHead() {
    document.title = `gameops · ${reference(incident.number)} post-mortem`;
    crumbs.replaceChildren(h("a", { href: "#/incidents" }, "Incidents"), " / ", h("a", { href: `#/incidents/${incident.number}` }, reference(incident.number)), " / Post-mortem");
    title.textContent = `Post-mortem: ${reference(incident.number)} — ${incident.title}`;
    state.replaceChildren(stateBadge(incident.status));
    kind.textContent = draft ? "draft" : "saved";
    kind.className = `pill ${draft ? "status-warning" : "status-ok"}`;
    kind.title = draft ? "Drawn from the incident; nobody has saved it yet" : "Saved: kept as written";
  }

  function useDraft(markdown) {
    text.value = markdown;
    loaded = markdown;
    pending = undefined;
    takeDraft.hidden = true;
    status.textContent = "";
    drawPreview();
  }

  /** The incident and its document from the server; a fresh draft replaces the editor's text only when nothing there is unsaved. */
  async function refetch({ first = false } = {}) {
    const [room, written] = await Promise.all([client.get(path), client.get(`${path}/postmortem`)]);
    if (disposed) return;
    incident = room.incident;
    draft = written.draft;
    if (first) {
      impact.value = incident.impact ?? "";
      rootCause.value = incident.rootCause ?? "";
      lessons.value = incident.lessons ?? "";
    }
    drawHead();
    if (written.markdown === loaded) return;
    if (first || text.value === loaded) useDraft(written.markdown);
    else if (draft) {
      pending = written.markdown;
      takeDraft.hidden = false;
      status.textContent = "The draft changed; your edits are kept until you save or replace them.";
    } else status.textContent = "Someone saved another version meanwhile; Save replaces it with yours.";
  }

  /** A fresh draft: straight in over an untouched draft, else only once "Replace" says so. */
  async function askRedraft() {
    error.textContent = "";
    closeRedraft("");
    redraft.setAttribute("aria-busy", "true");
    try {
      const { markdown } = await client.get(`${path}/postmortem?draft=true`);
      if (disposed) return;
      if (text.value === markdown) status.textContent = "The document already reads as a fresh draft would.";
      else if (draft && text.value === loaded) {
        useDraft(markdown);
        status.textContent = "Redrafted from the incident.";
      } else {
        redrafted = markdown;
        confirmText.textContent = draft
          ? "Replace your unsaved edits with a fresh draft from the incident? "
          : "Replace the saved post-mortem's text in the editor with a fresh draft from the incident? Nothing is saved until you press Save. ";
        confirmRedraft.hidden = false;
        root.querySelector("#redraft-keep")?.focus();
      }
    } catch (failure) {
      error.textContent = failure.message;
    } finally {
      redraft.removeAttribute("aria-busy");
    }
  }

  function applyRedraft() {
    const markdown = redrafted;
    closeRedraft("");
    if (markdown === undefined) return;
    if (draft) {
      useDraft(markdown);
      status.textContent = "Redrafted from the incident.";
      return;
    }
    // The saved version stays `loaded`: the editor now differs from it until Save.
    text.value = markdown;
    pending = undefined;
    takeDraft.hidden = true;
    drawPreview();
    status.textContent = "Redrafted from the incident: Save to keep it in place of the saved version.";
  }

  function closeRedraft(note) {
    redrafted = undefined;
    confirmRedraft.hidden = true;
    if (note) status.textContent = note;
  }

  async function saveDocument() {
    error.textContent = "";
    save.setAttribute("aria-busy", "true");
    try {
      const before = incident.status;
      const markdown = text.value;
      ({ incident } = await client.post(`${path}/postmortem`, { markdown }));
      draft = false;
      loaded = markdown;
      pending = undefined;
      takeDraft.hidden = true;
      status.textContent = before !== incident.status ? "Saved; the incident moved to post-mortem." : "Saved.";
      drawHead();
    } catch (failure) {
      error.textContent = failure.message;
    } finally {
      save.removeAttribute("aria-busy");
    }
  }

  async function saveAnalysis() {
    analysisError.textContent = "";
    try {
      await client.post(`${path}/analysis`, { impact: impact.value, rootCause: rootCause.value, lessons: lessons.value });
      const wasDraft = draft;
      await refetch();
      status.textContent = !wasDraft
        ? "Analysis saved. The post-mortem was saved before, so it stays as written: put the new analysis in by hand."
        : pending
          ? status.textContent
          : "Analysis saved; the draft is redrawn with it.";
    } catch (failure) {
      analysisError.textContent = failure.message;
    }
  }

  return {
    load: () => refetch({ first: true }),
    refetch: () => refetch(),
    setLive: (note) => (live.textContent = note),
    incidentId: () => incident?.id,
    dispose() {
      disposed = true;
      clearTimeout(previewTimer);
    },
  };
}
