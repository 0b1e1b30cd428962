import { formatDuration } from "../config/duration.js";
import type { RunEvent } from "../store/store.js";
import { paint } from "./table.js";

const frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

export interface RunProgress {
  /** One event of a run's timeline; `indent` sets a sub-runbook's lines apart. */
  event(event: RunEvent, indent?: string): void;
  /** A line of the command's own (a header, a question), kept clear of the spinner. */
  line(text: string): void;
  /** Stops drawing the spinner while a prompt owns the terminal. */
  pause(): void;
  resume(): void;
  stop(): void;
}

/**
 * A run's progress as terminal lines: each step when it starts and when it ends (with its
 * duration), its output indented beneath, approvals and waits as they happen. On a terminal the
 * running step also has a spinner line with its elapsed time, redrawn in place; off one the
 * lines are plain, for logs and CI.
 */
export function runProgress(stream: NodeJS.WriteStream): RunProgress {
  const tty = Boolean(stream.isTTY);
  const colour = tty;
  const running = new Map<string, { label: string; started: number }>();
  let drawn = 0;
  let frame = 0;
  let paused = false;
  const phases = new Map<string, string>();

  const clear = () => {
    if (drawn > 0) stream.write(`\x1b[${drawn}A\x1b[0J`);
    drawn = 0;
  };
  const draw = () => {
    if (!tty || paused) return;
    clear();
    const spinner = frames[frame++ % frames.length];
    for (const r of running.values()) {
      stream.write(`${paint(spinner!, "blue", colour)} ${r.label} ${paint(formatDuration(Date.now() - r.started), "gray", colour)}\n`);
      drawn++;
    }
  };
  const interval = tty ? setInterval(draw, 100) : undefined;
  interval?.unref();

  const write = (text: string) => {
    if (tty) clear();
    stream.write(`${text}\n`);
    draw();
  };

  const render = (event: RunEvent, indent: string): string[] => {
    const d = event.data;
    const step = event.stepId ?? "";
    const key = `${event.runId}:${step}`;
    switch (event.type) {
      case "step.started": {
        const phase = phases.get(event.runId);
        phases.delete(event.runId);
        const action = (d.action ?? {}) as { summary?: string; destructive?: boolean; target?: string };
        const attempt = Number(d.attempt ?? 1) > 1 ? ` (attempt ${String(d.attempt)})` : "";
        if (d.kind !== "approve" && d.kind !== "runbook") running.set(key, { label: `${indent}${step}`, started: Date.parse(event.at) });
        return [
          ...(phase ? [phase] : []),
          `${indent}${paint("▶", "blue", colour)} ${paint(step, "bold", colour)}${attempt} ${paint(`[${String(d.kind)}]`, "gray", colour)} ${action.summary ?? ""}${action.destructive ? paint("  DESTRUCTIVE", "yellow", colour) : ""}`,
        ];
      }
      case "step.log":
        return [`${indent}    ${paint("│", "gray", colour)} ${String(d.line)}`];
      case "step.finished": {
        running.delete(key);
        const took = typeof d.durationMs === "number" ? ` in ${formatDuration(d.durationMs)}` : "";
        const exit = typeof d.exitCode === "number" && d.status !== "succeeded" ? ` (exit ${d.exitCode})` : "";
        const error = typeof d.error === "string" ? `: ${continued(d.error, `${indent}    `)}` : "";
        if (d.status === "failed" && typeof d.retryInMs === "number") {
          return [`${indent}${paint("↻", "yellow", colour)} ${step} failed${took}${exit}${error} — retrying in ${formatDuration(d.retryInMs)} (${String(d.attemptsLeft)} attempts left)`];
        }
        switch (d.status) {
          case "succeeded":
            return [`${indent}${paint("✓", "green", colour)} ${step} succeeded${took}`];
          case "skipped":
            return [`${indent}${paint("–", "gray", colour)} ${step} skipped${error}`];
          case "cancelled":
            return [`${indent}${paint("⊘", "magenta", colour)} ${step} cancelled${took}${error}`];
          default:
            return [`${indent}${paint("✗", "red", colour)} ${step} failed${took}${exit}${error}`];
        }
      }
      case "step.skipped":
        return [`${indent}${paint("–", "gray", colour)} ${step} skipped: ${String(d.reason)}`];
      case "step.interrupted":
        running.delete(key);
        return [`${indent}${paint("⚠", "yellow", colour)} ${step} was interrupted: the executor running it stopped before it finished (attempt ${String(d.attempt)})`];
      case "step.decided":
        return [`${indent}${step}: ${String(d.by)} decided to ${String(d.choice)} it`];
      case "approval.requested": {
        const approvers = (d.approvers as string[] | undefined)?.join(", ") ?? "";
        const timeout = typeof d.timeoutAt === "string" ? `; no answer by ${d.timeoutAt}: ${d.onTimeout === "continue" ? "the run goes on" : "the run aborts"}` : "";
        return [
          `${indent}${paint("⏸", "yellow", colour)} ${step} waits for an approval: "${String(d.prompt)}"`,
          `${indent}    who may approve: ${approvers}${d.selfApproval ? "" : " (not the person who started the run)"}${timeout}`,
        ];
      }
      case "approval.decided": {
        const through = d.through && d.through !== "timeout" ? ` through the ${String(d.through)}` : "";
        const comment = typeof d.comment === "string" ? ` ("${d.comment}")` : "";
        if (d.decision === "approve") return [`${indent}${paint("✓", "green", colour)} ${step} approved by ${String(d.by)}${through}${comment}`];
        if (d.decision === "reject") return [`${indent}${paint("✗", "red", colour)} ${step} rejected by ${String(d.by)}${through}${comment}`];
        if (d.decision === "timeout") return [`${indent}${paint("⌛", "yellow", colour)} ${step}: nobody decided in time`];
        return [`${indent}${paint("⊘", "magenta", colour)} ${step}: approval cancelled by ${String(d.by)}`];
      }
      case "artifact.saved":
        return [`${indent}    ${paint("↓", "blue", colour)} saved ${String(d.name)} (${bytes(Number(d.size))}, artifact ${String(d.artifactId)})`];
      case "run.phase":
        // Shown with the section's first step: an empty `finally` is not worth a line.
        phases.set(event.runId, `${indent}${paint(`── ${d.phase === "rollback" ? `rollback${d.failedStep ? ` after step "${String(d.failedStep)}" failed` : ""}` : String(d.phase)} ──`, "bold", colour)}`);
        return [];
      case "run.waiting": {
        const waiting = (d.waiting ?? {}) as Record<string, unknown>;
        if (d.status === "waiting_lock") {
          return [`${indent}${paint("⏳", "yellow", colour)} waiting for lock "${String(waiting.lock)}", held by run ${String(waiting.heldBy)}${waiting.until ? ` (at most until ${String(waiting.until)})` : ""}`];
        }
        if (d.status === "waiting_decision") {
          const evidence = (d.evidence ?? {}) as { lastOutput?: string[] };
          return [
            `${indent}${paint("⚠", "yellow", colour)} ${String(d.reason ?? "a step was interrupted: a person decides")}`,
            ...(evidence.lastOutput ?? []).map((line) => `${indent}    ${paint("│", "gray", colour)} ${line}`),
          ];
        }
        const child = childRunOf(event);
        if (d.status === "waiting_child" && child) return [`${indent}${paint("→", "blue", colour)} ${step} waits for sub-runbook run ${child}`];
        if (d.status === "waiting_params") return [`${indent}${paint("⏸", "yellow", colour)} waiting for the secret params (${((waiting.names as string[]) ?? []).join(", ")})`];
        return [];
      }
      case "run.cancel_requested":
        return [`${indent}${paint("⊘", "magenta", colour)} cancel requested by ${String(d.by)}`];
      case "run.claimed":
        return typeof d.takenOverFrom === "string" ? [`${indent}${paint("↺", "blue", colour)} taken over from ${d.takenOverFrom}, whose lease ran out`] : [];
      case "run.released":
        return [`${indent}run given back to the queue`];
      case "lock.acquired":
        return [`${indent}${paint(`locks held: ${((d.locks as string[]) ?? []).join(", ")}`, "gray", colour)}`];
      case "run.finished":
        // The command prints the run's own end; a sub-runbook's is a line among the parent's.
        return indent ? [`${indent}sub-runbook run ${event.runId} ${String(d.status)}${typeof d.error === "string" ? `: ${d.error}` : ""}`] : [];
      default:
        return [];
    }
  };

  return {
    event(event, indent = "") {
      for (const text of render(event, indent)) write(text);
    },
    line: write,
    pause() {
      if (tty) clear();
      paused = true;
    },
    resume() {
      paused = false;
      draw();
    },
    stop() {
      clearInterval(interval);
      if (tty) clear();
      running.clear();
    },
  };
}

/** A message of several lines (a step's last output lines) as one, continued under `indent`. */
export function continued(text: string, indent: string): string {
  return text.replace(/\n+$/, "").split("\n").join(`\n${indent}`);
}

/** The sub-runbook run a `run.waiting` event says its run waits for. */
export function childRunOf(event: RunEvent): string | undefined {
  if (event.type !== "run.waiting" || event.data.status !== "waiting_child") return undefined;
  const waiting = event.data.waiting as { runId?: unknown } | undefined;
  const id = event.data.childRunId ?? waiting?.runId;
  return typeof id === "string" ? id : undefined;
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
