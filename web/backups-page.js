// The Backups page (#/backups): whether a verified backup is recent enough, the sizes of the sets
// over time, every set with its status and manifest, and what the retention policy would remove.
// Taking, verifying and restoring a set are runbook runs: the buttons start one and open its run
// page, which shows its progress, plan and approvals. No live stream carries backup sets, so the
// page looks again every 10 s while it is on screen.

import { h, s } from "./dom.js";
import { dayKey, formatAgo, formatBytes, formatDay, formatSeconds, formatTime, statusMarks } from "./format.js";
import { lookPill, runLook, shortId } from "./run-status.js";

const refreshMs = 10_000;
const listLimit = 100;
/** Bottom-up order of the stacked parts of a bar, as a set's manifest lists its components. */
const componentOrder = ["mysql", "redis", "kubernetes", "files"];
const unfinished = ["queued", "running", "waiting_lock", "waiting_approval", "waiting_decision", "waiting_child", "waiting_params"];

const setLooks = {
  verified: { cls: "ok", mark: "✓", word: "Verified" },
  written: { cls: "warning", mark: "!", word: "Not verified" },
  failed: { cls: "critical", mark: "✕", word: "Failed" },
  running: { cls: "running", mark: "…", word: "Running", spin: true },
};
const setLook = (status) => setLooks[status] ?? { cls: "unknown", mark: "?", word: status };

const isDeep = (set) => Boolean(set.manifest?.fingerprint);
const componentsOf = (set) => (Array.isArray(set.manifest?.components) ? set.manifest.components : []);
const componentSize = (component) => (component.artifacts ?? []).reduce((sum, artifact) => sum + (artifact.size ?? 0), 0);

/**
 * The `backups` health check's judgement (src/domain/checks/backups.ts, judgeBackups), on the
 * store's sets: critical without a verified set younger than maxAge; a warning when the newest
 * set since failed, or the verified one was only re-hashed. A set still being written is left
 * out, as the check (which reads manifests in storage) never sees one.
 */
function judgeSets(sets, now, maxAgeMs) {
  const done = sets.filter((set) => set.status !== "running");
  const newest = done[0];
  const verified = done.find((set) => set.status === "verified");
  const within = formatSeconds(maxAgeMs / 1000);
  if (!verified)
    return {
      status: "critical",
      headline: `No verified backup within ${within}`,
      summary: newest
        ? `No verified backup set: the newest, ${newest.id}, is ${setLook(newest.status).word.toLowerCase()}. Verify it deeply, or back up now.`
        : "No backup set at all: back up now to take one and prove it restores.",
    };
  const age = formatSeconds(Math.max(0, now - Date.parse(verified.startedAt)) / 1000);
  if (now - Date.parse(verified.startedAt) > maxAgeMs)
    return { status: "critical", headline: `No verified backup within ${within}`, summary: `The newest verified set, ${verified.id}, is ${age} old.` };
  if (newest !== verified && newest.status === "failed")
    return { status: "warning", headline: "The newest backup failed", summary: `The newest set, ${newest.id}, failed; the newest verified is ${verified.id} (${age} old).` };
  if (!isDeep(verified))
    return {
      status: "warning",
      headline: "Verified, but not proven to restore",
      summary: `The newest verified set, ${verified.id}, is ${age} old and was only re-hashed: verify it deeply to prove it restores.`,
    };
  return { status: "ok", headline: `Verified backup within ${within}`, summary: `The newest verified set, ${verified.id}, is ${age} old, restored and fingerprinted.` };
}

