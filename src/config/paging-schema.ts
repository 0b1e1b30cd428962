import { z } from "zod";
import { closest } from "./env.js";
import { formatDuration } from "./duration.js";
import { duration, durationOrZero, urlWithScheme } from "./fields.js";
import { Secret } from "./secret.js";
import { weekdays, type Weekday } from "../domain/oncall/local-time.js";
import { isLabelName, labelRegexProblem } from "../domain/paging/matchers.js";
import { isTimeZone } from "../domain/time-zone.js";

/**
 * The `paging` section of gameops.yaml: how alerts come in (intake, watchdog), where
 * notifications go (channels), which escalation policy an alert follows (routes), and who is on
 * call (schedules). Inline secrets become `Secret`s as they are parsed; `*File` secrets are read
 * by the loader (resolvePagingSecrets).
 */

const weekdayNames = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"] as const;

export const roles = ["primary", "backup"] as const;
export type Role = (typeof roles)[number];

const secret = z
  .string()
  .min(1, "is empty; give the value or leave the field out")
  .transform((value) => new Secret(value));
const path = z.string().min(1, "is empty; give the path of a file holding the secret");

const id = (example: string) => z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, `must be letters, digits, -, _ or ., like ${example}`);

/** `monday` or `mon`, any case, kept as `mon`. */
export const weekday = z.string().transform((value, ctx) => {
  const word = value.trim().toLowerCase();
  const index = weekdayNames.findIndex((name) => name === word || name.slice(0, 3) === word);
  if (index < 0) {
    const suggestion = closest(word, weekdayNames);
    ctx.addIssue({
      code: "custom",
      message: `"${value}" is not a weekday${suggestion ? ` — did you mean "${suggestion}"?` : ""} (write monday … sunday, or mon … sun)`,
    });
    return z.NEVER;
  }
  return weekdays[index]!;
});

/** A local time of day, `HH:MM` on a 24-hour clock. */
export const timeOfDay = z.string().refine((value) => /^([01]\d|2[0-3]):[0-5]\d$/.test(value), {
  error: (issue) => `"${String(issue.input)}" is not a time of day; write it as HH:MM on a 24-hour clock, like 09:00 or 18:30 (midnight is 00:00)`,
});

/** A calendar date, `YYYY-MM-DD`, that exists (no 2026-02-30). */
const localDate = z.string().refine(isLocalDate, {
  error: (issue) => `"${String(issue.input)}" is not a date; write it as YYYY-MM-DD, like 2026-01-05`,
});

const timeZone = z.string().refine(isTimeZone, { message: "must be an IANA time zone like Asia/Seoul or Europe/Berlin" });

const perMinute = (fallback: number) =>
  z.number().int("must be a whole number of messages").positive("must be at least 1 message a minute").default(fallback);

/** Rules across fields run once the fields themselves are valid: no message about a value already reported. */
const fieldsValid = { when: (payload: { issues: readonly unknown[] }) => payload.issues.length === 0 };

/** Exactly one of a secret and the file holding it (both may be absent when `required` is false). */
function oneSecret(value: string, file: string, required: string | undefined) {
  return (fields: Record<string, unknown>, ctx: z.RefinementCtx) => {
    if (fields[value] !== undefined && fields[file] !== undefined) {
      ctx.addIssue({ code: "custom", path: [value], message: `give ${value} or ${file}, not both` });
    } else if (required && fields[value] === undefined && fields[file] === undefined) {
      ctx.addIssue({ code: "custom", message: required });
    }
  };
}

const labels = z.record(z.string(), z.string()).superRefine((map, ctx) => {
  for (const name of Object.keys(map)) {
    if (!isLabelName(name)) {
      ctx.addIssue({ code: "custom", path: [name], message: `"${name}" is not a label name; use letters, digits and _ (not starting with a digit)` });
    }
  }
});

