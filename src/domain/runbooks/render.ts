import { ExpressionError, evaluateAst, parseTemplate, referencesOf, singleExpression, toText, type Scope } from "./expressions.js";
import type { Runbook, Step, StepKindName, StepSpec } from "./schema.js";

/**
 * Rendering a step: every template field of its spec (strings inside lists, mappings and the
 * HTTP body included) replaced by its value, so that what runs is exactly what the plan and
 * the audit show. `when` and `wait.until` are not rendered here: the executor evaluates them at
 * their moment (`until` on every poll, with `probe` in scope). A shell `script` is never
 * rendered: validation refuses `${{` in it, and params reach it as environment variables.
 */

/** A field that could not be rendered; `field` is relative to the step, e.g. `k8s.replicas`. */
export class RenderError extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${field}: ${reason}`, options);
    this.name = "RenderError";
  }
}

export interface RenderOptions {
  /**
   * Paths not known yet — a plan made before the run cannot know `steps.*.outputs`. An
   * expression reading one stays as written (`${{ steps.sessions.outputs.count }}`).
   */
  deferred?: (path: string[]) => boolean;
}

/** How each template field is used; the walker below calls one per field. */
interface Visitor {
  /** Written into text: an argv element, a URL, a message. */
  text(field: string, template: string): string;
  /** Keeps its type: a bound SQL param, a sub-runbook param. */
  value(field: string, template: string): unknown;
  number(field: string, template: string): number;
  boolean(field: string, template: string): boolean;
}

function mapRecord(field: string, record: Record<string, string> | undefined, v: Visitor): Record<string, string> | undefined {
  if (!record) return record;
  return Object.fromEntries(Object.entries(record).map(([k, t]) => [k, v.text(`${field}.${k}`, t)]));
}

/** Every string inside a JSON value is a template keeping its type, except at the fields `literal` names. */
function deep(field: string, value: unknown, v: Visitor, literal?: (field: string) => boolean): unknown {
  if (literal?.(field)) return value;
  if (typeof value === "string") return v.value(field, value);
  if (Array.isArray(value)) return value.map((item, i) => deep(`${field}.${i}`, item, v, literal));
  if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([k, item]) => [k, deep(`${field}.${k}`, item, v, literal)]));
  return value;
}

/** In a probe (a step body rendered whole), the fields that are never templates: shell code, SQL text, names. */
const probeLiterals = new Set(["wait.probe.shell.script", "wait.probe.sql.statement", "wait.probe.sql.target", "wait.probe.redis.target", "wait.probe.check"]);

const walkers: { [K in StepKindName]: (spec: StepSpec<K>, v: Visitor) => StepSpec<K> } = {
  shell(spec, v) {
    if (Array.isArray(spec)) return spec.map((a, i) => v.text(`shell.${i}`, a));
    const common = { env: mapRecord("shell.env", spec.env, v), cwd: spec.cwd === undefined ? undefined : v.text("shell.cwd", spec.cwd) };
    const rendered = "argv" in spec ? { ...spec, ...common, argv: spec.argv.map((a, i) => v.text(`shell.argv.${i}`, a)) } : { ...spec, ...common };
    return dropUndefined(rendered) as StepSpec<"shell">;
  },
  sql: (spec, v) => ({ ...spec, params: spec.params.map((p, i) => (typeof p === "string" ? v.value(`sql.params.${i}`, p) : p)) as StepSpec<"sql">["params"] }),
  redis: (spec, v) => ({ ...spec, command: spec.command.map((c, i) => v.text(`redis.command.${i}`, c)) }),
  http(spec, v) {
    const rendered = {
      ...spec,
      url: v.text("http.url", spec.url),
      headers: mapRecord("http.headers", spec.headers, v),
      body: spec.body === undefined ? undefined : deep("http.body", spec.body, v),
      expect: spec.expect?.json ? { ...spec.expect, json: deep("http.expect.json", spec.expect.json, v) as Record<string, unknown> } : spec.expect,
    };
    return dropUndefined(rendered) as StepSpec<"http">;
  },
  k8s(spec, v) {
    const text = (name: "namespace" | "resource" | "selector" | "container") => (spec[name] === undefined ? undefined : v.text(`k8s.${name}`, spec[name]));
    const rendered = {
      ...spec,
      namespace: text("namespace"),
      resource: text("resource"),
      selector: text("selector"),
      container: text("container"),
      replicas: typeof spec.replicas === "string" ? v.number("k8s.replicas", spec.replicas) : spec.replicas,
      revision: typeof spec.revision === "string" ? v.number("k8s.revision", spec.revision) : spec.revision,
      data: mapRecord("k8s.data", spec.data, v),
      command: spec.command?.map((c, i) => v.text(`k8s.command.${i}`, c)),
    };
    return dropUndefined(rendered) as StepSpec<"k8s">;
  },
  fleet(spec, v) {
    const text = (name: "server" | "region" | "message") => (spec[name] === undefined ? undefined : v.text(`fleet.${name}`, spec[name]));
    const rendered = {
      ...spec,
      server: text("server"),
      region: text("region"),
      message: text("message"),
      enabled: typeof spec.enabled === "string" ? v.boolean("fleet.enabled", spec.enabled) : spec.enabled,
      replicas: typeof spec.replicas === "string" ? v.number("fleet.replicas", spec.replicas) : spec.replicas,
    };
    return dropUndefined(rendered) as StepSpec<"fleet">;
  },
  check: (spec) => spec,
  wait: (spec, v) => ({ ...spec, probe: deep("wait.probe", spec.probe, v, (field) => probeLiterals.has(field)) as Record<string, unknown> }),
  approve: (spec, v) => ({ ...spec, prompt: v.text("approve.prompt", spec.prompt) }),
  notify: (spec, v) => ({ ...spec, text: v.text("notify.text", spec.text) }),
  backup(spec, v) {
    const text = (name: "set" | "components" | "target_db" | "to" | "namespace" | "approved_plan") => (spec[name] === undefined ? undefined : v.text(`backup.${name}`, spec[name]));
    const flag = (name: "deep" | "dry_run" | "overwrite") => (typeof spec[name] === "string" ? v.boolean(`backup.${name}`, spec[name]) : spec[name]);
    const rendered = {
      ...spec,
      set: text("set"),
      components: text("components"),
      target_db: text("target_db"),
      to: text("to"),
      namespace: text("namespace"),
      approved_plan: text("approved_plan"),
      deep: flag("deep"),
      dry_run: flag("dry_run"),
      overwrite: flag("overwrite"),
    };
    return dropUndefined(rendered) as StepSpec<"backup">;
  },
  db_maintenance: (spec, v) =>
    dropUndefined({
      ...spec,
      planned_at: spec.planned_at === undefined ? undefined : v.text("db_maintenance.planned_at", spec.planned_at),
      rebuild_big_tables: typeof spec.rebuild_big_tables === "string" ? v.boolean("db_maintenance.rebuild_big_tables", spec.rebuild_big_tables) : spec.rebuild_big_tables,
    }) as StepSpec<"db_maintenance">,
  runbook: (spec, v) => ({
    ...spec,
    params: Object.fromEntries(Object.entries(spec.params).map(([k, p]) => [k, typeof p === "string" ? v.value(`runbook.params.${k}`, p) : p])) as StepSpec<"runbook">["params"],
  }),
};

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function walk(step: Step, v: Visitor): Step {
  const spec = (walkers[step.kind] as (spec: unknown, v: Visitor) => unknown)(step.spec, v);
  const title = step.title === undefined ? {} : { title: v.text("title", step.title) };
  return { ...step, ...title, spec } as Step;
}

/**
 * Every template field of a step that renderStep renders, with its path relative to the step
 * (`title`, `shell.argv.2`, `http.body.reason`). `when` and `wait.until` are not among them.
 */
export function templateFields(step: Step): { field: string; template: string }[] {
  const found: { field: string; template: string }[] = [];
  const collect = (field: string, template: string) => {
    found.push({ field, template });
    return template as never;
  };
  walk(step, { text: collect, value: collect, number: collect, boolean: collect });
  return found;
}

/** The step with every template field rendered. Throws RenderError naming the field. */
export function renderStep(step: Step, scope: Scope, options: RenderOptions = {}): Step {
  const render = (field: string, template: string): { value: unknown; deferred: boolean } => {
    try {
      return renderTemplateDeferred(template, scope, options.deferred);
    } catch (error) {
      if (error instanceof ExpressionError) throw new RenderError(field, error.message, { cause: error });
      throw error;
    }
  };
  return walk(step, {
    text: (field, template) => {
      const r = render(field, template);
      return r.deferred ? (r.value as string) : toText(r.value);
    },
    value: (field, template) => render(field, template).value,
    number(field, template) {
      const r = render(field, template);
      if (r.deferred) return r.value as number;
      const n = typeof r.value === "string" && /^\s*\d+\s*$/.test(r.value) ? Number(r.value) : r.value;
      if (typeof n !== "number" || !Number.isInteger(n) || n < 0) throw new RenderError(field, `must render to a whole number (0 or more), not ${describeValue(r.value)}`);
      return n;
    },
    boolean(field, template) {
      const r = render(field, template);
      if (r.deferred) return r.value as boolean;
      if (typeof r.value === "boolean") return r.value;
      if (r.value === "true" || r.value === "on") return true;
      if (r.value === "false" || r.value === "off") return false;
      throw new RenderError(field, `must render to true or false (or on/off), not ${describeValue(r.value)}`);
    },
  });
}

/** Renders a template, leaving expressions that read a deferred path as written. */
function renderTemplateDeferred(template: string, scope: Scope, deferred?: (path: string[]) => boolean): { value: unknown; deferred: boolean } {
  const parts = parseTemplate(template);
  const isDeferred = (part: Exclude<(typeof parts)[number], string>) => deferred !== undefined && referencesOf(part.source).some(deferred);
  if (singleExpression(template)) {
    const only = parts.find((p) => typeof p !== "string")!;
    return isDeferred(only) ? { value: template, deferred: true } : { value: evaluateAst(only.ast, scope), deferred: false };
  }
  let text = "";
  let anyDeferred = false;
  for (const part of parts) {
    if (typeof part === "string") text += part;
    else if (isDeferred(part)) {
      text += part.source;
      anyDeferred = true;
    } else text += toText(evaluateAst(part.ast, scope));
  }
  return { value: text, deferred: anyDeferred };
}

/** The runbook's lock names, rendered (params only are known when locks are taken). */
export function renderLocks(runbook: Runbook, scope: Scope): string[] {
  return runbook.locks.map((lock, i) => {
    try {
      return toText(renderTemplateDeferred(lock, scope).value);
    } catch (error) {
      if (error instanceof ExpressionError) throw new RenderError(`locks.${i}`, error.message, { cause: error });
      throw error;
    }
  });
}

/** The values of the params marked `secret: true`, for redaction. */
export function secretsOf(runbook: Runbook, params: Record<string, unknown>): string[] {
  return Object.entries(runbook.params)
    .filter(([name, spec]) => spec.secret && params[name] !== undefined)
    .map(([name]) => toText(params[name]))
    .filter((s) => s !== "");
}

/**
 * Replaces every secret in the text with `<secret>`, longest first (so a secret holding a
 * shorter one is not half-revealed), also where JSON escaped it.
 */
export function redact(text: string, secrets: readonly string[]): string {
  const variants = new Set<string>();
  for (const secret of secrets) {
    if (secret === "") continue;
    variants.add(secret);
    variants.add(JSON.stringify(secret).slice(1, -1));
  }
  let result = text;
  for (const s of [...variants].sort((a, b) => b.length - a.length)) result = result.split(s).join("<secret>");
  return result;
}

/** A value named by its type only: rendered values may be secrets. */
function describeValue(value: unknown): string {
  if (value === undefined) return "nothing (an unknown name or a missing value)";
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "string") return value === "" ? "an empty string" : "other text";
  return typeof value === "object" ? "a mapping" : `a ${typeof value}`;
}
