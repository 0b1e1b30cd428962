// One runbook run, live: its steps with status, duration, rendered action and output as they
// happen (server-sent events), approve/reject for the approval it waits for, decisions about an
// interrupted step, artifacts to download, and cancel.

import { h } from "./dom.js";
import { formatAgo, formatBytes, formatDuration, formatTime } from "./format.js";
import { lookBadge, lookPill, runLook, shortId, stepLook, terminal, waitingText } from "./run-status.js";

const retryMs = 2_000;
const outputLines = 200;
const sections = [
  ["main", "steps", "Steps"],
  ["rollback", "rollback", "Rollback — when a step with on_failure: rollback failed"],
  ["finally", "finally", "Finally — at the end, whatever happened"],
];
const throughWords = { cli: "the CLI", api: "the API", console: "the console", runbook: "a parent run", timeout: "the timeout" };

export function createRunPage({ client, token, me, root, runId }) {
  const timeZone = me.team.timeZone;
  const mayOperate = ["operator", "admin"].includes(me.actor.role);
  const path = `/api/runs/${encodeURIComponent(runId)}`;
  const controller = new AbortController();
  let detail;
  const events = new Map(); // seq → event
  let lastSeq = 0;
  let disposed = false;
  let refetchTimer;
  let cancelArmed = false;
  let liveNote = "";
  const ticker = setInterval(tick, 1000);

  const both = (iso) => (timeZone === "UTC" ? formatTime(iso, "UTC") : `${formatTime(iso, "UTC")} · ${formatTime(iso, timeZone)}`);

  function merge(list) {
    for (const event of list) {
      events.set(event.seq, event);
      lastSeq = Math.max(lastSeq, event.seq);
    }
  }

  async function refetch() {
    const next = await client.get(path);
    if (disposed) return;
    detail = next;
    merge(next.events);
    render();
  }

  function scheduleRefetch() {
    clearTimeout(refetchTimer);
    refetchTimer = setTimeout(() => void refetch().catch((error) => setLive(`Cannot load the run: ${error.message}`)), 120);
  }

  function onEvent(_type, event) {
    if (events.has(event.seq)) return;
    merge([event]);
    if (event.type === "step.log" && appendLine(event)) return;
    scheduleRefetch();
  }

  /** A log line goes straight into its step's output; false when that step is not drawn yet. */
  function appendLine(event) {
    const pre = root.querySelector(`li[data-step="${CSS.escape(event.stepId)}"] pre.output[data-attempt="${event.data.attempt}"]`);
    if (!pre) return false;
    pre.append(`${event.data.line}\n`);
    while (pre.childNodes.length > outputLines) pre.firstChild.remove();
    return true;
  }

  function setLive(text) {
    liveNote = text;
    const note = root.querySelector("#live-note");
    if (note) note.textContent = text;
  }

  /** Follows the run's events until it ends; reconnects after a drop, resuming after the last event seen. */
  async function follow() {
    while (!disposed && detail && !terminal.has(detail.run.status)) {
      try {
        setLive("Live");
        await client.follow(`${path}/events?after=${lastSeq}`, onEvent, controller.signal);
      } catch (error) {
        if (disposed) return;
        setLive(`Live updates paused (${error.message}); trying again…`);
      }
      if (disposed) return;
      await refetch().catch(() => {});
      if (detail && !terminal.has(detail.run.status)) await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
    if (!disposed) setLive("");
  }

  async function load() {
    detail = await client.get(path);
    merge(detail.events);
    render();
    void follow();
  }

  // ── drawing ────────────────────────────────────────────────────────────────────────────

  function tick() {
    for (const element of root.querySelectorAll("[data-started]")) {
      element.textContent = formatDuration(Date.now() - Date.parse(element.dataset.started));
    }
  }

  function render() {
    const { run } = detail;
    const parts = [
      h("p", { class: "crumbs" }, h("a", { href: "#/runbooks" }, "Runbooks"), " / ", h("code", { title: run.id }, shortId(run.id))),
      header(run),
      waitingPanel(),
      ...sections.map(([phase, key, title]) => stepsSection(phase, run.definition[key] ?? [], title)),
      artifactsSection(),
      childrenSection(),
      timelineSection(),
    ];
    root.replaceChildren(...parts.filter(Boolean));
  }

  function header(run) {
    const look = runLook(run.status);
    const took = run.finishedAt
      ? formatDuration(Date.parse(run.finishedAt) - Date.parse(run.startedAt ?? run.createdAt))
      : h("span", { "data-started": run.startedAt ?? run.createdAt }, formatDuration(Date.now() - Date.parse(run.startedAt ?? run.createdAt)));
    const params = Object.entries(run.params);
    return h(
      "div",
      { class: "overview panel run-head" },
      h("div", { class: "verdict" }, h("h1", { id: "run-title" }, run.title), lookBadge(look, { id: "runbook-run-status", "aria-label": `Run status: ${look.word}` })),
      h(
        "div",
        { class: "run-meta" },
        h(
          "dl",
          { class: "facts" },
          h("div", {}, h("dt", {}, "Runbook"), h("dd", {}, h("code", {}, run.runbook))),
          h("div", {}, h("dt", {}, "Started"), h("dd", {}, h("time", { datetime: run.createdAt }, both(run.startedAt ?? run.createdAt)))),
          h("div", {}, h("dt", {}, "By"), h("dd", { id: "run-started-by" }, `${run.startedBy}, through ${throughWords[run.through] ?? run.through}`)),
          h("div", {}, h("dt", {}, run.finishedAt ? "Took" : "Running for"), h("dd", {}, took)),
          params.length ? h("div", {}, h("dt", {}, "Params"), h("dd", {}, params.map(([k, v]) => `${k}=${v}`).join(" "))) : null,
          run.locks.length ? h("div", {}, h("dt", {}, "Locks"), h("dd", {}, run.locks.join(", "))) : null,
        ),
        run.error ? h("p", { class: "error run-error" }, run.error) : null,
        !terminal.has(run.status) && waitingText(run) ? h("p", { class: "muted" }, `This run ${waitingText(run)}.`) : null,
      ),
      h(
        "div",
        { class: "actions" },
        terminal.has(run.status) ? null : cancelButton(run),
        h("p", { id: "live-note", class: "run-status", role: "status", "aria-live": "polite" }, liveNote),
      ),
    );
  }

  function cancelButton(run) {
    if (run.cancelRequested) return h("p", { class: "run-status" }, `Cancel requested by ${run.cancelRequested.by}`);
    const button = h(
      "button",
      { type: "button", id: "cancel-run", class: cancelArmed ? "danger" : "", disabled: !mayOperate, title: mayOperate ? "Abort the step under way, run finally, release the locks" : "Needs the operator role or above" },
      cancelArmed ? "Really cancel the run?" : "Cancel run",
    );
    button.onclick = async () => {
      if (!cancelArmed) {
        cancelArmed = true;
        render();
        return;
      }
      button.disabled = true;
      try {
        await client.post(`${path}/cancel`);
      } catch (error) {
        setLive(error.message);
      }
      cancelArmed = false;
      await refetch();
    };
    return button;
  }

  function waitingPanel() {
    const on = detail.waitingOn;
    if (!on) return null;
    const elsewhere = on.runId === runId ? null : h("p", { class: "muted" }, "In sub-runbook run ", h("a", { href: `#/runs/${encodeURIComponent(on.runId)}` }, shortId(on.runId)), ".");
    if (on.status === "waiting_approval" && on.approval) return approvalPanel(on, elsewhere);
    if (on.status === "waiting_decision" && on.waiting?.for === "decision") return decisionPanel(on, elsewhere);
    if (on.status === "waiting_params") {
      return h("section", { class: "panel callout" }, h("h2", {}, "Needs its secret params"), elsewhere, h("p", {}, "They lived only in the memory of the process that started the run. Resume it from a terminal: ", h("code", {}, `gameops run resume ${on.runId} --param-file NAME=PATH`)));
    }
    if (on.status === "waiting_lock" && on.waiting?.for === "lock") {
      return h("section", { class: "panel callout" }, h("h2", {}, `Waiting for lock "${on.waiting.lock}"`), elsewhere, h("p", {}, "Held by run ", h("a", { href: `#/runs/${encodeURIComponent(on.waiting.heldBy)}` }, shortId(on.waiting.heldBy)), on.waiting.until ? `; this run gives up at ${both(on.waiting.until)}.` : "."));
    }
    return null;
  }

  function approvalPanel(on, elsewhere) {
    const approval = on.approval;
    const forYou = approval.forYou ?? { approve: { allowed: false, reason: "unknown" }, reject: { allowed: false, reason: "unknown" } };
    const comment = h("input", { id: "approval-comment", type: "text", maxlength: "1000", placeholder: "why (optional; kept with the approval)" });
    const error = h("p", { id: "approval-error", class: "error", role: "alert" });
    const decide = async (decision, button) => {
      error.textContent = "";
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      try {
        await client.post(`/api/runs/${encodeURIComponent(on.runId)}/approvals`, { step: approval.stepId, decision, ...(comment.value.trim() ? { comment: comment.value.trim() } : {}) });
        await refetch();
      } catch (failure) {
        error.textContent = failure.message;
        button.disabled = false;
        button.removeAttribute("aria-busy");
      }
    };
    const approve = h("button", { type: "button", id: "approve-button", class: "primary", disabled: !forYou.approve.allowed, title: forYou.approve.reason ?? "Approve: the run goes on" }, "Approve");
    const reject = h("button", { type: "button", id: "reject-button", class: "danger", disabled: !forYou.reject.allowed, title: forYou.reject.reason ?? "Reject: the step fails" }, "Reject");
    approve.onclick = () => void decide("approve", approve);
    reject.onclick = () => void decide("reject", reject);
    const reasons = [
      !forYou.approve.allowed ? `You may not approve: ${forYou.approve.reason}` : null,
      !forYou.reject.allowed && forYou.reject.reason !== forYou.approve.reason ? `You may not reject: ${forYou.reject.reason}` : null,
    ].filter(Boolean);
    return h(
      "section",
      { class: "panel callout approval", id: "approval-panel", "aria-labelledby": "approval-title" },
      h("h2", { id: "approval-title" }, `Approval needed: step "${approval.stepId}"`),
      elsewhere,
      h("p", { class: "prompt", id: "approval-prompt" }, approval.prompt),
      h(
        "p",
        { class: "muted" },
        `Who may approve: ${approval.approvers.join(", ")}${approval.selfApproval ? "" : ` — not ${detail.run.startedBy}, who started the run`}. Asked ${formatAgo(approval.requestedAt)}.`,
        approval.timeoutAt ? ` No answer by ${both(approval.timeoutAt)}: ${approval.onTimeout === "continue" ? "the run goes on" : "the run aborts"}.` : "",
      ),
      forYou.approve.allowed || forYou.reject.allowed ? h("label", { for: "approval-comment" }, "Comment") : null,
      forYou.approve.allowed || forYou.reject.allowed ? comment : null,
      h("div", { class: "decision-buttons" }, approve, reject),
      reasons.length ? h("p", { id: "approval-reason", class: "reason" }, reasons.join(" ")) : null,
      error,
    );
  }

  function decisionPanel(on, elsewhere) {
    const stepId = on.waiting.stepId;
    const interrupted = [...events.values()].filter((e) => e.type === "step.interrupted" && e.stepId === stepId).at(-1);
    const evidence = interrupted?.data ?? {};
    const error = h("p", { class: "error", role: "alert" });
    const button = (choice, label, cls) => {
      const b = h("button", { type: "button", class: cls, "data-choice": choice, disabled: !mayOperate, title: mayOperate ? label : "Needs the operator role or above" }, label);
      b.onclick = async () => {
        error.textContent = "";
        b.disabled = true;
        try {
          await client.post(`/api/runs/${encodeURIComponent(on.runId)}/decision`, { step: stepId, choice });
          await refetch();
        } catch (failure) {
          error.textContent = failure.message;
          b.disabled = false;
        }
      };
      return b;
    };
    return h(
      "section",
      { class: "panel callout", id: "decision-panel" },
      h("h2", {}, `Step "${stepId}" was interrupted`),
      elsewhere,
      h("p", {}, "Its executor stopped while it ran, and the runbook does not mark it idempotent: it may have done part of its work. Decide what happens now."),
      evidence.action?.summary ? h("p", {}, "It was running: ", h("code", {}, evidence.action.summary), evidence.startedAt ? ` since ${both(evidence.startedAt)}` : "") : null,
      evidence.lastOutput?.length ? h("pre", { class: "output" }, evidence.lastOutput.join("\n")) : null,
      h("div", { class: "decision-buttons" }, button("retry", "Retry it", "primary"), button("skip", "Skip it", ""), button("fail", "Fail it", "danger")),
      mayOperate ? null : h("p", { class: "reason" }, "Deciding needs the operator role or above."),
      error,
    );
  }

  function stepsSection(phase, steps, title) {
    if (steps.length === 0) return null;
    const { run } = detail;
    return h(
      "section",
      { class: "steps-section", "aria-label": title },
      h("h2", { class: "section-title" }, title),
      h(
        "ol",
        { class: "steps" },
        steps.map((step, position) => {
          const attempts = detail.steps.filter((s) => s.phase === phase && s.position === position);
          const last = attempts.at(-1);
          const waitingHere = last?.status === "running" && (step.kind === "approve" || step.kind === "runbook") && !["running", "queued"].includes(run.status);
          const status = last ? (waitingHere ? "waiting" : last.status) : terminal.has(run.status) ? "not run" : "pending";
          const look = stepLook(status);
          const lines = last ? [...events.values()].filter((e) => e.type === "step.log" && e.stepId === step.id && e.data.attempt === last.attempt).map((e) => e.data.line) : [];
          const shown = lines.length ? lines.slice(-outputLines) : last?.output ? last.output.split("\n").slice(-outputLines) : [];
          const duration = !last
            ? null
            : last.finishedAt
              ? formatDuration(Date.parse(last.finishedAt) - Date.parse(last.startedAt))
              : h("span", { "data-started": last.startedAt }, formatDuration(Date.now() - Date.parse(last.startedAt)));
          return h(
            "li",
            { class: `step card status-${look.cls}`, "data-step": step.id, "data-status": status },
            h(
              "div",
              { class: "card-head" },
              // A title holding an expression is shown rendered only in the action: the template would read as noise.
              h("h3", {}, step.id, step.title && !step.title.includes("${{") ? h("span", { class: "muted" }, ` — ${step.title}`) : null, h("span", { class: "kind" }, ` ${step.kind}`)),
              h("span", { class: "step-side" }, duration ? h("span", { class: "duration" }, duration) : null, lookPill(look)),
            ),
            last?.action ? h("code", { class: "action" }, last.action.summary) : null,
            last?.action?.target ? h("p", { class: "muted target" }, `target: ${last.action.target}`) : null,
            last?.action?.destructive ? h("span", { class: "pill status-warning destructive-mark" }, "changes something") : null,
            attempts.length > 1 ? h("p", { class: "muted" }, `attempt ${last.attempt}; earlier: ${attempts.slice(0, -1).map((a) => `${a.status}${a.error ? ` (${a.error})` : ""}`).join("; ")}`) : null,
            step.kind === "approve" && last?.outputs?.by ? h("p", { class: "decided" }, approvalWords(last.outputs)) : null,
            last?.error ? h("p", { class: "error step-error" }, last.error) : null,
            last?.exitCode !== undefined && last.status !== "succeeded" ? h("p", { class: "muted" }, `exit code ${last.exitCode}`) : null,
            // approve and runbook steps wait rather than print: no output box for them.
            last && (shown.length > 0 || (last.status === "running" && status !== "waiting" && step.kind !== "approve"))
              ? h("pre", { class: "output", "data-attempt": String(last.attempt) }, shown.map((line) => `${line}\n`))
              : null,
          );
        }),
      ),
    );
  }

  function artifactsSection() {
    if (detail.artifacts.length === 0) return null;
    return h(
      "section",
      { class: "panel artifacts" },
      h("h2", {}, "Artifacts"),
      h(
        "ul",
        {},
        detail.artifacts.map((a) => {
          const button = h("button", { type: "button", class: "quiet", "data-artifact": a.id }, "Download");
          button.onclick = () => void download(a, button);
          return h("li", {}, h("strong", {}, a.name), h("span", { class: "muted" }, ` ${formatBytes(a.size)} · ${a.contentType} · step ${a.stepId} · sha256 ${a.sha256.slice(0, 12)}…`), " ", button);
        }),
      ),
    );
  }

  /** Fetched with the token (a plain link could not send it), then saved from a blob. */
  async function download(artifact, button) {
    button.disabled = true;
    try {
      const response = await fetch(`${path}/artifacts/${encodeURIComponent(artifact.id)}`, { headers: { authorization: `Bearer ${token}` } });
      if (!response.ok) throw new Error(`the server answered ${response.status}`);
      const url = URL.createObjectURL(await response.blob());
      const link = h("a", { href: url, download: artifact.name, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (error) {
      setLive(`Cannot download ${artifact.name}: ${error.message}`);
    } finally {
      button.disabled = false;
    }
  }

  function childrenSection() {
    if (detail.children.length === 0) return null;
    return h(
      "section",
      { class: "panel" },
      h("h2", {}, "Sub-runbook runs"),
      h("ul", {}, detail.children.map((c) => h("li", {}, h("a", { href: `#/runs/${encodeURIComponent(c.id)}` }, `${c.runbook} `, h("code", {}, shortId(c.id))), " ", lookPill(runLook(c.status))))),
    );
  }

  function timelineSection() {
    const entries = [...events.values()].filter((e) => e.type !== "step.log").sort((a, b) => a.seq - b.seq);
    return h(
      "details",
      { class: "panel timeline" },
      h("summary", {}, `Timeline (${entries.length} events)`),
      h(
        "ol",
        {},
        entries.map((e) => h("li", {}, h("time", { datetime: e.at, title: both(e.at) }, formatTime(e.at, timeZone, { withDate: false })), ` ${e.type}`, e.stepId ? ` · ${e.stepId}` : "", describeEvent(e))),
      ),
    );
  }

  return {
    load,
    dispose() {
      disposed = true;
      controller.abort();
      clearInterval(ticker);
      clearTimeout(refetchTimer);
    },
  };
}

function approvalWords(outputs) {
  const verb = outputs.decision === "approve" ? "Approved" : outputs.decision === "reject" ? "Rejected" : "Decided";
  return `${verb} by ${outputs.by}${outputs.through ? ` through ${throughWords[outputs.through] ?? outputs.through}` : ""}${outputs.comment ? `: "${outputs.comment}"` : ""}`;
}

function describeEvent(e) {
  const d = e.data;
  switch (e.type) {
    case "run.created":
      return ` · by ${d.startedBy} through ${throughWords[d.through] ?? d.through}`;
    case "approval.decided":
      return ` · ${d.decision} by ${d.by}${d.through ? ` through ${throughWords[d.through] ?? d.through}` : ""}${d.comment ? ` ("${d.comment}")` : ""}`;
    case "step.finished":
      return ` · ${d.status}${d.error ? `: ${d.error}` : ""}`;
    case "run.finished":
      return ` · ${d.status}`;
    case "run.claimed":
      return d.takenOverFrom ? ` · taken over from ${d.takenOverFrom}` : ` · by ${d.owner}`;
    case "run.cancel_requested":
    case "step.decided":
      return ` · by ${d.by}`;
    default:
      return "";
  }
}
