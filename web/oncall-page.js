// The On-call page: who is on call now, per schedule; each schedule drawn as a calendar of the
// coming weeks in its own zone (oncall-calendar.js), with its calendar feed; the overrides, and
// a form for operators to add one.

import { h } from "./dom.js";
import { formatTime } from "./format.js";
import { renderCalendar } from "./oncall-calendar.js";
import { loadPeople, nameOf } from "./page-looks.js";
import { parseLocalInput, weekStart } from "./zoned-time.js";

const weekCount = 4;
const weekMs = 7 * 86_400_000;
const palette = 8;

export function createOnCallPage({ client, me, root }) {
  const timeZone = me.team.timeZone;
  const mayOperate = ["operator", "admin"].includes(me.actor.role);
  let now;
  let plans = [];
  let overrides = [];
  let people = new Map();
  let message = "";
  const feeds = new Map(); // schedule id → URL, once asked for
  const colours = new Map();
  const form = overrideForm();

  const both = (iso) => (timeZone === "UTC" ? formatTime(iso, "UTC") : `${formatTime(iso, "UTC")} · ${formatTime(iso, timeZone)}`);
  const name = (id) => nameOf(people, id);

  /** One colour per person across every schedule on the page, in the order they first show. */
  function colourOf(personId) {
    if (!colours.has(personId)) colours.set(personId, colours.size % palette);
    return colours.get(personId);
  }

  // ── now ────────────────────────────────────────────────────────────────────────────────

  function nowCard(entry) {
    const plan = plans.find((p) => p.schedule.id === entry.schedule.id);
    const at = Date.parse(now.at);
    const current = plan?.shifts.find((s) => Date.parse(s.start) <= at && at < Date.parse(s.end));
    const nobody = !entry.primary;
    const who = (role) => {
      const id = entry[role];
      if (!id) return h("dd", { class: role === "primary" ? "nobody" : "muted", "data-role": role }, role === "primary" ? "Nobody — a coverage gap" : "nobody");
      return h(
        "dd",
        { "data-role": role, "data-person": id },
        h("span", { class: `swatch person-${colourOf(id)}`, "aria-hidden": "true" }),
        ` ${name(id)}`,
        entry.overriddenBy?.[role] ? h("span", { class: "override-mark", title: "by override" }, " ⇄ override") : null,
      );
    };
    return h(
      "li",
      { class: `card oncall-card ${nobody ? "status-critical" : "status-ok"}`, "data-schedule": entry.schedule.id },
      h("div", { class: "card-head" }, h("h3", {}, entry.schedule.name), h("span", { class: "pill runtime" }, entry.schedule.timeZone)),
      h("dl", { class: "details oncall-who" }, h("div", {}, h("dt", {}, "Primary"), who("primary")), h("div", {}, h("dt", {}, "Backup"), who("backup"))),
      h(
        "p",
        { class: "card-foot" },
        entry.layer ? h("span", {}, `layer ${entry.layer}`) : null,
        current ? h("span", { title: both(current.end) }, `until ${formatTime(current.end, entry.schedule.timeZone)}`) : null,
      ),
    );
  }

  // ── calendars ──────────────────────────────────────────────────────────────────────────

  function scheduleSection(plan) {
    const id = plan.schedule.id;
    const chart = h("div", { class: "chart calendar", id: `calendar-${id}` });
    const detail = h("p", { class: "chart-detail", "aria-live": "polite" }, "Point at a block to see who, and when.");
    const feed = feeds.get(id);
    const inPlan = [...new Set(plan.shifts.flatMap((s) => [s.primary, s.backup]).filter(Boolean))];
    const section = h(
      "section",
      { class: "panel history schedule", "data-schedule": id, "aria-labelledby": `schedule-${id}-title` },
      h(
        "div",
        { class: "history-head" },
        h("h2", { id: `schedule-${id}-title` }, plan.schedule.name),
        h("span", { class: "muted" }, `${weekCount} weeks in ${plan.schedule.timeZone}`),
        plan.gaps.length
          ? h("span", { class: "pill status-critical gap-count" }, `${plan.gaps.length} coverage gap${plan.gaps.length === 1 ? "" : "s"}`)
          : h("span", { class: "pill status-ok gap-count" }, "covered"),
        h(
          "ul",
          { class: "legend", "aria-label": "Legend" },
          inPlan.map((person) => h("li", {}, h("span", { class: `swatch person-${colourOf(person)}` }), name(person))),
          h("li", {}, h("span", { class: "swatch gap" }), "Gap"),
          h("li", {}, h("span", { class: "swatch override" }), "⇄ Override"),
        ),
      ),
      chart,
      detail,
      h(
        "div",
        { class: "feed" },
        h("button", { type: "button", class: "quiet", "data-feed": id, onclick: () => void showFeed(id) }, "Calendar feed"),
        feed
          ? h(
              "span",
              { class: "feed-url" },
              h("input", { type: "text", readonly: true, value: feed, id: `feed-${id}`, "aria-label": `Calendar feed of ${plan.schedule.name}`, spellcheck: "false" }),
              h("span", { class: "muted" }, " Subscribe in a calendar app. Anyone with this URL can read the schedule."),
            )
          : null,
      ),
    );
    return { section, draw: () => renderCalendar(chart, { plan, weeks: weeksOf(plan), nameOf: name, colourOf, now: Date.parse(now.at), onHover: (text) => (detail.textContent = text) }) };
  }

  function weeksOf(plan) {
    const first = weekStart(Date.parse(now.at), plan.schedule.timeZone);
    return Array.from({ length: weekCount + 1 }, (_, i) => weekStart(first + i * weekMs + 3 * 86_400_000, plan.schedule.timeZone));
  }

  async function showFeed(scheduleId) {
    try {
      feeds.set(scheduleId, (await client.get(`/api/oncall/feed?schedule=${encodeURIComponent(scheduleId)}`)).url);
      message = "";
    } catch (error) {
      message = error.message;
    }
    render();
    document.getElementById(`feed-${scheduleId}`)?.select();
  }

  // ── overrides ──────────────────────────────────────────────────────────────────────────

  function overrideForm() {
    return h("form", {
      id: "override-form",
      class: "params override-form",
      onsubmit: (event) => {
        event.preventDefault();
        void addOverride();
      },
    });
  }

  /** The form's fields follow the schedules and people; typed values survive a redraw. */
  function fillForm() {
    const keep = Object.fromEntries([...form.elements].filter((e) => e.name).map((e) => [e.name, e.value]));
    const scheduleId = keep.schedule || plans[0]?.schedule.id;
    const zone = plans.find((p) => p.schedule.id === scheduleId)?.schedule.timeZone ?? timeZone;
    const select = (id, label, options, value) =>
      h(
        "div",
        { class: "param" },
        h("label", { for: id }, label),
        h("select", { id, name: id.replace("override-", "") }, options.map(([v, text]) => h("option", { value: v, selected: v === value }, text))),
      );
    const time = (id, label, hint) =>
      h("div", { class: "param" }, h("label", { for: id }, label, h("span", { class: "muted" }, ` ${zone}${hint}`)), h("input", { id, name: id.replace("override-", ""), type: "datetime-local", value: keep[id.replace("override-", "")] ?? "" }));
    form.replaceChildren(
      select("override-schedule", "Schedule", plans.map((p) => [p.schedule.id, p.schedule.name]), scheduleId),
      select("override-role", "Role", [["primary", "Primary"], ["backup", "Backup"]], keep.role ?? "primary"),
      select("override-person", "Person", [...people.values()].sort((a, b) => a.name.localeCompare(b.name)).map((p) => [p.id, p.name]), keep.person),
      time("override-start", "From", ", empty: now"),
      time("override-end", "Until", ""),
      h("div", { class: "param" }, h("label", { for: "override-reason" }, "Reason ", h("span", { class: "muted" }, "optional")), h("input", { id: "override-reason", name: "reason", type: "text", maxlength: "500", value: keep.reason ?? "", placeholder: "swap with Bob" })),
      h("div", { class: "start-actions" }, h("button", { type: "submit", class: "primary", id: "override-add", disabled: !mayOperate, title: mayOperate ? "Add the override" : "Needs the operator role or above" }, "Add override")),
    );
    // The times are read in the chosen schedule's zone: say which when the schedule changes.
    form.querySelector("#override-schedule").onchange = () => fillForm();
  }

  async function addOverride() {
    const value = (name) => form.elements.namedItem(name).value;
    const scheduleId = value("schedule");
    const zone = plans.find((p) => p.schedule.id === scheduleId)?.schedule.timeZone ?? timeZone;
    const at = (name) => {
      const ms = parseLocalInput(value(name), zone);
      return ms === undefined ? undefined : new Date(ms).toISOString();
    };
    const body = {
      schedule: scheduleId,
      person: value("person"),
      role: value("role"),
      ...(at("start") ? { start: at("start") } : {}),
      ...(at("end") ? { end: at("end") } : {}),
      ...(value("reason").trim() ? { reason: value("reason").trim() } : {}),
    };
    try {
      await client.post("/api/oncall/overrides", body);
      message = "";
      form.reset();
      for (const input of form.querySelectorAll("input")) input.value = "";
    } catch (error) {
      message = error.message;
    }
    await load();
  }

  function overridesTable() {
    if (overrides.length === 0) return h("p", { class: "muted", id: "no-overrides" }, "No overrides now or ahead.");
    const scheduleName = (id) => plans.find((p) => p.schedule.id === id)?.schedule.name ?? id;
    return h(
      "table",
      { class: "runs", id: "overrides-list" },
      h("thead", {}, h("tr", {}, ["Schedule", "Role", "Person", "From", "Until", "Reason", "By"].map((t) => h("th", { scope: "col" }, t)))),
      h(
        "tbody",
        {},
        overrides.map((o) =>
          h(
            "tr",
            { "data-override": o.id },
            h("td", {}, scheduleName(o.scheduleId)),
            h("td", {}, o.role),
            h("td", {}, h("span", { class: `swatch person-${colourOf(o.personId)}`, "aria-hidden": "true" }), ` ${name(o.personId)}`),
            h("td", {}, h("time", { datetime: o.start }, both(o.start))),
            h("td", {}, h("time", { datetime: o.end }, both(o.end))),
            h("td", { class: "note" }, o.reason ?? ""),
            h("td", {}, o.createdBy),
          ),
        ),
      ),
    );
  }

  // ── page ───────────────────────────────────────────────────────────────────────────────

  let draws = [];
  function render() {
    if (!now) return;
    const sections = plans.map(scheduleSection);
    draws = sections.map((s) => s.draw);
    fillForm();
    root.replaceChildren(
      h(
        "div",
        { class: "overview panel" },
        h("div", { class: "verdict" }, h("h1", { id: "oncall-title" }, "On-call")),
        h("p", { class: "run-meta muted" }, `as of ${both(now.at)}`),
        h("div", { class: "actions" }),
      ),
      h("h2", { class: "section-title" }, "On call now"),
      now.schedules.length
        ? h("ul", { class: "cards", id: "oncall-now", "aria-label": "On call now" }, now.schedules.map(nowCard))
        : h("p", { class: "muted", id: "no-schedules" }, "No schedules: add paging.schedules to gameops.yaml."),
      ...sections.map((s) => s.section),
      plans.length
        ? h(
            "section",
            { class: "panel history", id: "overrides", "aria-labelledby": "overrides-title" },
            h("div", { class: "history-head" }, h("h2", { id: "overrides-title" }, "Overrides"), h("span", { class: "muted" }, "someone takes a role for a while: a swap, a sick day")),
            overridesTable(),
            h("h3", { class: "form-title" }, "Add an override"),
            form,
            h("p", { id: "oncall-error", class: "error", role: "alert" }, message),
          )
        : null,
    );
    // Drawn once in the page: the calendars size themselves to the width they are given.
    for (const draw of draws) draw();
  }

  async function load() {
    [now, people, { overrides }] = await Promise.all([client.get("/api/oncall/now"), loadPeople(client), client.get("/api/oncall/overrides")]);
    plans = await Promise.all(
      now.schedules.map(async ({ schedule }) => {
        const from = new Date(weekStart(Date.parse(now.at), schedule.timeZone)).toISOString();
        const answer = await client.get(`/api/oncall?schedule=${encodeURIComponent(schedule.id)}&weeks=${weekCount}&from=${encodeURIComponent(from)}`);
        return answer.schedules[0];
      }),
    );
    render();
  }

  // Calendars follow the width available (a phone turned).
  let lastWidth = root.clientWidth;
  const resized = new ResizeObserver(() => {
    if (root.clientWidth !== lastWidth && root.clientWidth > 0) {
      lastWidth = root.clientWidth;
      for (const draw of draws) draw();
    }
  });
  resized.observe(root);

  async function show() {
    document.title = "gameops · On-call";
    await load();
  }

  return { show, leave: () => {}, dispose: () => resized.disconnect() };
}
