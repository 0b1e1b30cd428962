import { z } from "zod";
import { closest } from "./env.js";
import { duration, durationOrZero } from "./fields.js";
import { escalationTarget, timeOfDay, weekday, type EscalationTarget, type PagingConfigFile } from "./paging-schema.js";
import { customerNoticePlaceholders, unknownPlaceholders } from "../domain/incidents/customer-notice.js";
import { severityIds, type SeverityId } from "../domain/incidents/severity-ids.js";
import { minutesOf, type Weekday } from "../domain/oncall/local-time.js";

/**
 * The `incidents` section of gameops.yaml: the severity levels (seed §2.1) as data, the team's
 * business hours (for severities that only count working time), where war-room updates go and
 * the customer-notice template. Every field has the seed's default, so an absent section — or
 * one that changes a single field of one severity — keeps everything else as the seed has it.
 */

export interface SeverityPolicy {
  name: string;
  description: string;
  /** Acknowledge within this long of declaration; 0 is immediately. */
  respondWithin: number;
  /** Count respondWithin in business hours only (nights and weekends do not run the clock). */
  businessHoursOnly: boolean;
  /** Paged when respondWithin passes unacknowledged. Empty: the on-call (paging.defaultPolicy's first level). */
  escalateTo: EscalationTarget[];
  /** Paged with the incident commander at declaration. Empty: the on-call (paging.defaultPolicy's first level). */
  firstResponders: EscalationTarget[];
  /** Status-update cadence; no reminders when absent. */
  updateEvery?: number;
  /** A war room with four roles (P1/P2), or a single owner (P3/P4). */
  warRoom: boolean;
  /** A paging policy whose levels carry on the ladder after escalateTo. */
  policy?: string;
}

const minutes = 60_000;

/** The seed's table: P1 immediately to the CTO/VP, P2 in 15 minutes to the team lead, P3 in an hour to the on-call, P4 within business hours to the team. */
export const seedSeverities: Record<SeverityId, SeverityPolicy> = {
  P1: {
    name: "Critical",
    description: "The whole service is down",
    respondWithin: 0,
    businessHoursOnly: false,
    escalateTo: [{ title: "cto" }, { title: "vp" }],
    firstResponders: [],
    updateEvery: 15 * minutes,
    warRoom: true,
  },
  P2: {
    name: "High",
    description: "A major feature is down",
    respondWithin: 15 * minutes,
    businessHoursOnly: false,
    escalateTo: [{ title: "lead" }],
    firstResponders: [],
    updateEvery: 15 * minutes,
    warRoom: true,
  },
  P3: {
    name: "Medium",
    description: "Some features are degraded",
    respondWithin: 60 * minutes,
    businessHoursOnly: false,
    escalateTo: [],
    firstResponders: [],
    updateEvery: 60 * minutes,
    warRoom: false,
  },
  P4: {
    name: "Low",
    description: "A minor issue",
    // "Within business hours": one working day of the default 09:00–18:00.
    respondWithin: 9 * 60 * minutes,
    businessHoursOnly: true,
    escalateTo: [],
    firstResponders: [],
    warRoom: false,
  },
};

export const seedBusinessHours = { days: ["mon", "tue", "wed", "thu", "fri"] as Weekday[], from: "09:00", to: "18:00" };

const policyId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "must be a paging policy id, like game-ops");

/** Rules across fields run once the fields themselves are valid: no message about a value already reported. */
const fieldsValid = { when: (payload: { issues: readonly unknown[] }) => payload.issues.length === 0 };

function severityPolicy(seed: SeverityPolicy) {
  return z
    .strictObject({
      name: z.string().trim().min(1, "is empty; give the severity a name, like Critical").default(seed.name),
      description: z.string().trim().min(1, "is empty; say when this severity applies, like \"the whole service is down\"").default(seed.description),
      respondWithin: durationOrZero.default(seed.respondWithin),
      businessHoursOnly: z.boolean().default(seed.businessHoursOnly),
      escalateTo: z.array(escalationTarget).default(() => seed.escalateTo.map((t) => ({ ...t }))),
      firstResponders: z.array(escalationTarget).default(() => seed.firstResponders.map((t) => ({ ...t }))),
      updateEvery: seed.updateEvery === undefined ? duration.optional() : duration.default(seed.updateEvery),
      warRoom: z.boolean().default(seed.warRoom),
      policy: policyId.optional(),
    })
    .prefault({});
}

