import { formatDuration } from "../../config/duration.js";
import { ExpressionError, evaluateAst, referencesOf, singleExpression, toText, type Scope } from "./expressions.js";
import { parseProbe } from "./probe.js";
import { RenderError, redact, renderLocks, renderStep, secretsOf } from "./render.js";
import type { Runbook, Step, StepKindName, StepSpec } from "./schema.js";

/**
 * The dry-run plan: every step of steps, rollback and finally with its rendered action, target,
 * whether it changes something, its approval gate and its condition — computed from the
 * runbook and the params alone, touching nothing. Secrets are redacted throughout.
 */

/** What a step will do; the same shape as the engine's RenderedAction, which a step kind's describe() returns. */
export interface ActionDescription {
  summary: string;
  detail?: Record<string, unknown>;
  target?: string;
  destructive: boolean;
}

/** Describes a step whose kind is a StepKind (shell, sql, redis, http, k8s, fleet, notify); the plan describes the others itself. */
export type Describe = (step: Step) => ActionDescription;

export type Section = "steps" | "rollback" | "finally";

export interface PlannedStep {
  section: Section;
  /** 1-based position in its section. */
  number: number;
  id: string;
  title?: string;
  kind: StepKindName;
  action: ActionDescription;
  destructive: boolean;
  /** The `when` condition: what it decides now, or that only the run can decide. */
  when?: { expression: string; decision: "runs" | "skipped" | "decided at run time" };
  approval?: { prompt: string; approvers: string[]; selfApproval: boolean; timeout?: number; onTimeout: "abort" | "continue" };
  timeout?: number;
  retries?: { attempts: number; backoff: number; factor: number };
  onFailure: "abort" | "continue" | "rollback";
  idempotent: boolean;
  /** A sub-runbook's own plan, when the runbook is known. */
  runbook?: Plan;
  /** Why the step could not be rendered now (the run will fail there unless something changes). */
  error?: string;
}

export interface Plan {
  runbook: { name: string; title: string; runtime?: string; description?: string };
  /** The params as the run will see them, secrets shown as `<secret>`. */
  params: Record<string, unknown>;
  locks: string[];
  lockWait: "fail" | number;
  steps: PlannedStep[];
  rollback: PlannedStep[];
  finally: PlannedStep[];
}

export interface PlanOptions {
  /** Who would start the run: known to expressions as run.startedBy. */
  startedBy?: string;
  /** Runbooks that `runbook` steps call, to plan them too. */
  runbooks?: ReadonlyMap<string, Runbook>;
  /** More values to redact: configured passwords. */
  secrets?: string[];
}

const sections: Section[] = ["steps", "rollback", "finally"];

/** Not known before the run: step results, the run id, the failed step, a probe's outputs. */
function deferred(startedBy: string | undefined) {
  return (path: string[]) => {
    const [root, name] = path;
    if (root === "steps" || root === "probe") return true;
    if (root === "run") return !(name === "startedBy" && startedBy !== undefined);
    return false;
  };
}

export function planRun(runbook: Runbook, params: Record<string, unknown>, describe: Describe, options: PlanOptions = {}): Plan {
  return plan(runbook, params, describe, options, [runbook.name]);
}

