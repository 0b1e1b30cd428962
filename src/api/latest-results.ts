import { checkNames } from "../config/schema.js";
import { overall, type CheckResult, type Status } from "../domain/checks/verdict.js";
import { catalog } from "../engine/health/catalog.js";
import type { CheckRunRecord, Store } from "../store/store.js";

export interface LatestResults {
  status: Status;
  run: Omit<CheckRunRecord, "checks"> | null;
  checks: { name: string; title: string; result: (CheckResult & { runId: string; startedAt: string }) | null }[];
}

/**
 * The latest word on every check. The newest run decides for the checks it includes (a check
 * it skipped is shown skipped, not with a stale green); a check it left out (`only`) keeps its
 * result from the last run that included it.
 */
export async function latestResults(store: Store): Promise<LatestResults> {
  const latest = await store.checkRuns.latest();
  const checks = await Promise.all(
    checkNames.map(async (name) => {
      const inLatest = latest?.checks.find((c) => c.name === name);
      const result = inLatest
        ? { ...inLatest, runId: latest!.id, startedAt: latest!.startedAt }
        : ((await store.checkRuns.latestResult(name)) ?? null);
      return { name, title: catalog[name].title, result };
    }),
  );
  const results = checks.flatMap((c) => (c.result ? [c.result] : []));
  let run: LatestResults["run"] = null;
  if (latest) {
    const { checks: _, ...summary } = latest;
    run = summary;
  }
  return { status: overall(results), run, checks };
}
