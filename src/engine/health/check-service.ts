import { randomUUID } from "node:crypto";
import type { Config } from "../../config/load.js";
import type { CheckRunRecord, RunTrigger, Store } from "../../store/store.js";
import { runChecks, selectChecks, type CheckProgress } from "./run-checks.js";

/** What a watcher of one run sees: each check starting and finishing, then the stored record. */
export type RunEvent = CheckProgress | { type: "done"; run: CheckRunRecord } | { type: "failed"; message: string };

export type RunListener = (event: RunEvent) => void;

export interface StartRunInput {
  trigger: RunTrigger;
  /** Person id of whoever asked; absent for the scheduler. */
  requestedBy?: string;
  only?: string[];
}

export interface CheckService {
  /**
   * Starts a run and returns at once. An unknown check name throws here, synchronously, so that
   * the caller can refuse the request before anything ran.
   */
  start(input: StartRunInput): { id: string; done: Promise<CheckRunRecord> };
  /**
   * Replays the run's events so far, then streams the rest until `done` or `failed`. Undefined when
   * the run is not in flight here: it finished (look in the store) or never existed.
   */
  subscribe(id: string, listener: RunListener): (() => void) | undefined;
  /** Ids of the runs in flight in this process. */
  running(): string[];
  /** Called with every run once it is stored, whoever started it (metrics, notifications). */
  onRecorded(listener: (run: CheckRunRecord) => void): () => void;
  /** Resolves when no run is in flight: wait for it before closing the store. */
  idle(): Promise<void>;
}

interface RunInFlight {
  events: RunEvent[];
  listeners: Set<RunListener>;
}

export function createCheckService(options: { config: Config; store: Store; now?: () => Date }): CheckService {
  const { config, store } = options;
  const now = options.now ?? (() => new Date());
  const runs = new Map<string, RunInFlight>();
  const pending = new Set<Promise<CheckRunRecord>>();
  const recordedListeners = new Set<(run: CheckRunRecord) => void>();

  const emit = (run: RunInFlight, event: RunEvent) => {
    run.events.push(event);
    for (const listener of run.listeners) {
      // A watcher that breaks (a closed connection) must not break the run it watches.
      try {
        listener(event);
      } catch {
        run.listeners.delete(listener);
      }
    }
  };

  return {
    start(input) {
      const only = selectChecks(input.only);
      const id = randomUUID();
      const run: RunInFlight = { events: [], listeners: new Set() };
      runs.set(id, run);
      const done = (async () => {
        try {
          const report = await runChecks(config, {
            only,
            previous: (name) => store.checkRuns.latestResult(name),
            onProgress: (event) => emit(run, event),
            now,
          });
          const record: CheckRunRecord = {
            id,
            startedAt: report.startedAt,
            durationMs: report.durationMs,
            status: report.status,
            trigger: input.trigger,
            ...(input.requestedBy ? { requestedBy: input.requestedBy } : {}),
            checks: report.checks,
          };
          await store.checkRuns.record(record);
          // Stored before `done` and before leaving the map: a watcher that arrives at any moment
          // finds the run either here or in the store, never in neither.
          emit(run, { type: "done", run: record });
          for (const listener of recordedListeners) {
            try {
              listener(record);
            } catch {
              // The run is stored and announced; a broken observer cannot undo that.
            }
          }
          return record;
        } catch (error) {
          emit(run, { type: "failed", message: `the check run failed: ${describe(error)}` });
          throw error;
        } finally {
          runs.delete(id);
        }
      })();
      // The caller may never await `done` (a fire-and-forget API request); its failure is already
      // sent to watchers and must not crash the process as an unhandled rejection.
      done.catch(() => {});
      pending.add(done);
      void done.finally(() => pending.delete(done)).catch(() => {});
      return { id, done };
    },

    subscribe(id, listener) {
      const run = runs.get(id);
      if (!run) return undefined;
      for (const event of run.events) listener(event);
      run.listeners.add(listener);
      return () => run.listeners.delete(listener);
    },

    running: () => [...runs.keys()],

    onRecorded(listener) {
      recordedListeners.add(listener);
      return () => recordedListeners.delete(listener);
    },

    async idle() {
      while (pending.size > 0) await Promise.allSettled(pending);
    },
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
