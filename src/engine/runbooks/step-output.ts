import type { NewRunEvent } from "../../store/store.js";

/** What a step record keeps of its output: the tail, as every kind's own capture does. */
export const maxKeptOutputBytes = 64 * 1024;
/** Lines of one attempt written to the timeline; the step record keeps the tail of the rest. */
export const maxLogEvents = 1000;
const maxLineChars = 4000;
const flushEveryMs = 200;
const flushAtLines = 100;

/**
 * The live output of one step attempt. Each line is redacted once, here, before anything sees
 * it: the tail kept for the step record, and the `step.log` events written to the timeline in
 * batches (one commit per batch, not per line, so a chatty step cannot flood the store).
 */
export class StepOutput {
  private readonly tail: string[] = [];
  private tailBytes = 0;
  private truncated = false;
  private pending: NewRunEvent[] = [];
  private written = 0;
  private dropped = 0;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown;

  constructor(
    private readonly options: {
      stepId: string;
      attempt: number;
      redact: (text: string) => string;
      write: (events: NewRunEvent[]) => Promise<void>;
      /** A write failed (the lease is gone): the step should stop. */
      onWriteFailure: (error: unknown) => void;
    },
  ) {}

  log(text: string): void {
    for (const raw of text.replace(/\r?\n$/, "").split(/\r?\n/)) {
      const line = this.options.redact(raw.length > maxLineChars ? `${raw.slice(0, maxLineChars)}…` : raw);
      this.keep(line);
      if (this.written + this.pending.length < maxLogEvents) {
        this.pending.push({ type: "step.log", stepId: this.options.stepId, data: { attempt: this.options.attempt, line } });
      } else this.dropped++;
    }
    if (this.pending.length >= flushAtLines) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), flushEveryMs).unref();
  }

  /** The kept tail, for the step record. */
  text(): string | undefined {
    if (this.tail.length === 0) return undefined;
    return `${this.truncated ? "…(earlier output not kept)\n" : ""}${this.tail.join("\n")}`;
  }

  /** The last lines, for the evidence of a step that is still running. */
  lastLines(count: number): string[] {
    return this.tail.slice(-count);
  }

  /** Writes what is pending and says how many lines the timeline did not get. Throws a write failure. */
  async close(): Promise<void> {
    if (this.dropped > 0) {
      this.pending.push({
        type: "step.log",
        stepId: this.options.stepId,
        data: { attempt: this.options.attempt, line: `…${this.dropped} more lines are not in the timeline; the step record keeps the last 64 KiB` },
      });
      this.dropped = 0;
    }
    this.flush();
    await this.chain;
    if (this.failure !== undefined) throw this.failure;
  }

  private keep(line: string): void {
    this.tail.push(line);
    this.tailBytes += Buffer.byteLength(line) + 1;
    while (this.tailBytes > maxKeptOutputBytes && this.tail.length > 1) {
      this.tailBytes -= Buffer.byteLength(this.tail.shift()!) + 1;
      this.truncated = true;
    }
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.written += batch.length;
    // Chained: batches commit in the order the lines came.
    this.chain = this.chain.then(async () => {
      if (this.failure !== undefined) return;
      try {
        await this.options.write(batch);
      } catch (error) {
        this.failure = error;
        this.options.onWriteFailure(error);
      }
    });
  }
}
