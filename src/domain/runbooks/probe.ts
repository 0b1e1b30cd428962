import type { z } from "zod";
import { stepSchema, type Step, type StepKindName } from "./schema.js";

/**
 * A `wait` step's probe runs on every poll, so it may only read: these kinds, and for k8s and
 * fleet only these actions. approve, wait, runbook and notify cannot be probes.
 */
export const probeKinds: Partial<Record<StepKindName, readonly string[] | "any">> = {
  shell: "any",
  sql: "any",
  redis: "any",
  http: "any",
  check: "any",
  k8s: ["rollout-status", "get-pods", "logs", "top"],
  fleet: ["status", "sessions"],
};

const probeKindList = Object.entries(probeKinds)
  .map(([kind, actions]) => (actions === "any" ? kind : `${kind} (${actions!.join(", ")})`))
  .join(", ");

/**
 * The probe of a wait step as a step (id `<wait id>.probe`), or the issues that make it
 * unusable, with paths relative to the probe.
 */
export function parseProbe(probe: Record<string, unknown>, waitId: string): { step: Step; issues?: undefined } | { step?: undefined; issues: z.core.$ZodIssue[] } {
  const parsed = stepSchema.safeParse({ ...probe, id: "probe" }, { reportInput: true });
  if (!parsed.success) return { issues: parsed.error.issues };
  const step = parsed.data;
  const allowed = probeKinds[step.kind];
  if (allowed === undefined) {
    return { issues: [custom([step.kind], `${step.kind} cannot be a probe: a probe runs on every poll and may only read; use ${probeKindList}`)] };
  }
  const action = (step.spec as { action?: string }).action;
  if (allowed !== "any" && action !== undefined && !allowed.includes(action)) {
    return { issues: [custom([step.kind, "action"], `${step.kind} ${action} cannot be a probe: it changes something; a ${step.kind} probe may only use ${allowed.join(" or ")}`)] };
  }
  return { step: { ...step, id: `${waitId}.probe` } };
}

function custom(path: (string | number)[], message: string): z.core.$ZodIssue {
  return { code: "custom", path, message, input: undefined };
}
