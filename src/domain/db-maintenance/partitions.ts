import { dayNumber, wallClock } from "../oncall/local-time.js";
import { quoteIdentifier } from "./identifier.js";
import { MaintenanceError } from "./maintenance-error.js";

/**
 * Rolling monthly partitions for a `game_logs`-style table, MariaDB syntax, partitioned as
 *
 *   PARTITION BY RANGE (TO_DAYS(created_at)) (
 *     PARTITION p202611 VALUES LESS THAN (TO_DAYS('2026-12-01')),
 *     PARTITION pmax    VALUES LESS THAN MAXVALUE)
 *
 * `pYYYYMM` holds that month's rows. TO_DAYS rather than UNIX_TIMESTAMP: it works on DATE and
 * DATETIME columns (UNIX_TIMESTAMP only on TIMESTAMP), its bounds read as dates in the DDL, and
 * it does not depend on the session's time_zone. Months are those of the column's values, so
 * `timeZone` is the zone the application writes them in (UTC unless configured).
 *
 * New months are split off the MAXVALUE partition (REORGANIZE PARTITION pmax INTO (…, pmax)):
 * with partitions made ahead, pmax is empty and the split is instant. Old months are dropped
 * only by name and only when the name agrees with the bound, never the current month or a later
 * one. Partitions not named `pYYYYMM` are left alone.
 */

/** A partition as information_schema.PARTITIONS lists it, in PARTITION_ORDINAL_POSITION order. */
export interface ExistingPartition {
  name: string;
  /** PARTITION_DESCRIPTION: a TO_DAYS value, or MAXVALUE. See `partitionBound`. */
  lessThan: number | "MAXVALUE";
}

export interface PartitionPolicy {
  table: string;
  /** Past months kept besides the current one: rows are kept at least this many whole months. */
  keepMonths: number;
  /** Months made ahead of the current one, so the month change never writes into pmax. */
  aheadMonths: number;
  /** The zone the partitioning column's values are written in; UTC by default. */
  timeZone?: string;
}

export interface PartitionPlan {
  table: string;
  /** `YYYY-MM`, in the policy's zone at `now`. */
  currentMonth: string;
  add: { name: string; month: string; lessThan: string }[];
  drop: { name: string; month: string }[];
  /** In order: the adds, then the drops. Empty when there is nothing to do. */
  statements: string[];
  warnings: string[];
}

/** TO_DAYS of a `YYYY-MM-DD` date, as MariaDB computes it (day 0 is year 0). */
export function toDays(date: string): number {
  return dayNumber(date) + TO_DAYS_EPOCH;
}

/** The bound information_schema.PARTITIONS.PARTITION_DESCRIPTION gives for a RANGE partition. */
export function partitionBound(description: string): number | "MAXVALUE" {
  if (description === "MAXVALUE") return "MAXVALUE";
  if (/^\d+$/.test(description)) return Number(description);
  throw new MaintenanceError(`partition bound "${description}" is neither a TO_DAYS value nor MAXVALUE; the table must be partitioned BY RANGE (TO_DAYS(column))`);
}