const labelRegexes = labels.superRefine((map, ctx) => {
  for (const [name, source] of Object.entries(map)) {
    const problem = labelRegexProblem(source);
    if (problem) ctx.addIssue({ code: "custom", path: [name], message: `"${source}" is not a regular expression (${problem})` });
  }
});

export const route = z.strictObject({
  /** Label equality: every label named must have exactly this value. */
  match: labels.default({}),
  /** Anchored regexes, like Alertmanager's: `critical|page` matches "page", not "pager". */
  matchRegex: labelRegexes.default({}),
  /** The escalation policy; `defaultPolicy` when absent. */
  policy: z.string().min(1).optional(),
  /** Incidents (issue 5) open one of this priority for a page this route opens. */
  declare: z.enum(["P1", "P2", "P3", "P4"]).optional(),
});
export type Route = z.output<typeof route>;

/**
 * Who a level notifies: `{ person: alice }`, `{ schedule: game-ops, role: backup }` (role
 * primary when absent) or `{ title: lead }` (everyone with that title, optionally in one team).
 */
export const escalationTarget = z
  .strictObject({
    person: z.string().min(1).optional(),
    schedule: z.string().min(1).optional(),
    role: z.enum(roles).optional(),
    title: z.string().min(1).optional(),
    team: z.string().min(1).optional(),
  })
  .superRefine((t, ctx) => {
    const named = [t.person, t.schedule, t.title].filter((v) => v !== undefined).length;
    if (named !== 1) {
      ctx.addIssue({
        code: "custom",
        message: "a target names exactly one of person, schedule or title, like { schedule: game-ops, role: primary } or { title: lead }",
      });
    } else if (t.role !== undefined && t.schedule === undefined) {
      ctx.addIssue({ code: "custom", path: ["role"], message: "role goes with schedule; drop it or notify { schedule: ID, role: … }" });
    } else if (t.team !== undefined && t.title === undefined) {
      ctx.addIssue({ code: "custom", path: ["team"], message: "team goes with title; drop it or notify { title: …, team: ID }" });
    }
  }, fieldsValid)
  .transform((t): EscalationTarget => {
    if (t.person !== undefined) return { person: t.person };
    if (t.schedule !== undefined) return { schedule: t.schedule, role: t.role ?? "primary" };
    return t.team !== undefined ? { title: t.title!, team: t.team } : { title: t.title! };
  });
export type EscalationTarget = { person: string } | { schedule: string; role: Role } | { title: string; team?: string };

export const escalationLevel = z.strictObject({
  /** Measured from when the page opened, not from the previous level. */
  after: durationOrZero,
  notify: z.array(escalationTarget).min(1, "needs at least one target, like [{ schedule: game-ops, role: primary }]"),
});
export type EscalationLevel = z.output<typeof escalationLevel>;

export const escalationPolicy = z.strictObject({
  id: id("game-ops"),
  name: z.string().min(1).optional(),
  levels: z.array(escalationLevel).min(1, "needs at least one level, like { after: 0s, notify: [{ schedule: game-ops }] }"),
  /** Times the whole ladder runs again after the last level. */
  repeat: z.number().int("must be a whole number of rounds").nonnegative("must be 0 (no repeat) or more").default(0),
  /** Pause between the last level and the next round. */
  repeatAfter: duration.default(15 * 60_000),
});
export type EscalationPolicy = z.output<typeof escalationPolicy>;

const restriction = z
  .strictObject({
    days: z.array(weekday).min(1, "needs at least one day, like [mon, tue, wed, thu, fri]").default([...weekdays]),
    /** Local times; `to` at or before `from` runs past midnight into the next day. */
    from: timeOfDay.optional(),
    to: timeOfDay.optional(),
  })
  .superRefine((r, ctx) => {
    if ((r.from === undefined) !== (r.to === undefined)) {
      ctx.addIssue({ code: "custom", message: "give both from and to, or neither to cover whole days" });
    } else if (r.from !== undefined && r.from === r.to) {
      ctx.addIssue({ code: "custom", path: ["to"], message: `from and to are both ${r.from}; leave both out to cover whole days` });
    }
  }, fieldsValid);

