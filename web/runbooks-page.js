// The Runbooks page: the catalogue (with a params form, a dry-run plan preview and Start), the
// run history, and — at #/runs/ID — one run live (run-page.js).

import { byId, h } from "./dom.js";
import { formatAgo, formatDuration, formatTime } from "./format.js";
import { createRunPage } from "./run-page.js";
import { lookPill, runLook, shortId, terminal, waitingText } from "./run-status.js";

const historyRefreshMs = 5_000;
const throughWords = { cli: "CLI", api: "API", console: "console", runbook: "parent run" };

export function createRunbooksPage({ client, token, me }) {
  const root = byId("runbooks");
  const timeZone = me.team.timeZone;
  const canStart = ["operator", "admin"].includes(me.actor.role);
  const home = h("div", { id: "runbooks-home" });
  const runView = h("div", { id: "run-page" });
  root.replaceChildren(home, runView);

  let catalogue;
  let selected; // the runbook whose form is open
  let runPage;
  let historyTimer;

  const both = (iso) => (timeZone === "UTC" ? formatTime(iso, "UTC") : `${formatTime(iso, "UTC")} · ${formatTime(iso, timeZone)}`);

  // ── catalogue ──────────────────────────────────────────────────────────────────────────

  function card(entry) {
    const open = selected?.name === entry.name;
    return h(
      "li",
      { class: `card runbook-card ${entry.valid ? "" : "status-critical"}${open ? " selected" : ""}`, "data-runbook": entry.name },
      h(
        "div",
        { class: "card-head" },
        h("h3", {}, entry.title ?? entry.name),
        entry.runtime ? h("span", { class: "pill runtime", title: "the runtime this runbook supports" }, entry.runtime) : null,
      ),
      h("p", { class: "runbook-name" }, h("code", {}, entry.name), entry.origin === "user" ? h("span", { class: "muted" }, entry.overridesBuiltIn ? " · yours, replaces the built-in" : " · yours") : null),
      entry.description ? h("p", { class: "summary" }, entry.description) : null,
      entry.valid
        ? h("p", { class: "card-foot" }, h("span", {}, `${entry.steps} steps`), Object.keys(entry.params).length ? h("span", {}, `params: ${Object.keys(entry.params).join(", ")}`) : null)
        : h("ul", { class: "issues" }, entry.issues.map((issue) => h("li", {}, issue))),
      entry.valid
        ? h("button", { type: "button", class: open ? "" : "primary", "aria-expanded": open ? "true" : "false", onclick: () => select(open ? undefined : entry) }, open ? "Close" : "Run…")
        : null,
    );
  }

  function select(entry) {
    selected = entry;
    renderHome();
    if (entry) byId("start-panel").scrollIntoView({ block: "nearest" });
  }

  function paramInput(name, spec) {
    const id = `param-${name}`;
    const common = { id, name, "data-param": name };
    let input;
    if (spec.type === "boolean") input = h("input", { ...common, type: "checkbox", checked: spec.default === true });
    else if (spec.values) {
      input = h(
        "select",
        common,
        spec.default === undefined ? h("option", { value: "" }, "choose…") : null,
        spec.values.map((value) => h("option", { value: String(value), selected: value === spec.default }, String(value))),
      );
    } else {
      input = h("input", {
        ...common,
        type: spec.secret ? "password" : spec.type === "number" ? "number" : "text",
        placeholder: spec.default === undefined ? "required" : String(spec.default),
        autocomplete: "off",
        spellcheck: "false",
      });
    }
    return h(
      "div",
      { class: "param" },
      h("label", { for: id }, name, h("span", { class: "muted" }, ` ${spec.type}${spec.secret ? ", secret" : ""}`)),
      input,
      spec.description ? h("small", { class: "muted" }, spec.description) : null,
    );
  }

  /** The form's values: empty fields are left out, so the runbook's defaults apply. */
  function formParams(form) {
    const params = {};
    for (const element of form.querySelectorAll("[data-param]")) {
      const spec = selected.params[element.name];
      if (spec.type === "boolean") params[element.name] = element.checked;
      else if (element.value !== "") params[element.name] = spec.type === "number" && !Number.isNaN(Number(element.value)) ? Number(element.value) : element.value;
    }
    return params;
  }

  function startPanel() {
    if (!selected) return null;
    const entry = selected;
    const planBox = h("div", { id: "plan-preview", class: "plan", "aria-live": "polite" }, h("p", { class: "muted" }, "Preview the plan to see every step rendered with these params. Nothing is touched."));
    const message = h("p", { id: "start-error", class: "error", role: "alert" });
    const form = h(
      "form",
      { id: "start-form", class: "params", onsubmit: (event) => event.preventDefault() },
      Object.entries(entry.params).map(([name, spec]) => paramInput(name, spec)),
    );
    const preview = h("button", { type: "button", id: "preview-plan", onclick: () => void previewPlan() }, "Preview plan");
    const start = h(
      "button",
      { type: "button", id: "start-run", class: "primary", disabled: !canStart, title: canStart ? "Start a run now" : "Needs the operator role or above" },
      "Start run",
    );
    start.onclick = () => void startRun();

    async function previewPlan() {
      message.textContent = "";
      preview.setAttribute("aria-busy", "true");
      try {
        const plan = await client.post(`/api/runbooks/${encodeURIComponent(entry.name)}/plan`, { params: formParams(form) });
        planBox.replaceChildren(renderPlan(plan));
      } catch (error) {
        message.textContent = error.message;
      } finally {
        preview.removeAttribute("aria-busy");
      }
    }

    async function startRun() {
      message.textContent = "";
      start.disabled = true;
      start.setAttribute("aria-busy", "true");
      try {
        const { id } = await client.post(`/api/runbooks/${encodeURIComponent(entry.name)}/runs`, { params: formParams(form) });
        selected = undefined;
        location.hash = `#/runs/${encodeURIComponent(id)}`;
      } catch (error) {
        message.textContent = error.message;
      } finally {
        start.disabled = !canStart;
        start.removeAttribute("aria-busy");
      }
    }

    return h(
      "section",
      { id: "start-panel", class: "panel start-panel", "aria-labelledby": "start-title" },
      h("div", { class: "start-head" }, h("h2", { id: "start-title" }, `Run ${entry.title ?? entry.name}`), entry.runtime ? h("span", { class: "pill runtime" }, entry.runtime) : null),
      Object.keys(entry.params).length ? form : h("p", { class: "muted" }, "This runbook takes no params."),
      h("div", { class: "start-actions" }, preview, start, canStart ? null : h("span", { class: "muted" }, "Starting a run needs the operator role or above.")),
      message,
      planBox,
    );
  }

  // ── history ────────────────────────────────────────────────────────────────────────────

  let runs = [];
  function historyTable() {
    if (runs.length === 0) return h("p", { class: "muted", id: "no-runs" }, "No runbook has run yet. Pick one above, or `gameops runbook run NAME` in a terminal.");
    return h(
      "table",
      { class: "runs", id: "run-history" },
      h("thead", {}, h("tr", {}, ["Run", "Runbook", "Status", "Started", "By", "Took", "Note"].map((title) => h("th", { scope: "col" }, title)))),
      h(
        "tbody",
        {},
        runs.map((run) =>
          h(
            "tr",
            { "data-run": run.id },
            h("td", {}, h("a", { href: `#/runs/${encodeURIComponent(run.id)}`, title: run.id }, h("code", {}, shortId(run.id)))),
            h("td", {}, run.runbook),
            h("td", {}, lookPill(runLook(run.status))),
            h("td", { title: both(run.createdAt) }, formatAgo(run.createdAt)),
            h("td", {}, run.startedBy, h("span", { class: "muted" }, ` · ${throughWords[run.through] ?? run.through}`)),
            h("td", {}, run.finishedAt ? formatDuration(Date.parse(run.finishedAt) - Date.parse(run.startedAt ?? run.createdAt)) : "–"),
            h("td", { class: "note" }, run.error ?? waitingText(run)),
          ),
        ),
      ),
    );
  }

  async function loadHistory() {
    runs = (await client.get("/api/runs?limit=50")).runs;
    const table = byId("history-box");
    table.replaceChildren(historyTable());
    const waiting = runs.filter((r) => r.status === "waiting_approval").length;
    byId("runbooks-waiting").textContent = waiting ? `${waiting} waiting for approval` : "";
  }

  function renderHome() {
    const valid = catalogue?.runbooks.filter((r) => r.valid).length ?? 0;
    const parts = [
      h(
        "div",
        { class: "overview panel" },
        h("div", { class: "verdict" }, h("h1", { id: "runbooks-title" }, "Runbooks")),
        h("p", { class: "run-meta muted" }, catalogue ? `${valid} runbooks ready${catalogue.runbooks.length > valid ? `, ${catalogue.runbooks.length - valid} invalid` : ""}` : "Loading…", " ", h("strong", { id: "runbooks-waiting", class: "waiting-count" })),
      ),
      catalogue?.warnings.length ? h("p", { class: "error" }, catalogue.warnings.join("; ")) : null,
      startPanel(),
      h("h2", { class: "section-title" }, "Catalogue"),
      h("ul", { class: "cards", id: "catalogue", "aria-label": "Runbooks" }, (catalogue?.runbooks ?? []).map(card)),
      h("section", { class: "history panel", "aria-labelledby": "run-history-title" }, h("div", { class: "history-head" }, h("h2", { id: "run-history-title" }, "Run history")), h("div", { id: "history-box" }, historyTable())),
    ];
    home.replaceChildren(...parts.filter(Boolean));
  }

  async function loadHome() {
    catalogue = await client.get("/api/runbooks");
    renderHome();
    await loadHistory();
  }

  // ── routes ─────────────────────────────────────────────────────────────────────────────

  async function show(hash) {
    const match = /^#\/runs\/([^/?#]+)/.exec(hash);
    clearInterval(historyTimer);
    runPage?.dispose();
    runPage = undefined;
    if (match) {
      home.hidden = true;
      home.replaceChildren();
      runView.hidden = false;
      runPage = createRunPage({ client, token, me, root: runView, runId: decodeURIComponent(match[1]) });
      document.title = "gameops · Run";
      await runPage.load();
      return;
    }
    home.hidden = false;
    runView.hidden = true;
    runView.replaceChildren();
    document.title = "gameops · Runbooks";
    await loadHome();
    // #/runbooks/NAME (an alert's runbook link) opens that runbook's form.
    const named = /^#\/runbooks\/([^/?#]+)/.exec(hash);
    const entry = named && catalogue?.runbooks.find((r) => r.name === decodeURIComponent(named[1]) && r.valid);
    if (entry) select(entry);
    historyTimer = setInterval(() => {
      if (document.visibilityState === "visible" && !runs.every((r) => terminal.has(r.status))) void loadHistory().catch(() => {});
    }, historyRefreshMs);
  }

  return {
    show,
    dispose() {
      clearInterval(historyTimer);
      runPage?.dispose();
    },
  };
}

