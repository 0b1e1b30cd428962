import { z } from "zod";
import { probeKinds } from "./probe.js";
import { runbookSchema, stepCommon, stepKindNames, stepKinds, stepSchema, type StepKindName } from "./schema.js";

/**
 * The JSON Schema of the runbook format, for editors (yaml-language-server:
 * `# yaml-language-server: $schema=…/runbook.schema.json`). zod cannot see through the step
 * transform, so a step is built here from stepCommon and stepKinds: the common fields plus
 * exactly one kind key. docs/runbook.schema.json is this, written by
 * `npx tsx scripts/runbook-schema.mjs`; a test fails when the file is stale.
 */

const kindDescriptions: Record<StepKindName, string> = {
  shell: "Run a program: an argv list (never through a shell), or { argv, env, cwd }, or { script, shell: true } with params as environment variables.",
  sql: "A SQL statement on a configured target, values bound to ? placeholders.",
  redis: "A Redis command on a configured target.",
  http: "An HTTP request with expected status and JSON fields.",
  k8s: "A typed Kubernetes action: scale, rollout-restart, rollout-status, rollout-undo, patch-configmap, get-pods, logs, exec, top.",
  fleet: "An action on the game fleet: status, sessions, maintenance, accept-sessions, broadcast, restart, drain, inject, profile, heap-snapshot.",
  check: "Run named health checks; fail at a verdict.",
  wait: "Poll a probe every N until a condition over `probe` holds, or fail at the deadline.",
  approve: "Wait for a person allowed by approvers (not the one who started the run unless self_approval).",
  notify: "Send a message to a channel.",
  runbook: "Run another runbook as a sub-runbook.",
  backup: "Backup sets: backup, verify (deep: restore into scratch servers and fingerprint), prune (retention), restore-plan (verifies the set, changes nothing) and restore (with approved_plan: the plan's digest).",
  db_maintenance: "Database maintenance of dbMaintenance's tables: plan (every statement, with row counts; changes nothing) and apply (the plan made at planned_at).",
};

const commonDescriptions: Record<keyof typeof stepCommon, string> = {
  id: "Unique in the runbook; later steps read steps.<id>.outputs and steps.<id>.status.",
  title: "Shown in the plan and progress.",
  timeout: "Aborts the step after this long: 30s, 5m, 1h.",
  retries: "Attempts and backoff for failures that may pass.",
  when: "One expression, ${{ … }}; the step is skipped when it is false.",
  on_failure: "abort (default), continue, or rollback (run the rollback section).",
  idempotent: "Safe to run again after a crash interrupted it; otherwise a person decides.",
  destructive: "Changes something: shown as such in the plan. Guessed from the kind when absent.",
};

const options = { io: "input", target: "draft-2020-12", unrepresentable: "any", reused: "inline" } as const;

function bare(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, options) as Record<string, unknown>;
  return rest;
}

export function runbookJsonSchema(): Record<string, unknown> {
  const common = bare(z.strictObject(stepCommon)) as { properties: Record<string, Record<string, unknown>>; required?: string[] };
  const commonProperties = Object.fromEntries(Object.entries(common.properties).map(([k, v]) => [k, { ...v, description: commonDescriptions[k as keyof typeof stepCommon] }]));
  const defs: Record<string, unknown> = {};
  for (const kind of stepKindNames) defs[kind] = { ...bare(stepKinds[kind] as z.ZodType), description: kindDescriptions[kind] };

  const oneKind = (kinds: readonly StepKindName[], withId: boolean) => ({
    oneOf: kinds.map((kind) => ({
      type: "object",
      title: kind,
      properties: { ...(withId ? commonProperties : omit(commonProperties, "id")), [kind]: { $ref: `#/$defs/${kind}` } },
      required: [...(withId ? ["id"] : []), kind],
      additionalProperties: false,
    })),
  });
  defs.step = { description: "A step: the common fields and exactly one kind.", ...oneKind(stepKindNames, true) };
  defs.probe = { description: "What a wait step polls: one reading step body (no id).", ...oneKind(Object.keys(probeKinds) as StepKindName[], false) };

  const root = z.toJSONSchema(runbookSchema, {
    ...options,
    override(ctx) {
      if (ctx.zodSchema === (stepSchema as unknown)) {
        for (const key of Object.keys(ctx.jsonSchema)) delete (ctx.jsonSchema as Record<string, unknown>)[key];
        Object.assign(ctx.jsonSchema, { $ref: "#/$defs/step" });
      }
    },
  }) as Record<string, unknown>;
  // The wait kind's probe is a step body of its own.
  ((defs.wait as { properties: Record<string, unknown> }).properties.probe) = { $ref: "#/$defs/probe" };
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: "https://gameops.dev/runbook.schema.json",
    title: "gameops runbook",
    description: "A gameops runbook (format version 1). See docs/runbooks.md.",
    ...omit(root, "$schema"),
    $defs: defs,
  };
}

function omit<T extends Record<string, unknown>>(record: T, key: string): T {
  const { [key]: _, ...rest } = record;
  return rest as T;
}

/** The file's text: stable key order, two-space indent, a final newline. */
export function runbookJsonSchemaText(): string {
  return `${JSON.stringify(runbookJsonSchema(), null, 2)}\n`;
}
