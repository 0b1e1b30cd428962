import type { ScheduleLayer } from "../../config/paging-schema.js";
import { dayNumber, localDay, localInstant, minutesOf } from "./local-time.js";

/**
 * One layer's weekly rotation. Week k starts at the k-th handoff — `start` plus k weeks, at the
 * handoff's local time — and its primary is people[k mod n], its backup the next person.
 * Handoffs are local times, so a DST change moves them in UTC, never on the wall clock.
 */

export interface Turn {
  /** Rotation weeks since the layer's start, from 0. */
  week: number;
  primary: string;
  /** None when the rotation has one person. */
  backup?: string;
}

/** The instant week `week` of a layer begins. */
export function handoffAt(layer: ScheduleLayer, zone: string, week: number): number {
  return localInstant(zone, dayNumber(layer.start) + 7 * week, minutesOf(layer.handoff.time));
}

/** The rotation week an instant falls in; undefined before the first handoff. */
export function weekAt(layer: ScheduleLayer, zone: string, instant: number): number | undefined {
  if (instant < handoffAt(layer, zone, 0)) return undefined;
  // The local date gives the week to a day; the handoff time settles the day itself.
  let week = Math.floor((localDay(zone, instant) - dayNumber(layer.start)) / 7);
  while (week > 0 && instant < handoffAt(layer, zone, week)) week--;
  while (instant >= handoffAt(layer, zone, week + 1)) week++;
  return week;
}

export function turnOf(layer: ScheduleLayer, week: number): Turn {
  const n = layer.people.length;
  const primary = layer.people[week % n]!;
  return n > 1 ? { week, primary, backup: layer.people[(week + 1) % n]! } : { week, primary };
}

/** Handoff instants in [from, to). */
export function handoffsBetween(layer: ScheduleLayer, zone: string, from: number, to: number): number[] {
  const out: number[] = [];
  let week = Math.max(0, weekAt(layer, zone, from) ?? 0);
  for (let at = handoffAt(layer, zone, week); at < to; at = handoffAt(layer, zone, ++week)) {
    if (at >= from) out.push(at);
  }
  return out;
}
