// Alert intake benchmark (issue 4, item 10): a real `gameops up` on SQLite takes Alertmanager
// webhook batches of 256 alerts from a second process on loopback. Prints sustained alerts/s and
// the time until each batch's 200 (the commit), next to the peers' published intake limits, and
// the time from a new group's webhook to its first notification at a local webhook receiver.
//
//   npx tsx bench/alert-ingest/run.ts [--seconds 20] [--rate 5000] [--connections 8] [--new-share 0.1]
//                                     [--batch 256] [--warmup 3] [--probes 10] [--probe-interval 3000]
//                                     [--drain 60] [--per-minute N] [--from-source] [--profile] [--json] [--keep]
//
// Exit 0 when it measured, targets met or not; 1 when it could not measure, or when an alert
// answered 200 is missing from the store afterwards (a lost alert fails the bench).
import { readProfile, fileSystemOf, table } from "../report.js";
import { runBench } from "../bench-main.js";
import { fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import SqliteDatabase from "better-sqlite3";
import { stringify } from "yaml";
import { percentile } from "../../src/domain/checks/verdict.js";
import type { ProfileSummary } from "../engine/profile-summary.js";
import { fingerprintOf } from "./alertmanager-batch.js";
import { checkBuild, BenchError, startGameops, type GameopsServer } from "./gameops-server.js";
import type { LoadMessage, LoadSettings, PhaseName, PhaseResult } from "./load-generator.js";
import { startReceiver, type NotificationReceiver } from "./notification-receiver.js";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "../..");

/** Issue 4, item 10: on SQLite, on 2 cores. */
const TARGET_ALERTS_PER_SECOND = 5000;
const TARGET_P99_MS = 50;
/**
 * Published intake limits of the peers, not run here. PagerDuty: "approximately 120 calls/minute
 * per integration key" (developer.pagerduty.com/docs/events-API-v2/rate-limits; one event per
 * call). Grafana OnCall: "Alerts from each integration: 300 per 5 minutes"
 * (grafana.com/docs/oncall/latest/oncall-api-reference/, Rate Limits).
 */
const PEERS = [
  { name: "PagerDuty Events API v2", perSecond: 120 / 60, limit: "~120 events/min per integration key", source: "developer.pagerduty.com/docs/events-API-v2/rate-limits" },
  { name: "Grafana OnCall OSS", perSecond: 300 / 300, limit: "300 alerts per 5 min per integration", source: "grafana.com/docs/oncall/latest/oncall-api-reference/ (Rate Limits)" },
];

const { values: args } = parseArgs({
  options: {
    seconds: { type: "string", default: "20" },
    rate: { type: "string", default: String(TARGET_ALERTS_PER_SECOND) },
    connections: { type: "string", default: "8" },
    "new-share": { type: "string", default: "0.1" },
    batch: { type: "string", default: "256" },
    warmup: { type: "string", default: "3" },
    probes: { type: "string", default: "10" },
    "probe-interval": { type: "string", default: "3000" },
    drain: { type: "string", default: "60" },
    "per-minute": { type: "string" },
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
    "usage: npx tsx bench/alert-ingest/run.ts [--seconds 20] [--rate 5000] [--connections 8] [--new-share 0.1] [--batch 256] [--warmup 3] [--probes 10] [--probe-interval 3000] [--drain 60] [--cli bin/gameops.js | --from-source] [--profile] [--json] [--keep]\n",
  );
} else {
  runBench(main);
}

interface Settings {
  seconds: number;
  rate: number;
  connections: number;
  newShare: number;
  batch: number;
  warmupSeconds: number;
  probes: number;
  probeIntervalMs: number;
  drainSeconds: number;
  /** paging.channels.webhooks[].perMinute of the receiver's channel; the product's default when absent. */
  perMinute?: number;
}

function settings(): Settings {
  const number = (name: keyof typeof args, min: number, max: number, integer = true) => {
    const value = Number(args[name]);
    if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
      throw new BenchError(`--${name} must be ${integer ? "a whole number" : "a number"} from ${min} to ${max}, got "${String(args[name])}"`);
    }
    return value;
  };
  return {
    seconds: number("seconds", 1, 3600),
    rate: number("rate", 1, 1_000_000),
    connections: number("connections", 1, 256),
    newShare: number("new-share", 0, 1, false),
    batch: number("batch", 1, 10_000),
    warmupSeconds: number("warmup", 0, 600),
    probes: number("probes", 0, 10_000),
    probeIntervalMs: number("probe-interval", 10, 60_000),
    drainSeconds: number("drain", 1, 3600),
    ...(args["per-minute"] === undefined ? {} : { perMinute: number("per-minute", 1, 10_000_000) }),
  };
}

