import type { Config } from "../../../config/load.js";
import type { StepSpec } from "../../../domain/runbooks/schema.js";
import type { RenderedAction, StepContext, StepResult } from "../step-kind.js";

type NotifySpec = StepSpec<"notify">;

/** The module is the StepKind (loaded lazily by ./index.ts). */
export const kind = "notify";

/*
 * Paging channels (Slack, e-mail, webhooks, on-call) arrive with issue 4. Until then a
 * notification is recorded, in the run and in the process log, and says so: a plan must not
 * promise that someone was paged.
 */

export function describe(spec: NotifySpec, _config: Config): RenderedAction {
  return {
    summary: `notify ${spec.channel} (recorded in the run; channels arrive with paging): ${spec.text}`,
    detail: { channel: spec.channel, text: spec.text },
    target: `channel ${spec.channel}`,
    destructive: false,
  };
}

export async function execute(spec: NotifySpec, context: StepContext): Promise<StepResult> {
  context.log(`notify ${spec.channel}: ${spec.text}`);
  context.processLog?.(`notify ${spec.channel}: ${spec.text}`, { run: context.run.id, runbook: context.run.runbook, step: context.step.id, channel: spec.channel });
  return { outputs: { channel: spec.channel, text: spec.text } };
}
