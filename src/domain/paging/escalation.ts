import type { EscalationPolicy, EscalationTarget, OnCallSchedule } from "../../config/paging-schema.js";
import { onCallAt, type Override } from "../oncall/schedule.js";

/**
 * The escalation of one page. The policy is copied onto the page when it opens, so editing the
 * config does not change escalations in flight. Steps count through the levels, then through
 * the levels again for each repeat round: step s is level s mod L of round floor(s / L).
 */

/** Plain JSON, stored with the page. */
export interface PolicySnapshot {
  id: string;
  name?: string;
  levels: { after: number; notify: EscalationTarget[] }[];
  repeat: number;
  repeatAfter: number;
}

export interface EscalationStep {
  step: number;
  /** 0 for the first run through the levels, 1 for the first repeat… */
  round: number;
  level: number;
  /** When the step is due, measured from when the page opened. */
  dueOffsetMs: number;
  targets: EscalationTarget[];
}

export function snapshotPolicy(policy: EscalationPolicy): PolicySnapshot {
  return {
    id: policy.id,
    ...(policy.name !== undefined ? { name: policy.name } : {}),
    levels: policy.levels.map((level) => ({ after: level.after, notify: level.notify.map((target) => ({ ...target })) })),
    repeat: policy.repeat,
    repeatAfter: policy.repeatAfter,
  };
}

/**
 * Step `step` (0 is the first level of the first round); undefined once the levels and their
 * repeats are exhausted. Round r starts (last level's after + repeatAfter) × r after the page
 * opened, so due times never go down.
 */
export function escalationStep(snapshot: PolicySnapshot, step: number): EscalationStep | undefined {
  const count = snapshot.levels.length;
  if (!Number.isInteger(step) || step < 0 || count === 0) return undefined;
  const round = Math.floor(step / count);
  if (round > snapshot.repeat) return undefined;
  const level = step % count;
  const roundLength = snapshot.levels[count - 1]!.after + snapshot.repeatAfter;
  return { step, round, level, dueOffsetMs: round * roundLength + snapshot.levels[level]!.after, targets: snapshot.levels[level]!.notify };
}

export interface Person {
  id: string;
  titles: readonly string[];
  teamId?: string | null;
}

export interface TargetContext {
  /** When the step fires: who is on call is read at this instant. */
  at: Date;
  schedules: readonly OnCallSchedule[];
  overrides: readonly Override[];
  people: readonly Person[];
}

export interface UnresolvedTarget {
  target: EscalationTarget;
  /** Why nobody is paged for it, to record on the page. */
  reason: string;
}

/** The people a step's targets name at an instant, each once, in the order the targets give them. */
export function resolveTargets(
  targets: readonly EscalationTarget[],
  context: TargetContext,
): { personIds: string[]; unresolved: UnresolvedTarget[] } {
  const known = new Map(context.people.map((p) => [p.id, p]));
  const personIds = new Set<string>();
  const unresolved: UnresolvedTarget[] = [];
  for (const target of targets) {
    if ("person" in target) {
      if (known.has(target.person)) personIds.add(target.person);
      else unresolved.push({ target, reason: `person "${target.person}" is not known; add them to people or change the policy` });
    } else if ("schedule" in target) {
      const schedule = context.schedules.find((s) => s.id === target.schedule);
      const personId = schedule && onCallAt(schedule, context.overrides, context.at)[target.role];
      if (!schedule) unresolved.push({ target, reason: `schedule "${target.schedule}" is no longer in paging.schedules` });
      else if (personId === undefined) {
        unresolved.push({ target, reason: `schedule "${schedule.id}" has no ${target.role} on call at ${context.at.toISOString()}` });
      } else if (!known.has(personId)) {
        unresolved.push({ target, reason: `"${personId}", ${target.role} on call in schedule "${schedule.id}", is not a known person; add them to people` });
      } else personIds.add(personId);
    } else {
      const holders = context.people.filter((p) => p.titles.includes(target.title) && (target.team === undefined || p.teamId === target.team));
      if (holders.length === 0) {
        unresolved.push({ target, reason: `nobody${target.team !== undefined ? ` in team "${target.team}"` : ""} has the title "${target.title}"` });
      }
      for (const p of holders) personIds.add(p.id);
    }
  }
  return { personIds: [...personIds], unresolved };
}
