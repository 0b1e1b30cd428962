import type { AlertRecord, AlertStatus } from "../../store/store.js";
import { printJson, targetFor, withLocalStore, type GlobalOptions } from "../session.js";
import { paint, renderTable } from "../table.js";
import { utc } from "../times.js";
import { UsageError } from "../usage-error.js";

/** Labels every alert has, shown in their own columns rather than in the list of labels. */
const ownColumns = new Set(["alertname", "severity"]);

export async function list(global: GlobalOptions, options: { status?: string; limit: string; json?: boolean }): Promise<number> {
  const limit = Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError(`--limit must be a whole number from 1 to 1000, not "${options.limit}"`);
  // commander has checked it against firing, resolved
  const status = options.status as AlertStatus | undefined;
  const target = targetFor(global);
  const alerts =
    target.kind === "remote"
      ? (await target.api.request<{ alerts: AlertRecord[] }>("GET", `/api/alerts?limit=${limit}${status ? `&status=${status}` : ""}`)).alerts
      : await withLocalStore(target.config, (store) => store.alerts.list({ limit, ...(status ? { status } : {}) }));
  if (options.json) {
    printJson(alerts);
    return 0;
  }
  if (alerts.length === 0) {
    process.stdout.write(status ? `no ${status} alerts\n` : "no alerts yet — Alertmanager sends them to `gameops up` at /webhooks/alertmanager\n");
    return 0;
  }
  const colour = Boolean(process.stdout.isTTY);
  const rows = alerts.map((a) => [
    paint(a.status.toUpperCase(), a.status === "firing" ? "red" : "green", colour),
    a.labels.alertname ?? "-",
    a.labels.severity ?? "-",
    utc(a.startsAt),
    utc(a.lastSeenAt),
    Object.entries(a.labels)
      .filter(([name]) => !ownColumns.has(name))
      .map(([name, value]) => `${name}=${value}`)
      .join(" ") || "-",
  ]);
  process.stdout.write(`${renderTable(["STATUS", "ALERT", "SEVERITY", "SINCE (UTC)", "LAST SEEN (UTC)", "LABELS"], rows)}\n`);
  return 0;
}