export function createBackupsPage({ client, me, root }) {
  const timeZone = me.team.timeZone;
  const mayOperate = ["operator", "admin"].includes(me.actor.role);
  const needsOperator = "Needs the operator role or above";
  let data; // GET /api/backups
  let shownSignature = "";
  let plan; // the retention dry run
  let planError = "";
  const expanded = new Set(); // ids of the sets whose manifest is open, kept across redraws
  let refresher;
  let visit = 0; // counts leaves: a show that outlives its visit draws nothing

  const both = (iso) => (timeZone === "UTC" ? formatTime(iso, "UTC") : `${formatTime(iso, "UTC")} · ${formatTime(iso, timeZone)}`);
  const timeCell = (iso) => (iso ? h("time", { datetime: iso, title: both(iso) }, formatAgo(iso)) : "–");

  // ── the parts, built once ─────────────────────────────────────────────────────────────

  const verdict = h("span", { class: "badge status-unknown", id: "backups-verdict", role: "status" }, "…");
  const verdictSummary = h("p", { id: "backups-summary", class: "backups-summary" });
  const facts = h("p", { id: "backups-facts", class: "muted" });
  const active = h("p", { id: "backups-active", class: "backups-active" });
  const startError = h("p", { id: "backups-start-error", class: "run-status error", role: "alert" });
  const backUpNow = h(
    "button",
    { type: "button", id: "back-up-now", class: "primary", disabled: !mayOperate, title: mayOperate ? "Take a set of every configured component, then restore it into scratch servers to prove it" : needsOperator },
    "Back up now",
  );
  backUpNow.onclick = () => void startRun(backUpNow, "backup", { verify: "deep" });
  const error = h("p", { id: "backups-error", class: "error", role: "alert" });
  const chartCount = h("span", { class: "muted", id: "backups-chart-count" });
  const chart = h("div", { class: "chart backups-chart", id: "backups-chart" });
  const tableBox = h("div", { id: "backups-table-box", class: "table-box" });
  const retention = h("div", { id: "retention-box" });
  const retentionPolicy = h("p", { id: "retention-policy", class: "muted" });
  const page = h(
    "div",
    { id: "backups-home" },
    h(
      "div",
      { class: "overview panel" },
      h("div", { class: "verdict" }, h("h1", { id: "backups-title" }, "Backups"), verdict),
      h("div", { class: "run-meta" }, verdictSummary, facts, active),
      h("div", { class: "actions" }, backUpNow, startError),
    ),
    error,
    h(
      "section",
      { class: "history panel", "aria-labelledby": "backups-chart-title" },
      h(
        "div",
        { class: "history-head" },
        h("h2", { id: "backups-chart-title" }, "Set sizes"),
        chartCount,
        h(
          "ul",
          { class: "legend", "aria-label": "Legend" },
          ["verified", "written", "failed", "running"].map((name) => h("li", {}, h("span", { class: `swatch status-${setLook(name).cls}` }), setLook(name).word)),
        ),
      ),
      chart,
      h("p", { class: "muted chart-note" }, `Each bar stacks its set's components, from the bottom: ${componentOrder.join(", ")} (lighter going up).`),
    ),
    h("section", { class: "history panel", "aria-labelledby": "backups-sets-title" }, h("div", { class: "history-head" }, h("h2", { id: "backups-sets-title" }, "Sets"), h("span", { class: "muted" }, "newest first · pick a set to see its manifest")), tableBox),
    h("section", { class: "history panel retention", "aria-labelledby": "retention-title" }, h("div", { class: "history-head" }, h("h2", { id: "retention-title" }, "Retention")), retentionPolicy, retention),
  );

  // ── starting runs ──────────────────────────────────────────────────────────────────────

  /** Starts a run of the backup or restore runbook and opens its run page, where it goes on live. */
  async function startRun(button, runbook, params) {
    startError.textContent = "";
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    try {
      const { id } = await client.post(`/api/runbooks/${encodeURIComponent(runbook)}/runs`, { params });
      location.hash = `#/runs/${encodeURIComponent(id)}`;
    } catch (failure) {
      startError.textContent = `Cannot start the ${runbook} runbook: ${failure.message}`;
    } finally {
      button.disabled = !mayOperate;
      button.removeAttribute("aria-busy");
    }
  }

  // ── drawing ────────────────────────────────────────────────────────────────────────────

  function drawVerdict() {
    const judged = judgeSets(data.sets, Date.now(), data.maxAgeMs);
    verdict.className = `badge status-${judged.status}`;
    verdict.dataset.verdict = judged.status;
    verdict.replaceChildren(h("span", { class: "mark", "aria-hidden": "true" }, statusMarks[judged.status]), ` ${judged.headline}`);
    verdictSummary.textContent = judged.summary;
    const schedule = data.schedule === false ? "No scheduled backup" : `Scheduled at “${data.schedule}” (cron, ${timeZone})`;
    facts.textContent = `${schedule} · stored in ${data.storage.kind} storage · a verified set must be younger than ${formatSeconds(data.maxAgeMs / 1000)}.`;
  }

  function drawActive(runs) {
    const ours = runs.filter((run) => run.runbook === "backup" || run.runbook === "restore");
    active.replaceChildren(
      ...(ours.length === 0
        ? []
        : [
            "In progress: ",
            ...ours.flatMap((run, i) => [
              i > 0 ? " · " : "",
              h("a", { href: `#/runs/${encodeURIComponent(run.id)}`, title: run.id, "data-run": run.id }, `${run.runbook} run ${shortId(run.id)}`),
              " ",
              lookPill(runLook(run.status)),
            ]),
          ]),
    );
  }

  function statusCell(set) {
    const look = setLook(set.status);
    return h(
      "td",
      { class: "set-status" },
      h(
        "span",
        { class: `pill status-${look.cls}${look.spin ? " spin" : ""}`, title: set.status === "verified" ? `verified ${both(set.verifiedAt)}` : null },
        h("span", { class: "mark", "aria-hidden": "true" }, look.mark),
        ` ${look.word}`,
      ),
      set.status === "verified" && isDeep(set) ? h("span", { class: "pill deep", title: "restored into scratch servers and fingerprinted" }, "deep") : null,
      set.error ? h("p", { class: "set-error" }, set.error) : null,
    );
  }

  function componentsCell(set) {
    const components = componentsOf(set);
    if (components.length === 0) return h("td", { class: "set-components" }, set.components.join(", "));
    return h(
      "td",
      { class: "set-components" },
      components.flatMap((component, i) => [i > 0 ? ", " : "", component.name, h("span", { class: "muted" }, ` ${formatBytes(componentSize(component))}`)]),
    );
  }

  function actionsCell(set) {
    const usable = set.status === "verified" || set.status === "written";
    const why = mayOperate ? (usable ? null : set.status === "running" ? "This set is still being written" : "A failed set cannot be verified or restored") : needsOperator;
    const verify = h(
      "button",
      { type: "button", class: "quiet verify-set", disabled: !mayOperate || !usable, title: why ?? "Re-hash every artifact, restore it into scratch servers and fingerprint it" },
      "Verify deeply",
    );
    verify.onclick = () => void startRun(verify, "backup", { set: set.id, verify: "deep" });
    // A restore touches nothing live unless overwrite is asked for; its run page shows the plan first.
    const restore = h("button", { type: "button", class: "quiet restore-set", disabled: !mayOperate || !usable, title: why ?? "Restore this set (into a new database; nothing live is replaced without approval)" }, "Restore…");
    restore.onclick = () => void startRun(restore, "restore", { set: set.id });
    return h("td", { class: "set-actions" }, verify, " ", restore);
  }

  function manifestDetail(set) {
    const manifest = set.manifest;
    const where = h("p", { class: "muted" }, `Stored in ${set.storage.kind}: `, h("code", {}, set.storage.location), set.finishedAt ? ` · written ${both(set.finishedAt)}` : "");
    if (!manifest) return h("div", { class: "manifest" }, where, h("p", {}, set.status === "running" ? "Being written: the manifest comes when every component is in storage." : "No manifest: the set was never completely written."));
    const fingerprint = manifest.fingerprint;
    return h(
      "div",
      { class: "manifest" },
      where,
      componentsOf(set).map((component) =>
        h(
          "div",
          { class: "manifest-component", "data-component": component.name },
          h(
            "h3",
            {},
            component.name,
            h("span", { class: "muted" }, ` ${formatBytes(componentSize(component))}`),
            component.tool ? h("span", { class: "pill tool", title: "the tool that took it" }, `${component.tool.name} ${component.tool.version}`) : null,
          ),
          component.source?.binlogFile
            ? h("p", { class: "binlog" }, "Binlog position: ", h("code", {}, `${component.source.binlogFile}:${component.source.binlogPosition}`), component.source.gtid ? [" · GTID ", h("code", {}, component.source.gtid)] : null)
            : component.source?.gtid
              ? h("p", { class: "binlog" }, "GTID: ", h("code", {}, component.source.gtid))
              : null,
          h(
            "table",
            { class: "runs artifacts-table" },
            h("thead", {}, h("tr", {}, ["Artifact", "Size", "SHA-256", "Compression"].map((title) => h("th", { scope: "col" }, title)))),
            h(
              "tbody",
              {},
              (component.artifacts ?? []).map((artifact) =>
                h(
                  "tr",
                  { "data-artifact": artifact.name },
                  h("td", {}, h("code", {}, artifact.name)),
                  h("td", { class: "size" }, formatBytes(artifact.size)),
                  h("td", {}, h("code", { class: "sha", title: artifact.sha256 }, `${artifact.sha256.slice(0, 12)}…`)),
                  h("td", {}, artifact.compression, artifact.encrypted ? h("span", { class: "muted" }, " · encrypted") : null),
                ),
              ),
            ),
          ),
        ),
      ),
      fingerprint
        ? h(
            "div",
            { class: "fingerprint" },
            h("h3", {}, "Fingerprint", h("span", { class: "muted" }, " · taken from the first deep verify's restore; later verifies and restores must match it")),
            fingerprint.tables.length
              ? h(
                  "table",
                  { class: "runs fingerprint-table" },
                  h("thead", {}, h("tr", {}, ["Table", "Rows", "Checksum"].map((title) => h("th", { scope: "col" }, title)))),
                  h("tbody", {}, fingerprint.tables.map((table) => h("tr", { "data-table": table.name }, h("td", {}, h("code", {}, table.name)), h("td", { class: "size" }, table.rows.toLocaleString("en-US")), h("td", {}, h("code", {}, table.checksum))))),
                )
              : h("p", { class: "muted" }, "No tables."),
            fingerprint.redisKeys === undefined ? null : h("p", { class: "redis-keys" }, `Redis keys: ${fingerprint.redisKeys.toLocaleString("en-US")}`),
          )
        : h("p", { class: "muted no-fingerprint" }, "No fingerprint yet: only a deep verify restores the set and takes one."),
    );
  }

  /** A set taken by a runbook run is "mina (run ID)": the run is a link to its page. */
  function startedByCell(startedBy) {
    const match = /^(.*) \(run ([^)]+)\)$/.exec(startedBy);
    if (!match) return h("td", { class: "started-by" }, startedBy);
    return h("td", { class: "started-by" }, match[1], h("span", { class: "muted" }, " · "), h("a", { href: `#/runs/${encodeURIComponent(match[2])}`, title: match[2] }, `run ${shortId(match[2])}`));
  }

  function toggle(id) {
    if (expanded.has(id)) expanded.delete(id);
    else expanded.add(id);
    drawTable();
    tableBox.querySelector(`tr.set-row[data-set="${CSS.escape(id)}"] button.toggle`)?.focus();
  }

  function drawTable() {
    if (data.sets.length === 0) {
      tableBox.replaceChildren(h("p", { class: "muted", id: "no-sets" }, "No backup set yet. Back up now, or `gameops backup` in a terminal."));
      return;
    }
    const columns = ["Set", "Status", "Components", "Size", "Started", "Verified", "By", ""];
    tableBox.replaceChildren(
      h(
        "table",
        { class: "runs backup-sets", id: "backup-sets" },
        h("thead", {}, h("tr", {}, columns.map((title) => h("th", { scope: "col" }, title)))),
        h(
          "tbody",
          {},
          data.sets.flatMap((set) => {
            const open = expanded.has(set.id);
            const row = h(
              "tr",
              { class: `set-row${open ? " open" : ""}`, "data-set": set.id, "data-status": set.status },
              h("td", {}, h("button", { type: "button", class: "toggle", "aria-expanded": open ? "true" : "false", "aria-label": `Manifest of ${set.id}` }, open ? "▾" : "▸"), " ", h("code", { class: "set-id" }, set.id)),
              statusCell(set),
              componentsCell(set),
              h("td", { class: "size" }, formatBytes(set.size)),
              h("td", {}, timeCell(set.startedAt)),
              h("td", {}, timeCell(set.verifiedAt)),
              startedByCell(set.startedBy),
              actionsCell(set),
            );
            // The whole row opens it; its own buttons (Verify, Restore) do what they say instead.
            row.addEventListener("click", (event) => {
              const button = event.target.closest("button");
              if (!button || button.classList.contains("toggle")) toggle(set.id);
            });
            return open ? [row, h("tr", { class: "manifest-row", "data-manifest-of": set.id }, h("td", { colspan: columns.length }, manifestDetail(set)))] : [row];
          }),
        ),
      ),
    );
  }

  function drawChart() {
    const sets = [...data.sets].reverse(); // oldest on the left
    chartCount.textContent = sets.length ? `${sets.length} sets since ${formatDay(sets[0].startedAt, timeZone)}` : "";
    if (sets.length === 0) {
      chart.replaceChildren(h("p", { class: "muted" }, "Nothing to draw yet."));
      return;
    }
    const labelWidth = 72;
    const plotTop = 10;
    const plotHeight = 140;
    const axisHeight = 22;
    const available = Math.max(240, chart.clientWidth - labelWidth - 16);
    const step = Math.max(8, Math.min(36, Math.floor(available / sets.length)));
    const barWidth = Math.max(5, step - 3);
    const width = labelWidth + sets.length * step + 8;
    const height = plotTop + plotHeight + axisHeight;
    const base = plotTop + plotHeight;
    const largest = Math.max(1, ...sets.map((set) => set.size));
    const scale = (bytes) => (bytes / largest) * (plotHeight - 4);
    const x = (i) => labelWidth + i * step;

    const svg = s("svg", { class: "backup-chart", width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": `Sizes of ${sets.length} backup sets, largest ${formatBytes(largest)}` });
    svg.append(
      s("text", { x: labelWidth - 8, y: plotTop + 10, class: "axis-value", "text-anchor": "end" }, formatBytes(largest)),
      s("text", { x: labelWidth - 8, y: base, class: "axis-value", "text-anchor": "end" }, "0"),
      s("line", { x1: labelWidth, x2: width - 8, y1: base, y2: base, class: "baseline" }),
    );
    for (const [i, set] of sets.entries()) {
      const look = setLook(set.status);
      const components = componentsOf(set);
      const parts = components.length
        ? [...components].sort((a, b) => componentOrder.indexOf(a.name) - componentOrder.indexOf(b.name)).map((c) => ({ name: c.name, size: componentSize(c) }))
        : [{ name: "set", size: set.size }];
      const words = `${set.id}: ${look.word}${isDeep(set) ? " (deep)" : ""}, ${formatBytes(set.size)}${components.length ? ` (${parts.map((p) => `${p.name} ${formatBytes(p.size)}`).join(", ")})` : ""}, ${both(set.startedAt)}`;
      const bar = s("g", { class: `set-bar status-${look.cls}`, "data-set": set.id }, s("title", {}, words));
      let y = base;
      if (set.size === 0) {
        // Nothing stored (still running, or failed early): a stub on the baseline still shows the set.
        bar.append(s("rect", { x: x(i), y: base - 3, width: barWidth, height: 3, class: "bar stub" }));
      }
      for (const [index, part] of parts.entries()) {
        const tall = scale(part.size);
        if (tall <= 0) continue;
        y -= tall;
        bar.append(s("rect", { x: x(i), y, width: barWidth, height: Math.max(1, tall), class: `bar part-${Math.min(index, 3)}`, "data-component": part.name }));
      }
      svg.append(bar);
    }
    // Day labels in the team's zone, thinned so that they never overlap.
    let lastDay;
    let lastLabelX = -Infinity;
    for (const [i, set] of sets.entries()) {
      const day = dayKey(set.startedAt, timeZone);
      if (day === lastDay) continue;
      lastDay = day;
      if (x(i) - lastLabelX < 48) continue;
      lastLabelX = x(i);
      svg.append(s("text", { x: x(i), y: base + 15, class: "axis-value" }, formatDay(set.startedAt, timeZone)));
    }
    chart.replaceChildren(svg);
    // Newest sets are on the right: show them first when the chart is wider than the screen.
    chart.scrollLeft = chart.scrollWidth;
  }

  function drawRetention() {
    const r = data.retention;
    retentionPolicy.textContent = `Keeps the newest verified set of each of the last ${r.daily} days, ${r.weekly} weeks and ${r.monthly} months, never fewer than ${r.minGood} verified sets; a set not verified or failed stays ${formatSeconds(r.grace / 1000)}. Only verified sets count.`;
    if (!mayOperate) {
      retention.replaceChildren(h("p", { class: "muted", id: "retention-viewer-note" }, `Signed in as a ${me.actor.role}: seeing what the policy would remove needs the operator role or above.`));
      return;
    }
    if (planError) {
      retention.replaceChildren(h("p", { class: "error" }, `Cannot plan the retention: ${planError}`));
      return;
    }
    if (!plan) return;
    const list = (id, title, rows) =>
      h(
        "div",
        { class: "retention-list" },
        h("h3", {}, title),
        rows.length ? h("ul", { id }, rows) : h("p", { class: "muted", id }, "None."),
      );
    retention.replaceChildren(
      h("p", { class: "muted" }, `Dry run: what pruning would do now. Nothing is removed here${data.schedule === false ? "" : "; the scheduled backup prunes after it is taken"}.`),
      h(
        "div",
        { class: "retention-plan" },
        list("retention-remove", `Would go (${plan.remove.length})`, plan.remove.map((entry) => h("li", { "data-set": entry.id }, h("code", {}, entry.id), h("span", { class: "muted" }, ` — ${entry.reason}`)))),
        list("retention-keep", `Stays (${plan.keep.length})`, plan.keep.map((entry) => h("li", { "data-set": entry.id }, h("code", {}, entry.id), h("span", { class: "muted" }, ` — ${entry.reasons.join("; ")}`)))),
      ),
    );
  }

  // ── loading ────────────────────────────────────────────────────────────────────────────

  async function load() {
    const mine = visit;
    const [listed, runs] = await Promise.all([client.get(`/api/backups?limit=${listLimit}`), client.get(`/api/runs?limit=20&status=${unfinished.join(",")}`)]);
    if (mine !== visit) return;
    data = listed;
    error.textContent = "";
    drawVerdict();
    drawActive(runs.runs);
    // Redrawn only when something changed: a redraw would close what a person is reading or pointing at.
    const signature = JSON.stringify(listed);
    if (signature === shownSignature) return;
    shownSignature = signature;
    drawChart();
    drawTable();
    if (mayOperate) {
      try {
        plan = (await client.post("/api/backups/prune", { dryRun: true })).plan;
        planError = "";
      } catch (failure) {
        if (failure.status === 401) throw failure;
        planError = failure.message;
      }
      if (mine !== visit) return;
    }
    drawRetention();
  }

  async function show() {
    leave();
    const mine = visit;
    if (page.parentNode !== root) root.replaceChildren(page); // the first time, or after an error took its place
    document.title = "gameops · Backups";
    shownSignature = ""; // the chart's width follows the screen, which may have changed while away
    await load();
    if (mine !== visit) return;
    refresher = setInterval(() => {
      if (document.visibilityState === "visible")
        void load().catch((failure) => {
          error.textContent = `Cannot load the backups: ${failure.message}`;
        });
    }, refreshMs);
  }

  /** Stops looking again while another page is on screen. */
  function leave() {
    visit += 1;
    clearInterval(refresher);
  }

  return { show, leave, dispose: leave };
}