/** The dry-run plan: each step with its rendered action, target, destructive mark and approval gate. */
export function renderPlan(plan) {
  const section = (title, steps) =>
    steps.length === 0
      ? null
      : h(
          "div",
          { class: "plan-section" },
          h("h3", {}, title),
          h(
            "ol",
            { class: "plan-steps" },
            steps.map((step) =>
              h(
                "li",
                { "data-step": step.id, class: step.destructive ? "destructive" : "" },
                h(
                  "div",
                  { class: "plan-step-head" },
                  h("strong", {}, step.id),
                  step.title ? h("span", {}, ` — ${step.title}`) : null,
                  h("span", { class: "muted" }, ` ${step.kind}`),
                  step.destructive ? h("span", { class: "pill status-warning" }, "changes something") : null,
                  step.approval ? h("span", { class: "pill status-running" }, "approval gate") : null,
                ),
                h("code", { class: "action" }, step.action.summary),
                step.action.target ? h("p", { class: "muted" }, `target: ${step.action.target}`) : null,
                step.approval
                  ? h("p", { class: "muted" }, `approvers: ${step.approval.approvers.join(", ")}${step.approval.selfApproval ? "" : " — not the person who starts the run"}`)
                  : null,
                step.when ? h("p", { class: "muted" }, `when ${step.when.expression}: ${step.when.decision}`) : null,
                step.error ? h("p", { class: "error" }, step.error) : null,
              ),
            ),
          ),
        );
  return h(
    "div",
    {},
    h(
      "p",
      { class: "muted" },
      `Dry run: nothing has been touched.${Object.keys(plan.params).length ? ` Params: ${Object.entries(plan.params).map(([k, v]) => `${k}=${v}`).join(", ")}.` : ""}${plan.locks.length ? ` Locks: ${plan.locks.join(", ")}.` : ""}`,
    ),
    section("Steps", plan.steps),
    section("Rollback — when a step with on_failure: rollback fails", plan.rollback),
    section("Finally — at the end, whatever happened", plan.finally),
  );
}
