import type { Config } from "../../config/load.js";
import { checkNames, type CheckName } from "../../config/schema.js";
import { formatDuration } from "../../config/duration.js";
import { overall, type CheckReport, type CheckResult } from "../../domain/checks/verdict.js";
import { catalog, isCheckName } from "./catalog.js";
import { CheckFailure, type CheckModule } from "./check.js";

export type CheckProgress =
  | { type: "started"; name: CheckName; timeoutMs: number }
  | { type: "finished"; result: CheckResult };

export interface RunChecksOptions {
  /** Run only these; every name must be a known check. */
  only?: readonly string[];
  /** The previous result per check, for deltas between runs. */
  previous?: (name: CheckName) => Promise<CheckResult | undefined>;
  onProgress?: (event: CheckProgress) => void;
  now?: () => Date;
}

export class UnknownCheckError extends Error {
  constructor(readonly names: string[]) {
    super(`unknown check${names.length > 1 ? "s" : ""} ${names.map((n) => `"${n}"`).join(", ")}; choose from ${checkNames.join(", ")}`);
    this.name = "UnknownCheckError";
  }
}

/** Parses `--only a,b` and rejects names that are not checks, so a typo never looks green. */
export function selectChecks(only?: readonly string[]): CheckName[] {
  if (!only || only.length === 0) return [...checkNames];
  const unknown = only.filter((n) => !isCheckName(n));
  if (unknown.length > 0) throw new UnknownCheckError(unknown);
  return checkNames.filter((n) => only.includes(n));
}

/**
 * Runs the selected checks concurrently. Each has its own deadline, enforced here and not
 * trusted to the client library: a target that hangs costs its own timeout, never more.
 */
export async function runChecks(config: Config, options: RunChecksOptions = {}): Promise<CheckReport> {
  const now = options.now ?? (() => new Date());
  const names = selectChecks(options.only);
  const startedAt = now();
  const started = performance.now();
  // Load every check's code first: modules load on the one main thread, and a check's clock
  // should time its target, not its neighbours' imports.
  const modules = new Map(
    await Promise.all(
      names
        .filter((name) => catalog[name].skipReason(config) === undefined)
        .map(async (name) => [name, await catalog[name].load().catch((error: unknown) => brokenModule(error))] as const),
    ),
  );
  const results = await Promise.all(names.map((name) => runOne(config, name, modules.get(name), options, now)));
  return {
    status: overall(results),
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - started),
    checks: results,
  };
}

async function runOne(config: Config, name: CheckName, module: CheckModule | undefined, options: RunChecksOptions, now: () => Date): Promise<CheckResult> {
  const skip = catalog[name].skipReason(config);
  if (skip !== undefined || module === undefined) {
    const result: CheckResult = { name, status: "skipped", summary: skip ?? "not configured", durationMs: 0, details: {} };
    options.onProgress?.({ type: "finished", result });
    return result;
  }
  const timeoutMs = config.checks.timeouts[name] ?? config.checks.timeout;
  options.onProgress?.({ type: "started", name, timeoutMs });
  const started = performance.now();
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new CheckFailure("critical", `no answer within ${formatDuration(timeoutMs)} (timeout)`, { timeoutMs }));
    }, timeoutMs);
  });
  let result: CheckResult;
  try {
    const work = (async () => {
      const previous = await options.previous?.(name);
      return module.run({ config, signal: controller.signal, timeoutMs, now, ...(previous ? { previous } : {}) });
    })();
    // A check that rejects after losing the race must not become an unhandled rejection.
    work.catch(() => {});
    const verdict = await Promise.race([work, deadline]);
    result = { name, ...verdict, durationMs: Math.round(performance.now() - started) };
  } catch (error) {
    const failure = error instanceof CheckFailure ? error : undefined;
    result = {
      name,
      status: failure?.status ?? "critical",
      summary: failure?.message ?? describe(error),
      durationMs: Math.round(performance.now() - started),
      details: failure?.details ?? {},
    };
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  options.onProgress?.({ type: "finished", result });
  return result;
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message.split("\n")[0] ?? error.name;
  return String(error);
}

/** A check whose code cannot load fails as a check, not the whole run. */
function brokenModule(error: unknown): CheckModule {
  return {
    run: () => Promise.reject(new CheckFailure("unknown", `cannot load the check: ${describe(error)}`, {}, { cause: error })),
  };
}
