// The history chart: one row per check, one column per run, each cell coloured by the
// check's verdict in that run; above the rows, the slowest check's duration per run.

import { s } from "./dom.js";
import { dayKey, formatDay, formatDuration, formatTime, statusWords } from "./format.js";

const labelWidth = 118;
const rowHeight = 22;
const cellHeight = 16;
const durationHeight = 44;
const axisHeight = 22;
const top = 8;

/** Draws into `container`; `onHover(point)` is called with each cell the pointer moves onto. */
export function renderHistory(container, { points, checks, timeZone, onHover }) {
  const runs = [];
  const byRun = new Map();
  for (const point of points) {
    let run = byRun.get(point.runId);
    if (!run) {
      run = { id: point.runId, startedAt: point.startedAt, points: new Map(), slowest: 0 };
      byRun.set(point.runId, run);
      runs.push(run);
    }
    run.points.set(point.name, point);
    if (point.status !== "skipped") run.slowest = Math.max(run.slowest, point.durationMs);
  }
  runs.sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));

  container.replaceChildren();
  if (runs.length === 0) {
    container.append(s("svg", { class: "chart-empty", viewBox: "0 0 300 30", role: "img", "aria-label": "no runs yet" }));
    return;
  }

  const available = Math.max(200, container.clientWidth - labelWidth - 16);
  const step = Math.max(7, Math.min(40, Math.floor(available / runs.length)));
  const cellWidth = Math.max(5, step - 2);
  const rowsTop = top + durationHeight + 10;
  const width = labelWidth + runs.length * step + 8;
  const height = rowsTop + checks.length * rowHeight + axisHeight;
  const x = (index) => labelWidth + index * step;

  const svg = s("svg", {
    class: "history-chart",
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-label": `History of ${checks.length} checks over ${runs.length} runs since ${formatTime(runs[0].startedAt, timeZone)}`,
  });

  // Duration strip: the run's wall time is about its slowest check, since checks run at once.
  const slowest = Math.max(1, ...runs.map((run) => run.slowest));
  const y = (ms) => top + durationHeight - (ms / slowest) * (durationHeight - 6);
  svg.append(
    s("text", { x: labelWidth - 10, y: top + 10, class: "axis-label", "text-anchor": "end" }, "Slowest check"),
    s("text", { x: labelWidth - 10, y: top + 24, class: "axis-value", "text-anchor": "end" }, `max ${formatDuration(slowest)}`),
    s("line", { x1: labelWidth, x2: width - 8, y1: top + durationHeight, y2: top + durationHeight, class: "baseline" }),
    s("polyline", {
      class: "duration-line",
      points: runs.map((run, i) => `${x(i) + cellWidth / 2},${y(run.slowest)}`).join(" "),
    }),
  );
  if (runs.length <= 60) {
    for (const [i, run] of runs.entries()) {
      svg.append(s("circle", { class: "duration-dot", cx: x(i) + cellWidth / 2, cy: y(run.slowest), r: 2.5 }));
    }
  }

  for (const [row, check] of checks.entries()) {
    const rowY = rowsTop + row * rowHeight;
    svg.append(s("text", { x: labelWidth - 10, y: rowY + cellHeight - 4, class: "row-label", "text-anchor": "end" }, check.title));
    for (const [i, run] of runs.entries()) {
      const point = run.points.get(check.name);
      if (!point) {
        svg.append(s("rect", { x: x(i), y: rowY + cellHeight / 2 - 1, width: cellWidth, height: 2, class: "cell-absent" }));
        continue;
      }
      const label = `${check.title}: ${statusWords[point.status]}, ${formatTime(point.startedAt, timeZone)}, ${formatDuration(point.durationMs)}`;
      svg.append(
        s(
          "rect",
          { x: x(i), y: rowY, width: cellWidth, height: cellHeight, rx: 2, class: `cell status-${point.status}`, "data-run": run.id, "data-check": check.name },
          s("title", {}, label),
        ),
      );
    }
  }

  // Day labels in the team's zone, thinned so that they never overlap.
  let lastDay;
  let lastLabelX = -Infinity;
  const axisY = rowsTop + checks.length * rowHeight + 14;
  for (const [i, run] of runs.entries()) {
    const day = dayKey(run.startedAt, timeZone);
    if (day === lastDay) continue;
    lastDay = day;
    if (x(i) - lastLabelX < 48) continue;
    lastLabelX = x(i);
    svg.append(
      s("line", { x1: x(i) - 1, x2: x(i) - 1, y1: rowsTop - 4, y2: axisY - 10, class: "day-rule" }),
      s("text", { x: x(i), y: axisY, class: "axis-value" }, formatDay(run.startedAt, timeZone)),
    );
  }

  const pointOf = (target) => {
    const cell = target.closest?.("rect.cell");
    if (!cell) return undefined;
    return byRun.get(cell.getAttribute("data-run"))?.points.get(cell.getAttribute("data-check"));
  };
  // The last cell pointed at stays described, so that its summary can be read at leisure.
  svg.addEventListener("mouseover", (event) => {
    const point = pointOf(event.target);
    if (point) onHover(point);
  });

  container.append(svg);
  // Newest runs are on the right: show them first when the chart is wider than the screen.
  container.scrollLeft = container.scrollWidth;
}
