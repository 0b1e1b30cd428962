import { tmpdir } from "node:os";
import { expect } from "vitest";
import { loadConfig, type Config } from "../../../src/config/load.js";
import { StepFailure, type StepContext } from "../../../src/engine/runbooks/step-kind.js";

/** A config from environment variables only, as a user without a file has it. */
export function envConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ cwd: tmpdir(), env }).config;
}

export interface TestContext extends StepContext {
  /** What the step logged, line by line. */
  lines: string[];
  /** What it sent to the process log. */
  processLines: { message: string; fields: Record<string, unknown> }[];
  abort(reason?: unknown): void;
}

/** The executor's part, in memory: a live log, an abort signal, a fixed clock. */
export function stepContext(config: Config, options: { onLog?: (line: string, context: TestContext) => void; now?: Date; store?: StepContext["store"] } = {}): TestContext {
  const controller = new AbortController();
  const lines: string[] = [];
  const processLines: TestContext["processLines"] = [];
  const context: TestContext = {
    config,
    store: options.store ?? noStore,
    signal: controller.signal,
    run: { id: "run-test", runbook: "step-test", startedBy: "tester" },
    step: { id: "step", attempt: 1 },
    log: (line) => {
      lines.push(line);
      options.onLog?.(line, context);
    },
    processLog: (message, fields) => processLines.push({ message, fields }),
    saveArtifact: async () => {
      throw new Error("no artifacts in step tests");
    },
    now: () => options.now ?? new Date("2026-11-26T09:00:00.000Z"),
    lines,
    processLines,
    abort: (reason) => controller.abort(reason),
  };
  return context;
}

/** For steps that never touch the store: any use of it fails the test, naming what was asked. */
export const noStore: StepContext["store"] = new Proxy({} as StepContext["store"], {
  get: (_target, name) => {
    throw new Error(`this step test has no store, but the step asked for store.${String(name)}`);
  },
});

/** The step's timeout, as the executor signals it. */
export const stepTimeout = () => new DOMException("the step's timeout passed", "TimeoutError");

/** Runs a step that must fail and returns its StepFailure. */
export async function failureOf(promise: Promise<unknown>): Promise<StepFailure> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, "the step should have failed").toBeInstanceOf(StepFailure);
  return error as StepFailure;
}

/** A short unique suffix for table names, key prefixes and resource names. */
export const unique = () => `${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
