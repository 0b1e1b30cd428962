import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { IncidentError } from "./incident-error.js";
import { assertTransition, canTransition, IncidentTransitionError, incidentStates, isOngoing, nextStates, parseState, type IncidentState } from "./life-cycle.js";

/** The life cycle written out edge by edge, independently of the table in life-cycle.ts. */
const legal = new Set([
  "declared>triage",
  "declared>mitigating",
  "declared>resolved",
  "triage>mitigating",
  "triage>resolved",
  "mitigating>root_cause",
  "mitigating>resolved",
  "root_cause>resolved",
  "resolved>postmortem",
  "resolved>mitigating",
  "postmortem>documented",
]);

const state = fc.constantFrom(...incidentStates);

/** Tries each step in turn, as the CLI and API would; a refused step leaves the state as it was. */
function run(steps: readonly IncidentState[], from: IncidentState = "declared"): { taken: [IncidentState, IncidentState][]; final: IncidentState } {
  let current = from;
  const taken: [IncidentState, IncidentState][] = [];
  for (const to of steps) {
    try {
      assertTransition(current, to);
      taken.push([current, to]);
      current = to;
    } catch (error) {
      expect(error).toBeInstanceOf(IncidentTransitionError);
    }
  }
  return { taken, final: current };
}

describe("the incident life cycle", () => {
  it("follows the seed's flow one step at a time", () => {
    const flow = ["triage", "mitigating", "root_cause", "resolved", "postmortem", "documented"] as const;
    expect(run(flow).final).toBe("documented");
  });

  it("lets a quick fix skip from declared or triage to mitigating or resolved", () => {
    for (const from of ["declared", "triage"] as const) {
      expect(canTransition(from, "mitigating")).toBe(true);
      expect(canTransition(from, "resolved")).toBe(true);
      expect(canTransition(from, "root_cause")).toBe(false);
    }
  });

  it("reopens a resolved incident into mitigating", () => {
    expect(run(["resolved", "mitigating", "root_cause", "resolved"]).taken).toHaveLength(4);
  });

  it("refuses an illegal step naming the states allowed from there", () => {
    expect(() => assertTransition("mitigating", "postmortem")).toThrow(
      "cannot move the incident from mitigating to postmortem; from mitigating it can move to root_cause or resolved",
    );
    expect(() => assertTransition("declared", "postmortem")).toThrow("from declared it can move to triage, mitigating or resolved");
    expect(() => assertTransition("triage", "triage")).toThrow("the incident is already triage; from triage it can move to mitigating or resolved");
    expect(() => assertTransition("documented", "resolved")).toThrow("the incident is documented, which is final; it cannot move to resolved");
    const error = (() => {
      try {
        assertTransition("postmortem", "resolved");
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(IncidentError);
    expect(error).toMatchObject({ name: "IncidentTransitionError", from: "postmortem", to: "resolved" });
  });

  it("never takes an illegal step, whatever is attempted", () => {
    fc.assert(
      fc.property(fc.array(state, { maxLength: 40 }), (steps) => {
        for (const [from, to] of run(steps).taken) expect(legal.has(`${from}>${to}`)).toBe(true);
      }),
    );
  });

  it("allows exactly the listed transitions", () => {
    fc.assert(
      fc.property(state, state, (from, to) => {
        expect(canTransition(from, to)).toBe(legal.has(`${from}>${to}`));
        expect(nextStates(from).includes(to)).toBe(legal.has(`${from}>${to}`));
      }),
    );
  });

  it("keeps a documented incident documented", () => {
    fc.assert(
      fc.property(fc.array(state, { maxLength: 20 }), fc.array(state, { maxLength: 20 }), (before, after) => {
        // From wherever `before` left it, the forward path ends documented: each step is either legal or refused.
        const reached = run([...before, "triage", "mitigating", "root_cause", "resolved", "postmortem", "documented"]);
        expect(reached.final).toBe("documented");
        expect(run(after, "documented")).toEqual({ taken: [], final: "documented" });
      }),
    );
  });

  it("tells ongoing incidents from resolved ones", () => {
    expect(incidentStates.filter(isOngoing)).toEqual(["declared", "triage", "mitigating", "root_cause"]);
  });

  it("reads states as operators type them", () => {
    expect(parseState("root-cause")).toBe("root_cause");
    expect(parseState("Root cause")).toBe("root_cause");
    expect(parseState("post-mortem")).toBe("postmortem");
    expect(parseState(" RESOLVED ")).toBe("resolved");
    expect(() => parseState("fixed")).toThrow(
      'unknown incident state "fixed"; use declared, triage, mitigating, root_cause, resolved, postmortem, documented',
    );
  });
});
