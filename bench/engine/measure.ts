import { fileSystemOf } from "../report.js";
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import { join } from "node:path";
import { PerformanceObserver, performance } from "node:perf_hooks";
import { Kysely, sql } from "kysely";
import pg from "pg";
import { loadConfig, type Config } from "../../src/config/load.js";
import { percentile } from "../../src/domain/checks/verdict.js";
import { runbookSchema, type Runbook } from "../../src/domain/runbooks/schema.js";
import { RunbookExecutor, type StepKindRegistry } from "../../src/engine/runbooks/executor.js";
import type { StepKind } from "../../src/engine/runbooks/step-kind.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/store.js";
import { summarizeProfile, type CpuProfile, type ProfileSummary } from "./profile-summary.js";
import { tapStatements, type TappedStatement } from "./statement-tap.js";

export type Dialect = "sqlite" | "postgres";

import { BenchError } from "../bench-main.js";

export { BenchError };

export interface MeasureOptions {
  dialect: Dialect;
  steps: number;
  runs: number;
  warmup: number;
  /** Work directory: the SQLite file, the profile. */
  workDir: string;
  /** PostgreSQL server to create the bench's own database on (it is dropped at the end). */
  adminUrl: string;
  /** Profile the measured runs (only those) into workDir. */
  profile: boolean;
  repoRoot: string;
  say: (line: string) => void;
}

export interface StatementsOfOneStep {
  stepId: string;
  /** Offsets from the moment the step's execute() was called; the last line is the next step's execute(). */
  lines: { offsetMs: number; text: string }[];
}

export interface DialectFigures {
  dialect: Dialect;
  /** "SQLite 3.53.2", "PostgreSQL 15.20". */
  engine: string;
  location: string;
  /** The durability settings read from the store's own connection, as printed. */
  durability: [string, string][];
  /** Whether those settings keep every commit (WAL + synchronous NORMAL or FULL; synchronous_commit on, fsync on). */
  durable: boolean;
  fileSystem?: string;
  steps: number;
  runs: number;
  warmup: number;
  /** Wall time of each measured run: start() (the run row's commit) to runUntilBlocked() returning the finished run. */
  runMs: number[];
  /** N / wall of each run. */
  stepsPerSecond: number[];
  /** Time between one step's execute() and the next one's, over every measured run (N−1 per run). */
  gapsMs: number[];
  /** Per run: wall − sum of its gaps, i.e. creating, claiming and finishing the run plus the first step's start. */
  fixedMs: number[];
  /** Garbage collection during the measured runs, and which gaps it fell into (the tail of the distribution). */
  gc: { pauses: number; pauseMs: number; gapsWithPause: number[]; gapsWithoutPause: number[] };
  /** The process with every module loaded (tsx, the engine, both drivers), before the store is opened. */
  rssAtStartMb: number;
  rssBeforeMeasuredMb: number;
  /** The OS's high-water mark for the whole process (getrusage maxrss), taken after the measured runs. */
  peakRssMb: number;
  breakdown: {
    statementsPerStep: number;
    transactionsPerStep: number;
    /** Store calls per step, mean ms: recordStepStarted, recordStepFinished… */
    storeCalls: { name: string; calls: number; meanMs: number; medianMs: number }[];
    meanGapMs: number;
    /** Mean gap minus the mean time inside the store's step calls: rendering, bookkeeping, promise hops. */
    executorOwnMs: number;
    oneStep: StatementsOfOneStep;
  };
  profile?: ProfileSummary;
}

const synchronousNames = ["OFF", "NORMAL", "FULL", "EXTRA"];

