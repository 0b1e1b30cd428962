import { z } from "zod";
import { roles } from "../store/store.js";
import { isTimeZone } from "../domain/time-zone.js";

/** Request and response shapes of the API: validation and the OpenAPI document come from these. */

const wholeNumber = (min: number, max: number, fallback: number) => {
  const message = `must be a whole number from ${min} to ${max}`;
  return z.coerce.number({ error: message }).int(message).min(min, message).max(max, message).default(fallback);
};

const slug = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'use 1 to 64 lowercase letters, digits, ".", "_" or "-", like "alice" or "game-ops"');

const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1, "must not be empty")
    .max(max, `must be at most ${max} characters`);

const timeZone = z.string().refine(isTimeZone, { message: "must be an IANA time zone like Asia/Seoul or Europe/Berlin" });

export const idParams = z.object({ id: z.string().min(1) });

export const runListQuery = z.object({
  limit: wholeNumber(1, 200, 20),
  before: z.iso
    .datetime({ offset: true, error: "must be an ISO 8601 time like 2026-01-31T09:00:00.000Z (the startedAt of the oldest run you have)" })
    .optional()
    .describe("list the runs that started before this time: pass the oldest startedAt of the previous page"),
});

export const historyQuery = z.object({ days: wholeNumber(1, 366, 30) });

export const auditQuery = z.object({
  limit: wholeNumber(1, 500, 100),
  subject: z.string().min(1).optional().describe("only records about this subject, e.g. person:alice"),
});

export const startRunBody = z
  .strictObject({
    only: z
      .array(z.string({ error: "must be a list of check names" }), { error: "must be a list of check names" })
      .min(1, 'must name at least one check, or leave "only" out to run them all')
      .optional(),
  })
  .optional();

export const teamBody = z.strictObject({ id: slug, name: text(100) });

export const personBody = z.strictObject({
  id: slug,
  name: text(200),
  email: z.email({ error: "must be an email address like alice@example.com" }).optional(),
  chatHandle: text(100).optional(),
  timeZone: timeZone.optional(),
  teamId: slug.optional(),
  titles: z.array(text(50), { error: "must be a list of titles such as lead or director" }).default([]),
});

export const tokenBody = z.strictObject({
  personId: z.string().min(1, "must not be empty").describe("the person this token acts for"),
  role: z.enum(roles, { error: `must be one of ${roles.join(", ")}` }),
  label: text(100),
});

export const statusSchema = z.enum(["ok", "warning", "critical", "unknown"]);
const resultStatus = z.enum(["ok", "warning", "critical", "unknown", "skipped"]);

export const checkResultSchema = z.object({
  name: z.string(),
  status: resultStatus,
  summary: z.string(),
  durationMs: z.number(),
  details: z.record(z.string(), z.unknown()),
});

export const checkRunSchema = z.object({
  id: z.string(),
  startedAt: z.string().describe("ISO 8601, UTC"),
  durationMs: z.number(),
  status: statusSchema,
  trigger: z.enum(["schedule", "startup", "cli", "api", "console"]),
  requestedBy: z.string().optional(),
  checks: z.array(checkResultSchema),
});

export const latestSchema = z.object({
  status: statusSchema.describe("worst of the latest result of every check; unknown when none ran"),
  run: checkRunSchema.omit({ checks: true }).nullable().describe("the newest run, or null before the first one"),
  checks: z.array(
    z.object({
      name: z.string(),
      title: z.string(),
      result: checkResultSchema.extend({ runId: z.string(), startedAt: z.string() }).nullable(),
    }),
  ),
});

export const historySchema = z.object({
  since: z.string(),
  points: z.array(
    z.object({
      runId: z.string(),
      name: z.string(),
      startedAt: z.string(),
      status: resultStatus,
      durationMs: z.number(),
    }),
  ),
});

export const teamSchema = z.object({ id: z.string(), name: z.string() });

export const personSchema = z.object({
  id: z.string(),
  name: z.string(),
  email: z.string().optional(),
  chatHandle: z.string().optional(),
  timeZone: z.string().optional(),
  teamId: z.string().optional(),
  titles: z.array(z.string()),
});

export const tokenRecordSchema = z.object({
  id: z.string(),
  personId: z.string().optional(),
  role: z.enum(roles),
  label: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().optional(),
  revokedAt: z.string().optional(),
});

export const auditRecordSchema = z.object({
  id: z.string(),
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  subject: z.string(),
  details: z.record(z.string(), z.unknown()),
});

export const meSchema = z.object({
  actor: z.object({ name: z.string(), role: z.enum(roles), tokenLabel: z.string() }),
  person: personSchema.nullable(),
  team: z.object({ name: z.string(), timeZone: z.string() }),
});

export const errorSchema = z.object({
  error: z.string().describe("a stable code: unauthorized, forbidden, invalid_request, invalid_json, not_found, …"),
  message: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
