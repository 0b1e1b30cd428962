// Maintenance windows, a section of the Alerts page: the windows in force or ahead, a form to
// start one (the matching alerts page nobody, and Alertmanager gets the same silence), End.

import { h } from "./dom.js";
import { formatTime } from "./format.js";

const matcherText = (m) => `${m.name}${m.isEqual ? (m.isRegex ? "=~" : "=") : m.isRegex ? "!~" : "!="}${m.value}`;

export function createWindowsSection({ client, me }) {
  const timeZone = me.team.timeZone;
  const mayOperate = ["operator", "admin"].includes(me.actor.role);
  const root = h("section", { class: "panel windows", id: "windows", "aria-labelledby": "windows-title" });
  let windows = [];
  let message = "";
  const form = startForm();

  const both = (iso) => (timeZone === "UTC" ? formatTime(iso, "UTC") : `${formatTime(iso, "UTC")} · ${formatTime(iso, timeZone)}`);

  function startForm() {
    const title = h("input", { id: "window-title", name: "title", type: "text", maxlength: "200", placeholder: "DB patching", required: true, autocomplete: "off" });
    const matchers = h("textarea", { id: "window-matchers", name: "matchers", rows: "3", placeholder: "alertname=ServerDown\ninstance=~game-.*", spellcheck: "false", required: true });
    const duration = h("input", { id: "window-duration", name: "duration", type: "text", value: "2h", placeholder: "2h", autocomplete: "off", spellcheck: "false", required: true });
    const submit = h("button", { type: "submit", class: "primary", id: "window-start", disabled: !mayOperate, title: mayOperate ? "Start the window now" : "Needs the operator role or above" }, "Start window");
    return h(
      "form",
      {
        id: "window-form",
        class: "window-form",
        onsubmit: (event) => {
          event.preventDefault();
          void start({
            title: title.value.trim(),
            matchers: matchers.value.split("\n").map((line) => line.trim()).filter(Boolean),
            duration: duration.value.trim(),
          });
        },
      },
      h("div", { class: "param" }, h("label", { for: "window-title" }, "Title"), title),
      h("div", { class: "param" }, h("label", { for: "window-matchers" }, "Matchers ", h("span", { class: "muted" }, "one per line")), matchers),
      h("div", { class: "param" }, h("label", { for: "window-duration" }, "Duration ", h("span", { class: "muted" }, "30m, 2h, 1h30m")), duration),
      h("div", { class: "start-actions" }, submit, mayOperate ? null : h("span", { class: "muted" }, "Starting a window needs the operator role or above.")),
    );
  }

  async function start(body) {
    message = "";
    try {
      await client.post("/api/windows", body);
      form.reset();
    } catch (error) {
      message = error.message;
    }
    await load();
  }

  async function end(window) {
    message = "";
    try {
      await client.post(`/api/windows/${encodeURIComponent(window.id)}/end`);
    } catch (error) {
      message = error.message;
    }
    await load();
  }

  function table() {
    if (windows.length === 0) return h("p", { class: "muted", id: "no-windows" }, "No maintenance window is in force or ahead.");
    const now = Date.now();
    return h(
      "table",
      { class: "runs", id: "windows-list" },
      h("thead", {}, h("tr", {}, ["Window", "Matchers", "From", "Until", "By", ""].map((t) => h("th", { scope: "col" }, t)))),
      h(
        "tbody",
        {},
        windows.map((w) =>
          h(
            "tr",
            { "data-window": w.id },
            h("td", {}, w.title, Date.parse(w.startsAt) > now ? h("span", { class: "muted" }, " · ahead") : h("span", { class: "pill status-warning in-force" }, "in force")),
            h("td", {}, h("ul", { class: "chips" }, w.matchers.map((m) => h("li", { class: "chip" }, matcherText(m))))),
            h("td", {}, h("time", { datetime: w.startsAt }, both(w.startsAt))),
            h("td", {}, h("time", { datetime: w.endsAt }, both(w.endsAt))),
            h(
              "td",
              {},
              w.createdBy,
              w.silenceError ? h("p", { class: "error" }, `Alertmanager silence failed: ${w.silenceError}`) : w.silenceId ? h("p", { class: "muted" }, `silence ${w.silenceId.slice(0, 8)}…`) : null,
            ),
            h(
              "td",
              {},
              h("button", { type: "button", class: "quiet", "data-end": w.id, disabled: !mayOperate, title: mayOperate ? "End the window now" : "Needs the operator role or above", onclick: () => void end(w) }, "End"),
            ),
          ),
        ),
      ),
    );
  }

  function render() {
    root.replaceChildren(
      h("div", { class: "history-head" }, h("h2", { id: "windows-title" }, "Maintenance windows"), h("span", { class: "muted" }, "alerts they match page nobody")),
      table(),
      h("h3", { class: "form-title" }, "Start a window"),
      form,
      h("p", { id: "window-error", class: "error", role: "alert" }, message),
    );
  }

  async function load() {
    windows = (await client.get("/api/windows")).windows;
    render();
  }

  return { root, load };
}