export const scheduleLayer = z
  .strictObject({
    name: z.string().min(1),
    /** Person ids (the store's people), in rotation order. */
    people: z.array(z.string().min(1)).min(1, "needs at least one person id, like [alice, bob]"),
    /** The local date of the first handoff: people[0] is primary from then. */
    start: localDate,
    handoff: z.strictObject({ day: weekday, time: timeOfDay }),
    /** Hours the layer covers; all week when absent. */
    restrict: restriction.optional(),
  })
  .superRefine((layer, ctx) => {
    const day = weekdays[new Date(`${layer.start}T00:00:00Z`).getUTCDay()]!;
    if (day !== layer.handoff.day) {
      const full = (d: Weekday) => weekdayNames[weekdays.indexOf(d)]!;
      ctx.addIssue({
        code: "custom",
        path: ["start"],
        message: `${layer.start} is a ${full(day)}, but the handoff day is ${full(layer.handoff.day)}; start on a ${full(layer.handoff.day)}, like ${nearestDate(layer.start, layer.handoff.day)}`,
      });
    }
  }, fieldsValid);
export type ScheduleLayer = z.output<typeof scheduleLayer>;

export const onCallSchedule = z.strictObject({
  id: id("game-ops"),
  name: z.string().min(1).optional(),
  timeZone,
  /** A later layer wins where it covers; overrides win over all. */
  layers: z.array(scheduleLayer).min(1, "needs at least one layer, like { name: weekly, people: [alice, bob], … }"),
});
export type OnCallSchedule = z.output<typeof onCallSchedule>;

const webhookChannel = z
  .strictObject({
    name: id("ops-bot"),
    url: urlWithScheme(["http", "https"], "https://bot.example.com/gameops"),
    /** The key of the HMAC-SHA256 signature every delivery carries. */
    secret: secret.optional(),
    secretFile: path.optional(),
    perMinute: perMinute(60),
  })
  .superRefine(oneSecret("secret", "secretFile", "needs secretFile (or secret): every delivery is signed with it (HMAC-SHA256)"));

const slackChannel = z
  .strictObject({
    /** The incoming-webhook URL is itself the credential. */
    url: urlWithScheme(["https", "http"], "https://hooks.slack.com/services/T000/B000/XXXX").transform((value) => new Secret(value)).optional(),
    urlFile: path.optional(),
    perMinute: perMinute(20),
  })
  .superRefine(oneSecret("url", "urlFile", "needs urlFile (or url): the Slack incoming-webhook URL"));

const emailChannel = z
  .strictObject({
    smtp: urlWithScheme(["smtp", "smtps"], "smtp://mail.example.com:587").refine((value) => !URL.canParse(value) || new URL(value).password === "", {
      message: "keep the password out of the URL; use passwordFile (or password)",
    }),
    from: z.string().refine((value) => /^[^\s<>@]+@[^\s<>@]+$|^[^<>]*<[^\s<>@]+@[^\s<>@]+>$/.test(value.trim()), {
      message: 'must be an email address, like gameops@example.com or "gameops <gameops@example.com>"',
    }),
    username: z.string().min(1).optional(),
    password: secret.optional(),
    passwordFile: path.optional(),
    perMinute: perMinute(30),
  })
  .superRefine(oneSecret("password", "passwordFile", undefined));

