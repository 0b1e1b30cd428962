// Escalation timer benchmark (issue 4, item 10): 10,000 pages whose escalation steps fall due over
// a window, fired by a real `gameops up` on SQLite through its timer loop and the store. Measures
// each step's firing error (fired − due); then, in a second data dir, kills the server with
// SIGKILL mid-window, restarts it, and measures how long the timers that fell due meanwhile take
// to fire, and that every step fired exactly once.
//
//   npx tsx bench/escalation-timers/run.ts [--timers 10000] [--window 30] [--lead 8] [--kill-at 0.4]
//                                          [--down 10] [--kill-anytime] [--phases steady,crash] [--from-source] [--profile]
//                                          [--json] [--keep]
//
// Exit 0 when it measured, targets met or not; 1 when it could not measure, or when a step fired
// twice or never.
import { readProfile, fileSystemOf, table } from "../report.js";
import { runBench } from "../bench-main.js";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { stringify } from "yaml";
import { percentile } from "../../src/domain/checks/verdict.js";
import { checkBuild, BenchError, startGameops, wallNow, type GameopsServer } from "../alert-ingest/gameops-server.js";
import type { ProfileSummary } from "../engine/profile-summary.js";
import { countFired, readFirings, whenLeased, type Firing } from "./firings.js";
import { seedPages, type Seeded } from "./seed-pages.js";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "../..");

/** Issue 4, item 10. */
const TARGET_P99_ERROR_MS = 1000;
const TARGET_CATCH_UP_MS = 5000;