export function planPartitions(existing: readonly ExistingPartition[], policy: PartitionPolicy, now: number): PartitionPlan {
  const table = quoteIdentifier(policy.table, "table");
  for (const [field, value] of [["keepMonths", policy.keepMonths], ["aheadMonths", policy.aheadMonths]] as const)
    if (!Number.isInteger(value) || value < 0 || value > 120) throw new MaintenanceError(`${policy.table}: ${field} must be a whole number of months from 0 to 120, not ${value}`);

  const max = existing.at(-1);
  if (!max || max.lessThan !== "MAXVALUE" || existing.slice(0, -1).some((p) => p.lessThan === "MAXVALUE"))
    throw new MaintenanceError(
      `${policy.table}: the last partition must be VALUES LESS THAN MAXVALUE; add one with ALTER TABLE ${table} ADD PARTITION (PARTITION \`pmax\` VALUES LESS THAN MAXVALUE)`,
    );
  const ranged = existing.slice(0, -1) as { name: string; lessThan: number }[];
  ranged.forEach((p, i) => {
    quoteIdentifier(p.name, `${policy.table} partition`);
    if (i > 0 && p.lessThan <= ranged[i - 1]!.lessThan)
      throw new MaintenanceError(`${policy.table}: partition ${p.name} does not end after ${ranged[i - 1]!.name}; list partitions in PARTITION_ORDINAL_POSITION order`);
    const month = monthOfName(p.name);
    // A name that lies about its bound would make us drop rows we did not mean to.
    if (month !== undefined && p.lessThan !== toDays(monthStart(month + 1)))
      throw new MaintenanceError(
        `${policy.table}: partition ${p.name} ends before ${dateOfToDays(p.lessThan)}, not ${monthStart(month + 1)}; its name does not say what it holds, so rename or reorganize it by hand before rotating`,
      );
  });

  const wall = new Date(wallClock(policy.timeZone ?? "UTC", now));
  const current = wall.getUTCFullYear() * 12 + wall.getUTCMonth();
  const warnings: string[] = [];

  const lastBound = ranged.at(-1)?.lessThan;
  const firstNew = lastBound === undefined ? current : Math.min(monthOfToDays(lastBound), current + policy.aheadMonths + 1);
  const add: PartitionPlan["add"] = [];
  for (let month = firstNew; month <= current + policy.aheadMonths; month++)
    add.push({ name: partitionName(month), month: monthKey(month), lessThan: monthStart(month + 1) });
  if (add.length > 0 && lastBound === undefined)
    warnings.push(`${policy.table} has only ${max.name}: all its rows move into ${add[0]!.name}, which rewrites the table`);
  else if (add.length > 0 && firstNew < current)
    warnings.push(
      `${policy.table}'s partitions stop at ${dateOfToDays(lastBound!)}: rows written since then are in ${max.name} and move into the new partitions, which copies them`,
    );

  const drop = ranged
    .map((p) => ({ name: p.name, month: monthOfName(p.name) }))
    .filter((p): p is { name: string; month: number } => p.month !== undefined && p.month < current - policy.keepMonths)
    .map((p) => ({ name: p.name, month: monthKey(p.month) }));

  const statements: string[] = [];
  if (add.length > 0) {
    const parts = add.map((p) => `PARTITION ${quoteIdentifier(p.name, "partition")} VALUES LESS THAN (TO_DAYS('${p.lessThan}'))`);
    statements.push(`ALTER TABLE ${table} REORGANIZE PARTITION \`${max.name}\` INTO (${parts.join(", ")}, PARTITION \`${max.name}\` VALUES LESS THAN MAXVALUE)`);
  }
  if (drop.length > 0) statements.push(`ALTER TABLE ${table} DROP PARTITION ${drop.map((p) => `\`${p.name}\``).join(", ")}`);
  return { table: policy.table, currentMonth: monthKey(current), add, drop, statements, warnings };
}

const TO_DAYS_EPOCH = 719_528; // TO_DAYS('1970-01-01')

// Months are counted as year × 12 + (month − 1), so December + 1 is next January.
function monthKey(month: number): string {
  return `${String(Math.floor(month / 12)).padStart(4, "0")}-${String((month % 12) + 1).padStart(2, "0")}`;
}

function monthStart(month: number): string {
  return `${monthKey(month)}-01`;
}

function partitionName(month: number): string {
  return `p${monthKey(month).replace("-", "")}`;
}

function monthOfName(name: string): number | undefined {
  const m = /^p(\d{4})(\d{2})$/.exec(name);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 12) return undefined;
  return Number(m[1]) * 12 + Number(m[2]) - 1;
}

function dateOfToDays(days: number): string {
  return new Date((days - TO_DAYS_EPOCH) * 86_400_000).toISOString().slice(0, 10);
}

/** The month a partition starting at this TO_DAYS value is for. */
function monthOfToDays(days: number): number {
  const date = new Date((days - TO_DAYS_EPOCH) * 86_400_000);
  return date.getUTCFullYear() * 12 + date.getUTCMonth();
}
