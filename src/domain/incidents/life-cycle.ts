import { IncidentError } from "./incident-error.js";

/**
 * The incident's life cycle (seed §2.2): declared → triage → mitigating → root cause → resolved
 * → post-mortem → documented. Each state moves forward one step; a quick fix may skip from
 * declared or triage straight to mitigating or resolved; a mitigated incident may be resolved
 * before its root cause is known (the post-mortem finds it); a resolved incident that comes back
 * reopens into mitigating; documented is final.
 */

export const incidentStates = ["declared", "triage", "mitigating", "root_cause", "resolved", "postmortem", "documented"] as const;
export type IncidentState = (typeof incidentStates)[number];

/** How the console and CLI name a state. */
export const stateLabels: Record<IncidentState, string> = {
  declared: "Declared",
  triage: "Triage",
  mitigating: "Mitigating",
  root_cause: "Root cause",
  resolved: "Resolved",
  postmortem: "Post-mortem",
  documented: "Documented",
};

const transitions: Record<IncidentState, readonly IncidentState[]> = {
  declared: ["triage", "mitigating", "resolved"],
  triage: ["mitigating", "resolved"],
  mitigating: ["root_cause", "resolved"],
  root_cause: ["resolved"],
  resolved: ["postmortem", "mitigating"],
  postmortem: ["documented"],
  documented: [],
};

/** Refused: the message names the states the incident may go to from where it is. */
export class IncidentTransitionError extends IncidentError {
  constructor(
    readonly from: IncidentState,
    readonly to: IncidentState,
  ) {
    super(transitionRefusal(from, to));
    this.name = "IncidentTransitionError";
  }
}

export function isIncidentState(value: string): value is IncidentState {
  return (incidentStates as readonly string[]).includes(value);
}

/** A state as an operator types it: `root_cause`, `root-cause`, `Root cause` and `post-mortem` all work. */
export function parseState(text: string): IncidentState {
  const word = text.trim().toLowerCase().replace(/[\s-]+/g, "_");
  const state = word === "post_mortem" ? "postmortem" : word;
  if (isIncidentState(state)) return state;
  throw new IncidentError(`unknown incident state "${text}"; use ${incidentStates.join(", ")}`);
}

/** The states an incident may move to from `from`, in life-cycle order. */
export function nextStates(from: IncidentState): readonly IncidentState[] {
  return transitions[from];
}

export function canTransition(from: IncidentState, to: IncidentState): boolean {
  return transitions[from].includes(to);
}

export function assertTransition(from: IncidentState, to: IncidentState): void {
  if (!canTransition(from, to)) throw new IncidentTransitionError(from, to);
}

/** Still being worked on: not yet resolved (a reopened incident is again). */
export function isOngoing(state: IncidentState): boolean {
  return incidentStates.indexOf(state) < incidentStates.indexOf("resolved");
}

function transitionRefusal(from: IncidentState, to: IncidentState): string {
  const allowed = transitions[from];
  if (allowed.length === 0) return `the incident is ${from}, which is final; it cannot move to ${to}`;
  const options = allowed.length === 1 ? allowed[0]! : `${allowed.slice(0, -1).join(", ")} or ${allowed.at(-1)!}`;
  const why = from === to ? `the incident is already ${to}` : `cannot move the incident from ${from} to ${to}`;
  return `${why}; from ${from} it can move to ${options}`;
}