const pagingSection = z.strictObject({
  /** Base of the links in notifications; the server's own address when absent. */
  publicUrl: urlWithScheme(["http", "https"], "https://gameops.example.com").optional(),
  /** Credentials Alertmanager's http_config sends to /webhooks/alertmanager. */
  intake: z
    .strictObject({
      token: secret.optional(),
      tokenFile: path.optional(),
      basic: z
        .strictObject({ username: z.string().min(1), password: secret.optional(), passwordFile: path.optional() })
        .superRefine(oneSecret("password", "passwordFile", "needs passwordFile (or password)"))
        .optional(),
    })
    .superRefine(oneSecret("token", "tokenFile", undefined))
    .prefault({}),
  /** Dead man's switch: page when the always-firing alert stops arriving. Off when absent. */
  watchdog: z
    .strictObject({
      alertname: z.string().min(1).default("Watchdog"),
      within: duration,
      /** defaultPolicy when absent. */
      policy: z.string().min(1).optional(),
    })
    .optional(),
  channels: z
    .strictObject({
      webhooks: z.array(webhookChannel).default([]),
      slack: slackChannel.optional(),
      email: emailChannel.optional(),
    })
    .prefault({}),
  /** First match wins; an alert no route matches follows defaultPolicy. */
  routes: z.array(route).default([]),
  defaultPolicy: z.string().min(1).default("default"),
  policies: z.array(escalationPolicy).default([]),
  schedules: z.array(onCallSchedule).default([]),
});

export const pagingConfig = pagingSection.superRefine(crossCheck, fieldsValid).prefault({});

export type PagingConfigInput = z.input<typeof pagingConfig>;
export type PagingConfigFile = z.output<typeof pagingConfig>;

function crossCheck(paging: z.output<typeof pagingSection>, ctx: z.RefinementCtx) {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });

  const unique = (items: readonly { value: string; path: (string | number)[] }[], what: string) => {
    const seen = new Map<string, string>();
    for (const { value, path } of items) {
      const first = seen.get(value);
      if (first !== undefined) issue(path, `duplicate ${what} "${value}": paging.${first} already has it; rename one`);
      else seen.set(value, path.join("."));
    }
  };
  unique(paging.policies.map((p, i) => ({ value: p.id, path: ["policies", i, "id"] })), "policy id");
  unique(paging.schedules.map((s, i) => ({ value: s.id, path: ["schedules", i, "id"] })), "schedule id");
  unique(paging.channels.webhooks.map((w, i) => ({ value: w.name, path: ["channels", "webhooks", i, "name"] })), "webhook name");
  paging.schedules.forEach((s, i) => unique(s.layers.map((l, j) => ({ value: l.name, path: ["schedules", i, "layers", j, "name"] })), "layer name"));

  const policyIds = paging.policies.map((p) => p.id);
  const scheduleIds = paging.schedules.map((s) => s.id);
  const unknown = (what: string, value: string, known: string[], plural: string) => {
    if (known.length === 0) return `unknown ${what} "${value}" (no ${plural} are defined; add one under paging.${plural})`;
    const suggestion = closest(value, known);
    return `unknown ${what} "${value}"${suggestion ? ` — did you mean "${suggestion}"?` : ""} (${plural}: ${known.join(", ")})`;
  };

  // With no policies at all, paging is not set up yet and the default name refers to nothing.
  if (policyIds.length > 0 && !policyIds.includes(paging.defaultPolicy)) {
    issue(
      ["defaultPolicy"],
      `${unknown("policy", paging.defaultPolicy, policyIds, "policies")}; set defaultPolicy to the policy for alerts no route matches (it is "default" when not set)`,
    );
  }
  if (paging.watchdog?.policy !== undefined && !policyIds.includes(paging.watchdog.policy)) {
    issue(["watchdog", "policy"], unknown("policy", paging.watchdog.policy, policyIds, "policies"));
  }
  paging.routes.forEach((r, i) => {
    if (r.policy !== undefined && !policyIds.includes(r.policy)) issue(["routes", i, "policy"], unknown("policy", r.policy, policyIds, "policies"));
  });
  const catchAll = paging.routes.findIndex((r) => Object.keys(r.match).length === 0 && Object.keys(r.matchRegex).length === 0);
  if (catchAll >= 0 && catchAll < paging.routes.length - 1) {
    issue(["routes", catchAll + 1], `never reached: routes.${catchAll} above has no match or matchRegex, so it takes every alert; move that route last`);
  }

  paging.policies.forEach((p, i) => {
    p.levels.forEach((level, j) => {
      const previous = p.levels[j - 1];
      if (previous && level.after < previous.after) {
        issue(
          ["policies", i, "levels", j, "after"],
          `${formatAfter(level.after)} is earlier than the level before it (${formatAfter(previous.after)}); after counts from when the page opened, so list levels in the order they fire`,
        );
      }
      level.notify.forEach((target, k) => {
        if ("schedule" in target && !scheduleIds.includes(target.schedule)) {
          issue(["policies", i, "levels", j, "notify", k, "schedule"], unknown("schedule", target.schedule, scheduleIds, "schedules"));
        }
      });
    });
  });
}

