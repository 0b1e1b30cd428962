import type { ScheduleLayer } from "../../config/paging-schema.js";
import { localDay, localInstant, minutesOf, weekdayOf } from "./local-time.js";

/**
 * The hours a layer covers: on each listed day, from `from` to `to` local time — into the next
 * day when `to` is not after `from` (22:00–06:00 listed on fri covers Friday night into
 * Saturday morning) — or the whole day when neither is given. No restriction: all the time.
 */

type Restriction = NonNullable<ScheduleLayer["restrict"]>;

/** The window that starts on a local day, if the day is listed: [start, end) instants. */
function windowOn(restrict: Restriction, zone: string, day: number): [number, number] | undefined {
  if (!restrict.days.includes(weekdayOf(day))) return undefined;
  if (restrict.from === undefined || restrict.to === undefined) return [localInstant(zone, day, 0), localInstant(zone, day + 1, 0)];
  const from = minutesOf(restrict.from);
  const to = minutesOf(restrict.to);
  return [localInstant(zone, day, from), localInstant(zone, to > from ? day : day + 1, to)];
}

export function covers(layer: ScheduleLayer, zone: string, instant: number): boolean {
  if (!layer.restrict) return true;
  const day = localDay(zone, instant);
  // A window that started the day before may run past midnight into this one.
  for (const d of [day - 1, day]) {
    const w = windowOn(layer.restrict, zone, d);
    if (w && w[0] <= instant && instant < w[1]) return true;
  }
  return false;
}

/** Instants in [from, to) where the layer's coverage may start or stop. */
export function restrictionEdges(layer: ScheduleLayer, zone: string, from: number, to: number): number[] {
  if (!layer.restrict) return [];
  const out: number[] = [];
  for (let day = localDay(zone, from) - 1; day <= localDay(zone, to); day++) {
    for (const edge of windowOn(layer.restrict, zone, day) ?? []) if (edge >= from && edge < to) out.push(edge);
  }
  return out;
}
