import type { OnCallSchedule, Role } from "../../config/paging-schema.js";
import { DAY, WEEK } from "./local-time.js";
import { covers, restrictionEdges } from "./restriction.js";
import { handoffsBetween, turnOf, weekAt } from "./rotation.js";

/**
 * Who is on call in a schedule: the last layer that covers an instant gives its primary and
 * backup; an override gives one role to someone else for a while and wins over every layer.
 */

/** Runtime data from the store: within [start, end) the person takes the role. */
export interface Override {
  id: string;
  scheduleId: string;
  role: Role;
  personId: string;
  start: Date;
  end: Date;
}

export interface OnCall {
  primary?: string;
  backup?: string;
  /** The layer whose rotation applies, when one covers the instant (overridden or not). */
  layer?: string;
  /** That layer's rotation week, from 0. */
  week?: number;
  /** Ids of the overrides that replaced the rotation's people. */
  overriddenBy?: { primary?: string; backup?: string };
}

/** A stretch of time over which nobody changes: rows of a table, blocks of a calendar. */
export interface Shift extends OnCall {
  start: Date;
  end: Date;
}

/** One person holding one role without a break, across layers and weeks: an event in a calendar. */
export interface RoleShift {
  scheduleId: string;
  role: Role;
  personId: string;
  start: Date;
  end: Date;
}

export interface Handoff {
  at: Date;
  /** Who takes a role at that instant, and until when (when known within a year). */
  starts: { role: Role; personId: string; until?: Date }[];
}

export interface CoverageGap {
  start: Date;
  end: Date;
  /** `primary`: nobody is paged at all; `backup`: nobody to escalate to, a lesser gap. */
  missing: Role;
}

const roleNames: readonly Role[] = ["primary", "backup"];
/** How far shifts are followed past a range to find where they really start and end. */
const FOLLOW_LIMIT = 366 * DAY;

export function onCallAt(schedule: OnCallSchedule, overrides: readonly Override[], at: Date): OnCall {
  return stateAt(schedule, ofSchedule(schedule, overrides), at.getTime());
}

/** Contiguous shifts covering [from, to) exactly, cut at the range's ends; empty ones included. */
export function shiftsBetween(schedule: OnCallSchedule, overrides: readonly Override[], from: Date, to: Date): Shift[] {
  return segments(schedule, ofSchedule(schedule, overrides), from.getTime(), to.getTime()).map(({ start, end, state }) => ({
    ...state,
    start: new Date(start),
    end: new Date(end),
  }));
}

/**
 * The role shifts that overlap [from, to), each with its real start and end even outside the
 * range (followed up to a year), so that a shift has the same bounds whatever range asked.
 */
export function roleShifts(schedule: OnCallSchedule, overrides: readonly Override[], from: Date, to: Date): RoleShift[] {
  const own = ofSchedule(schedule, overrides);
  const [lo, hi] = [from.getTime(), to.getTime()];
  for (let pad = WEEK; ; pad *= 2) {
    const [a, b] = [lo - pad, hi + pad];
    const runs = toRoleRuns(segments(schedule, own, a, b)).filter((r) => r.end > lo && r.start < hi);
    if (pad >= FOLLOW_LIMIT || !runs.some((r) => r.start === a || r.end === b)) {
      return runs.map((r) => ({ scheduleId: schedule.id, role: r.role, personId: r.personId, start: new Date(r.start), end: new Date(r.end) }));
    }
  }
}

/** The next instant strictly after `after` at which someone takes a role: for shift-start notices. */
export function nextHandoff(schedule: OnCallSchedule, overrides: readonly Override[], after: Date): Handoff | undefined {
  const own = ofSchedule(schedule, overrides);
  const from = after.getTime();
  for (let horizon = WEEK; horizon <= 2 * FOLLOW_LIMIT; horizon *= 2) {
    const segs = segments(schedule, own, from, from + horizon);
    for (let i = 1; i < segs.length; i++) {
      const [before, now] = [segs[i - 1]!.state, segs[i]!.state];
      const changed = roleNames.filter((role) => now[role] !== undefined && now[role] !== before[role]);
      if (changed.length === 0) continue;
      const at = new Date(segs[i]!.start);
      const current = roleShifts(schedule, overrides, at, new Date(at.getTime() + 1));
      return {
        at,
        starts: changed.map((role) => {
          const personId = now[role]!;
          const until = current.find((r) => r.role === role && r.personId === personId)?.end;
          return until ? { role, personId, until } : { role, personId };
        }),
      };
    }
  }
  return undefined;
}

