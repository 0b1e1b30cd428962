import { hostname } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { buildServer } from "../../api/server.js";
import { ensureAdminToken } from "../../api/admin-token.js";
import { backupTimer, DailySchedule, dailyCheckTimer } from "../../engine/daily-schedule.js";
import { componentNames } from "../../domain/backups/manifest.js";
import { componentSkipReason } from "../../engine/backups/set-components.js";
import { createCheckService } from "../../engine/health/check-service.js";
import { loadLinkKey } from "../../engine/paging/action-links.js";
import { IncidentService } from "../../engine/incidents/incident-service.js";
import { Paging } from "../../engine/paging/paging.js";
import { RunbookExecutor } from "../../engine/runbooks/executor.js";
import { stepKinds } from "../../engine/runbooks/steps/index.js";
import { TimerLoop } from "../../engine/timer-loop.js";
import { loadCatalog, runbookFolders } from "../../runbooks/catalog.js";
import type { Config } from "../../config/load.js";
import type { Store } from "../../store/store.js";
import { configFor, openLocalStore, type GlobalOptions } from "../session.js";
import { recordServerAddress } from "../server-address.js";
import { UsageError } from "../usage-error.js";

/** A lease owner `host:pid` of this host whose process is gone (killed): its leases need not run out. */
function ownerGoneOnThisHost(owner: string): boolean {
  const colon = owner.lastIndexOf(":");
  if (owner.slice(0, colon) !== hostname()) return false;
  const pid = Number(owner.slice(colon + 1));
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}

function describePaging(config: Config): string {
  const { paging } = config;
  if (paging.policies.length === 0) return "no escalation policies yet (docs/paging.md)";
  const channels = ["inbox", ...(paging.channels.email ? ["email"] : []), ...(paging.channels.slack ? ["slack"] : []), ...paging.channels.webhooks.map((w) => `webhook:${w.name}`)];
  return `${paging.policies.length} policies, ${paging.schedules.length} schedules, channels: ${channels.join(", ")}`;
}

/**
 * The server: API and console, the timer loop, the daily check on its schedule, and the runbook
 * executor. Runs until SIGINT/SIGTERM, then drains: no new timers, in-flight check runs finish
 * and are stored, runbook runs are given back to the queue at their next step boundary.
 */
