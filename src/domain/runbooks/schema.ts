import { z } from "zod";
import { closest } from "../../config/env.js";
import { duration } from "../../config/fields.js";

/**
 * The runbook format (version 1). Stable once shipped: a change that would make an existing
 * runbook invalid or mean something else needs a new `version`.
 *
 * Strings may hold expressions `${{ … }}` (see expressions.ts). Where a field is marked
 * "template", it is rendered before the step runs and the rendered value is what the dry-run
 * plan and the audit record show.
 */

const slug = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, "must be lower-case letters, digits and '-', starting with a letter, like restart-fleet");

const stepId = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,62}$/, "must be lower-case letters, digits and '_', starting with a letter, like check_sessions");

/** A template string: literal text with `${{ expression }}` parts. */
const template = z.string();
const templateRecord = z.record(z.string(), template);

export const paramSchema = z.strictObject({
  type: z.enum(["string", "number", "boolean"]).default("string"),
  description: z.string().optional(),
  default: z.union([z.string(), z.number(), z.boolean()]).optional(),
  /** Allowed values: the param is an enum. */
  values: z.array(z.union([z.string(), z.number()])).min(1).optional(),
  /** Treated as a secret: redacted in the plan, audit and output. */
  secret: z.boolean().default(false),
});
export type ParamSpec = z.output<typeof paramSchema>;

export const retriesSchema = z.strictObject({
  attempts: z.number().int().min(1).max(100),
  backoff: duration.default(1000),
  /** Each retry waits backoff × factor^n. */
  factor: z.number().min(1).max(10).default(2),
});

// ── step kinds ─────────────────────────────────────────────────────────────────────────────

/**
 * `shell`: an argv array run without a shell, so a param can never become a second command.
 * `script` runs through /bin/sh only when written that way; params then reach it as
 * environment variables (GAMEOPS_PARAM_<NAME>), and the script text itself may not hold
 * expressions.
 */
export const shellSpec = z.union([
  z.array(template).min(1, "needs at least the program, e.g. [kubectl, get, pods]"),
  z.strictObject({
    argv: z.array(template).min(1),
    env: templateRecord.optional(),
    cwd: template.optional(),
  }),
  z.strictObject({
    script: z.string().min(1),
    shell: z.literal(true, { error: "a script runs through /bin/sh only with `shell: true`; otherwise use argv" }),
    env: templateRecord.optional(),
    cwd: template.optional(),
  }),
]);

const countExpectation = z.strictObject({ min: z.number().int().min(0).optional(), max: z.number().int().min(0).optional() });

export const sqlSpec = z.strictObject({
  /** A configured target; `mysql` by default. */
  target: z.string().default("mysql"),
  statement: z.string().min(1),
  /**
   * Bound to the statement's `?` placeholders, never spliced into it. Templates in the file; once
   * rendered a value keeps its type (an id stays a number), which a wait's probe is checked with.
   */
  params: z.array(z.union([template, z.number(), z.boolean(), z.null()])).default([]),
  expect: z.strictObject({ rows: countExpectation.optional(), affected: countExpectation.optional() }).optional(),
});

export const redisSpec = z.strictObject({
  target: z.string().default("redis"),
  command: z.array(template).min(1, "needs the command, e.g. [INFO, memory]"),
});