/** One dialect, measured in this process: warm-up runs, measured runs, then one instrumented run for the breakdown. */
export async function measureDialect(options: MeasureOptions): Promise<DialectFigures> {
  const { dialect, say } = options;
  const rssAtStartMb = process.memoryUsage().rss / 2 ** 20;
  const database = dialect === "postgres" ? await createDatabase(options.adminUrl) : undefined;
  let store: Store | undefined;
  try {
    const dataDir = join(options.workDir, `data-${dialect}`);
    store = await openStore({ dataDir, ...(database ? { url: database.url } : {}) });
    const settings = await readDurability(store);
    const fileSystem = dialect === "sqlite" ? await fileSystemOf(dataDir) : undefined;
    const config = loadConfig({ cwd: options.workDir, env: {} }).config;
    const book = noopRunbook(options.steps);
    const marks: number[] = [];
    const registry = noopRegistry(marks);
    const errors: string[] = [];
    const executor = new RunbookExecutor({ store, config, stepKinds: registry, owner: `bench-${dialect}`, onError: (error) => errors.push(error.message) });

    const runOnce = async () => {
      marks.length = 0;
      const started = performance.now();
      const runId = await executor.start(book, {}, { startedBy: "bench", through: "cli" });
      const run = await executor.runUntilBlocked(runId);
      const wall = performance.now() - started;
      if (errors.length > 0) throw new BenchError(`the executor reported: ${errors.join("; ")}`);
      return { runId, status: run.status, wall, marks: [...marks] };
    };
    // Checked after the measured runs, so that reading thousands of rows back is in neither the timings nor the profile.
    const measured: { runId: string; status: string; executed: number }[] = [];

    for (let i = 0; i < options.warmup; i++) {
      say(`${dialect}: warm-up ${i + 1}/${options.warmup}`);
      const warm = await runOnce();
      await assertDurable(store, warm.runId, warm.status, options.steps, warm.marks.length);
    }
    const rssBeforeMeasuredMb = process.memoryUsage().rss / 2 ** 20;
    const profiler = options.profile ? await startProfiler() : undefined;
    const pauses = watchGc();
    const runMs: number[] = [];
    const gapsMs: number[] = [];
    const fixedMs: number[] = [];
    const spans: { from: number; to: number }[] = [];
    for (let i = 0; i < options.runs; i++) {
      const { runId, status, wall, marks: at } = await runOnce();
      measured.push({ runId, status, executed: at.length });
      const gaps = at.slice(1).map((t, k) => t - at[k]!);
      runMs.push(wall);
      gapsMs.push(...gaps);
      spans.push(...at.slice(1).map((t, k) => ({ from: at[k]!, to: t })));
      fixedMs.push(wall - gaps.reduce((a, b) => a + b, 0));
      say(`${dialect}: run ${i + 1}/${options.runs}: ${options.steps} steps in ${wall.toFixed(0)} ms (${((options.steps / wall) * 1000).toFixed(0)} steps/s)`);
    }
    const gcPauses = await pauses.stop();
    const paused = spans.map((span) => gcPauses.some((p) => p.start < span.to && p.end > span.from));
    const gc = {
      pauses: gcPauses.length,
      pauseMs: gcPauses.reduce((sum, p) => sum + p.end - p.start, 0),
      gapsWithPause: gapsMs.filter((_, k) => paused[k]),
      gapsWithoutPause: gapsMs.filter((_, k) => !paused[k]),
    };
    const profile = profiler ? await profiler.stop(join(options.workDir, `engine-${dialect}.cpuprofile`), options.repoRoot) : undefined;
    const peakRssMb = process.resourceUsage().maxRSS / 1024;
    for (const run of measured) await assertDurable(store, run.runId, run.status, options.steps, run.executed);

    say(`${dialect}: one instrumented run for the breakdown (not counted)`);
    const breakdown = await instrumentedRun(store, config, book, dialect, errors);
    await executor.stop();
    return {
      dialect,
      engine: settings.engine,
      location: database ? database.url : join(dataDir, "gameops.db"),
      durability: settings.pairs,
      durable: settings.durable,
      ...(fileSystem ? { fileSystem } : {}),
      steps: options.steps,
      runs: options.runs,
      warmup: options.warmup,
      runMs,
      stepsPerSecond: runMs.map((ms) => (options.steps / ms) * 1000),
      gapsMs,
      fixedMs,
      gc,
      rssAtStartMb,
      rssBeforeMeasuredMb,
      peakRssMb,
      breakdown,
      ...(profile ? { profile } : {}),
    };
  } finally {
    await store?.close();
    await database?.drop();
  }
}

/** N steps of a kind the schema knows (notify), each run by the no-op below. */
function noopRunbook(steps: number): Runbook {
  return runbookSchema.parse({
    name: "bench-noop",
    title: `${steps} no-op steps`,
    steps: Array.from({ length: steps }, (_, i) => ({ id: `s${i + 1}`, notify: { channel: "bench", text: `no-op ${i + 1}` } })),
  });
}

/**
 * The no-op step kind, plugged in under the `notify` name through the registry the executor is
 * given: the runbook schema admits only its own kind names, and the real notify logs a line,
 * which is one more commit (a step.log event) per step — a step with output, not an empty one.
 */
