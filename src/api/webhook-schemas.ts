import { z } from "zod";

/**
 * What the intake endpoints accept. Alertmanager's webhook (version 4) is parsed loosely where
 * Alertmanager may add fields in a later version, strictly where a missing field would lose an
 * alert: every alert needs a status, labels and a fingerprint.
 */

const labelSet = (what: string) =>
  z.record(z.string(), z.string({ error: `${what} values must be strings` }), { error: `must be an object of ${what}, like {"alertname": "ServerDown"}` });

const time = z.iso.datetime({ offset: true, error: "must be an RFC 3339 time like 2026-01-31T09:00:00Z" });

const status = z.enum(["firing", "resolved"], { error: 'must be "firing" or "resolved"' });

export const alertmanagerAlert = z.object({
  status,
  labels: labelSet("labels").refine((labels) => Object.keys(labels).length > 0, {
    message: "must hold at least one label (Alertmanager always sends alertname)",
  }),
  annotations: labelSet("annotations").default({}),
  startsAt: time,
  // Alertmanager sends 0001-01-01T00:00:00Z for "not ended".
  endsAt: time.optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().min(1, "must not be empty: Alertmanager's fingerprint identifies the alert"),
});

export const alertmanagerWebhook = z.object({
  version: z.literal("4", { error: 'must be "4": gameops reads Alertmanager\'s webhook payload version 4 (Alertmanager 0.x sends it)' }),
  groupKey: z.string().min(1, "must not be empty"),
  truncatedAlerts: z.number().int().nonnegative().default(0),
  status,
  receiver: z.string().default(""),
  groupLabels: labelSet("labels").default({}),
  commonLabels: labelSet("labels").default({}),
  commonAnnotations: labelSet("annotations").default({}),
  externalURL: z.string().default(""),
  alerts: z.array(alertmanagerAlert, { error: "must be a list of alerts" }).max(10_000, "holds more than 10,000 alerts; set max_alerts in the webhook config"),
});
export type AlertmanagerWebhook = z.output<typeof alertmanagerWebhook>;

/** PagerDuty Events API v2, so that any tool that can page PagerDuty can page gameops. */
export const eventsV2 = z
  .object({
    routing_key: z.string().default(""),
    event_action: z.enum(["trigger", "acknowledge", "resolve"], { error: 'must be "trigger", "acknowledge" or "resolve"' }),
    dedup_key: z.string().min(1, "must not be empty").max(255, "must be at most 255 characters").optional(),
    payload: z
      .object({
        summary: z.string().trim().min(1, "must not be empty").max(1024, "must be at most 1024 characters"),
        source: z.string().trim().min(1, "must not be empty"),
        severity: z.enum(["critical", "error", "warning", "info"], { error: 'must be "critical", "error", "warning" or "info"' }),
        timestamp: time.optional(),
        component: z.string().optional(),
        group: z.string().optional(),
        class: z.string().optional(),
        custom_details: z.record(z.string(), z.unknown()).optional(),
      })
      .optional(),
    client: z.string().optional(),
    client_url: z.string().optional(),
  })
  .superRefine((event, ctx) => {
    if (event.event_action === "trigger" && !event.payload) {
      ctx.addIssue({ code: "custom", path: ["payload"], message: "is required to trigger: {summary, source, severity}" });
    }
    if (event.event_action !== "trigger" && !event.dedup_key) {
      ctx.addIssue({ code: "custom", path: ["dedup_key"], message: `is required to ${event.event_action}: the dedup_key the trigger answered with` });
    }
  });
export type EventsV2 = z.output<typeof eventsV2>;

export const alertmanagerAccepted = z.object({
  status: z.literal("success"),
  groupKey: z.string(),
  alerts: z.number().int(),
  page: z.number().int().optional().describe("the group's open page, if any"),
});

export const eventsV2Accepted = z.object({
  status: z.literal("success"),
  message: z.string(),
  dedup_key: z.string(),
});