function plan(runbook: Runbook, params: Record<string, unknown>, describe: Describe, options: PlanOptions, calling: string[]): Plan {
  const secrets = [...secretsOf(runbook, params), ...(options.secrets ?? [])];
  const scope: Scope = { params, run: options.startedBy === undefined ? {} : { startedBy: options.startedBy } };
  const isDeferred = deferred(options.startedBy);
  const hide = <T>(value: T): T => redactDeep(value, secrets);

  const planStep = (section: Section, step: Step, index: number): PlannedStep => {
    const planned: PlannedStep = {
      section,
      number: index + 1,
      id: step.id,
      ...(step.title === undefined ? {} : { title: step.title }),
      kind: step.kind,
      action: { summary: "", destructive: false },
      destructive: false,
      onFailure: step.on_failure,
      idempotent: step.idempotent ?? false,
      ...(step.timeout === undefined ? {} : { timeout: step.timeout }),
      ...(step.retries === undefined ? {} : { retries: step.retries }),
    };
    if (step.when !== undefined) planned.when = { expression: step.when, decision: decide(step.when, scope, isDeferred) };
    let rendered: Step;
    try {
      rendered = renderStep(step, scope, { deferred: isDeferred });
    } catch (error) {
      if (!(error instanceof RenderError)) throw error;
      planned.error = error.message;
      planned.action = { summary: `(cannot render: ${error.message})`, destructive: step.destructive ?? false };
      planned.destructive = planned.action.destructive;
      return hide(planned);
    }
    if (rendered.title !== undefined) planned.title = rendered.title;
    planned.action = describeStep(rendered, describe, options, calling, planned);
    planned.destructive = step.destructive ?? planned.action.destructive;
    return hide(planned);
  };

  let locks: string[];
  try {
    locks = renderLocks(runbook, scope);
  } catch (error) {
    if (!(error instanceof RenderError)) throw error;
    locks = runbook.locks;
  }
  const shownParams = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, runbook.params[k]?.secret ? "<secret>" : v]));
  return {
    runbook: {
      name: runbook.name,
      title: runbook.title,
      ...(runbook.runtime ? { runtime: runbook.runtime } : {}),
      ...(runbook.description ? { description: runbook.description } : {}),
    },
    params: hide(shownParams),
    locks: hide(locks),
    lockWait: runbook.lock_wait,
    steps: runbook.steps.map((s, i) => planStep("steps", s, i)),
    rollback: runbook.rollback.map((s, i) => planStep("rollback", s, i)),
    finally: runbook.finally.map((s, i) => planStep("finally", s, i)),
  };
}

function decide(when: string, scope: Scope, isDeferred: (path: string[]) => boolean): "runs" | "skipped" | "decided at run time" {
  const ast = singleExpression(when);
  if (!ast || referencesOf(when).some(isDeferred)) return "decided at run time";
  try {
    const value = evaluateAst(ast, scope);
    return value === false || value === null || value === undefined || value === 0 || value === "" ? "skipped" : "runs";
  } catch (error) {
    if (error instanceof ExpressionError) return "decided at run time";
    throw error;
  }
}

/** The executor's own kinds are described here; the StepKinds' through `describe`. */
function describeStep(step: Step, describe: Describe, options: PlanOptions, calling: string[], planned: PlannedStep): ActionDescription {
  switch (step.kind) {
    case "approve": {
      const s = step.spec;
      planned.approval = {
        prompt: s.prompt,
        approvers: s.approvers,
        selfApproval: s.self_approval,
        ...(s.timeout === undefined ? {} : { timeout: s.timeout }),
        onTimeout: s.on_timeout,
      };
      return { summary: `approval: "${s.prompt}"`, destructive: false };
    }
    case "check":
      return describeCheck(step.spec);
    case "wait": {
      const s = step.spec;
      const probe = parseProbe(s.probe, step.id);
      const probeAction = !probe.step ? { summary: "(invalid probe)", destructive: false } : probe.step.kind === "check" ? describeCheck(probe.step.spec) : describe(probe.step);
      return {
        summary: `wait until ${s.until}, probing every ${formatDuration(s.every)} for at most ${formatDuration(s.deadline)}: ${probeAction.summary}`,
        ...(probeAction.target === undefined ? {} : { target: probeAction.target }),
        detail: { until: s.until, every: s.every, deadline: s.deadline, probe: probeAction },
        destructive: false,
      };
    }
    case "runbook": {
      const s = step.spec;
      const args = Object.entries(s.params).map(([k, v]) => `${k}=${toText(v)}`);
      const summary = `run runbook ${s.name}${args.length ? ` with ${args.join(" ")}` : ""}`;
      const callee = options.runbooks?.get(s.name);
      // A sub-runbook is planned with the params it would get; a cycle was refused by validation, but a plan never loops.
      if (!callee || calling.includes(s.name)) return { summary, destructive: false };
      const calleeParams: Record<string, unknown> = {};
      for (const [name, spec] of Object.entries(callee.params)) {
        const value = Object.hasOwn(s.params, name) ? s.params[name] : spec.default;
        if (value !== undefined) calleeParams[name] = value;
      }
      planned.runbook = plan(callee, calleeParams, describe, { ...options, secrets: [...(options.secrets ?? []), ...secretsOf(callee, calleeParams)] }, [...calling, s.name]);
      const destructive = sections.some((section) => planned.runbook![section].some((p) => p.destructive));
      return { summary, destructive };
    }
    default:
      return describe(step);
  }
}

