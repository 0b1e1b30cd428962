import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { glob } from "tinyglobby";
import { lineTime, messageShape } from "../../domain/checks/logs.js";

export interface ScanOptions {
  /** Case-sensitive text a line must contain to count, e.g. ERROR. */
  pattern: string;
  /** Lines older than this (epoch ms) do not count. */
  since: number;
  timeZone: string;
  signal: AbortSignal;
}

export interface StreamScan {
  errors: number;
  undatedLines: number;
  shapes: Map<string, number>;
}

export function emptyScan(): StreamScan {
  return { errors: 0, undatedLines: 0, shapes: new Map() };
}

export async function expandGlobs(patterns: readonly string[]): Promise<string[]> {
  return glob([...patterns], { absolute: true, onlyFiles: true, expandDirectories: false });
}

/**
 * Counts pattern lines of one stream, fed in batches of lines. A line without its own timestamp
 * takes the last one seen (stack traces), and counts when there was none yet and the source is
 * recent. Timestamps are parsed only for matching lines: ERROR is a few lines in a hundred.
 */
export class LineScanner {
  private lastDated: string | undefined;

  constructor(
    private readonly options: ScanOptions,
    private readonly into: StreamScan,
  ) {}

  feed(lines: Iterable<string>): void {
    const { pattern, since, timeZone, signal } = this.options;
    if (signal.aborted) throw new Error("scan aborted");
    for (const line of lines) {
      const first = line.charCodeAt(0);
      const mayBeDated = (first >= 48 && first <= 57) || first === 91; // a digit or "["
      if (line.includes(pattern)) {
        const at = (mayBeDated ? lineTime(line, timeZone) : undefined) ?? (this.lastDated === undefined ? undefined : lineTime(this.lastDated, timeZone));
        if (at === undefined || at >= since) {
          if (at === undefined) this.into.undatedLines++;
          this.into.errors++;
          const shape = messageShape(line);
          this.into.shapes.set(shape, (this.into.shapes.get(shape) ?? 0) + 1);
        }
      }
      if (mayBeDated) this.lastDated = line;
    }
  }
}

/** Scans a file unless it was last written before the window: an old file holds no recent line. */
export async function scanFile(path: string, options: ScanOptions, into: StreamScan): Promise<boolean> {
  const info = await stat(path);
  if (info.mtimeMs < options.since) return false;
  const scanner = new LineScanner(options, into);
  // Large chunks split by hand: readline's per-line events cost more than the scan itself.
  const stream = createReadStream(path, { encoding: "utf8", highWaterMark: 1 << 20, signal: options.signal });
  let rest = "";
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      const lines = (rest + chunk).split("\n");
      rest = lines.pop()!;
      scanner.feed(lines);
    }
    if (rest !== "") scanner.feed([rest]);
  } finally {
    stream.destroy();
  }
  return true;
}