/** Stretches of [from, to) with no primary, and with a primary but no backup. */
export function coverageGaps(schedule: OnCallSchedule, overrides: readonly Override[], from: Date, to: Date): CoverageGap[] {
  const gaps: CoverageGap[] = [];
  for (const { start, end, state } of segments(schedule, ofSchedule(schedule, overrides), from.getTime(), to.getTime())) {
    const missing: Role | undefined = state.primary === undefined ? "primary" : state.backup === undefined ? "backup" : undefined;
    if (!missing) continue;
    const last = gaps.at(-1);
    if (last && last.missing === missing && last.end.getTime() === start) last.end = new Date(end);
    else gaps.push({ start: new Date(start), end: new Date(end), missing });
  }
  return gaps;
}

interface Segment {
  start: number;
  end: number;
  state: OnCall;
}

function ofSchedule(schedule: OnCallSchedule, overrides: readonly Override[]): Override[] {
  return overrides.filter((o) => o.scheduleId === schedule.id && o.start < o.end);
}

function stateAt(schedule: OnCallSchedule, overrides: readonly Override[], at: number): OnCall {
  const state: OnCall = {};
  for (let i = schedule.layers.length - 1; i >= 0; i--) {
    const layer = schedule.layers[i]!;
    const week = weekAt(layer, schedule.timeZone, at);
    if (week === undefined || !covers(layer, schedule.timeZone, at)) continue;
    const turn = turnOf(layer, week);
    state.layer = layer.name;
    state.week = week;
    state.primary = turn.primary;
    if (turn.backup !== undefined) state.backup = turn.backup;
    break;
  }
  for (const role of roleNames) {
    // Overrides come in the order they were made: a later one wins over an earlier one.
    let override: Override | undefined;
    for (const o of overrides) if (o.role === role && o.start.getTime() <= at && at < o.end.getTime()) override = o;
    if (!override) continue;
    state[role] = override.personId;
    state.overriddenBy = { ...state.overriddenBy, [role]: override.id };
  }
  return state;
}

/** Every instant in (from, to) where who is on call may change. */
function boundaries(schedule: OnCallSchedule, overrides: readonly Override[], from: number, to: number): number[] {
  const edges = new Set<number>();
  for (const layer of schedule.layers) {
    for (const t of handoffsBetween(layer, schedule.timeZone, from, to)) edges.add(t);
    for (const t of restrictionEdges(layer, schedule.timeZone, from, to)) edges.add(t);
  }
  for (const o of overrides) for (const t of [o.start.getTime(), o.end.getTime()]) if (t > from && t < to) edges.add(t);
  edges.delete(from);
  return [...edges].sort((a, b) => a - b);
}

function segments(schedule: OnCallSchedule, overrides: readonly Override[], from: number, to: number): Segment[] {
  if (!(from < to)) return [];
  const out: Segment[] = [];
  const starts = [from, ...boundaries(schedule, overrides, from, to)];
  starts.forEach((start, i) => {
    const end = starts[i + 1] ?? to;
    const state = stateAt(schedule, overrides, start);
    const last = out.at(-1);
    if (last && sameState(last.state, state)) last.end = end;
    else out.push({ start, end, state });
  });
  return out;
}

function sameState(a: OnCall, b: OnCall): boolean {
  return (
    a.primary === b.primary &&
    a.backup === b.backup &&
    a.layer === b.layer &&
    a.week === b.week &&
    a.overriddenBy?.primary === b.overriddenBy?.primary &&
    a.overriddenBy?.backup === b.overriddenBy?.backup
  );
}

function toRoleRuns(segs: readonly Segment[]): { role: Role; personId: string; start: number; end: number }[] {
  const runs: { role: Role; personId: string; start: number; end: number }[] = [];
  for (const role of roleNames) {
    let open: (typeof runs)[number] | undefined;
    for (const { start, end, state } of segs) {
      const personId = state[role];
      if (open && open.personId === personId) {
        open.end = end;
        continue;
      }
      open = personId === undefined ? undefined : { role, personId, start, end };
      if (open) runs.push(open);
    }
  }
  return runs.sort((x, y) => x.start - y.start || roleNames.indexOf(x.role) - roleNames.indexOf(y.role));
}
