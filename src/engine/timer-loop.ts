import { retryDelayMs } from "../domain/schedule/retry-delay.js";
import type { Timer, TimerRepository } from "../store/store.js";

export interface TimerRunContext {
  /**
   * Aborted when the lease runs out: from then on another replica may claim and run the same
   * timer, so pass it to every outside call. Nothing extends a lease.
   */
  signal: AbortSignal;
}

export type TimerHandler = (timer: Timer, context: TimerRunContext) => Promise<void>;

export interface TimerLoopOptions {
  timers: TimerRepository;
  /** Who holds the leases, e.g. `${hostname}:${pid}`; shows in the timers table while a timer runs. */
  owner: string;
  now?: () => Date;
  pollIntervalMs?: number;
  /** Longer than any handler should take; a handler still running past it may run twice. */
  leaseMs?: number;
  /** Timers claimed per tick, run concurrently. */
  batchSize?: number;
  /** Delay before retrying a timer whose handler failed, by attempts so far. */
  retryDelayMs?: (attempts: number) => number;
  /** Handler failures, timers given back and store errors; the loop itself never throws them. */
  onError?: (error: TimerFailure) => void;
  /**
   * Whether a lease owner is known to be dead (a killed process on this host). At start their
   * leases are given back, so what they held fires now instead of when the lease runs out.
   */
  isOwnerGone?: (owner: string) => boolean;
}

/** Counts of one claim-and-dispatch cycle. */
export interface TickReport {
  claimed: number;
  completed: number;
  /** Handler failed or kind unknown: given back, due again later. */
  failed: number;
  /** Ran, but the timer was rescheduled, re-claimed or cancelled meanwhile: its token was stale. */
  superseded: number;
}

/** Something went wrong with one timer, or with the store during a tick. */
export class TimerFailure extends Error {
  constructor(
    message: string,
    readonly timer?: Timer,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "TimerFailure";
  }
}

type Outcome = "completed" | "failed" | "superseded";

/**
 * Fires due timers from the store: claims a batch by lease, runs each with the handler
 * registered for its kind, then completes it, or gives it back with a backoff. Durable: a timer
 * lives in the store, so one missed while no loop ran fires on the next tick.
 */
export class TimerLoop {
  private readonly handlers = new Map<string, TimerHandler>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly now: () => Date;
  private readonly pollIntervalMs: number;
  private readonly leaseMs: number;
  private readonly batchSize: number;
  private readonly retryDelayMs: (attempts: number) => number;
  private readonly onError: (error: TimerFailure) => void;
  private running = false;
  private nextPoll: NodeJS.Timeout | undefined;

  constructor(private readonly options: TimerLoopOptions) {
    this.now = options.now ?? (() => new Date());
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.batchSize = options.batchSize ?? 10;
    this.retryDelayMs = options.retryDelayMs ?? ((attempts) => retryDelayMs(attempts));
    this.onError = options.onError ?? ((error) => console.error(error));
  }

  /** Registers the handler of one kind of timer; a kind has exactly one. */
  handle(kind: string, handler: TimerHandler): this {
    if (this.handlers.has(kind)) throw new Error(`timer kind "${kind}" has a handler already`);
    this.handlers.set(kind, handler);
    return this;
  }

  /** One claim-and-dispatch cycle; resolves when every claimed timer is completed or given back. */
  tick(): Promise<TickReport> {
    return this.track(this.runTick());
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.track(this.releaseDeadOwners().finally(() => this.running && this.schedulePoll(0)));
  }

  private async releaseDeadOwners(): Promise<void> {
    const isGone = this.options.isOwnerGone;
    if (!isGone) return;
    try {
      const gone = (await this.options.timers.leaseOwners(this.now())).filter((owner) => owner !== this.options.owner && isGone(owner));
      await this.options.timers.releaseLeases(gone);
    } catch (error) {
      this.onError(new TimerFailure(`cannot release the leases of dead owners: ${messageOf(error)}`, undefined, { cause: error }));
    }
  }

  /** Stops polling and waits for the handlers in flight; their timers are completed or given back. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.nextPoll);
    this.nextPoll = undefined;
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private schedulePoll(delayMs: number): void {
    // The poll is how often the store is asked, not a promise of the product: it does not keep the process alive.
    this.nextPoll = setTimeout(() => void this.track(this.poll()), delayMs).unref();
  }

  private async poll(): Promise<void> {
    let delay = this.pollIntervalMs;
    try {
      const report = await this.runTick();
      // Work done may have made more due now (a page's deliveries, the next step): look again at
      // once. Otherwise sleep until the next timer is due, at most the poll interval (other
      // processes add timers too).
      if (report.claimed > 0) delay = 0;
      else {
        const next = await this.options.timers.nextDueAt(this.now());
        if (next) delay = Math.max(0, Math.min(this.pollIntervalMs, next.getTime() - this.now().getTime()));
      }
    } catch (error) {
      this.onError(new TimerFailure(`cannot claim due timers: ${messageOf(error)}`, undefined, { cause: error }));
    }
    if (this.running) this.schedulePoll(delay);
  }

  private async runTick(): Promise<TickReport> {
    const claimed = await this.options.timers.claimDue({
      now: this.now(),
      owner: this.options.owner,
      leaseMs: this.leaseMs,
      limit: this.batchSize,
    });
    const outcomes = await Promise.all(claimed.map((timer) => this.fire(timer)));
    const count = (outcome: Outcome) => outcomes.filter((o) => o === outcome).length;
    return { claimed: claimed.length, completed: count("completed"), failed: count("failed"), superseded: count("superseded") };
  }

  private async fire(timer: Timer): Promise<Outcome> {
    const handler = this.handlers.get(timer.kind);
    // Another replica, newer than this one, may know the kind: give it back rather than drop it.
    if (!handler) return this.giveBack(timer, new Error(`no handler for timer kind "${timer.kind}"`));
    const lease = new AbortController();
    const leaseEnd = setTimeout(() => lease.abort(new Error(`the lease of timer ${timer.id} ran out`)), this.leaseMs).unref();
    try {
      await handler(timer, { signal: lease.signal });
    } catch (error) {
      return this.giveBack(timer, error);
    } finally {
      clearTimeout(leaseEnd);
    }
    try {
      return (await this.options.timers.complete(timer.id, timer.token)) ? "completed" : "superseded";
    } catch (error) {
      // The lease runs out and the timer fires again: at least once, never lost.
      this.onError(new TimerFailure(`${describe(timer)} ran but could not be marked fired: ${messageOf(error)}`, timer, { cause: error }));
      return "failed";
    }
  }

  private async giveBack(timer: Timer, error: unknown): Promise<"failed"> {
    const retryAt = new Date(this.now().getTime() + this.retryDelayMs(timer.attempts));
    const message = messageOf(error);
    this.onError(
      new TimerFailure(`${describe(timer)} failed (attempt ${timer.attempts}), due again at ${retryAt.toISOString()}: ${message}`, timer, {
        cause: error,
      }),
    );
    try {
      await this.options.timers.release(timer.id, timer.token, { error: message, retryAt });
    } catch (releaseError) {
      this.onError(new TimerFailure(`${describe(timer)} could not be given back: ${messageOf(releaseError)}`, timer, { cause: releaseError }));
    }
    return "failed";
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    const forget = () => this.inFlight.delete(work);
    work.then(forget, forget);
    return work;
  }
}

function describe(timer: Timer): string {
  return `timer ${timer.key ?? timer.id} (${timer.kind})`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}
