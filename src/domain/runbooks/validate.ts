import type { z } from "zod";
import { closest } from "../../config/env.js";
import { ExpressionError, parseTemplate, referencesWithColumns, singleExpression } from "./expressions.js";
import { parseProbe } from "./probe.js";
import { RunbookError } from "./runbook-error.js";
import { templateFields } from "./render.js";
import type { ParamSpec, Runbook, Step } from "./schema.js";

/**
 * Cross-field rules a schema cannot express: step ids and references, expressions, sub-runbooks.
 * Issues carry a path into the runbook (`steps.2.shell.script`) so the loader can name the line.
 */

export interface ValidateOptions {
  /** Every runbook known (the catalogue), to check sub-runbook names, params and cycles. */
  runbooks?: ReadonlyMap<string, Runbook>;
}

type Issue = z.core.$ZodIssue;
type Section = "steps" | "rollback" | "finally";
const sections: Section[] = ["steps", "rollback", "finally"];
const roots = ["params", "steps", "run"];
const runFields = ["id", "failedStep", "startedBy"];

function issue(path: (string | number)[], message: string): Issue {
  return { code: "custom", path, message, input: undefined };
}

export function validateRunbook(runbook: Runbook, options: ValidateOptions = {}): Issue[] {
  const issues: Issue[] = [];
  issues.push(...checkParams(runbook));

  // Where each id is first defined, to refuse duplicates and tell earlier steps from later ones.
  const defined = new Map<string, { section: Section; index: number }>();
  for (const section of sections) {
    runbook[section].forEach((step, index) => {
      const first = defined.get(step.id);
      if (first) issues.push(issue([section, index, "id"], `duplicate step id "${step.id}"; ${first.section}.${first.index} has it already (ids are unique across steps, rollback and finally)`));
      else defined.set(step.id, { section, index });
    });
  }
  const allIds = [...defined.keys()];

  // A step may read the steps that can have run before it: earlier ones in its own section, and
  // every step of the sections before (rollback runs after steps; finally after both).
  const readable = (id: string, section: Section, index: number): "ok" | "self" | "later" | "unknown" => {
    const at = defined.get(id);
    if (!at) return "unknown";
    const order = sections.indexOf(at.section) - sections.indexOf(section);
    if (order < 0) return "ok";
    if (order > 0) return "later";
    return at.index < index ? "ok" : at.index === index ? "self" : "later";
  };

  const checkTemplate = (path: (string | number)[], template: string, context: { section?: Section; index?: number; probe?: boolean; only?: "start" }) => {
    let references: { path: string[]; column: number }[];
    try {
      parseTemplate(template);
      references = referencesWithColumns(template);
    } catch (error) {
      if (error instanceof ExpressionError) {
        issues.push(issue(path, error.message));
        return;
      }
      throw error;
    }
    for (const ref of references) {
      const message = checkReference(ref.path, context);
      if (message) issues.push(issue(path, `${message} (column ${ref.column})`));
    }
  };

  const checkReference = (ref: string[], context: { section?: Section; index?: number; probe?: boolean; only?: "start" }): string | undefined => {
    const [root, name, field] = ref;
    const dotted = ref.join(".");
    if (root === "params") {
      if (name === undefined) return undefined;
      if (Object.hasOwn(runbook.params, name)) return undefined;
      const declared = Object.keys(runbook.params);
      const suggestion = closest(name, declared);
      return `"${dotted}": the runbook has no param "${name}"${suggestion ? ` — did you mean "${suggestion}"?` : ""}${declared.length ? ` (params: ${declared.join(", ")})` : "; declare it under params:"}`;
    }
    if (root === "run") {
      if (name === undefined || runFields.includes(name)) {
        if (context.only === "start" && name !== "id" && name !== "startedBy" && name !== undefined) return `"${dotted}" is not known when the run starts; locks may read params, run.id and run.startedBy`;
        return undefined;
      }
      const suggestion = closest(name, runFields);
      return `"${dotted}": run has ${runFields.join(", ")}${suggestion ? ` — did you mean "run.${suggestion}"?` : ""}`;
    }
    if (root === "probe") {
      return context.probe ? undefined : `"${dotted}": probe is known only inside wait.until`;
    }
    if (root === "steps") {
      if (context.only === "start") return `"${dotted}": no step has run when the run starts; locks may read params, run.id and run.startedBy`;
      if (name === undefined) return `"steps" needs a step id, like steps.sessions.outputs.count`;
      const state = readable(name, context.section!, context.index!);
      if (state === "unknown") {
        const suggestion = closest(name, allIds);
        return `"${dotted}": no step has the id "${name}"${suggestion ? ` — did you mean "${suggestion}"?` : ""}`;
      }
      if (state === "self") return `"${dotted}": a step cannot read its own outputs or status`;
      if (state === "later") return `"${dotted}": step "${name}" runs later; a step can read only the steps before it`;
      if (field !== undefined && field !== "outputs" && field !== "status") {
        return `"${dotted}": a step has only .outputs and .status${closest(field, ["outputs", "status"]) ? ` — did you mean "steps.${name}.${closest(field, ["outputs", "status"])}"?` : ""}`;
      }
      return undefined;
    }
    const names = context.probe ? [...roots, "probe"] : roots;
    const suggestion = closest(root!, names);
    return `"${dotted}": unknown name "${root}"${suggestion ? ` — did you mean "${suggestion}"?` : ""} (names: ${names.join(", ")})`;
  };

  runbook.locks.forEach((lock, i) => checkTemplate(["locks", i], lock, { only: "start" }));

  for (const section of sections) {
    runbook[section].forEach((step, index) => {
      const at = (...rest: (string | number)[]) => [section, index, ...rest];
      const context = { section, index };
      for (const { field, template } of templateFields(step)) checkTemplate(at(...field.split(".")), template, context);
      if (step.when !== undefined) checkSingle(at("when"), step.when, context, `like "\${{ params.force == true }}"`);
      if (section !== "steps" && step.on_failure === "rollback") {
        issues.push(issue(at("on_failure"), `"rollback" has no meaning inside ${section}; use abort or continue`));
      }
      checkKind(step, at, context);
      checkLiterals(step, at);
    });
  }

  /** `${{` in a field that is not a template would be taken literally: say so rather than run it. */
  function checkLiterals(step: Step, at: (...rest: (string | number)[]) => (string | number)[]) {
    const templates = new Set(templateFields(step).map((f) => f.field));
    // Checked by their own rules above.
    for (const f of ["when", "wait.until", "shell.script", "sql.statement", "wait.probe.shell.script", "wait.probe.sql.statement"]) templates.add(f);
    const visit = (field: string, value: unknown) => {
      if (typeof value === "string") {
        if (value.includes("${{") && !templates.has(field)) {
          issues.push(issue(at(...field.split(".")), `expressions are not allowed here: \${{ … }} would be taken literally (docs/runbooks.md lists the fields that take them)`));
        }
      } else if (Array.isArray(value)) value.forEach((item, i) => visit(`${field}.${i}`, item));
      else if (typeof value === "object" && value !== null) for (const [k, item] of Object.entries(value)) visit(field ? `${field}.${k}` : k, item);
    };
    const { kind, spec, ...common } = step;
    visit("", common);
    visit(kind, spec);
  }

  function checkSingle(path: (string | number)[], template: string, context: Parameters<typeof checkTemplate>[2], example: string) {
    const before = issues.length;
    checkTemplate(path, template, context);
    if (issues.length === before && !singleExpression(template)) issues.push(issue(path, `must be one expression, ${example}, with no text around it`));
  }

  function checkKind(step: Step, at: (...rest: (string | number)[]) => (string | number)[], context: { section: Section; index: number }, inProbe = false) {
    switch (step.kind) {
      case "shell": {
        const argv = Array.isArray(step.spec) ? step.spec : "argv" in step.spec ? step.spec.argv : undefined;
        const code = argv && shellCodeWithExpression(argv);
        if (code !== undefined) issues.push(issue(at("shell", ...(Array.isArray(step.spec) ? [] : ["argv"]), code), shellCodeMessage));
        if (!Array.isArray(step.spec) && "script" in step.spec && step.spec.script.includes("${{")) {
          issues.push(
            issue(
              at("shell", "script"),
              `a script may not contain \${{ … }}: the value would become shell code; pass it through env (env: { REGION: "\${{ params.region }}" }) and use "$REGION", or write the step as argv`,
            ),
          );
        }
        break;
      }
      case "k8s": {
        const code = step.spec.command && shellCodeWithExpression(step.spec.command);
        if (code !== undefined) issues.push(issue(at("k8s", "command", code), shellCodeMessage));
        break;
      }
      case "sql":
        if (step.spec.statement.includes("${{")) {
          issues.push(issue(at("sql", "statement"), `a statement may not contain \${{ … }}: the value would become SQL; write ? and put the value in params: ["\${{ params.id }}"]`));
        }
        break;
      case "approve":
        if (context.section === "finally") issues.push(issue(at("approve"), "an approval cannot be inside finally, which must run to its end unattended; move it to steps"));
        break;
      case "wait": {
        checkSingle(at("wait", "until"), step.spec.until, { ...context, probe: true }, `like "\${{ probe.count == 0 }}"`);
        const probe = parseProbe(step.spec.probe, step.id);
        if (probe.issues) for (const i of probe.issues) issues.push({ ...i, path: [...at("wait", "probe"), ...i.path] });
        else if (!inProbe) checkKind(probe.step, (...rest) => at("wait", "probe", ...rest), context, true);
        break;
      }
      case "runbook":
        checkCall(step, at);
        break;
      default:
        break;
    }
  }

  function checkCall(step: Extract<Step, { kind: "runbook" }>, at: (...rest: (string | number)[]) => (string | number)[]) {
    const known = options.runbooks;
    if (!known) return;
    const name = step.spec.name;
    const callee = name === runbook.name ? runbook : known.get(name);
    if (!callee) {
      const suggestion = closest(name, [...known.keys()]);
      issues.push(issue(at("runbook", "name"), `unknown runbook "${name}"${suggestion ? ` — did you mean "${suggestion}"?` : ""} (\`gameops runbook list\` shows them)`));
      return;
    }
    const cycle = findCycle(runbook, name, known);
    if (cycle) {
      issues.push(issue(at("runbook", "name"), `sub-runbook cycle: ${cycle.join(" → ")}; a runbook may not call itself, directly or through others`));
      return;
    }
    const declared = Object.keys(callee.params);
    for (const key of Object.keys(step.spec.params)) {
      if (declared.includes(key)) continue;
      const suggestion = closest(key, declared);
      issues.push(issue(at("runbook", "params", key), `${name} has no param "${key}"${suggestion ? ` — did you mean "${suggestion}"?` : ""}${declared.length ? ` (params: ${declared.join(", ")})` : ""}`));
    }
    for (const [key, spec] of Object.entries(callee.params)) {
      if (spec.default === undefined && !Object.hasOwn(step.spec.params, key)) {
        issues.push(issue(at("runbook", "params"), `${name} needs param "${key}" (${spec.type}), which has no default`));
      }
    }
  }

  return issues;
}

