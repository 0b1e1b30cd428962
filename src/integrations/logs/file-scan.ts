import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createInterface } from "node:readline";
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
 * Counts pattern lines in one stream of text lines. A line without its own timestamp takes the
 * last one seen (stack traces), and counts when there was none yet and the source is recent.
 */
export async function scanLines(lines: Iterable<string> | AsyncIterable<string>, options: ScanOptions, into: StreamScan): Promise<void> {
  let current: number | undefined;
  for await (const line of lines) {
    if (options.signal.aborted) throw new Error("scan aborted");
    const at = lineTime(line, options.timeZone);
    if (at !== undefined) current = at;
    if (!line.includes(options.pattern)) continue;
    if (current !== undefined && current < options.since) continue;
    if (current === undefined) into.undatedLines++;
    into.errors++;
    const shape = messageShape(line);
    into.shapes.set(shape, (into.shapes.get(shape) ?? 0) + 1);
  }
}

/** Scans a file unless it was last written before the window: an old file holds no recent line. */
export async function scanFile(path: string, options: ScanOptions, into: StreamScan): Promise<boolean> {
  const info = await stat(path);
  if (info.mtimeMs < options.since) return false;
  const stream = createReadStream(path, { encoding: "utf8", signal: options.signal });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  try {
    await scanLines(lines, options, into);
  } finally {
    lines.close();
    stream.destroy();
  }
  return true;
}
