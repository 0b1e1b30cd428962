import { z } from "zod";
import { periodAt } from "../checklists/periods.js";
import type { Cadence } from "../checklists/operations-checklists.js";
import { BackupError } from "./backup-error.js";
import type { BackupManifest } from "./manifest.js";

/**
 * Which backup sets to keep and which may go: grandfather-father-son over verified sets, with
 * floors no policy can go below. The seed's `find -mtime +30 -exec rm -rf` could delete the only
 * good backup; here:
 *
 * - only verified sets count as good, and only they fill the daily / weekly / monthly slots: a
 *   slot is a local day, ISO week or month (the team's zone) holding a verified set, and the
 *   newest verified set of each of the N newest such slots is kept;
 * - the newest verified set is always kept, and at least `minGood` verified sets (all of them
 *   when there are fewer);
 * - a `written` (not yet verified) or `failed` set is kept for `graceMs` after it was created,
 *   so a verify in progress or a failure under investigation is not pulled away, and may go after.
 *
 * Pure and deterministic: the same sets, policy, time and zone give the same plan whatever the
 * input order.
 */

export const retentionPolicySchema = z.strictObject({
  daily: z.number().int().min(0).default(7),
  weekly: z.number().int().min(0).default(4),
  monthly: z.number().int().min(0).default(6),
  minGood: z.number().int().min(1, "must be at least 1; the newest verified set is never removed").default(3),
  /** How long a written-but-unverified or failed set stays, in milliseconds. */
  graceMs: z.number().int().min(0).default(2 * 86_400_000),
});
export type RetentionPolicy = z.output<typeof retentionPolicySchema>;

export type RetentionSet = Pick<BackupManifest, "id" | "createdAt" | "status">;

export interface RetentionPlan {
  /** Newest first; every reason a set is kept. */
  keep: { id: string; reasons: string[] }[];
  /** Newest first. */
  remove: { id: string; reason: string }[];
}

const cadences: Cadence[] = ["daily", "weekly", "monthly"];

export function planRetention(sets: readonly RetentionSet[], policy: RetentionPolicy, now: number, timeZone: string): RetentionPlan {
  const ordered = sets
    .map((set) => ({ ...set, at: Date.parse(set.createdAt) }))
    .sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  const seen = new Set<string>();
  for (const set of ordered) {
    if (!Number.isFinite(set.at)) throw new BackupError(`backup set ${set.id}: createdAt "${set.createdAt}" is not a time; write it like 2026-11-26T03:00:00Z`);
    if (seen.has(set.id)) throw new BackupError(`backup set ${set.id} is listed twice; each set id names one set`);
    seen.add(set.id);
  }

  const reasons = new Map<string, string[]>();
  const keep = (id: string, reason: string) => reasons.set(id, [...(reasons.get(id) ?? []), reason]);
  const verified = ordered.filter((s) => s.status === "verified");

  if (verified[0]) keep(verified[0].id, "newest verified set");
  for (const cadence of cadences) {
    const slots = new Set<string>();
    for (const set of verified) {
      if (slots.size >= policy[cadence]) break;
      // Newest first: the first set seen in a slot is that slot's newest.
      const key = periodAt(cadence, set.at, timeZone).key;
      if (slots.has(key)) continue;
      slots.add(key);
      keep(set.id, `${cadence} ${key}`);
    }
  }
  const floor = Math.min(policy.minGood, verified.length);
  let kept = verified.filter((s) => reasons.has(s.id)).length;
  for (const set of verified) {
    if (kept >= floor) break;
    if (reasons.has(set.id)) continue;
    keep(set.id, `minimum of ${policy.minGood} verified sets`);
    kept++;
  }

  const plan: RetentionPlan = { keep: [], remove: [] };
  for (const set of ordered) {
    const why = reasons.get(set.id);
    if (why) plan.keep.push({ id: set.id, reasons: why });
    else if (set.status === "verified") plan.remove.push({ id: set.id, reason: "verified, but no daily, weekly or monthly slot needs it" });
    else if (now - set.at < policy.graceMs) plan.keep.push({ id: set.id, reasons: [set.status === "failed" ? "failed, kept for inspection within the grace period" : "not verified yet, within the grace period"] });
    else plan.remove.push({ id: set.id, reason: set.status === "failed" ? "failed, older than the grace period" : "never verified, older than the grace period" });
  }
  return plan;
}
