// The Health page: the overall verdict, a card per check, the history chart, and "Run now"
// with each check's progress streamed live.

import { keyDetails, targetOf } from "./check-details.js";
import { byId, h } from "./dom.js";
import { formatAgo, formatDuration, formatTime, statusMarks, statusWords } from "./format.js";
import { renderHistory } from "./history-chart.js";

const historyDays = 30;
const triggers = { schedule: "scheduled", startup: "at start-up (missed while down)", cli: "from the CLI", api: "through the API", console: "from the console" };

function pill(status, extra = "") {
  return h("span", { class: `pill status-${status} ${extra}`.trim() }, h("span", { class: "mark", "aria-hidden": "true" }, statusMarks[status]), ` ${statusWords[status]}`);
}

export function createHealthPage({ client, me }) {
  const timeZone = me.team.timeZone;
  const canRun = ["responder", "operator", "admin"].includes(me.actor.role);
  const runButton = byId("run-now");
  const runStatus = byId("run-status");
  const chartDetail = byId("chart-detail");
  const runCache = new Map();
  let latest;
  let live; // { id, checks: Map(name → { state, result?, timeoutMs? }) } while a run streams

  const both = (iso) => {
    const utc = formatTime(iso, "UTC");
    return timeZone === "UTC" ? [utc] : [utc, formatTime(iso, timeZone)];
  };

  function renderSummary() {
    const overall = byId("overall");
    overall.className = `badge status-${latest.status}`;
    overall.replaceChildren(h("span", { class: "mark", "aria-hidden": "true" }, statusMarks[latest.status]), ` ${statusWords[latest.status]}`);
    overall.setAttribute("aria-label", `Overall verdict: ${statusWords[latest.status]}`);

    const meta = byId("run-meta");
    const run = latest.run;
    if (!run) {
      meta.replaceChildren(h("p", { class: "muted" }, "No check has run yet. Press Run now, or wait for the daily check."));
      return;
    }
    const [utc, team] = both(run.startedAt);
    meta.replaceChildren(
      h(
        "dl",
        { class: "facts" },
        h("div", {}, h("dt", {}, "Last run"), h("dd", { id: "run-time-utc" }, h("time", { datetime: run.startedAt }, utc))),
        team ? h("div", {}, h("dt", {}, timeZone), h("dd", { id: "run-time-team" }, team)) : null,
        h("div", {}, h("dt", {}, "Took"), h("dd", {}, formatDuration(run.durationMs))),
        h("div", {}, h("dt", {}, "Started"), h("dd", {}, `${formatAgo(run.startedAt)}, ${triggers[run.trigger] ?? run.trigger}${run.requestedBy ? ` by ${run.requestedBy}` : ""}`)),
      ),
    );
  }

  function card(check) {
    const progress = live?.checks.get(check.name);
    const result = progress?.result ?? check.result;
    const running = progress?.state === "running";
    const status = running ? "running" : (result?.status ?? "unknown");
    const fresh = progress?.state === "finished";
    const stale = !running && !fresh && result && latest.run && result.runId !== latest.run.id;
    const details = running || !result ? [] : keyDetails(check.name, result.details);
    const target = result && targetOf(result.details);
    return h(
      "li",
      { class: `card status-${status}${fresh ? " fresh" : ""}`, "data-check": check.name, "aria-busy": running ? "true" : null },
      h("div", { class: "card-head" }, h("h3", {}, check.title), running ? pill("running", "spin") : pill(result ? status : "unknown")),
      h(
        "p",
        { class: "summary" },
        running
          ? `Checking… gives up after ${formatDuration(progress.timeoutMs ?? 0)}`
          : result
            ? result.summary
            : "No result yet.",
      ),
      details.length > 0 ? h("dl", { class: "details" }, details.map(([label, value]) => h("div", {}, h("dt", {}, label), h("dd", {}, value)))) : null,
      h(
        "p",
        { class: "card-foot" },
        result && !running && result.status !== "skipped" ? h("span", {}, formatDuration(result.durationMs)) : null,
        stale ? h("span", { class: "stale" }, `from ${formatAgo(result.startedAt)}`) : null,
        target ? h("span", { class: "target", title: target }, target) : null,
      ),
    );
  }

  function renderCards() {
    byId("cards").replaceChildren(...latest.checks.map(card));
  }

  let history;
  function drawChart() {
    if (!history) return;
    renderHistory(byId("chart"), {
      points: history.points,
      checks: latest.checks.map(({ name, title }) => ({ name, title })),
      timeZone,
      onHover: showPoint,
    });
  }

  async function renderChart() {
    history = await client.get(`/api/checks/history?days=${historyDays}`);
    drawChart();
    byId("history-count").textContent = `${new Set(history.points.map((p) => p.runId)).size} runs`;
  }

  // The cells are sized to the width available: draw again when it changes (a phone turned).
  let lastWidth = byId("chart").clientWidth;
  const resized = new ResizeObserver(() => {
    const width = byId("chart").clientWidth;
    if (width !== lastWidth) {
      lastWidth = width;
      drawChart();
    }
  });
  resized.observe(byId("chart"));

  let hovered;
  async function showPoint(point) {
    hovered = point;
    const title = latest.checks.find((c) => c.name === point.name)?.title ?? point.name;
    const head = `${title} · ${statusWords[point.status]} · ${both(point.startedAt).join(" / ")} · ${formatDuration(point.durationMs)}`;
    chartDetail.replaceChildren(pill(point.status), ` ${head}`);
    try {
      if (!runCache.has(point.runId)) runCache.set(point.runId, client.get(`/api/checks/runs/${encodeURIComponent(point.runId)}`));
      const run = await runCache.get(point.runId);
      const summary = run.checks.find((c) => c.name === point.name)?.summary;
      if (hovered === point && summary) chartDetail.replaceChildren(pill(point.status), ` ${head}`, h("span", { class: "detail-summary" }, summary));
    } catch {
      runCache.delete(point.runId);
    }
  }

  async function load() {
    latest = await client.get("/api/checks/latest");
    renderSummary();
    renderCards();
    await renderChart();
  }

  async function runNow() {
    if (live) return;
    runButton.disabled = true;
    runButton.setAttribute("aria-busy", "true");
    runStatus.className = "run-status";
    runStatus.textContent = "Starting a run…";
    try {
      const { id } = await client.post("/api/checks/runs");
      live = { id, checks: new Map() };
      let finished = 0;
      let outcome;
      await client.follow(`/api/checks/runs/${encodeURIComponent(id)}/events`, (type, event) => {
        if (type === "started") live.checks.set(event.name, { state: "running", timeoutMs: event.timeoutMs });
        else if (type === "finished") {
          live.checks.set(event.result.name, { state: "finished", result: { ...event.result, runId: id } });
          finished += 1;
        } else if (type === "done" || type === "failed") outcome = event;
        const running = [...live.checks.values()].filter((c) => c.state === "running").length;
        runStatus.textContent = outcome ? "Saving…" : `Running: ${finished} finished, ${running} still running`;
        renderCards();
      });
      if (outcome?.type === "done") {
        runStatus.className = `run-status status-${outcome.run.status}`;
        runStatus.textContent = `Run finished in ${formatDuration(outcome.run.durationMs)}: ${statusWords[outcome.run.status]}`;
      } else {
        runStatus.className = "run-status error";
        runStatus.textContent = outcome?.message ?? "The run's progress stream ended early; showing what was stored.";
      }
    } catch (error) {
      runStatus.className = "run-status error";
      runStatus.textContent = error.message;
    } finally {
      live = undefined;
      runButton.disabled = !canRun;
      runButton.removeAttribute("aria-busy");
    }
    await load();
  }

  runButton.disabled = !canRun;
  runButton.title = canRun ? "Run every check now" : "Needs the responder role or above";
  runButton.onclick = () => void runNow();
  byId("team-zone").textContent = timeZone === "UTC" ? "Times in UTC" : `Times in UTC and ${timeZone}`;

  return {
    load,
    runNow,
    dispose: () => resized.disconnect(),
  };
}