function noopRegistry(marks: number[]): StepKindRegistry {
  const noop: StepKind<"notify"> = {
    kind: "notify",
    describe: () => ({ summary: "no-op", destructive: false }),
    async execute() {
      marks.push(performance.now());
      return { outputs: {} };
    },
  };
  return { notify: async () => noop as unknown as StepKind };
}

/** Every step committed running, then succeeded, with its events: what the executor promises, checked for every run. */
async function assertDurable(store: Store, runId: string, status: string, steps: number, executed: number): Promise<void> {
  if (status !== "succeeded") throw new BenchError(`run ${runId} ended ${status}, not succeeded`);
  if (executed !== steps) throw new BenchError(`run ${runId} executed ${executed} steps, expected ${steps}`);
  const records = await store.runbookRuns.listSteps(runId);
  const finished = records.filter((r) => r.status === "succeeded" && r.finishedAt !== undefined).length;
  if (records.length !== steps || finished !== steps) throw new BenchError(`run ${runId}: ${records.length} step records, ${finished} succeeded; expected ${steps}`);
  const events = await store.runbookRuns.listEvents(runId);
  const count = (type: string) => events.filter((e) => e.type === type).length;
  if (count("step.started") !== steps || count("step.finished") !== steps) {
    throw new BenchError(`run ${runId}: ${count("step.started")} step.started and ${count("step.finished")} step.finished events; expected ${steps} of each`);
  }
}

/** The same runbook once more, with every store call timed and every statement recorded. */
async function instrumentedRun(store: Store, config: Config, book: Runbook, dialect: Dialect, errors: string[]): Promise<DialectFigures["breakdown"]> {
  const calls = new Map<string, number[]>();
  const marks: number[] = [];
  const executor = new RunbookExecutor({
    store: { ...store, runbookRuns: timed(store.runbookRuns, calls) },
    config,
    stepKinds: noopRegistry(marks),
    owner: `bench-${dialect}-instrumented`,
    onError: (error) => errors.push(error.message),
  });
  const tap = tapStatements(dialect);
  let status: string;
  try {
    const runId = await executor.start(book, {}, { startedBy: "bench", through: "cli" });
    status = (await executor.runUntilBlocked(runId)).status;
  } finally {
    tap.stop();
    await executor.stop();
  }
  if (status !== "succeeded") throw new BenchError(`the instrumented run ended ${status}`);
  const steps = marks.length;
  const statements = tap.statements;
  const between = (from: number, to: number) => statements.filter((s) => s.at >= from && s.at < to);
  const perStep = marks.slice(1).map((t, k) => between(marks[k]!, t));
  const gaps = marks.slice(1).map((t, k) => t - marks[k]!);
  const meanGapMs = mean(gaps);
  const stepCalls = ["recordStepStarted", "recordStepFinished"];
  const storeCalls = [...calls]
    .map(([name, ms]) => ({ name, calls: ms.length, meanMs: mean(ms), medianMs: percentile(ms, 50) }))
    .sort((a, b) => b.calls * b.meanMs - a.calls * a.meanMs);
  const inStepCalls = storeCalls.filter((c) => stepCalls.includes(c.name)).reduce((sum, c) => sum + (c.meanMs * c.calls) / steps, 0);
  const middle = Math.floor(steps / 2);
  return {
    statementsPerStep: percentile(
      perStep.map((s) => s.length),
      50,
    ),
    transactionsPerStep: percentile(
      perStep.map((s) => s.filter((x) => /^\s*begin/i.test(x.sql)).length),
      50,
    ),
    storeCalls,
    meanGapMs,
    executorOwnMs: meanGapMs - inStepCalls,
    oneStep: {
      stepId: `s${middle}`,
      lines: [
        { offsetMs: 0, text: `step s${middle} executes (the no-op)` },
        ...between(marks[middle - 1]!, marks[middle]!).map((s) => ({ offsetMs: s.at - marks[middle - 1]!, text: shortSql(s) })),
        { offsetMs: marks[middle]! - marks[middle - 1]!, text: `step s${middle + 1} executes` },
      ],
    },
  };
}

/** Times every method call of a repository; calls made inside it (this.getRun…) are not counted twice. */
function timed<T extends object>(target: T, into: Map<string, number[]>): T {
  return new Proxy(target, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        const started = performance.now();
        const done = () => {
          const list = into.get(String(property)) ?? [];
          list.push(performance.now() - started);
          into.set(String(property), list);
        };
        const result: unknown = value.apply(object, args);
        if (result instanceof Promise) return result.finally(done);
        done();
        return result;
      };
    },
  });
}

