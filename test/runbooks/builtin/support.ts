/**
 * What the built-in runbook tests share: the built-in catalogue, an executor with the real step
 * kinds on a real SQLite store in a temp dir, people with their own tokens, and a record of a
 * run as a person reads it (`gameops run show`), printed when GAMEOPS_SHOW_RUNS is set.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, type Config } from "../../../src/config/load.js";
import type { Plan } from "../../../src/domain/runbooks/plan.js";
import type { Runbook } from "../../../src/domain/runbooks/schema.js";
import { RunbookExecutor, type Approver, type RunDetail } from "../../../src/engine/runbooks/executor.js";
import { stepKinds } from "../../../src/engine/runbooks/steps/index.js";
import { packageRoot } from "../../../src/package-root.js";
import { loadCatalog } from "../../../src/runbooks/catalog.js";
import { openStore } from "../../../src/store/open-store.js";
import type { StepRecord, Store } from "../../../src/store/store.js";

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `gameops-${prefix}-`));
}

/** A built-in runbook, as the catalogue loads it (so it is also proven valid). */
export function builtIn(name: string): Runbook {
  const entry = loadCatalog({ builtIn: join(packageRoot(), "src", "runbooks") }).get(name);
  if (!entry?.runbook) throw new Error(`built-in runbook ${name}: ${entry ? entry.issues.join("\n") : "missing"}`);
  return entry.runbook;
}

/** A config from environment variables only, as a user without a file has it. */
export function envConfig(env: Record<string, string>): Config {
  return loadConfig({ cwd: tempDir("builtin-config"), env }).config;
}

export interface Desk {
  store: Store;
  executor: RunbookExecutor;
  /** Who started the runs (mina, an operator and a lead) and who approves them (joon, an operator). */
  starter: Approver;
  approver: Approver;
  close(): Promise<void>;
}

/** A store with two people, each with an operator token; the approvers are resolved from the tokens. */
export async function openDesk(config: Config): Promise<Desk> {
  const store = await openStore({ dataDir: tempDir("builtin-store") });
  await store.people.upsertTeam({ id: "live-ops", name: "Live Ops" });
  await store.people.upsertPerson({ id: "mina", name: "Mina Park", teamId: "live-ops", titles: ["lead"] });
  await store.people.upsertPerson({ id: "joon", name: "Joon Kim", teamId: "live-ops", titles: [] });
  const approverOf = async (personId: string): Promise<Approver> => {
    const { token } = await store.tokens.create({ personId, role: "operator", label: `${personId}'s laptop` });
    const record = await store.tokens.verify(token);
    return { personId: record!.personId!, role: record!.role };
  };
  const starter = await approverOf("mina");
  const approver = await approverOf("joon");
  const errors: Error[] = [];
  const executor = new RunbookExecutor({ store, config, stepKinds, onError: (error) => errors.push(error) });
  return {
    store,
    executor,
    starter,
    approver,
    async close() {
      await executor.stop();
      await store.close();
      if (errors.length > 0) throw new Error(`the executor reported: ${errors.map((e) => e.message).join("; ")}`);
    },
  };
}

/** The main steps' last attempts by id. */
export function stepsById(detail: RunDetail): Map<string, StepRecord> {
  const steps = new Map<string, StepRecord>();
  for (const step of detail.steps) steps.set(step.stepId, step);
  return steps;
}

/** A run as a person reads it: each step with its action, outcome and live output. */
export function transcript(detail: RunDetail): string {
  const lines = [`run ${detail.run.id} of ${detail.run.runbook}: ${detail.run.status}${detail.run.error ? ` (${detail.run.error})` : ""}`];
  for (const step of detail.steps) {
    lines.push(`  ${step.stepId} [${step.status}]${step.action ? ` ${step.action.destructive ? "(destructive) " : ""}${step.action.summary}` : ""}${step.error ? ` — ${step.error}` : ""}`);
    for (const line of step.output?.split("\n") ?? []) if (line) lines.push(`      ${line.length > 220 ? `${line.slice(0, 219)}…` : line}`);
  }
  for (const approval of detail.approvals) lines.push(`  approval of ${approval.stepId}: "${approval.prompt}" → ${approval.decision ?? "pending"}${approval.decidedBy ? ` by ${approval.decidedBy}` : ""}`);
  for (const artifact of detail.artifacts) lines.push(`  artifact ${artifact.name} (${artifact.size} bytes, ${artifact.contentType})`);
  return lines.join("\n");
}

/** Prints the transcript when asked (GAMEOPS_SHOW_RUNS=1): what the runbook shows a person. */
export function show(detail: RunDetail | Plan): void {
  if (!process.env.GAMEOPS_SHOW_RUNS) return;
  console.log("run" in detail ? transcript(detail) : JSON.stringify(detail, null, 2));
}
