import { endpointOf } from "../http/endpoint.js";
import { activeAlerts, postAlerts, type ActiveAlertsOptions, type Alert, type CallOptions, type PostableAlert } from "./alerts.js";
import { status, type AlertmanagerStatus } from "./status.js";

/** Alertmanager through API v2 only: v1 was removed in Alertmanager 0.27. */
export interface AlertmanagerClient {
  /** Its base URL, safe to print: credentials removed. */
  readonly label: string;
  activeAlerts(options?: ActiveAlertsOptions): Promise<Alert[]>;
  postAlerts(alerts: readonly PostableAlert[], options?: CallOptions): Promise<void>;
  status(options?: CallOptions): Promise<AlertmanagerStatus>;
}

export interface AlertmanagerClientOptions {
  /** Base URL, e.g. http://127.0.0.1:9093 or https://user:pass@ops.example.com/alertmanager. */
  url: string;
  /** Bound of every call, on top of the caller's signal. */
  timeoutMs?: number;
}

export function alertmanagerClient(options: AlertmanagerClientOptions): AlertmanagerClient {
  const endpoint = endpointOf(options.url, options.timeoutMs ?? 5000);
  return {
    label: endpoint.label,
    activeAlerts: (o) => activeAlerts(endpoint, o),
    postAlerts: (alerts, o) => postAlerts(endpoint, alerts, o),
    status: (o) => status(endpoint, o),
  };
}

export type { ActiveAlertsOptions, Alert, AlertmanagerStatus, CallOptions, PostableAlert };
export { AlertmanagerError, type AlertmanagerFailure } from "./errors.js";