const shellCodeMessage = `puts \${{ … }} into shell code (sh -c): the value could become a command; pass it as an argument after the code instead, e.g. [sh, -c, 'kill -3 "$1"', sh, "\${{ params.pid }}"]`;

/** The index of a `sh -c CODE` argument holding an expression: argv would splice the value into shell code after all. */
function shellCodeWithExpression(argv: readonly string[]): number | undefined {
  const program = argv[0]?.split("/").pop() ?? "";
  if (!["sh", "bash", "dash", "zsh", "ksh", "ash"].includes(program)) return undefined;
  const flag = argv.findIndex((a, i) => i > 0 && /^-[a-z]*c[a-z]*$/.test(a));
  if (flag < 0 || argv[flag + 1] === undefined || !argv[flag + 1]!.includes("${{")) return undefined;
  return flag + 1;
}

/** The first cycle reached by calling `name` from `from`, as a list of names ending where it began. */
function findCycle(from: Runbook, name: string, known: ReadonlyMap<string, Runbook>): string[] | undefined {
  const done = new Set<string>();
  const visit = (current: string, path: string[]): string[] | undefined => {
    if (path.includes(current)) return [...path, current];
    if (done.has(current)) return undefined;
    const book = current === from.name ? from : known.get(current);
    if (!book) return undefined;
    for (const section of sections) {
      for (const step of book[section]) {
        if (step.kind !== "runbook") continue;
        const cycle = visit(step.spec.name, [...path, current]);
        if (cycle) return cycle;
      }
    }
    done.add(current);
    return undefined;
  };
  return visit(name, [from.name]);
}