const { values: args } = parseArgs({
  options: {
    timers: { type: "string", default: "10000" },
    window: { type: "string", default: "30" },
    lead: { type: "string", default: "8" },
    "kill-at": { type: "string", default: "0.4" },
    down: { type: "string", default: "10" },
    "kill-anytime": { type: "boolean", default: false },
    phases: { type: "string", default: "steady,crash" },
    cli: { type: "string", default: join(repoRoot, "bin/gameops.js") },
    "from-source": { type: "boolean", default: false },
    profile: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});

const say = (line: string) => process.stderr.write(`${line}\n`);

if (args.help) {
  process.stdout.write(
    "usage: npx tsx bench/escalation-timers/run.ts [--timers 10000] [--window 30] [--lead 8] [--kill-at 0.4] [--down 10] [--kill-anytime] [--phases steady,crash] [--cli bin/gameops.js | --from-source] [--profile] [--json] [--keep]\n",
  );
} else {
  runBench(main);
}

interface Settings {
  timers: number;
  windowMs: number;
  leadMs: number;
  killAt: number;
  downMs: number;
  phases: ("steady" | "crash")[];
}

function settings(): Settings {
  const number = (name: "timers" | "window" | "lead" | "kill-at" | "down", min: number, max: number) => {
    const value = Number(args[name]);
    if (!Number.isFinite(value) || value < min || value > max) throw new BenchError(`--${name} must be a number from ${min} to ${max}, got "${args[name]}"`);
    return value;
  };
  const phases = args.phases.split(",").map((p) => p.trim());
  if (phases.length === 0 || phases.some((p) => p !== "steady" && p !== "crash")) throw new BenchError(`--phases takes steady and/or crash, got "${args.phases}"`);
  return {
    timers: Math.round(number("timers", 1, 1_000_000)),
    windowMs: number("window", 1, 3600) * 1000,
    leadMs: number("lead", 1, 600) * 1000,
    killAt: number("kill-at", 0.05, 0.95),
    downMs: number("down", 0, 600) * 1000,
    phases: phases as Settings["phases"],
  };
}

interface Spread {
  n: number;
  p50: number;
  p99: number;
  max: number;
  min: number;
}

interface SteadyFigures {
  seedMs: number;
  startMs: number;
  /** Fired − due of every step. */
  errorMs: Spread;
  /** Steps fired per second while the window ran (last fired − first due). */
  firedPerSecond: number;
  serverCpuSeconds: number;
  windowSeconds: number;
  once: OnceCheck;
}

interface CrashFigures {
  seedMs: number;
  killedAt: number;
  /** Escalation timers the killed process held leases on, as last seen before the SIGKILL. */
  leasedAtKill: number;
  /** When the new process was spawned and when it was up, after the first due time. */
  restartSpawnAtMs: number;
  restartReadyAfterSpawnMs: number;
  firedBeforeKill: number;
  /** Steps whose commit landed before the SIGKILL but whose timer was not yet marked fired: claimed again, ran again, recorded nothing. */
  committedThenRanAgain: number;
  /** Due before the restart and not fired before the kill: what the new process has to catch up on. */
  overdue: number;
  /** Fired − restart spawn, for the overdue ones. */
  catchUpMs: Spread;
  /** The overdue ones whose claim died with the killed process (claimed twice). */
  leasedByDead: { n: number; catchUpMs?: Spread; afterKillMs?: Spread };
  /** The overdue ones without them. */
  catchUpOthersMs?: Spread;
  /** Fired − due, for the steps due after the restart. */
  afterRestartErrorMs?: Spread;
  once: OnceCheck;
}

interface OnceCheck {
  timers: number;
  fired: number;
  neverFired: number;
  firedTwice: number;
  /** Timers claimed more than once (their first run's claim was lost): allowed, as long as the step fired once. */
  claimedAgain: number;
  deliveriesOff: number;
}

async function main(): Promise<number> {
  const options = settings();
  const cli = args["from-source"] ? join(repoRoot, "bench/alert-ingest/gameops-from-source.ts") : resolve(args.cli);
  const stale = args["from-source"] ? undefined : checkBuild(cli, repoRoot);
  if (stale) say(`warning: ${stale}`);
  const workDir = await mkdtemp(join(tmpdir(), "gameops-bench-timers-"));
  const loadStart = loadavg()[0]!;
  const adminToken = randomBytes(24).toString("hex");
  const start = (dir: string, profile: boolean) =>
    startGameops({
      cli,
      cwd: dir,
      dataDir: join(dir, "data"),
      adminToken,
      logFile: join(dir, "server.log"),
      nodeArgs: [...(args["from-source"] ? process.execArgv : []), ...(profile ? ["--cpu-prof", "--cpu-prof-dir", dir, "--cpu-prof-interval", "250"] : [])],
    }).catch((error: unknown) => {
      // The seed migrates the store with the sources' migrations; a build without one of them refuses the file.
      if (error instanceof BenchError && stale && /migration/.test(error.message)) throw new BenchError(`${error.message}\n(${stale})`);
      throw error;
    });
  let steady: SteadyFigures | undefined;
  let crash: CrashFigures | undefined;
  const profiles: { steady?: ProfileSummary; restarted?: ProfileSummary } = {};
  try {
    if (options.phases.includes("steady")) {
      const dir = await prepare(join(workDir, "steady"));
      say(`steady: seeding ${options.timers} pages with escalation steps due over ${options.windowMs / 1000} s`);
      const seeded = await seedPages({ cwd: dir, dataDir: join(dir, "data"), timers: options.timers, windowMs: options.windowMs, leadMs: options.leadMs });
      const server = await start(dir, args.profile);
      try {
        checkLead(server, seeded);
        say(`steady: gameops up (pid ${server.pid}); the first step is due in ${((seeded.firstDueAt - Date.now()) / 1000).toFixed(1)} s`);
        const cpu0 = server.cpuSeconds();
        await waitUntilFired(join(dir, "data", "gameops.db"), options.timers, seeded.lastDueAt + 120_000, "steady");
        const cpu = server.cpuSeconds() - cpu0;
        await server.stop();
        steady = steadyFigures(readFirings(join(dir, "data", "gameops.db")), seeded, server, cpu);
      } finally {
        await server.kill9();
      }
      if (args.profile) profiles.steady = readProfile(dir);
    }

    if (options.phases.includes("crash")) {
      const dir = await prepare(join(workDir, "crash"));
      const file = join(dir, "data", "gameops.db");
      say(`crash: seeding ${options.timers} pages with escalation steps due over ${options.windowMs / 1000} s`);
      const seeded = await seedPages({ cwd: dir, dataDir: join(dir, "data"), timers: options.timers, windowMs: options.windowMs, leadMs: options.leadMs });
      const first = await start(dir, false);
      let second: GameopsServer | undefined;
      try {
        checkLead(first, seeded);
        const killAt = seeded.firstDueAt + options.killAt * options.windowMs;
        say(`crash: gameops up (pid ${first.pid}); SIGKILL at ${(options.killAt * 100).toFixed(0)} % of the window, then ${options.downMs / 1000} s down`);
        await sleep(killAt - Date.now());
        // The crash that costs the most: while the loop holds leases on a batch it is firing.
        const leasedAtKill = args["kill-anytime"] ? 0 : await whenLeased(file, 3000);
        await first.kill9();
        const killedAt = wallNow();
        await sleep(options.downMs);
        second = await start(dir, args.profile);
        say(`crash: restarted (pid ${second.pid}, up ${(second.readyAt - second.spawnedAt).toFixed(0)} ms after spawn)`);
        // A claim that died with the first process comes back when its lease runs out (60 s in `gameops up`).
        await waitUntilFired(file, options.timers, Math.max(seeded.lastDueAt, second.spawnedAt) + 180_000, "crash");
        await second.stop();
        crash = crashFigures(readFirings(file), seeded, killedAt, leasedAtKill, second);
      } finally {
        await first.kill9();
        await second?.kill9();
      }
      if (args.profile) profiles.restarted = readProfile(dir);
    }
  } finally {
    if (!args.keep && !args.profile) await rm(workDir, { recursive: true, force: true });
  }

  const machine = { cpus: availableParallelism(), cpuModel: cpus()[0]?.model.trim() ?? "unknown CPU", node: process.version, loadAverage: { start: loadStart, end: loadavg()[0]! } };
  const fileSystem = await fileSystemOf(tmpdir());
  const verdict = verdictOf(steady, crash);
  if (args.json) process.stdout.write(`${JSON.stringify({ machine, settings: options, fileSystem, ...(stale ? { buildWarning: stale } : {}), steady, crash, verdict, profiles }, null, 2)}\n`);
  else print(machine, options, fileSystem, steady, crash, verdict, profiles, stale, args.keep || args.profile ? workDir : undefined);
  const onceBroken = [steady?.once, crash?.once].some((o) => o && (o.neverFired > 0 || o.firedTwice > 0 || o.deliveriesOff > 0));
  if (onceBroken) say("bench: A STEP FIRED TWICE OR NEVER — see the exactly-once lines above");
  return onceBroken ? 1 : 0;
}

/** A data dir with a gameops.yaml: one policy whose only level notifies the schedule's primary (inbox only: no channel). */
async function prepare(dir: string): Promise<string> {
  await mkdir(join(dir, "data"), { recursive: true });
  await writeFile(
    join(dir, "gameops.yaml"),
    stringify({
      paging: {
        policies: [{ id: "default", name: "Bench escalation", levels: [{ after: "0s", notify: [{ schedule: "bench-oncall", role: "primary" }] }] }],
        schedules: [
          {
            id: "bench-oncall",
            name: "Bench on-call",
            timeZone: "UTC",
            layers: [{ name: "weekly", people: ["alice", "bob"], start: "2026-01-05", handoff: { day: "monday", time: "10:00" } }],
          },
        ],
      },
    }),
  );
  return dir;
}

function checkLead(server: GameopsServer, seeded: Seeded): void {
  if (server.readyAt >= seeded.firstDueAt) {
    throw new BenchError(`the server was up ${((server.readyAt - seeded.firstDueAt) / 1000).toFixed(1)} s after the first step was due; raise --lead`);
  }
}

async function waitUntilFired(file: string, timers: number, deadline: number, phase: string): Promise<void> {
  let last = -1;
  for (;;) {
    const fired = countFired(file);
    if (fired >= timers) return;
    if (Date.now() > deadline) throw new BenchError(`${phase}: only ${fired} of ${timers} steps fired by the deadline`);
    if (Math.floor(fired / 2000) !== Math.floor(last / 2000)) say(`${phase}: ${fired} of ${timers} fired`);
    last = fired;
    await sleep(250);
  }
}

function steadyFigures(firings: Map<string, Firing>, seeded: Seeded, server: GameopsServer, cpuSeconds: number): SteadyFigures {
  const errors: number[] = [];
  let lastFired = 0;
  for (const [pageId, due] of seeded.due) {
    const f = firings.get(pageId);
    if (f?.firedAt === undefined) continue;
    errors.push(f.firedAt - due);
    lastFired = Math.max(lastFired, f.firedAt);
  }
  return {
    seedMs: seeded.seedMs,
    startMs: server.readyAt - server.spawnedAt,
    errorMs: spread(errors),
    firedPerSecond: errors.length / ((lastFired - seeded.firstDueAt) / 1000),
    serverCpuSeconds: cpuSeconds,
    windowSeconds: (seeded.lastDueAt - seeded.firstDueAt) / 1000,
    once: onceCheck(firings, seeded),
  };
}

function crashFigures(firings: Map<string, Firing>, seeded: Seeded, killedAt: number, leasedAtKill: number, second: GameopsServer): CrashFigures {
  const restart = second.spawnedAt;
  let firedBeforeKill = 0;
  let committedThenRanAgain = 0;
  const catchUp: number[] = [];
  const catchUpDead: number[] = [];
  const deadAfterKill: number[] = [];
  const catchUpOthers: number[] = [];
  const after: number[] = [];
  for (const [pageId, due] of seeded.due) {
    const f = firings.get(pageId);
    if (f?.firedAt === undefined) continue;
    if (f.firedAt < killedAt) {
      firedBeforeKill++;
      if (f.attempts > 1) committedThenRanAgain++;
    }
    else if (due < restart) {
      catchUp.push(f.firedAt - restart);
      (f.attempts > 1 ? catchUpDead : catchUpOthers).push(f.firedAt - restart);
      if (f.attempts > 1) deadAfterKill.push(f.firedAt - killedAt);
    } else after.push(f.firedAt - due);
  }
  return {
    seedMs: seeded.seedMs,
    killedAt,
    leasedAtKill,
    restartSpawnAtMs: restart - seeded.firstDueAt,
    restartReadyAfterSpawnMs: second.readyAt - second.spawnedAt,
    firedBeforeKill,
    committedThenRanAgain,
    overdue: catchUp.length,
    catchUpMs: spread(catchUp),
    leasedByDead: { n: catchUpDead.length, ...(catchUpDead.length > 0 ? { catchUpMs: spread(catchUpDead), afterKillMs: spread(deadAfterKill) } : {}) },
    ...(catchUpOthers.length > 0 ? { catchUpOthersMs: spread(catchUpOthers) } : {}),
    ...(after.length > 0 ? { afterRestartErrorMs: spread(after) } : {}),
    once: onceCheck(firings, seeded),
  };
}

/** Every seeded step fired exactly once: one page.notified event, one inbox delivery, its timer row `fired`. */
function onceCheck(firings: Map<string, Firing>, seeded: Seeded): OnceCheck {
  const check: OnceCheck = { timers: seeded.due.size, fired: 0, neverFired: 0, firedTwice: 0, claimedAgain: 0, deliveriesOff: 0 };
  for (const pageId of seeded.due.keys()) {
    const f = firings.get(pageId);
    if (!f || f.notified === 0) check.neverFired++;
    else if (f.notified > 1) check.firedTwice++;
    if (f?.timerStatus === "fired") check.fired++;
    if (f && f.attempts > 1) check.claimedAgain++;
    // One person on call, one channel (the inbox): one delivery per firing.
    if (f && f.notified > 0 && f.deliveries !== 1) check.deliveriesOff++;
  }
  return check;
}

interface Verdict {
  cpus: number;
  firingError?: { p99Ms: number; targetMs: number; met: boolean };
  catchUp?: { maxMs: number; targetMs: number; met: boolean };
  exactlyOnce: boolean;
}

function verdictOf(steady: SteadyFigures | undefined, crash: CrashFigures | undefined): Verdict {
  return {
    cpus: availableParallelism(),
    ...(steady ? { firingError: { p99Ms: steady.errorMs.p99, targetMs: TARGET_P99_ERROR_MS, met: steady.errorMs.p99 <= TARGET_P99_ERROR_MS } } : {}),
    ...(crash ? { catchUp: { maxMs: crash.catchUpMs.max, targetMs: TARGET_CATCH_UP_MS, met: crash.catchUpMs.max <= TARGET_CATCH_UP_MS } } : {}),
    exactlyOnce: [steady?.once, crash?.once].every((o) => !o || (o.neverFired === 0 && o.firedTwice === 0 && o.fired === o.timers && o.deliveriesOff === 0)),
  };
}

function print(
  machine: { cpus: number; cpuModel: string; node: string; loadAverage: { start: number; end: number } },
  options: Settings,
  fileSystem: string,
  steady: SteadyFigures | undefined,
  crash: CrashFigures | undefined,
  verdict: Verdict,
  profiles: { steady?: ProfileSummary; restarted?: ProfileSummary },
  buildWarning: string | undefined,
  keptDir: string | undefined,
): void {
  const out: string[] = [];
  out.push("");
  out.push("bench/escalation-timers — escalation steps fired by gameops up on SQLite (issue 4, item 10)");
  out.push(
    `${options.timers} open pages, each with its first escalation step due, spread evenly over ${options.windowMs / 1000} s · fired by the timer loop of \`gameops up\` as it configures it${args["from-source"] ? " · server from the TypeScript sources" : ""}${args.profile ? " · PROFILED" : ""}`,
  );
  out.push(`machine: ${machine.cpus} CPUs (${machine.cpuModel}), Node ${machine.node}, load average ${machine.loadAverage.start.toFixed(2)} at start, ${machine.loadAverage.end.toFixed(2)} at end; SQLite WAL, synchronous=NORMAL, on ${fileSystem}`);
  if (buildWarning) out.push(`WARNING: ${buildWarning}`);
  out.push("");
  const rows: string[][] = [];
  if (steady) {
    const e = steady.errorMs;
    rows.push(["gameops, steady (no crash)", String(e.n), ms(e.p50), ms(e.p99), ms(e.max), ms(e.min), "measured here"]);
  }
  if (crash?.afterRestartErrorMs) {
    const e = crash.afterRestartErrorMs;
    rows.push(["gameops, due after the restart", String(e.n), ms(e.p50), ms(e.p99), ms(e.max), ms(e.min), "measured here"]);
  }
  rows.push(["graphile-worker, Grafana OnCall (Celery ETA)", "—", "—", "—", "—", "—", "no published figure for a scheduled job's firing error; not run here"]);
  out.push("Firing error (fired − due) of each escalation step:");
  out.push(...table(["", "steps", "p50", "p99", "max", "min", "source"], rows));
  out.push("  fired = the start of the step's commit (the page.notified event's time); due = the timer's due time.");
  if (steady) {
    out.push(
      `  steady: ${steady.firedPerSecond.toFixed(0)} steps/s fired over the window (${(options.timers / (options.windowMs / 1000)).toFixed(0)}/s due); server CPU ${steady.serverCpuSeconds.toFixed(1)} s (${((steady.serverCpuSeconds / (steady.windowSeconds + steady.errorMs.max / 1000)) * 100).toFixed(0)} % of one core); seeding took ${(steady.seedMs / 1000).toFixed(1)} s; up ${steady.startMs.toFixed(0)} ms after spawn`,
    );
  }
  if (crash) {
    out.push("");
    out.push(
      `kill -9 and restart: SIGKILL at ${(options.killAt * 100).toFixed(0)} % of the window${args["kill-anytime"] ? "" : `, as the loop held leases on ${crash.leasedAtKill} steps`} (${crash.firedBeforeKill} steps had fired), down ${options.downMs / 1000} s, restarted ${(crash.restartSpawnAtMs / 1000).toFixed(1)} s into the window, up ${crash.restartReadyAfterSpawnMs.toFixed(0)} ms after spawn`,
    );
    const c = crash.catchUpMs;
    const catchRows: string[][] = [["all overdue at the restart", String(c.n), ms(c.p50), ms(c.p99), ms(c.max)]];
    if (crash.catchUpOthersMs) {
      const o = crash.catchUpOthersMs;
      catchRows.push(["  not claimed by the killed process", String(o.n), ms(o.p50), ms(o.p99), ms(o.max)]);
    }
    if (crash.leasedByDead.catchUpMs) {
      const d = crash.leasedByDead.catchUpMs;
      catchRows.push(["  claimed by the killed process (lease lost)", String(d.n), ms(d.p50), ms(d.p99), ms(d.max)]);
    }
    const afterKill = crash.leasedByDead.afterKillMs;
    out.push("Overdue steps after the restart: fired − the restarted process's spawn");
    out.push(...table(["", "steps", "p50", "p99", "max"], catchRows));
    if (afterKill) {
      out.push(`  the ${crash.leasedByDead.n} whose claim died with the killed process fired ${ms(afterKill.min)}–${ms(afterKill.max)} after the SIGKILL: when their lease ran out`);
    }
    if (crash.committedThenRanAgain > 0) {
      out.push(
        `  ${crash.committedThenRanAgain} more ${crash.committedThenRanAgain === 1 ? "step had" : "steps had"} committed just before the SIGKILL, not yet marked fired: claimed again after the lease, ran again, recorded nothing (a step moves once)`,
      );
    }
  }
  out.push("");
  for (const [name, once] of [
    ["steady", steady?.once],
    ["crash", crash?.once],
  ] as const) {
    if (!once) continue;
    out.push(
      `Exactly once (${name}): ${once.timers} steps, ${once.timers - once.neverFired - once.firedTwice} fired once, ${once.firedTwice} twice, ${once.neverFired} never; timer rows fired ${once.fired}; claimed more than once ${once.claimedAgain} (ran again after a lost claim; the step still fired once); deliveries off ${once.deliveriesOff}`,
    );
  }

  for (const [which, profile] of Object.entries(profiles)) {
    out.push("");
    out.push(`CPU profile of the ${which === "steady" ? "steady server" : "restarted server (catch-up, then the rest of the window)"}, whole run: ${profile.file} (${profile.sampledMs.toFixed(0)} ms sampled)`);
    out.push("  self time by place:");
    for (const place of profile.byPlace.slice(0, 14)) out.push(`    ${pct(place.share).padStart(6)}  ${place.ms.toFixed(0).padStart(6)} ms  ${place.place}`);
    out.push("  heaviest functions (self time):");
    for (const fn of profile.byFunction) out.push(`    ${pct(fn.share).padStart(6)}  ${fn.ms.toFixed(0).padStart(6)} ms  ${fn.name}`);
  }

  out.push("");
  const cores = verdict.cpus === 2 ? "2 CPUs" : `${verdict.cpus} CPUs — the targets are stated for 2`;
  const parts = [
    verdict.firingError && `firing error p99 <= ${verdict.firingError.targetMs / 1000} s: ${verdict.firingError.met ? "MET" : "NOT MET"} (${ms(verdict.firingError.p99Ms)})`,
    verdict.catchUp && `overdue fired <= ${verdict.catchUp.targetMs / 1000} s after restart: ${verdict.catchUp.met ? "MET" : "NOT MET"} (last after ${ms(verdict.catchUp.maxMs)})`,
    `every step fired exactly once: ${verdict.exactlyOnce ? "yes" : "NO"}`,
  ].filter(Boolean);
  out.push(`VERDICT (SQLite, ${cores})  ${parts.join(" · ")}`);
  if (keptDir) out.push(`work dir kept: ${keptDir}`);
  process.stdout.write(`${out.join("\n")}\n`);
}

function spread(sample: number[]): Spread {
  if (sample.length === 0) return { n: 0, p50: Number.NaN, p99: Number.NaN, max: Number.NaN, min: Number.NaN };
  return { n: sample.length, p50: percentile(sample, 50), p99: percentile(sample, 99), max: Math.max(...sample), min: Math.min(...sample) };
}




function ms(value: number): string {
  if (!Number.isFinite(value)) return "—";
  const sign = value < 0 ? "−" : "";
  const v = Math.abs(value);
  return `${sign}${v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v < 10 ? v.toFixed(1) : v.toFixed(0)} ms`}`;
}

function pct(share: number): string {
  return `${(share * 100).toFixed(1)} %`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
