// MTTA and MTTR per month and severity (GET /api/incidents/metrics), a table on the incident
// list with a bar beside each mean, scaled to the longest of its column, so that a slow month
// stands out without reading every number.

import { h, s } from "./dom.js";
import { formatSeconds } from "./format.js";
import { severityBadge } from "./incident-looks.js";

const months = 6;
const barWidth = 120;
const barHeight = 10;

const monthName = (key) => new Intl.DateTimeFormat("en-GB", { year: "numeric", month: "short", timeZone: "UTC" }).format(new Date(`${key}-01T00:00:00Z`));

function bar(ms, longest, what) {
  const width = longest > 0 ? Math.max(2, Math.round((ms / longest) * barWidth)) : 0;
  return s(
    "svg",
    { class: "metric-bar", width: barWidth, height: barHeight, viewBox: `0 0 ${barWidth} ${barHeight}`, role: "img", "aria-label": what },
    s("rect", { class: "metric-track", x: 0, y: 0, width: barWidth, height: barHeight, rx: 3 }),
    s("rect", { class: "metric-fill", x: 0, y: 0, width, height: barHeight, rx: 3 }),
  );
}

function cell(span, longest, word) {
  if (!span.count) return h("td", { class: "metric muted" }, "–");
  const mean = formatSeconds(span.meanMs / 1000);
  return h(
    "td",
    { class: "metric", title: `${word}: mean ${mean}, median ${formatSeconds(span.medianMs / 1000)} over ${span.count}` },
    bar(span.meanMs, longest, `${word} ${mean}`),
    h("span", { class: "metric-value" }, mean),
    span.count > 1 ? h("span", { class: "muted" }, ` · median ${formatSeconds(span.medianMs / 1000)}`) : null,
  );
}

export function createMetricsPanel({ client }) {
  const root = h("section", { class: "panel incident-metrics", id: "incident-metrics", "aria-labelledby": "metrics-title" });

  function render(rows) {
    const longest = (key) => Math.max(0, ...rows.map((r) => r[key].meanMs ?? 0));
    const [mtta, mttr] = [longest("mtta"), longest("mttr")];
    root.replaceChildren(
      h(
        "div",
        { class: "history-head" },
        h("h2", { id: "metrics-title" }, "Time to acknowledge and to resolve"),
        h("span", { class: "muted" }, `MTTA and MTTR, last ${months} months, newest first, by the month declared in the team's zone`),
      ),
      rows.length === 0
        ? h("p", { class: "muted", id: "no-metrics" }, `No incidents in the last ${months} months.`)
        : h(
            "table",
            { class: "runs metrics", id: "metrics-table" },
            h("thead", {}, h("tr", {}, ["Month", "Severity", "Incidents", "MTTA (mean)", "MTTR (mean)"].map((t) => h("th", { scope: "col" }, t)))),
            h(
              "tbody",
              {},
              [...rows].sort((a, b) => b.month.localeCompare(a.month) || a.severity.localeCompare(b.severity)).map((row) =>
                h(
                  "tr",
                  { "data-month": row.month, "data-severity": row.severity },
                  h("td", {}, monthName(row.month)),
                  h("td", {}, severityBadge(row.severity)),
                  h("td", { class: "count" }, String(row.incidents)),
                  cell(row.mtta, mtta, "MTTA"),
                  cell(row.mttr, mttr, "MTTR"),
                ),
              ),
            ),
          ),
    );
  }

  async function load() {
    render((await client.get(`/api/incidents/metrics?months=${months}`)).metrics);
  }

  return { root, load };
}
