import { formatDuration } from "../../config/duration.js";
import { judgeLogs, topMessages, type LogSourceScan } from "../../domain/checks/logs.js";
import type { Verdict } from "../../domain/checks/verdict.js";
import { emptyScan, expandGlobs, scanFile, type ScanOptions } from "../../integrations/logs/file-scan.js";
import type { CheckContext } from "./check.js";

export async function run(context: CheckContext): Promise<Verdict> {
  const { config } = context;
  const limits = config.thresholds.logs;
  const options: ScanOptions = {
    pattern: limits.pattern,
    since: context.now().getTime() - limits.window,
    timeZone: config.team.timeZone,
    signal: context.signal,
  };
  const sources = await Promise.all(
    config.targets.logs.map(async (source): Promise<LogSourceScan> => {
      const scan = emptyScan();
      const problems: string[] = [];
      let streams = 0;
      if (source.files?.length) {
        const files = await expandGlobs(source.files);
        if (files.length === 0) problems.push(`no file matches ${source.files.join(", ")}`);
        for (const file of files) {
          try {
            if (await scanFile(file, options, scan)) streams++;
          } catch (error) {
            if (context.signal.aborted) throw error;
            problems.push(`${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
          }
        }
      }
      if (source.kubernetes) {
        const { scanPodLogs } = await import("./kubernetes-logs.js");
        const pods = await scanPodLogs(config, source.kubernetes, options, scan);
        streams += pods.streams;
        problems.push(...pods.problems);
      }
      return { name: source.name, streams, errors: scan.errors, undatedLines: scan.undatedLines, top: topMessages(scan.shapes, limits.topMessages), problems };
    }),
  );
  const hours = limits.window / 3_600_000;
  return judgeLogs(sources, limits, Number.isInteger(hours) && hours <= 72 ? `${hours} h` : formatDuration(limits.window));
}
