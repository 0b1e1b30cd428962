import { z } from "zod";
import type { Endpoint } from "../http/endpoint.js";
import { requestJson } from "./request.js";

const labelSet = z.record(z.string(), z.string());

/** A gettableAlert of API v2, the fields gameops reads; fields added by later versions are ignored. */
const gettableAlert = z.object({
  labels: labelSet,
  annotations: labelSet.default({}),
  startsAt: z.string(),
  endsAt: z.string().optional(),
  updatedAt: z.string().optional(),
  fingerprint: z.string(),
  generatorURL: z.string().optional(),
  status: z.object({
    state: z.string(),
    silencedBy: z.array(z.string()).default([]),
    inhibitedBy: z.array(z.string()).default([]),
  }),
  receivers: z.array(z.object({ name: z.string() })).default([]),
});

export type Alert = z.output<typeof gettableAlert>;

/** What can be posted (API v2 postableAlert). Leaving `endsAt` out lets Alertmanager resolve it after resolve_timeout. */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  /** Alertmanager sets a missing startsAt to endsAt (or now when both are missing): give it. */
  startsAt?: Date;
  /** A time in the past resolves the alert at once. */
  endsAt?: Date;
  generatorURL?: string;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface ActiveAlertsOptions extends CallOptions {
  /** Label matchers in Alertmanager syntax, all of which must match: `alertname="ServerDown"`, `severity=~"critical|page"`. */
  filter?: readonly string[];
}

/** Alerts that need someone: firing, neither silenced nor inhibited. */
export function activeAlerts(endpoint: Endpoint, options: ActiveAlertsOptions = {}): Promise<Alert[]> {
  return requestJson(
    endpoint,
    {
      path: "api/v2/alerts",
      query: { active: "true", silenced: "false", inhibited: "false", filter: options.filter },
      ...(options.signal ? { signal: options.signal } : {}),
    },
    z.array(gettableAlert),
  );
}

/** Fires (or, with a past endsAt, resolves) alerts, as Prometheus does on each evaluation. */
export async function postAlerts(endpoint: Endpoint, alerts: readonly PostableAlert[], options: CallOptions = {}): Promise<void> {
  await requestJson(endpoint, {
    method: "POST",
    path: "api/v2/alerts",
    body: alerts.map((a) => ({
      labels: a.labels,
      ...(a.annotations ? { annotations: a.annotations } : {}),
      ...(a.startsAt ? { startsAt: a.startsAt.toISOString() } : {}),
      ...(a.endsAt ? { endsAt: a.endsAt.toISOString() } : {}),
      ...(a.generatorURL ? { generatorURL: a.generatorURL } : {}),
    })),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}
