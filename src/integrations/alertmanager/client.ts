import { endpointOf } from "../http/endpoint.js";
import { activeAlerts, postAlerts, type ActiveAlertsOptions, type Alert, type CallOptions, type PostableAlert } from "./alerts.js";
import { createSilence, expireSilence, getSilence, type NewSilence, type Silence, type SilenceMatcher } from "./silences.js";
import { status, type AlertmanagerStatus } from "./status.js";

/** Alertmanager through API v2 only: v1 was removed in Alertmanager 0.27. */
export interface AlertmanagerClient {
  /** Its base URL, safe to print: credentials removed. */
  readonly label: string;
  activeAlerts(options?: ActiveAlertsOptions): Promise<Alert[]>;
  postAlerts(alerts: readonly PostableAlert[], options?: CallOptions): Promise<void>;
  status(options?: CallOptions): Promise<AlertmanagerStatus>;
  /** Resolves to the new silence's id. */
  createSilence(silence: NewSilence, options?: CallOptions): Promise<string>;
  /** undefined when Alertmanager does not know the id. */
  getSilence(id: string, options?: CallOptions): Promise<Silence | undefined>;
  /** false when Alertmanager does not know the id (nothing left to expire). */
  expireSilence(id: string, options?: CallOptions): Promise<boolean>;
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
    createSilence: (silence, o) => createSilence(endpoint, silence, o),
    getSilence: (id, o) => getSilence(endpoint, id, o),
    expireSilence: (id, o) => expireSilence(endpoint, id, o),
  };
}

export type { ActiveAlertsOptions, Alert, AlertmanagerStatus, CallOptions, NewSilence, PostableAlert, Silence, SilenceMatcher };
export { AlertmanagerError, type AlertmanagerFailure } from "./errors.js";