function checkParams(runbook: Runbook): Issue[] {
  const issues: Issue[] = [];
  for (const [name, spec] of Object.entries(runbook.params)) {
    const at = (...rest: string[]) => ["params", name, ...rest];
    if (spec.values) {
      spec.values.forEach((value, i) => {
        if (typeOf(value) !== spec.type) issues.push(issue(["params", name, "values", i], `must be a ${spec.type}, like the param`));
      });
    }
    if (spec.default !== undefined) {
      if (typeOf(spec.default) !== spec.type) issues.push(issue(at("default"), `must be a ${spec.type}, like the param (type: ${spec.type})`));
      else if (spec.values && !spec.values.includes(spec.default as string | number)) issues.push(issue(at("default"), `must be one of the values: ${spec.values.join(", ")}`));
      if (spec.secret) issues.push(issue(at("default"), "a secret param may not have a default: the secret would sit in the runbook in clear"));
    }
  }
  return issues;
}

function typeOf(value: unknown): ParamSpec["type"] | "other" {
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean" ? typeof value as ParamSpec["type"] : "other";
}

// ── params given at run time ─────────────────────────────────────────────────────────────────

export type ParamValue = string | number | boolean;

/**
 * Types and checks the params given to a run (`--param k=v`, or JSON from the API) against the
 * runbook's declarations and fills in defaults. Throws ParamsError listing every problem.
 * Values of secret params never appear in a message.
 */
