// How runbook runs and their steps look: the Health page's colours and marks, in run words.

import { h } from "./dom.js";

const runLooks = {
  queued: { cls: "skipped", mark: "…", word: "Queued" },
  running: { cls: "running", mark: "…", word: "Running", spin: true },
  waiting_lock: { cls: "warning", mark: "‖", word: "Waiting for a lock" },
  waiting_approval: { cls: "warning", mark: "‖", word: "Waiting for approval" },
  waiting_decision: { cls: "warning", mark: "!", word: "Waiting for a decision" },
  waiting_child: { cls: "running", mark: "→", word: "Running a sub-runbook" },
  waiting_params: { cls: "warning", mark: "‖", word: "Needs its secret params" },
  succeeded: { cls: "ok", mark: "✓", word: "Succeeded" },
  failed: { cls: "critical", mark: "✕", word: "Failed" },
  rolled_back: { cls: "warning", mark: "↩", word: "Rolled back" },
  cancelled: { cls: "unknown", mark: "⊘", word: "Cancelled" },
};

const stepLooks = {
  pending: { cls: "skipped", mark: "·", word: "Pending" },
  "not run": { cls: "skipped", mark: "–", word: "Not run" },
  running: { cls: "running", mark: "…", word: "Running", spin: true },
  waiting: { cls: "warning", mark: "‖", word: "Waiting" },
  succeeded: { cls: "ok", mark: "✓", word: "Succeeded" },
  failed: { cls: "critical", mark: "✕", word: "Failed" },
  skipped: { cls: "skipped", mark: "–", word: "Skipped" },
  cancelled: { cls: "unknown", mark: "⊘", word: "Cancelled" },
  interrupted: { cls: "warning", mark: "!", word: "Interrupted" },
};

export const terminal = new Set(["succeeded", "failed", "rolled_back", "cancelled"]);

export function runLook(status) {
  return runLooks[status] ?? { cls: "unknown", mark: "?", word: status };
}

export function stepLook(status) {
  return stepLooks[status] ?? { cls: "unknown", mark: "?", word: status };
}

export function lookPill(look, attributes = {}) {
  return h(
    "span",
    { class: `pill status-${look.cls}${look.spin ? " spin" : ""}`, ...attributes },
    h("span", { class: "mark", "aria-hidden": "true" }, look.mark),
    ` ${look.word}`,
  );
}

export function lookBadge(look, attributes = {}) {
  return h("span", { class: `badge status-${look.cls}`, role: "status", ...attributes }, h("span", { class: "mark", "aria-hidden": "true" }, look.mark), ` ${look.word}`);
}

/** What a waiting run waits for, in a sentence. */
export function waitingText(run) {
  const w = run.waiting;
  if (!w) return "";
  switch (w.for) {
    case "approval":
      return `waits for an approval of step "${w.stepId}"`;
    case "decision":
      return `waits for a decision about interrupted step "${w.stepId}"`;
    case "lock":
      return `waits for lock "${w.lock}", held by run ${w.heldBy}`;
    case "child":
      return `runs sub-runbook run ${w.runId}`;
    case "params":
      return `needs its secret params again (${w.names.join(", ")}): gameops run resume ${run.id}`;
    default:
      return "";
  }
}

export function shortId(id) {
  return id.length > 13 ? `${id.slice(0, 8)}…${id.slice(-4)}` : id;
}