interface PhaseFigures extends PhaseResult {
  serverCpuSeconds: number;
  /** Webhook sent → first notification at the receiver, for the groups this phase opened. */
  notifyMs: number[];
  notifyMissing: number;
  /**
   * The same path in three legs, from the store's own timestamps (server clock, whole ms): webhook
   * sent → page committed (opened_at); → first escalation level fired (its page.notified event);
   * → webhook delivery sent (sent_at, after the receiver answered; a digest's for a coalesced one).
   */
  segments: { toCommit: number[]; toEscalation: number[]; toSent: number[] };
  /** Waited after the phase until its notifications had all arrived (the next phase starts then). */
  drainMs: number;
}

interface StoreCheck {
  expectedAlerts: number;
  storedAlerts: number;
  missing: number;
  groups: { expected: number; stored: number };
  pages: number;
  webhookDeliveries: Record<string, number>;
  journalMode: string;
  /** alertname → when its page opened (the intake's commit), its first level fired, and its webhook delivery went out (server clock, ms). */
  pageTimes: Map<string, { openedAt: number; notifiedAt?: number; sentAt?: number }>;
}

async function main(): Promise<number> {
  const options = settings();
  const cli = args["from-source"] ? join(here, "gameops-from-source.ts") : resolve(args.cli);
  const stale = args["from-source"] ? undefined : checkBuild(cli, repoRoot);
  if (stale) say(`warning: ${stale}`);
  const workDir = await mkdtemp(join(tmpdir(), "gameops-bench-alerts-"));
  const dataDir = join(workDir, "data");
  const loadStart = loadavg()[0]!;
  const webhookSecret = randomBytes(24).toString("hex");
  const intakeToken = randomBytes(24).toString("hex");
  const adminToken = randomBytes(24).toString("hex");
  let receiver: NotificationReceiver | undefined;
  let server: GameopsServer | undefined;
  try {
    receiver = await startReceiver(webhookSecret);
    await writeFile(join(workDir, "intake.token"), intakeToken, { mode: 0o600 });
    await writeFile(join(workDir, "hook.secret"), webhookSecret, { mode: 0o600 });
    await writeFile(join(workDir, "gameops.yaml"), stringify(pagingConfig(receiver.url, options.perMinute)));

    say(`starting gameops up (${args["from-source"] ? "from the TypeScript sources" : cli}) on SQLite in ${dataDir}`);
    server = await startGameops({
      cli,
      cwd: workDir,
      dataDir,
      adminToken,
      logFile: join(workDir, "server.log"),
      nodeArgs: [
        ...(args["from-source"] ? process.execArgv : []),
        ...(args.profile ? ["--cpu-prof", "--cpu-prof-dir", workDir, "--cpu-prof-interval", "250"] : []),
      ],
    });
    say(`gameops is up at ${server.url} (pid ${server.pid}, ${(server.readyAt - server.spawnedAt).toFixed(0)} ms after spawn)`);
    for (const [id, name] of [
      ["alice", "Alice"],
      ["bob", "Bob"],
    ]) {
      const response = await fetch(new URL("/api/people", server.url), {
        method: "POST",
        headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
        body: JSON.stringify({ id, name }),
      });
      if (!response.ok) throw new BenchError(`adding ${id} failed: HTTP ${response.status} ${await response.text()}`);
    }

    const loadSettings: LoadSettings = {
      url: server.url,
      token: intakeToken,
      batch: options.batch,
      connections: options.connections,
      newShare: options.newShare,
      rate: options.rate,
      seconds: options.seconds,
      warmupSeconds: options.warmupSeconds,
      probes: options.probes,
      probeIntervalMs: options.probeIntervalMs,
    };
    const load = await runLoad(server, loadSettings, receiver.firstSeen, options.drainSeconds);

    const stopped = await server.stop();
    if (stopped.code !== 0) say(`gameops up exited with ${stopped.code ?? stopped.signal}:\n${server.logTail()}`);
    const store = checkStore(join(dataDir, "gameops.db"), load.ackedGroups, load.groupCount, options.batch);

    const phases: PhaseFigures[] = load.phases.map((phase) => {
      const groups = [...load.groups].filter(([, g]) => g.phase === phase.name);
      const notifyMs = groups.flatMap(([name, g]) => {
        const at = receiver!.firstSeen.get(name);
        return at === undefined ? [] : [at - g.sentAt];
      });
      const segments: PhaseFigures["segments"] = { toCommit: [], toEscalation: [], toSent: [] };
      for (const [name, g] of groups) {
        const t = store.pageTimes.get(name);
        if (!t) continue;
        segments.toCommit.push(t.openedAt - g.sentAt);
        if (t.notifiedAt !== undefined) segments.toEscalation.push(t.notifiedAt - t.openedAt);
        if (t.notifiedAt !== undefined && t.sentAt !== undefined) segments.toSent.push(t.sentAt - t.notifiedAt);
      }
      return {
        ...phase,
        serverCpuSeconds: load.serverCpu.get(phase.name) ?? Number.NaN,
        notifyMs,
        notifyMissing: groups.length - notifyMs.length,
        segments,
        drainMs: load.drainMs.get(phase.name) ?? Number.NaN,
      };
    });
    const profile = args.profile ? readProfile(workDir) : undefined;
    const fileSystem = await fileSystemOf(dataDir);
    const machine = { cpus: availableParallelism(), cpuModel: cpus()[0]?.model.trim() ?? "unknown CPU", node: process.version, loadAverage: { start: loadStart, end: loadavg()[0]! } };
    const verdict = verdictOf(phases, options);
    const receiverStats = receiver.stats;
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ machine, settings: options, fileSystem, ...(stale ? { buildWarning: stale } : {}), phases: phases.map(summaryOf), store: { ...store, pageTimes: undefined }, receiver: receiverStats, verdict, profile }, null, 2)}\n`);
    } else {
      print(machine, options, fileSystem, phases, store, receiverStats, verdict, profile, stale, args.keep || args.profile ? workDir : undefined);
    }
    if (store.missing > 0) {
      say(`bench: LOST ALERTS — ${store.missing} of ${store.expectedAlerts} alerts answered 200 are not in the store`);
      return 1;
    }
    return 0;
  } finally {
    await server?.kill9();
    await receiver?.close();
    if (!args.keep && !args.profile) await rm(workDir, { recursive: true, force: true });
  }
}

function pagingConfig(receiverUrl: string, perMinute: number | undefined) {
  return {
    paging: {
      intake: { tokenFile: "intake.token" },
      channels: {
        // The channel's default rate limit (60 a minute) unless --per-minute says otherwise: past it, a backlog goes out as one digest.
        webhooks: [{ name: "bench-receiver", url: receiverUrl, secretFile: "hook.secret", ...(perMinute === undefined ? {} : { perMinute }) }],
      },
      policies: [
        {
          id: "default",
          name: "Bench escalation",
          levels: [
            { after: "0s", notify: [{ schedule: "bench-oncall", role: "primary" }] },
            { after: "15m", notify: [{ schedule: "bench-oncall", role: "backup" }] },
          ],
        },
      ],
      schedules: [
        {
          id: "bench-oncall",
          name: "Bench on-call",
          timeZone: "UTC",
          layers: [{ name: "weekly", people: ["alice", "bob"], start: "2026-01-05", handoff: { day: "monday", time: "10:00" } }],
        },
      ],
    },
  };
}

interface LoadOutcome {
  phases: PhaseResult[];
  groupCount: number;
  ackedGroups: number[];
  groups: Map<string, { sentAt: number; phase: PhaseName }>;
  serverCpu: Map<PhaseName, number>;
  /** After each phase: how long until every group sent so far had its notification (or the wait ran out). */
  drainMs: Map<PhaseName, number>;
}

/** Resolves with the time waited once every group sent so far has had a notification, or after `seconds`. */
async function drained(groups: Map<string, unknown>, firstSeen: Map<string, number>, seconds: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < seconds * 1000 && [...groups.keys()].some((name) => !firstSeen.has(name))) await sleep(100);
  return Date.now() - started;
}

/** Forks the load generator (same tsx loader) and collects what it reports. */
function runLoad(server: GameopsServer, loadSettings: LoadSettings, firstSeen: Map<string, number>, drainSeconds: number): Promise<LoadOutcome> {
  const child = fork(join(here, "load-generator.ts"), [], { execArgv: process.execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const groups = new Map<string, { sentAt: number; phase: PhaseName }>();
  const serverCpu = new Map<PhaseName, number>();
  const cpuAtStart = new Map<PhaseName, number>();
  const drainMs = new Map<PhaseName, number>();
  return new Promise((resolvePromise, reject) => {
    let outcome: LoadOutcome | undefined;
    child.on("message", (message: LoadMessage) => {
      if (message.type === "group") groups.set(message.alertname, { sentAt: message.sentAt, phase: message.phase });
      else if (message.type === "phase") {
        if (message.state === "start") {
          say(`${message.name}…`);
          cpuAtStart.set(message.name, server.cpuSeconds());
        } else {
          serverCpu.set(message.name, server.cpuSeconds() - cpuAtStart.get(message.name)!);
          void drained(groups, firstSeen, drainSeconds).then((waitedMs) => {
            drainMs.set(message.name, waitedMs);
            child.send("go on");
          });
        }
      } else if (message.type === "result") outcome = { phases: message.phases, groupCount: message.groups, ackedGroups: message.ackedGroups, groups, serverCpu, drainMs };
      else if (message.type === "failed") reject(new BenchError(`the load generator failed: ${message.message}`));
    });
    child.on("error", reject);
    child.on("exit", (code) => (outcome ? resolvePromise(outcome) : reject(new BenchError(`the load generator exited (${code}) without a result`))));
    child.send(loadSettings);
  });
}

/** After the server stopped: every alert answered 200 must be in the store, by its fingerprint. */
function checkStore(file: string, ackedGroups: number[], groupCount: number, batch: number): StoreCheck {
  const db = new SqliteDatabase(file, { readonly: true });
  try {
    const stored = new Set(db.prepare("select fingerprint from alerts").pluck().all() as string[]);
    let missing = 0;
    for (const g of ackedGroups) {
      for (let a = 0; a < batch; a++) if (!stored.has(fingerprintOf(g, a))) missing++;
    }
    const count = (query: string) => Number(db.prepare(query).pluck().get());
    const deliveries = db.prepare("select status, count(*) as n from deliveries where channel like 'webhook:%' group by status").all() as { status: string; n: number }[];
    // A coalesced delivery went out inside the digest it names: that send is when it left.
    const times = db
      .prepare(
        `select p.group_key as groupKey, p.opened_at as openedAt,
                (select min(e.at) from page_events e where e.page_id = p.id and e.type = 'page.notified') as notifiedAt,
                (select min(coalesce(d.sent_at, c.sent_at)) from deliveries d left join deliveries c on c.id = d.coalesced_into
                  where d.page_id = p.id and d.channel like 'webhook:%') as sentAt
           from pages p`,
      )
      .all() as { groupKey: string; openedAt: number; notifiedAt: number | null; sentAt: number | null }[];
    const pageTimes = new Map(
      times.map((t) => [
        /alertname="([^"]+)"/.exec(t.groupKey)?.[1] ?? t.groupKey,
        { openedAt: t.openedAt, ...(t.notifiedAt === null ? {} : { notifiedAt: t.notifiedAt }), ...(t.sentAt === null ? {} : { sentAt: t.sentAt }) },
      ]),
    );
    return {
      expectedAlerts: ackedGroups.length * batch,
      storedAlerts: stored.size,
      missing,
      groups: { expected: groupCount, stored: count("select count(*) from alert_groups") },
      pages: count("select count(*) from pages"),
      webhookDeliveries: Object.fromEntries(deliveries.map((d) => [d.status, d.n])),
      journalMode: String(db.pragma("journal_mode", { simple: true })),
      pageTimes,
    };
  } finally {
    db.close();
  }
}

interface Verdict {
  cpus: number;
  throughput: { value: number; target: number; met: boolean };
  pacedP99: { valueMs: number; targetMs: number; rate: number; met: boolean; errors: number };
}

function verdictOf(phases: PhaseFigures[], options: Settings): Verdict {
  const saturation = phases.find((p) => p.name === "saturation")!;
  const paced = phases.find((p) => p.name === "paced")!;
  const throughput = saturation.alerts / (saturation.wallMs / 1000);
  const p99 = percentile(paced.latenciesMs, 99);
  return {
    cpus: availableParallelism(),
    throughput: { value: throughput, target: TARGET_ALERTS_PER_SECOND, met: throughput >= TARGET_ALERTS_PER_SECOND && saturation.errorCount === 0 },
    // Only a run at (at least) the target rate can meet the latency target.
    pacedP99: { valueMs: p99, targetMs: TARGET_P99_MS, rate: options.rate, met: options.rate >= TARGET_ALERTS_PER_SECOND && p99 < TARGET_P99_MS && paced.errorCount === 0, errors: paced.errorCount },
  };
}

function summaryOf(phase: PhaseFigures) {
  const { latenciesMs, notifyMs, segments, ...rest } = phase;
  const spread = (sample: number[]) => ({ p50: percentile(sample, 50), p99: percentile(sample, 99) });
  return {
    ...rest,
    alertsPerSecond: phase.alerts / (phase.wallMs / 1000),
    ackMs: { p50: percentile(latenciesMs, 50), p99: percentile(latenciesMs, 99), max: Math.max(...latenciesMs) },
    notifyMs: notifyMs.length > 0 ? { n: notifyMs.length, p50: percentile(notifyMs, 50), p99: percentile(notifyMs, 99), max: Math.max(...notifyMs) } : { n: 0 },
    legsMs: { toCommit: spread(segments.toCommit), toEscalation: spread(segments.toEscalation), toSent: spread(segments.toSent) },
  };
}

function print(
  machine: { cpus: number; cpuModel: string; node: string; loadAverage: { start: number; end: number } },
  options: Settings,
  fileSystem: string,
  phases: PhaseFigures[],
  store: StoreCheck,
  receiverStats: NotificationReceiver["stats"],
  verdict: Verdict,
  profile: ProfileSummary | undefined,
  buildWarning: string | undefined,
  keptDir: string | undefined,
): void {
  const out: string[] = [];
  const phase = (name: PhaseName) => phases.find((p) => p.name === name);
  out.push("");
  out.push("bench/alert-ingest — Alertmanager webhooks into gameops up on SQLite (issue 4, item 10)");
  out.push(
    `batches of ${options.batch} alerts (payload version 4) from a second process over loopback · ${options.connections} keep-alive connections · ${(options.newShare * 100).toFixed(0)} % of batches open a new group, the rest repeat one`,
  );
  out.push(`machine: ${machine.cpus} CPUs (${machine.cpuModel}), Node ${machine.node}, load average ${machine.loadAverage.start.toFixed(2)} at start, ${machine.loadAverage.end.toFixed(2)} at end`);
  out.push(`store: SQLite journal_mode=${store.journalMode}, synchronous=NORMAL (set by openStore on the server's connection), on ${fileSystem}${args["from-source"] ? " · server run from the TypeScript sources (tsx)" : ""}${args.profile ? " · PROFILED (slower than without)" : ""}`);
  if (buildWarning) out.push(`WARNING: ${buildWarning}`);
  out.push("");
  const rows: string[][] = [];
  const sat = phase("saturation")!;
  const paced = phase("paced")!;
  const rateOf = (p: PhaseFigures) => p.alerts / (p.wallMs / 1000);
  rows.push(["gameops, saturation (closed loop)", `${rateOf(sat).toFixed(0)}/s`, ms(percentile(sat.latenciesMs, 50)), ms(percentile(sat.latenciesMs, 99)), ms(Math.max(...sat.latenciesMs)), "measured here"]);
  rows.push([`gameops, paced at ${options.rate}/s (open loop)`, `${rateOf(paced).toFixed(0)}/s`, ms(percentile(paced.latenciesMs, 50)), ms(percentile(paced.latenciesMs, 99)), ms(Math.max(...paced.latenciesMs)), "measured here"]);
  for (const peer of PEERS) rows.push([peer.name, `${peer.perSecond.toFixed(0)}/s`, "—", "—", "—", `published limit: ${peer.limit} (${peer.source}); not run here`]);
  out.push(...table(["", "alerts/s", "ack p50", "ack p99", "ack max", "source"], rows));
  out.push("");
  for (const peer of PEERS) {
    out.push(`  gameops saturation ÷ ${peer.name} limit: ${(rateOf(sat) / peer.perSecond).toFixed(0)}× (a measured capacity against a published cap per integration key; one gameops intake token)`);
  }
  out.push("  ack      = time until the webhook's 200, which the server sends only after the batch is committed.");
  out.push("             saturation: from sending the batch; paced: from when it was due to be sent (no coordinated omission).");
  out.push("  alerts/s = alerts answered 200 ÷ the phase's wall (first send → last answer).");
  out.push("");
  const detail: string[][] = [];
  for (const p of phases) {
    detail.push([
      p.name,
      `${(p.wallMs / 1000).toFixed(1)} s`,
      String(p.requests),
      String(p.alerts),
      String(p.newGroups),
      String(p.errorCount),
      `${((p.serverCpuSeconds / (p.wallMs / 1000)) * 100).toFixed(0)} %`,
      `${((p.loaderCpuMs / p.wallMs) * 100).toFixed(0)} %`,
    ]);
  }
  out.push(...table(["phase", "wall", "batches", "alerts", "new groups", "errors", "server CPU", "load gen CPU"], detail));
  for (const p of phases) for (const e of p.errors) out.push(`  ${p.name} error: ${e}`);
  out.push("  (CPU as a share of one core; the machine has " + machine.cpus + ")");
  out.push("");
  out.push("Webhook → first notification at the local webhook receiver (a new group opens a page; its first escalation level notifies the on-call person):");
  const notifyRows = phases.map((p) => [
    p.name === "probes" ? `probes (one every ${options.probeIntervalMs / 1000} s, quiet server)` : `during ${p.name} (${(p.newGroups / (p.wallMs / 1000)).toFixed(1)} new pages/s)`,
    String(p.notifyMs.length),
    ms(percentile(p.notifyMs, 50)),
    ms(percentile(p.notifyMs, 99)),
    p.notifyMs.length > 0 ? ms(Math.max(...p.notifyMs)) : "—",
    `${(p.drainMs / 1000).toFixed(1)} s`,
    p.notifyMissing > 0 ? `${p.notifyMissing} never arrived (waited ${options.drainSeconds} s)` : "",
  ]);
  out.push(...table(["", "groups", "p50", "p99", "max", "last one after the phase", ""], notifyRows));
  out.push("  (after each phase the bench waits for its last notification before the next phase starts, so a backlog does not carry over)");
  out.push("  the same, leg by leg (p50 / p99), from the store's timestamps:");
  const leg = (sample: number[]) => `${ms(percentile(sample, 50))} / ${ms(percentile(sample, 99))}`;
  const legRows = phases.map((p) => [p.name, leg(p.segments.toCommit), leg(p.segments.toEscalation), leg(p.segments.toSent)]);
  out.push(...table(["", "webhook → page committed", "→ first level fired", "→ webhook delivery sent"], legRows));
  out.push(`  receiver: ${receiverStats.posts} POSTs, ${receiverStats.digests} digests, ${receiverStats.badSignatures} bad signatures. No peer publishes this figure.`);
  out.push("");
  out.push(
    `Store after the run: ${store.storedAlerts} alerts stored of ${store.expectedAlerts} distinct alerts answered 200 (${store.missing === 0 ? "none lost" : `${store.missing} LOST`}), ${store.groups.stored} groups of ${store.groups.expected}, ${store.pages} pages; webhook deliveries ${Object.entries(store.webhookDeliveries).map(([s, n]) => `${s} ${n}`).join(", ") || "none"}`,
  );

  if (profile) {
    out.push("");
    out.push(`CPU profile of the server, whole run: ${profile.file} (${profile.sampledMs.toFixed(0)} ms sampled)`);
    out.push("  self time by place:");
    for (const place of profile.byPlace.slice(0, 14)) out.push(`    ${pct(place.share).padStart(6)}  ${place.ms.toFixed(0).padStart(6)} ms  ${place.place}`);
    out.push("  heaviest functions (self time):");
    for (const fn of profile.byFunction) out.push(`    ${pct(fn.share).padStart(6)}  ${fn.ms.toFixed(0).padStart(6)} ms  ${fn.name}`);
  }

  out.push("");
  const cores = verdict.cpus === 2 ? "2 CPUs" : `${verdict.cpus} CPUs — the targets are stated for 2`;
  out.push(
    `VERDICT (SQLite, ${cores})  >= ${verdict.throughput.target} alerts/s sustained: ${verdict.throughput.met ? "MET" : "NOT MET"} (${verdict.throughput.value.toFixed(0)}/s at saturation) · ack p99 < ${verdict.pacedP99.targetMs} ms at ${verdict.pacedP99.rate} alerts/s: ${verdict.pacedP99.met ? "MET" : "NOT MET"} (${ms(verdict.pacedP99.valueMs)}${verdict.pacedP99.errors > 0 ? `, ${verdict.pacedP99.errors} errors` : ""})`,
  );
  out.push(`No alert lost: ${store.missing === 0 ? "yes" : "NO"}`);
  if (keptDir) out.push(`work dir kept: ${keptDir}`);
  process.stdout.write(`${out.join("\n")}\n`);
}




function ms(value: number): string {
  if (!Number.isFinite(value)) return "—";
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value < 10 ? value.toFixed(2) : value.toFixed(1)} ms`;
}

function pct(share: number): string {
  return `${(share * 100).toFixed(1)} %`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