function describeCheck(spec: StepSpec<"check">): ActionDescription {
  return { summary: `run health checks: ${spec.only?.join(", ") ?? "all"}; fails at ${spec.fail_on}`, target: "health checks", destructive: false };
}

function redactDeep<T>(value: T, secrets: readonly string[]): T {
  if (secrets.length === 0) return value;
  if (typeof value === "string") return redact(value, secrets) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, secrets)) as T;
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v, secrets)])) as T;
  }
  return value;
}

// ── terminal text ──────────────────────────────────────────────────────────────────────────

const sectionTitles: Record<Section, string> = {
  steps: "steps",
  rollback: "rollback (when a step with on_failure: rollback fails)",
  finally: "finally (at the end, whatever happened)",
};

/** The plan as terminal text: one block per step, destructive steps and approval gates marked. */
export function formatPlan(plan: Plan, indent = ""): string {
  const lines: string[] = [];
  const { runbook } = plan;
  if (!indent) {
    lines.push(`Plan for ${runbook.name} — ${runbook.title}${runbook.runtime ? ` (runtime: ${runbook.runtime})` : ""}`);
    lines.push("Dry run: nothing has been touched.");
  }
  const params = Object.entries(plan.params);
  if (params.length) lines.push(`${indent}params: ${params.map(([k, v]) => `${k}=${toText(v)}`).join(" ")}`);
  if (plan.locks.length) lines.push(`${indent}locks: ${plan.locks.join(", ")} (${plan.lockWait === "fail" ? "fail at once if another run holds one" : `wait up to ${formatDuration(plan.lockWait)} for another run to release`})`);
  for (const section of sections) {
    if (plan[section].length === 0) continue;
    lines.push("", `${indent}${sectionTitles[section]}:`);
    for (const step of plan[section]) lines.push(...formatStep(step, `${indent}  `));
  }
  return lines.join("\n");
}

function formatStep(step: PlannedStep, indent: string): string[] {
  const pad = `${indent}   `;
  const marks = [step.destructive ? "DESTRUCTIVE" : "", step.approval ? "APPROVAL GATE" : ""].filter(Boolean);
  const lines = [`${indent}${step.number}. ${step.id}${step.title ? ` — ${step.title}` : ""} [${step.kind}]${marks.length ? `  ${marks.join(", ")}` : ""}`];
  lines.push(`${pad}${step.action.summary}`);
  if (step.action.target) lines.push(`${pad}target: ${step.action.target}`);
  if (step.when) lines.push(`${pad}when ${step.when.expression}: ${step.when.decision}`);
  if (step.approval) {
    const a = step.approval;
    const who = `${a.approvers.join(", ")}${a.selfApproval ? "" : "; not the person who started the run"}`;
    lines.push(`${pad}approvers: ${who}`);
    if (a.timeout !== undefined) lines.push(`${pad}no answer in ${formatDuration(a.timeout)}: ${a.onTimeout === "abort" ? "the run aborts" : "the run goes on"}`);
  }
  const facts = [
    step.timeout === undefined ? "" : `timeout ${formatDuration(step.timeout)}`,
    step.retries ? `${step.retries.attempts} attempts, backoff ${formatDuration(step.retries.backoff)} ×${step.retries.factor}` : "",
    step.onFailure === "abort" ? "" : `on failure: ${step.onFailure}`,
    step.idempotent ? "idempotent" : "",
  ].filter(Boolean);
  if (facts.length) lines.push(`${pad}${facts.join(" · ")}`);
  if (step.runbook) lines.push(formatPlan(step.runbook, `${pad}  `));
  return lines;
}