export const httpSpec = z.strictObject({
  method: z.enum(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]).default("GET"),
  url: template,
  headers: templateRecord.optional(),
  /** JSON body; strings inside are templates. */
  body: z.unknown().optional(),
  expect: z
    .strictObject({
      status: z.union([z.number().int(), z.array(z.number().int())]).optional(),
      /** JSON paths (dot notation) and the values they must have. */
      json: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
});

export const k8sActions = ["scale", "rollout-restart", "rollout-status", "rollout-undo", "patch-configmap", "get-pods", "logs", "exec", "top"] as const;
export const k8sSpec = z.strictObject({
  action: z.enum(k8sActions),
  namespace: template.optional(),
  /** deployment/NAME, configmap/NAME, pod/NAME … as the action needs. */
  resource: template.optional(),
  selector: template.optional(),
  replicas: z.union([z.number().int().min(0), template]).optional(),
  /** patch-configmap: keys to set in `data`. */
  data: templateRecord.optional(),
  container: template.optional(),
  command: z.array(template).optional(),
  since: duration.optional(),
  /** rollout-undo: revision to go back to; the previous one when absent or 0 (kubectl's --to-revision=0). */
  revision: z.union([z.number().int().min(0), template]).optional(),
});

export const fleetActions = ["status", "sessions", "maintenance", "accept-sessions", "broadcast", "restart", "drain", "inject", "profile", "heap-snapshot", "scale"] as const;
export const fleetSpec = z.strictObject({
  action: z.enum(fleetActions),
  /** Which servers: all by default; a server id or a region. */
  server: template.optional(),
  region: template.optional(),
  /** maintenance / accept-sessions: on or off. */
  enabled: z.union([z.boolean(), template]).optional(),
  message: template.optional(),
  /** inject: cpu-burn | memory-growth | errors. */
  fault: z.enum(["cpu-burn", "memory-growth", "errors", "none"]).optional(),
  /** profile / inject: how long; drain: how long to wait for the sessions to end. */
  duration: duration.optional(),
  /** scale: how many servers the fleet should have. */
  replicas: z.union([z.number().int().min(0), template]).optional(),
});

const flag = z.union([z.boolean(), template]);

/**
 * `backup`: takes, verifies, prunes and restores backup sets (engine/backups). A restore is two
 * steps around an approval: `restore-plan` (verifies the set, changes nothing, outputs the plan
 * and its digest) and `restore` with `approved_plan` set to that digest, which refuses to run a
 * plan that changed since.
 */
export const backupActions = ["backup", "verify", "prune", "restore-plan", "restore"] as const;
export const backupSpec = z.strictObject({
  action: z.enum(backupActions),
  /** verify, restore-plan, restore: the set's id; `latest` for the newest set (verify) or the newest verified one (restore). */
  set: template.optional(),
  /** backup, restore-plan, restore: a comma list (mysql,redis,kubernetes,files); empty for all. */
  components: template.optional(),
  deep: flag.optional(),
  dry_run: flag.optional(),
  target_db: template.optional(),
  overwrite: flag.optional(),
  to: template.optional(),
  namespace: template.optional(),
  approved_plan: template.optional(),
});

/** `db_maintenance`: `plan` lists every statement (the dry-run); `apply` runs the plan made at `planned_at`. */
export const dbMaintenanceSpec = z.strictObject({
  action: z.enum(["plan", "apply"]),
  /** apply: the plan step's `at` output, so the cutoffs and partition names are the ones approved. */
  planned_at: template.optional(),
  rebuild_big_tables: flag.optional(),
});

export const checkSpec = z.strictObject({
  only: z.array(z.string()).optional(),
  /** The verdict at which the step fails: critical by default. */
  fail_on: z.enum(["warning", "critical", "unknown"]).default("critical"),
});

/** The seed's `sleep 300` done right: poll a probe until a condition holds or the deadline passes. */
export const waitSpec = z.strictObject({
  /** An expression over `probe` (the probe step's outputs), e.g. `${{ probe.count == 0 }}`. */
  until: template,
  every: duration.default(5000),
  deadline: duration,
  /**
   * A step body whose outputs are `probe`: it only reads, since it runs on every poll — shell,
   * sql, redis, http, check, k8s (rollout-status, get-pods, logs, top) or fleet (status,
   * sessions). See probe.ts.
   */
  probe: z.record(z.string(), z.unknown()),
});

export const approveSpec = z.strictObject({
  prompt: template,
  /** Roles (operator, admin), titles (lead, director), team ids or person ids, any of which may approve. */
  approvers: z.array(z.string().min(1)).min(1, "name who may approve: a role, title, team or person"),
  /** The one who started the run may approve only when this says so. */
  self_approval: z.boolean().default(false),
  timeout: duration.optional(),
  /** What a timeout does: abort the run (default) or go on. */
  on_timeout: z.enum(["abort", "continue"]).default("abort"),
});

export const notifySpec = z.strictObject({
  channel: z.string().min(1),
  text: template,
});

export const runbookCallSpec = z.strictObject({
  name: slug,
  params: z.record(z.string(), z.union([template, z.number(), z.boolean()])).default({}),
});

export const stepKinds = {
  shell: shellSpec,
  sql: sqlSpec,
  redis: redisSpec,
  http: httpSpec,
  k8s: k8sSpec,
  fleet: fleetSpec,
  check: checkSpec,
  wait: waitSpec,
  approve: approveSpec,
  notify: notifySpec,
  runbook: runbookCallSpec,
  backup: backupSpec,
  db_maintenance: dbMaintenanceSpec,
} as const;
export type StepKindName = keyof typeof stepKinds;
export const stepKindNames = Object.keys(stepKinds) as StepKindName[];

export type StepSpec<K extends StepKindName = StepKindName> = z.output<(typeof stepKinds)[K]>;

// ── steps ──────────────────────────────────────────────────────────────────────────────────

export const stepCommon = {
  id: stepId,
  title: z.string().optional(),
  timeout: duration.optional(),
  retries: retriesSchema.optional(),
  /** An expression; the step is skipped when it is false. */
  when: template.optional(),
  on_failure: z.enum(["abort", "continue", "rollback"]).default("abort"),
  /**
   * Safe to run again after a crash interrupted it. Without this, an interrupted step waits for
   * a person to decide (retry, skip or fail) with the evidence shown.
   */
  idempotent: z.boolean().optional(),
  /** Shown in the plan: this step changes something. Guessed from the kind when absent. */
  destructive: z.boolean().optional(),
};

/** One parsed step: the common fields, the kind, and its spec. */
export type Step = {
  [K in StepKindName]: {
    id: string;
    title?: string;
    timeout?: number;
    retries?: z.output<typeof retriesSchema>;
    when?: string;
    on_failure: "abort" | "continue" | "rollback";
    idempotent?: boolean;
    destructive?: boolean;
    kind: K;
    spec: StepSpec<K>;
  };
}[StepKindName];

const commonSchema = z.object(stepCommon);

/** A step is its common fields plus exactly one kind key; errors name the kind's own fields. */
export const stepSchema = z.unknown().transform((input, ctx): Step => {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    ctx.addIssue({ code: "custom", message: `a step must be a mapping with an id and one of ${stepKindNames.join(", ")}` });
    return z.NEVER;
  }
  const record = input as Record<string, unknown>;
  const commonKeys = Object.keys(stepCommon);
  const kinds = Object.keys(record).filter((k) => (stepKindNames as string[]).includes(k));
  const unknown = Object.keys(record).filter((k) => !commonKeys.includes(k) && !(stepKindNames as string[]).includes(k));
  let kindReported = false;
  for (const key of unknown) {
    const suggestion = closest(key, [...commonKeys, ...stepKindNames]);
    // With no kind in the step, an unknown key is most likely a misspelt kind.
    const asKind = kinds.length === 0 && (suggestion === undefined || (stepKindNames as string[]).includes(suggestion));
    kindReported ||= asKind;
    const hint = suggestion ? ` — did you mean "${suggestion}"?` : "";
    ctx.addIssue({
      code: "custom",
      path: [key],
      params: { unknownKey: true },
      message: asKind
        ? `unknown step kind "${key}"${hint} (kinds: ${stepKindNames.join(", ")})`
        : `unknown field "${key}"${hint} (a step has ${commonKeys.join(", ")} and one kind: ${stepKindNames.join(", ")})`,
    });
  }
  if (kinds.length !== 1) {
    if (kinds.length > 1) ctx.addIssue({ code: "custom", message: `has ${kinds.length} step kinds (${kinds.join(", ")}); split it into one step each` });
    else if (!kindReported) ctx.addIssue({ code: "custom", message: `needs one step kind: ${stepKindNames.join(", ")}` });
    return z.NEVER;
  }
  // Issues pass through with their own codes, so that they read like any other field's.
  const common = commonSchema.safeParse(record, { reportInput: true });
  if (!common.success) for (const issue of common.error.issues) ctx.addIssue(issue as never);
  const kind = kinds[0] as StepKindName;
  const spec = kindSchema(kind, record[kind]).safeParse(record[kind], { reportInput: true });
  if (!spec.success) for (const issue of spec.error.issues) ctx.addIssue({ ...issue, path: [kind, ...issue.path] } as never);
  if (!common.success || !spec.success || unknown.length > 0) return z.NEVER;
  return { ...common.data, kind, spec: spec.data } as Step;
});