export function resolveParams(runbook: Runbook, given: Readonly<Record<string, ParamValue>>): Record<string, ParamValue> {
  const problems: string[] = [];
  const resolved: Record<string, ParamValue> = {};
  const declared = Object.keys(runbook.params);
  for (const name of Object.keys(given)) {
    if (Object.hasOwn(runbook.params, name)) continue;
    const suggestion = closest(name, declared);
    problems.push(
      `unknown param "${name}"${suggestion ? ` — did you mean "${suggestion}"?` : ""}${declared.length ? ` (${runbook.name} takes ${declared.join(", ")})` : ` (${runbook.name} takes no params)`}`,
    );
  }
  for (const [name, spec] of Object.entries(runbook.params)) {
    const raw = Object.hasOwn(given, name) ? given[name] : undefined;
    if (raw === undefined) {
      if (spec.default !== undefined) resolved[name] = spec.default;
      else problems.push(`missing param "${name}" (${spec.type}${spec.values ? `: ${spec.values.join(", ")}` : ""}): pass --param ${name}=…${spec.description ? ` (${spec.description})` : ""}`);
      continue;
    }
    const shown = spec.secret ? "" : `, not ${JSON.stringify(raw)}`;
    const value = convert(raw, spec.type);
    if (value === undefined) {
      problems.push(`param "${name}" must be ${spec.type === "boolean" ? "true or false" : `a ${spec.type}`}${shown}`);
      continue;
    }
    if (spec.values && !spec.values.includes(value as string | number)) {
      problems.push(`param "${name}" must be one of ${spec.values.join(", ")}${shown}`);
      continue;
    }
    resolved[name] = value;
  }
  if (problems.length > 0) throw new ParamsError(problems);
  return resolved;
}

function convert(raw: ParamValue, type: ParamSpec["type"]): ParamValue | undefined {
  if (typeof raw === type) return raw;
  if (typeof raw !== "string") return type === "string" ? String(raw) : undefined;
  if (type === "number") return /^\s*-?\d+(\.\d+)?\s*$/.test(raw) ? Number(raw) : undefined;
  if (type === "boolean") return raw === "true" ? true : raw === "false" ? false : undefined;
  return raw;
}

/** Params given to a run that do not fit the runbook; each issue says which and the fix. */
export class ParamsError extends RunbookError {
  constructor(issues: string[]) {
    super(issues);
    this.message = `invalid params:\n${issues.map((i) => `  - ${i}`).join("\n")}`;
    this.name = "ParamsError";
  }
}