/**
 * The store's own connection, to read the settings it really runs with: SQLite's `synchronous`
 * is per connection, so a second connection to the same file would not tell. Reached through a
 * repository's `db` (a TypeScript-private field): the Store interface rightly does not offer it.
 */
function storeDb(store: Store): Kysely<Record<string, never>> {
  const db = (store.runbookRuns as unknown as { db?: unknown }).db;
  if (!(db instanceof Kysely)) throw new BenchError("cannot reach the store's own connection (RunbookRuns.db) to read its durability settings");
  return db as Kysely<Record<string, never>>;
}

async function readDurability(store: Store): Promise<{ engine: string; pairs: [string, string][]; durable: boolean }> {
  const db = storeDb(store);
  const one = async (query: string) => {
    const { rows } = await sql.raw<Record<string, unknown>>(query).execute(db);
    return String(Object.values(rows[0] ?? {})[0]);
  };
  if (store.dialect === "sqlite") {
    const journal = await one("pragma journal_mode");
    const synchronous = Number(await one("pragma synchronous"));
    return {
      engine: `SQLite ${await one("select sqlite_version()")}`,
      pairs: [
        ["journal_mode", journal],
        ["synchronous", `${synchronous} (${synchronousNames[synchronous] ?? "?"})`],
        ["wal_autocheckpoint", `${await one("pragma wal_autocheckpoint")} pages`],
      ],
      // WAL with NORMAL survives a process crash; a power cut may lose the last commits before a checkpoint, never corrupt.
      durable: journal.toLowerCase() === "wal" && synchronous >= 1,
    };
  }
  const synchronousCommit = await one("show synchronous_commit");
  const fsync = await one("show fsync");
  const version = (await one("show server_version")).split(" ")[0];
  return {
    engine: `PostgreSQL ${version}`,
    pairs: [
      ["synchronous_commit", synchronousCommit],
      ["fsync", fsync],
      ["wal_sync_method", await one("show wal_sync_method")],
    ],
    durable: synchronousCommit !== "off" && fsync === "on",
  };
}


async function createDatabase(adminUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `gameops_bench_${randomBytes(5).toString("hex")}`;
  const admin = new pg.Client(adminUrl);
  try {
    await admin.connect();
    await admin.query(`create database ${name}`);
  } catch (error) {
    await admin.end().catch(() => {});
    throw new BenchError(`cannot create a PostgreSQL database on ${redactUrl(adminUrl)}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      try {
        await admin.query(`drop database if exists ${name} with (force)`);
      } finally {
        await admin.end();
      }
    },
  };
}

export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = "";
    return parsed.toString();
  } catch {
    return "(an invalid URL)";
  }
}

/** The V8 CPU profiler (the one behind `node --cpu-prof`), around the measured runs only: not tsx compiling, not module loading. */
async function startProfiler(): Promise<{ stop: (file: string, repoRoot: string) => Promise<ProfileSummary> }> {
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  // 100 µs: a no-op step lasts about a millisecond; the default 1 ms would see one sample of it.
  await session.post("Profiler.setSamplingInterval", { interval: 100 });
  await session.post("Profiler.start");
  return {
    async stop(file, repoRoot) {
      const { profile } = (await session.post("Profiler.stop")) as { profile: CpuProfile };
      session.disconnect();
      await writeFile(file, JSON.stringify(profile));
      return summarizeProfile(profile, file, repoRoot);
    },
  };
}

/** GC pauses as V8 reports them, on the clock of performance.now(). */
function watchGc(): { stop: () => Promise<{ start: number; end: number }[]> } {
  const pauses: { start: number; end: number }[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) pauses.push({ start: entry.startTime, end: entry.startTime + entry.duration });
  });
  observer.observe({ entryTypes: ["gc"] });
  return {
    async stop() {
      // Entries are delivered after the fact: let the last ones arrive.
      await new Promise((resolve) => setTimeout(resolve, 50));
      observer.disconnect();
      return pauses;
    },
  };
}

function mean(values: number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

function shortSql(statement: TappedStatement): string {
  const text = statement.sql.replace(/\s+/g, " ").trim();
  return text.length > 110 ? `${text.slice(0, 107)}…` : text;
}