/** Secrets read from their files: the config the rest of gameops sees has no `*File` fields. */
export type PagingConfig = Omit<PagingConfigFile, "intake" | "channels"> & {
  intake: { token?: Secret; basic?: { username: string; password?: Secret } };
  channels: {
    webhooks: (Omit<PagingConfigFile["channels"]["webhooks"][number], "secretFile" | "secret"> & { secret?: Secret })[];
    slack?: { url?: Secret; perMinute: number };
    email?: Omit<NonNullable<PagingConfigFile["channels"]["email"]>, "passwordFile">;
  };
};

/**
 * Replaces each `*File` with the secret read from it. `readSecretFile(field, path)` is the
 * loader's: it reads relative to the config file and records an unreadable file as a problem
 * at `field` (then returns undefined).
 */
export function resolvePagingSecrets(paging: PagingConfigFile, readSecretFile: (field: string, path: string) => Secret | undefined): PagingConfig {
  const secret = (inline: Secret | undefined, file: string | undefined, field: string) => (file !== undefined ? readSecretFile(field, file) : inline);
  const { intake, channels } = paging;
  const { slack, email } = channels;
  return {
    ...paging,
    intake: defined({
      token: secret(intake.token, intake.tokenFile, "paging.intake.tokenFile"),
      basic: intake.basic && defined({ username: intake.basic.username, password: secret(intake.basic.password, intake.basic.passwordFile, "paging.intake.basic.passwordFile") }),
    }),
    channels: defined({
      webhooks: channels.webhooks.map(({ secretFile, ...hook }, i) => defined({ ...hook, secret: secret(hook.secret, secretFile, `paging.channels.webhooks.${i}.secretFile`) })),
      slack: slack && defined({ url: secret(slack.url, slack.urlFile, "paging.channels.slack.urlFile"), perMinute: slack.perMinute }),
      email:
        email &&
        defined({
          smtp: email.smtp,
          from: email.from,
          username: email.username,
          password: secret(email.password, email.passwordFile, "paging.channels.email.passwordFile"),
          perMinute: email.perMinute,
        }),
    }),
  };
}

/** Without the fields that are undefined: what is printed or compared shows only what is set. */
function defined<T extends object>(fields: T): T {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as T;
}

/** Paths of the secrets written in clear in the section, for the loader's warning. */
export function inlineSecrets(paging: PagingConfigFile): string[] {
  return [
    paging.intake.token && "paging.intake.token",
    paging.intake.basic?.password && "paging.intake.basic.password",
    ...paging.channels.webhooks.map((w, i) => w.secret && `paging.channels.webhooks.${i}.secret`),
    paging.channels.slack?.url && "paging.channels.slack.url",
    paging.channels.email?.password && "paging.channels.email.password",
  ].filter((p): p is string => typeof p === "string");
}

function isLocalDate(value: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return false;
  const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return date.toISOString().slice(0, 10) === value;
}

/** The date of `day` nearest to `date`, for the fix in a message. */
function nearestDate(date: string, day: Weekday): string {
  const at = new Date(`${date}T00:00:00Z`);
  const ahead = (weekdays.indexOf(day) - at.getUTCDay() + 7) % 7;
  const shift = ahead <= 3 ? ahead : ahead - 7;
  return new Date(at.getTime() + shift * 86_400_000).toISOString().slice(0, 10);
}

function formatAfter(ms: number): string {
  return ms === 0 ? "0s" : formatDuration(ms);
}
