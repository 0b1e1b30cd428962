import { tmpdir } from "node:os";
import { loadConfig, type Config } from "../../../src/config/load.js";
import { runbookSchema, type Runbook, type RunbookInput } from "../../../src/domain/runbooks/schema.js";
import type { Clock } from "../../../src/engine/runbooks/clock.js";
import { StepFailure, type StepKind } from "../../../src/engine/runbooks/step-kind.js";

/** Time that moves only when the executor waits: a backoff of 10 s takes no time and is recorded. */
export class FakeClock implements Clock {
  readonly sleeps: number[] = [];
  constructor(public time: number) {}
  now = (): Date => new Date(this.time);
  advance(ms: number): void {
    this.time += ms;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.sleeps.push(ms);
    this.time += ms;
    await new Promise((resolve) => setImmediate(resolve));
    signal?.throwIfAborted();
  }
}

export function testConfig(): Config {
  return loadConfig({ cwd: tmpdir(), env: {} }).config;
}

export function runbook(input: Omit<RunbookInput, "title"> & { title?: string }): Runbook {
  return runbookSchema.parse({ title: `Test ${input.name}`, ...input });
}

/** A promise the test opens when it wants. */
export function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/**
 * The test's own step kind, installed under the `notify` name through the executor's plug-in
 * seam (the registry it is given): `channel` names the behaviour, `text` (a rendered template)
 * its argument. Everything it does is recorded in `done`, in order.
 *
 * - record: succeeds; outputs { text }
 * - fail: fails, not retryable
 * - flaky: fails (retryable) until attempt number `text` + 1
 * - block: logs, tells `started`, then waits until its signal aborts
 * - output: succeeds with the JSON in `text` as outputs
 * - hold: tells `started`, then succeeds once the test calls `release()`
 */
export function testKinds(extra: Record<string, () => Promise<StepKind>> = {}) {
  const done: string[] = [];
  let started = gate();
  const held = gate();
  const kind: StepKind<"notify"> = {
    kind: "notify",
    describe: (spec) => ({ summary: `${spec.channel} ${spec.text}`, destructive: spec.channel !== "record" }),
    async execute(spec, context) {
      done.push(`${context.step.id}:${spec.text}`);
      switch (spec.channel) {
        case "record":
          context.log(`recorded ${spec.text}`);
          return { outputs: { text: spec.text } };
        case "fail":
          throw new StepFailure(`failed on purpose: ${spec.text}`, { retryable: false, exitCode: 3 });
        case "flaky":
          if (context.step.attempt <= Number(spec.text)) throw new StepFailure(`flaky attempt ${context.step.attempt}`, { retryable: true });
          return { outputs: { attempt: context.step.attempt } };
        case "block":
          context.log(`blocking ${spec.text}`);
          started.open();
          await new Promise((_, reject) => {
            if (context.signal.aborted) reject(context.signal.reason);
            context.signal.addEventListener("abort", () => reject(context.signal.reason), { once: true });
          });
          throw new Error("unreachable");
        case "hold":
          started.open();
          await held.opened;
          return { outputs: { held: true } };
        case "output":
          return { outputs: JSON.parse(spec.text) as Record<string, unknown> };
        default:
          throw new Error(`unknown test channel ${spec.channel}`);
      }
    },
  };
  return {
    done,
    /** Resolves when a `block` step is running; call `reset()` before a second one. */
    get started() {
      return started.opened;
    },
    resetStarted: () => (started = gate()),
    release: () => held.open(),
    registry: {
      notify: async () => kind as unknown as StepKind,
      shell: () => import("../../../src/engine/runbooks/steps/shell.js") as Promise<StepKind>,
      ...extra,
    },
  };
}
