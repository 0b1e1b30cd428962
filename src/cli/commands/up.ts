import { hostname } from "node:os";
import { pino } from "pino";
import { buildServer } from "../../api/server.js";
import { ensureAdminToken } from "../../api/admin-token.js";
import { DailySchedule, dailyCheckTimer } from "../../engine/daily-schedule.js";
import { createCheckService } from "../../engine/health/check-service.js";
import { TimerLoop } from "../../engine/timer-loop.js";
import { configFor, openLocalStore, type GlobalOptions } from "../session.js";
import { UsageError } from "../usage-error.js";

/**
 * The server: API and console, the timer loop, and the daily check on its schedule. Runs until
 * SIGINT/SIGTERM, then drains: no new timers, in-flight runs finish and are stored.
 */
export async function up(global: GlobalOptions, options: { port?: string; host?: string }): Promise<number> {
  const config = configFor(global);
  const port = options.port === undefined ? config.server.port : Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a TCP port from 0 to 65535, not "${options.port}"`);
  const host = options.host ?? config.server.host;
  const logger = pino({ level: process.env.GAMEOPS_LOG_LEVEL ?? "info" }, pino.destination(2));

  const store = await openLocalStore(config);
  const adminToken = await ensureAdminToken(store, process.env);
  const checks = createCheckService({ config, store });
  const schedule = new DailySchedule({ timers: store.timers, cron: config.schedules.dailyCheck, timeZone: config.team.timeZone });
  const timers = new TimerLoop({
    timers: store.timers,
    owner: `${hostname()}:${process.pid}`,
    // A daily check takes its slowest timeout at most; the lease only has to outlast that.
    leaseMs: Math.max(60_000, config.checks.timeout * 4),
    onError: (error) => logger.error({ err: error, timer: error.timer?.kind }, error.message),
  });
  timers.handle(
    dailyCheckTimer,
    schedule.dailyCheckHandler(async ({ dueAt }) => {
      const run = await checks.start({ trigger: "schedule" }).done;
      logger.info({ run: run.id, status: run.status, dueAt }, `daily check ${run.status}`);
    }),
  );

  const app = buildServer({ config, store, checks, logger });
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

  const next = await schedule.ensureScheduled(new Date());
  timers.start();
  // A new install has no history: run once now so the console opens on a real result.
  if (!(await store.checkRuns.latest())) checks.start({ trigger: "startup" });

  // One write, so that nobody reading the banner sees it without the token.
  process.stdout.write(
    `gameops is up: console and API at ${url}  (store: ${store.dialect}, data: ${config.dataDir})\n` +
      `daily check: "${config.schedules.dailyCheck}" in ${config.team.timeZone}, next at ${next.dueAt.toISOString()}\n` +
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
  await timers.stop();
  await app.close();
  await checks.idle();
  await store.close();
  return 0;
}
