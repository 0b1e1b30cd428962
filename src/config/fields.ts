import { Cron } from "croner";
import { z } from "zod";
import { parseDuration } from "./duration.js";

/** Field types shared by the config's sections. */

/** `5s`, `15m`, `1h`: a duration string, kept as milliseconds after parsing. */
export const duration = durationField({ zero: false, example: "500ms, 5s, 15m or 1h" });

/** A delay that may be none at all, like an escalation level's `after: 0s` (notify at once). */
export const durationOrZero = durationField({ zero: true, example: "0s, 30s, 15m or 1h" });

function durationField(options: { zero: boolean; example: string }) {
  return z.union([z.string(), z.number()]).transform((value, ctx) => {
    // A bare 0 needs no unit: zero is zero in any of them.
    const ms = typeof value === "number" ? value * 1000 : value.trim() === "0" && options.zero ? 0 : parseDuration(value);
    if (ms === undefined || !Number.isFinite(ms) || ms < 0 || (ms === 0 && !options.zero)) {
      ctx.addIssue({ code: "custom", message: `"${value}" is not a duration; write it like ${options.example}` });
      return z.NEVER;
    }
    return ms;
  });
}

/** A secret in the file is allowed but discouraged; `passwordFile` keeps it out of the config. */
export const credentials = {
  password: z.string().optional(),
  passwordFile: z.string().optional(),
};

export function urlWithScheme(schemes: string[], example: string) {
  return z.string().refine(
    (value) => {
      try {
        return schemes.includes(new URL(value).protocol.replace(/:$/, ""));
      } catch {
        return false;
      }
    },
    { message: `must be a URL like ${example}` },
  );
}

/** A 5-field cron expression, read in the team's zone. */
export const cron = z.string().refine(isCron, { message: 'must be a 5-field cron expression like "0 9 * * *" (09:00 every day)' });

function isCron(expr: string): boolean {
  if (expr.trim().split(/\s+/).length !== 5) return false;
  try {
    new Cron(expr, { paused: true });
    return true;
  } catch {
    return false;
  }
}