export async function up(global: GlobalOptions, options: { port?: string; host?: string; demo?: boolean | string }): Promise<number> {
  // Not another process's demo fleet: with --demo this server starts its own.
  const config = configFor(global, { discoverDemoFleet: false });
  const port = options.port === undefined ? config.server.port : Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a TCP port from 0 to 65535, not "${options.port}"`);
  const host = options.host ?? config.server.host;
  const logger = pino({ level: process.env.GAMEOPS_LOG_LEVEL ?? "info" }, pino.destination(2));

  const demoSize = options.demo === undefined || options.demo === false ? undefined : options.demo === true ? 3 : Number(options.demo);
  if (demoSize !== undefined && (!Number.isInteger(demoSize) || demoSize < 1 || demoSize > 20)) {
    throw new UsageError(`--demo takes the number of game servers, from 1 to 20, not "${options.demo}"`);
  }
  // Before anything reads the config: the fleet becomes its fleet target and a log source, so
  // the runbooks and the logs check act on it like on a real one.
  const demo = demoSize === undefined ? undefined : await (await import("../../demo/fleet.js")).startDemoFleet({ dataDir: config.dataDir, size: demoSize });
  if (demo) {
    config.targets.fleet ??= demo.target;
    config.targets.logs.push(demo.logSource);
  }

  const store = await openLocalStore(config);
  const adminToken = await ensureAdminToken(store, process.env);
  const checks = createCheckService({ config, store });
  const folders = runbookFolders({ cwd: process.cwd(), env: process.env, ...(config.source ? { configSource: config.source } : {}) });
  // Read again on each use: a runbook added to or fixed in the folder needs no restart.
  const catalog = () => loadCatalog(folders);
  for (const warning of catalog().warnings) logger.warn(warning);
  const executor = new RunbookExecutor({
    store,
    config,
    stepKinds,
    findRunbook: async (name) => catalog().runbooks.get(name),
    onError: (error) => logger.error({ err: error }, error.message),
    processLog: (message, fields) => logger.info(fields, message),
  });
  const schedule = new DailySchedule({ timers: store.timers, cron: config.schedules.dailyCheck, timeZone: config.team.timeZone });
  const timers = new TimerLoop({
    timers: store.timers,
    owner: `${hostname()}:${process.pid}`,
    // A daily check takes its slowest timeout at most; the lease only has to outlast that.
    leaseMs: Math.max(60_000, config.checks.timeout * 4),
    onError: (error) => logger.error({ err: error, timer: error.timer?.kind }, error.message),
    isOwnerGone: ownerGoneOnThisHost,
  });
  timers.handle(
    dailyCheckTimer,
    schedule.handler(async ({ dueAt }) => {
      const run = await checks.start({ trigger: "schedule" }).done;
      logger.info({ run: run.id, status: run.status, dueAt }, `daily check ${run.status}`);
    }),
  );
  const backupSchedule = nightlyBackup(config, store);
  if (backupSchedule)
    timers.handle(
      backupTimer,
      backupSchedule.handler(async ({ dueAt }) => {
        const runbook = catalog().runbooks.get("backup");
        if (!runbook) throw new Error("the backup runbook is missing from the catalogue");
        const verify = config.backups.deepVerify ? "deep" : "shallow";
        const runId = await executor.start(runbook, { verify, prune: true }, { startedBy: "schedule", through: "schedule" });
        logger.info({ run: runId, dueAt }, `nightly backup started (verify ${verify}, then prune)`);
      }),
    );
  // Before the loop starts: an approval timeout or a lock retry due now must find its handler.
  executor.registerTimers(timers);
  let serverUrl = `http://${host}:${port}`;
  const publicUrl = () => config.paging.publicUrl ?? serverUrl;
  const paging = new Paging({
    store,
    config,
    publicUrl,
    linkKey: loadLinkKey(join(config.dataDir, "link-signing.key")),
    log: (message, fields) => logger.warn(fields, message),
  });
  paging.register(timers);
  const incidents = new IncidentService({ store, config, paging, publicUrl });
  incidents.register(timers);

  const app = buildServer({ config, store, checks, logger, runbooks: { executor, catalog }, paging, incidents });
  try {
    await app.listen({ port, host });
  } catch (error) {
    await store.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") throw new UsageError(`port ${port} on ${host} is in use; pick another with --port or server.port`);
    throw error;
  }
  const address = app.server.address();
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${typeof address === "object" && address ? address.port : port}`;
  serverUrl = url;

  const forgetAddress = recordServerAddress(config.dataDir, url);
  const next = await schedule.ensureScheduled(new Date());
  const nextBackup = await backupSchedule?.ensureScheduled(new Date());
  await paging.arm();
  await incidents.arm();
  for (const warning of await paging.configWarnings()) logger.warn(warning);
  timers.start();
  // Takes up runs nobody executes: queued ones, and those whose executor died (a killed CLI or server).
  executor.startPolling();
  // A new install has no history: run once now so the console opens on a real result.
  if (!(await store.checkRuns.latest())) checks.start({ trigger: "startup" });

  // One write, so that nobody reading the banner sees it without the token.
  process.stdout.write(
    `gameops is up: console and API at ${url}  (store: ${store.dialect}, data: ${config.dataDir})\n` +
      `daily check: "${config.schedules.dailyCheck}" in ${config.team.timeZone}, next at ${next.dueAt.toISOString()}\n` +
      (nextBackup ? `nightly backup: "${config.backups.schedule}" in ${config.team.timeZone}, next at ${nextBackup.dueAt.toISOString()} → ${config.backups.storage.kind === "local" ? config.backups.storage.directory : `s3://${config.backups.storage.bucket}`}\n` : "") +
      `paging: Alertmanager webhook at ${url}/webhooks/alertmanager; ${describePaging(config)}\n` +
      (demo
        ? `demo fleet: ${demo.servers().map((s) => `${s.id} (pid ${s.pid}, :${s.port})`).join(", ")} — try: gameops runbook run demo-drill --param fault=cpu-burn --yes, then gameops runbook run high-cpu\n`
        : "") +
      (adminToken
        ? `\nAdmin token (shown once, stored hashed — keep it now):\n  ${adminToken}\n` +
          `Use it to add people and their own tokens: gameops people add …; gameops token create --person ID --role operator\n\n`
        : ""),
  );

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info(`${signal}: shutting down`);
      resolve();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  forgetAddress();
  await timers.stop();
  await app.close();
  await checks.idle();
  // Before the store closes: each run is committed back to the queue at its next step boundary.
  await executor.stop();
  await store.close();
  await demo?.close();
  return 0;
}

/** The nightly backup's schedule, when `backups.schedule` is on and there is something to back up. */
function nightlyBackup(config: Config, store: Store): DailySchedule | undefined {
  const cron = config.backups.schedule;
  if (cron === false || !componentNames.some((name) => componentSkipReason(config, name) === undefined)) return undefined;
  return new DailySchedule({ timers: store.timers, cron, timeZone: config.team.timeZone, timer: backupTimer });
}
