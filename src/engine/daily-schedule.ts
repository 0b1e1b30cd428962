import { nextDailyRun } from "../domain/schedule/next-run.js";
import type { Timer, TimerRepository } from "../store/store.js";
import type { TimerHandler } from "./timer-loop.js";

export { nextDailyRun };

/** Kind and key of the one daily-check timer: keyed, so every replica schedules the same row. */
export const dailyCheckTimer = "daily-check";

/** Kind and key of the nightly backup's timer (`backups.schedule`). */
export const backupTimer = "backup-schedule";

export const defaultDailyCron = "0 9 * * *";

export interface DailyCheckOccurrence {
  /** The time the run was due; earlier than now by more than a tick when it is a catch-up after downtime. */
  dueAt: Date;
}

export interface DailyScheduleOptions {
  timers: TimerRepository;
  /** 5-field cron read in `timeZone`; 09:00 every day by default. */
  cron?: string;
  /** The team's IANA time zone. */
  timeZone: string;
  /** The timer's kind and key: dailyCheckTimer by default. */
  timer?: string;
  now?: () => Date;
}

/**
 * Keeps a daily job's timer (the daily check's, the nightly backup's) at the next occurrence of
 * its cron. Missed days are not back-filled: a server down over several 09:00s runs the job once
 * when it starts, then waits for the next 09:00.
 */
export class DailySchedule {
  readonly cron: string;
  readonly timeZone: string;
  readonly timer: string;
  private readonly timers: TimerRepository;
  private readonly now: () => Date;

  constructor(options: DailyScheduleOptions) {
    this.cron = options.cron ?? defaultDailyCron;
    this.timeZone = options.timeZone;
    this.timer = options.timer ?? dailyCheckTimer;
    this.timers = options.timers;
    this.now = options.now ?? (() => new Date());
    // A bad cron or zone fails at start, not at the first 09:00.
    nextDailyRun(this.cron, this.timeZone, new Date(0));
  }

  /**
   * At start: schedules the timer if there is none, and moves a future one whose time no longer
   * matches the cron (the schedule or zone changed in the config). A past-due one is left as it
   * is, so that the run missed while the server was down fires once, now.
   */
  async ensureScheduled(now: Date): Promise<Timer> {
    const existing = await this.timers.findByKey(this.timer);
    if (existing && existing.dueAt.getTime() <= now.getTime()) return existing;
    const next = nextDailyRun(this.cron, this.timeZone, now);
    if (existing && existing.dueAt.getTime() === next.getTime()) return existing;
    return this.scheduleAt(next);
  }

  /**
   * The handler for the timer: runs the job, then schedules the next occurrence
   * strictly after now. Rescheduling replaces the timer's token, so the loop reports this run as
   * superseded rather than completed; that is expected. If `run` throws, nothing is rescheduled
   * and the loop retries the same occurrence later.
   */
  handler(run: (occurrence: DailyCheckOccurrence) => Promise<void>): TimerHandler {
    return async (timer) => {
      await run({ dueAt: timer.dueAt });
      await this.scheduleAt(nextDailyRun(this.cron, this.timeZone, this.now()));
    };
  }

  private scheduleAt(dueAt: Date): Promise<Timer> {
    return this.timers.schedule({
      kind: this.timer,
      key: this.timer,
      dueAt,
      payload: { cron: this.cron, timeZone: this.timeZone },
    });
  }
}
