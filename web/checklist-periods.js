// A checklist's periods in words — a day, an ISO week, a month, on the team's calendar — and the
// strip of the last ones: how much of each was done, which ended with items left undone. Each
// period in the strip is a link to it, so the strip is also the way back to an earlier period.

import { h, s } from "./dom.js";

const barWidth = 56;
const barHeight = 6;

const dateIn = (iso, timeZone, options) => new Intl.DateTimeFormat("en-GB", { timeZone, ...options }).format(new Date(iso));

/** The period's end is the next one's start: its last day is a moment before. */
const lastMoment = (period) => new Date(Date.parse(period.end) - 1).toISOString();

const weekNumber = (key) => Number(key.slice(key.indexOf("W") + 1));

/** "Thursday 26 November 2026", "Week 48: 23 Nov – 29 Nov 2026", "November 2026". */
export function periodTitle(cadence, period, timeZone) {
  switch (cadence) {
    case "daily":
      return dateIn(period.start, timeZone, { weekday: "long", day: "numeric", month: "long", year: "numeric" });
    case "weekly":
      return `Week ${weekNumber(period.key)}: ${dateIn(period.start, timeZone, { day: "numeric", month: "short" })} – ${dateIn(lastMoment(period), timeZone, { day: "numeric", month: "short", year: "numeric" })}`;
    default:
      return dateIn(period.start, timeZone, { month: "long", year: "numeric" });
  }
}

/** "Thu 26", "W48", "Nov": what fits in the strip. */
function periodShort(cadence, period, timeZone) {
  switch (cadence) {
    case "daily":
      return dateIn(period.start, timeZone, { weekday: "short", day: "numeric" });
    case "weekly":
      return `W${weekNumber(period.key)}`;
    default:
      return dateIn(period.start, timeZone, { month: "short" });
  }
}

/** The period on screen, and the last ones newest first as GET …/history answers them. */
export function drawPeriodStrip(root, { cadence, history, selected, timeZone }) {
  const unit = { daily: "days", weekly: "weeks", monthly: "months" }[cadence];
  root.replaceChildren(
    h("h2", { id: "period-strip-title" }, `Last ${history.length} ${unit}`, h("span", { class: "muted" }, " · pick one to see it")),
    h(
      "ol",
      { class: "period-strip", id: "period-strip", "aria-labelledby": "period-strip-title" },
      [...history].reverse().map((view, index, shown) => {
        const total = view.items.length;
        const overdue = view.items.filter((item) => item.overdue).length;
        const current = index === shown.length - 1;
        const words = `${periodTitle(cadence, view.period, timeZone)}${current ? " (now)" : ""}: ${view.done} of ${total} done${overdue ? `, ${overdue} overdue` : ""}`;
        return h(
          "li",
          { "data-period": view.period.key, class: overdue ? "overdue" : view.done === total ? "complete" : null },
          h(
            "a",
            { href: `#/checklists/${cadence}/${encodeURIComponent(view.period.key)}`, title: words, "aria-label": words, "aria-current": view.period.key === selected ? "true" : null },
            h("span", { class: "period-name" }, current ? "now" : periodShort(cadence, view.period, timeZone)),
            s(
              "svg",
              { class: "period-bar", width: barWidth, height: barHeight, viewBox: `0 0 ${barWidth} ${barHeight}`, "aria-hidden": "true" },
              s("rect", { class: "bar-track", width: barWidth, height: barHeight, rx: 3 }),
              s("rect", { class: "bar-fill", width: total ? Math.round((barWidth * view.done) / total) : 0, height: barHeight, rx: 3 }),
            ),
            h("span", { class: "period-count" }, `${view.done}/${total}`, overdue ? h("span", { class: "overdue-mark", "aria-hidden": "true" }, " !") : null),
          ),
        );
      }),
    ),
  );
}