/** The schema a kind's value is checked against; for shell, the one form its shape asks for, so errors name that form's fields. */
function kindSchema(kind: StepKindName, value: unknown): z.ZodType {
  if (kind !== "shell") return stepKinds[kind] as z.ZodType;
  const [argvList, argvForm, scriptForm] = shellSpec.options;
  if (Array.isArray(value)) return argvList;
  if (typeof value === "object" && value !== null && "script" in value) return scriptForm;
  if (typeof value === "object" && value !== null) return argvForm;
  return z.union([argvList, argvForm], {
    error: "must be an argv list like [kubectl, get, pods], a mapping with argv (and env, cwd), or a script with `shell: true`",
  });
}

// ── runbook ────────────────────────────────────────────────────────────────────────────────

export const runbookTargets = ["mysql", "redis", "kubernetes", "alertmanager", "prometheus", "fleet"] as const;
export type RunbookTarget = (typeof runbookTargets)[number];

export const runbookSchema = z.strictObject({
  version: z.literal(1).default(1),
  name: slug,
  title: z.string().min(1),
  description: z.string().optional(),
  /** The runtime a troubleshooting runbook supports (node, go, jvm, mariadb…), shown in the catalogue. */
  runtime: z.string().optional(),
  params: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/, "param names are lower-case letters, digits and '_'"), paramSchema).default({}),
  /** Configured targets the runbook uses: a run is refused before anything runs when one is missing. */
  targets: z.array(z.enum(runbookTargets)).default([]),
  /** Names (templates) held for the whole run; another run needing one waits or fails fast. */
  locks: z.array(template).default([]),
  lock_wait: z.union([z.literal("fail"), duration]).default("fail"),
  steps: z.array(stepSchema).min(1, "a runbook needs at least one step"),
  rollback: z.array(stepSchema).default([]),
  finally: z.array(stepSchema).default([]),
});

export type Runbook = z.output<typeof runbookSchema>;
export type RunbookInput = z.input<typeof runbookSchema>;
