import { judgeAlerts } from "../../domain/checks/alerts.js";
import type { Verdict } from "../../domain/checks/verdict.js";
import { AlertmanagerError, alertmanagerClient } from "../../integrations/alertmanager/client.js";
import { CheckFailure, type CheckContext } from "./check.js";

/** Active alerts from Alertmanager's API v2, judged by severity. */
export async function run(context: CheckContext): Promise<Verdict> {
  const target = context.config.targets.alertmanager;
  if (!target) throw new CheckFailure("unknown", "not configured: set GAMEOPS_ALERTMANAGER_URL or targets.alertmanager.url");
  const alertmanager = alertmanagerClient({ url: target.url, timeoutMs: context.timeoutMs });
  try {
    const alerts = await alertmanager.activeAlerts({ signal: context.signal });
    const verdict = judgeAlerts(alerts, context.config.thresholds.alerts);
    return { ...verdict, details: { alertmanager: alertmanager.label, ...verdict.details } };
  } catch (error) {
    if (!(error instanceof AlertmanagerError) || error.failure === "aborted") throw error;
    const details = { alertmanager: alertmanager.label, failure: error.failure, retryable: error.retryable };
    const at = `alertmanager at ${alertmanager.label}`;
    // Alerts nobody can see are an outage of the alerting path: critical. An answer we cannot
    // read (a 404 from something else, a 401) means we cannot tell: unknown, never ok.
    if (error.failure === "unreachable" || error.failure === "timeout") {
      throw new CheckFailure("critical", `${at} unreachable: ${error.reason}`, details, { cause: error });
    }
    if (error.retryable) throw new CheckFailure("critical", `${at} failed: ${error.reason}`, details, { cause: error });
    throw new CheckFailure("unknown", `${at} gave no usable answer: ${error.reason}`, details, { cause: error });
  }
}