const businessHours = z
  .strictObject({
    days: z.array(weekday).min(1, "needs at least one day, like [mon, tue, wed, thu, fri]").default(() => [...seedBusinessHours.days]),
    /** Local times in the team's zone; business hours do not run past midnight. */
    from: timeOfDay.default(seedBusinessHours.from),
    to: timeOfDay.default(seedBusinessHours.to),
  })
  .superRefine((hours, ctx) => {
    if (minutesOf(hours.to) <= minutesOf(hours.from)) {
      ctx.addIssue({ code: "custom", path: ["to"], message: `${hours.to} is not after ${hours.from}; business hours end later the same day, like from: 09:00, to: 18:00` });
    }
    const repeated = hours.days.filter((day, i) => hours.days.indexOf(day) !== i);
    if (repeated.length > 0) ctx.addIssue({ code: "custom", path: ["days"], message: `lists ${[...new Set(repeated)].join(", ")} twice; name each day once` });
  }, fieldsValid)
  .prefault({});
export type BusinessHours = z.output<typeof businessHours>;

/** "slack" or "webhook:NAME", as deliveries name their channels. */
const channelName = z
  .string()
  .trim()
  .refine((value) => value === "slack" || /^webhook:[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(value), {
    error: (issue) => `"${String(issue.input)}" is not a channel; write slack, or webhook:NAME for one of paging.channels.webhooks`,
  });

const noticeTemplate = z
  .string()
  .trim()
  .min(1, "is empty; write the notice, or leave customerNotice out to send none")
  .superRefine((template, ctx) => {
    const known = Object.keys(customerNoticePlaceholders);
    for (const name of unknownPlaceholders(template)) {
      const suggestion = closest(name, known);
      ctx.addIssue({
        code: "custom",
        message: `unknown placeholder {${name}}${suggestion ? ` — did you mean {${suggestion}}?` : ""} (placeholders: ${known.map((k) => `{${k}}`).join(" ")})`,
      });
    }
  });

export const incidentsConfig = z
  .strictObject({
    severities: z
      .looseObject({ P1: severityPolicy(seedSeverities.P1), P2: severityPolicy(seedSeverities.P2), P3: severityPolicy(seedSeverities.P3), P4: severityPolicy(seedSeverities.P4) })
      .superRefine((given, ctx) => {
        for (const key of Object.keys(given).filter((k) => !(severityIds as readonly string[]).includes(k))) {
          ctx.addIssue({ code: "custom", path: [key], params: { unknownKey: true }, message: `unknown severity ${key}; the levels are ${severityIds.slice(0, -1).join(", ")} and ${severityIds.at(-1)!}` });
        }
      })
      .transform(({ P1, P2, P3, P4 }) => ({ P1, P2, P3, P4 }))
      .prefault({}),
    businessHours,
    /** Where war-room status updates are posted, besides the subscribers' inboxes. */
    warRoomChannel: channelName.optional(),
    /** Sent with status updates when set; see customerNoticePlaceholders. */
    customerNotice: noticeTemplate.optional(),
  })
  .prefault({});

export type IncidentsConfig = z.output<typeof incidentsConfig>;

/**
 * What the section names in the paging section — policies, schedules in targets, the war-room
 * channel — that paging does not have. Paths start at the config's root; the lead's configSchema
 * adds each as an issue.
 */
export function pagingProblems(incidents: IncidentsConfig, paging: PagingConfigFile): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const policyIds = paging.policies.map((p) => p.id);
  const scheduleIds = paging.schedules.map((s) => s.id);
  const unknown = (what: string, value: string, known: string[], list: string) => {
    const plural = list.split(".").at(-1)!;
    if (known.length === 0) return `unknown ${what} "${value}" (no ${plural} are defined; add one under paging.${list})`;
    const suggestion = closest(value, known);
    return `unknown ${what} "${value}"${suggestion ? ` — did you mean "${suggestion}"?` : ""} (${plural}: ${known.join(", ")})`;
  };

  for (const id of severityIds) {
    const severity = incidents.severities[id];
    const at = ["incidents", "severities", id];
    if (severity.policy !== undefined && !policyIds.includes(severity.policy)) {
      problems.push({ path: [...at, "policy"], message: unknown("policy", severity.policy, policyIds, "policies") });
    }
    for (const field of ["firstResponders", "escalateTo"] as const) {
      severity[field].forEach((target, i) => {
        if ("schedule" in target && !scheduleIds.includes(target.schedule)) {
          problems.push({ path: [...at, field, i, "schedule"], message: unknown("schedule", target.schedule, scheduleIds, "schedules") });
        }
      });
    }
  }

  const channel = incidents.warRoomChannel;
  if (channel === "slack" && !paging.channels.slack) {
    problems.push({ path: ["incidents", "warRoomChannel"], message: "slack is not set up; add paging.channels.slack, or name another channel" });
  } else if (channel?.startsWith("webhook:")) {
    const name = channel.slice("webhook:".length);
    const names = paging.channels.webhooks.map((w) => w.name);
    if (!names.includes(name)) problems.push({ path: ["incidents", "warRoomChannel"], message: unknown("webhook", name, names, "channels.webhooks") });
  }
  return problems;
}
