// Seeds a data dir with open pages whose escalation timers are due over a window, through the
// store's own repositories (the way the intake opens a page), while no server runs on it.
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { loadConfig } from "../../src/config/load.js";
import { snapshotPolicy } from "../../src/domain/paging/escalation.js";
import { escalationTimer } from "../../src/engine/paging/escalation.js";
import { openStore } from "../../src/store/open-store.js";
import { pageEscalationKey } from "../../src/store/store.js";

export interface SeedOptions {
  /** Holds gameops.yaml; the data dir is `dataDir`. */
  cwd: string;
  dataDir: string;
  timers: number;
  windowMs: number;
  /** Time between the last timer being committed and the first one being due: the server starts meanwhile. */
  leadMs: number;
}

export interface Seeded {
  /** page id → when its escalation step is due (epoch ms). */
  due: Map<string, number>;
  firstDueAt: number;
  lastDueAt: number;
  seedMs: number;
}

/**
 * Pages first, each committed with its first escalation step as the intake commits it, but due
 * in an hour; then each step is rescheduled (the keyed timer's own "schedule again" operation,
 * as escalate-now does) onto the window. The second pass is short, so the window can start a few
 * seconds after seeding ends however long opening 10,000 pages took.
 */
export async function seedPages(options: SeedOptions): Promise<Seeded> {
  const started = performance.now();
  const { config } = loadConfig({ cwd: options.cwd, env: { GAMEOPS_DATA: options.dataDir } });
  const policy = config.paging.policies[0];
  if (!policy) throw new Error(`${join(options.cwd, "gameops.yaml")} has no paging policy`);
  const store = await openStore({ dataDir: options.dataDir });
  try {
    for (const id of ["alice", "bob"]) await store.people.upsertPerson({ id, name: id[0]!.toUpperCase() + id.slice(1), titles: [] });
    const later = new Date(Date.now() + 3_600_000);
    const ids: string[] = [];
    for (let i = 0; i < options.timers; i++) {
      const alertname = `BenchTimer${i}`;
      const page = await store.pages.open({
        title: `${alertname}: escalation timer ${i}`,
        severity: "critical",
        source: "alertmanager",
        groupKey: `{}:{alertname="${alertname}"}`,
        labels: { alertname, severity: "critical" },
        annotations: { summary: `escalation timer ${i} of the bench` },
        route: { policyId: policy.id },
        policy: snapshotPolicy(policy) as unknown as Record<string, unknown>,
        escalation: { kind: escalationTimer, dueAt: later },
      });
      ids.push(page.id);
    }
    const firstDueAt = Date.now() + options.leadMs;
    const due = new Map<string, number>();
    for (let i = 0; i < ids.length; i++) {
      const dueAt = firstDueAt + Math.floor((i * options.windowMs) / ids.length);
      await store.timers.schedule({ kind: escalationTimer, key: pageEscalationKey(ids[i]!), dueAt: new Date(dueAt), payload: { pageId: ids[i]! } });
      due.set(ids[i]!, dueAt);
    }
    return { due, firstDueAt, lastDueAt: Math.max(...due.values()), seedMs: performance.now() - started };
  } finally {
    await store.close();
  }
}
