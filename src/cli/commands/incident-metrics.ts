import type { SpanStats } from "../../domain/incidents/response-metrics.js";
import { printJson, type GlobalOptions } from "../session.js";
import { paint, renderTable } from "../table.js";
import { UsageError } from "../usage-error.js";
import { withDesk } from "./incident-desk.js";
import { colourOn, severityBadge, span } from "./incident-display.js";

/** MTTA and MTTR per month (in the team's zone) and severity, over the last months. */
export async function metrics(global: GlobalOptions, options: { months: string; json?: boolean }): Promise<number> {
  const months = Number(options.months);
  if (!Number.isInteger(months) || months < 1 || months > 36) throw new UsageError(`--months must be a whole number from 1 to 36, not "${options.months}"`);
  return withDesk(global, async (desk) => {
    const rows = await desk.metrics(months);
    if (options.json) {
      printJson(rows);
      return 0;
    }
    const zone = await desk.zone();
    if (rows.length === 0) {
      process.stdout.write(`no incidents declared in the last ${months} ${months === 1 ? "month" : "months"}\n`);
      return 0;
    }
    const colour = colourOn();
    const mean = (s: SpanStats) => (s.meanMs === undefined ? "-" : span(s.meanMs));
    const median = (s: SpanStats) => (s.medianMs === undefined ? "-" : span(s.medianMs));
    const table = rows.map((r) => [r.month, severityBadge(r.severity, colour), String(r.incidents), String(r.mtta.count), mean(r.mtta), median(r.mtta), String(r.mttr.count), mean(r.mttr), median(r.mttr)]);
    process.stdout.write(
      `${paint(`mean time to acknowledge (MTTA) and to resolve (MTTR), by month in ${zone}, the last ${months} ${months === 1 ? "month" : "months"}`, "bold", colour)}\n` +
        `${renderTable(["MONTH", "SEV", "DECLARED", "ACKED", "MTTA", "MEDIAN", "RESOLVED", "MTTR", "MEDIAN"], table)}\n`,
    );
    return 0;
  });
}
