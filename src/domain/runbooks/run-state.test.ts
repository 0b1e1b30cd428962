import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  afterCancel,
  afterStep,
  assertRunTransition,
  assertStepTransition,
  isTerminal,
  phases,
  predecessors,
  runStatuses,
  runTransitions,
  settle,
  startPosition,
  stepStatuses,
  stepTransitions,
  type Next,
  type Phase,
  type PhaseLengths,
  type Position,
  type RunStatus,
  type StepEnd,
} from "./run-state.js";

describe("run statuses", () => {
  it("refuses an illegal change and names the allowed ones", () => {
    expect(() => assertRunTransition("succeeded", "running")).toThrow("a succeeded run cannot become running; succeeded is final");
    expect(() => assertRunTransition("waiting_approval", "running")).toThrow(
      "a waiting_approval run cannot become running; from waiting_approval it can become queued",
    );
    expect(() => assertRunTransition("queued", "waiting_approval")).toThrow(
      "a queued run cannot become waiting_approval; from queued it can become running, cancelled",
    );
  });

  it("refuses an illegal step change the same way", () => {
    expect(() => assertStepTransition("succeeded", "running")).toThrow("a succeeded step cannot become running; succeeded is final");
    expect(() => assertStepTransition("interrupted", "succeeded")).toThrow(
      "an interrupted step cannot become succeeded; from interrupted it can become skipped, failed",
    );
  });

  it("never reaches a transition outside the table, and never leaves a final status", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...runStatuses), { maxLength: 40 }), (requests) => {
        let status: RunStatus = "queued";
        const visited: [RunStatus, RunStatus][] = [];
        for (const to of requests) {
          let allowed = true;
          try {
            assertRunTransition(status, to);
          } catch {
            allowed = false;
          }
          expect(allowed).toBe(runTransitions[status].includes(to));
          if (allowed) {
            visited.push([status, to]);
            status = to;
          }
        }
        for (const [from, to] of visited) {
          expect(isTerminal(from)).toBe(false);
          expect(predecessors(to)).toContain(from);
        }
      }),
    );
  });

  it("has no dead end: from every status a final one can be reached", () => {
    for (const start of runStatuses) {
      const seen = new Set<RunStatus>([start]);
      const queue = [start];
      while (queue.length > 0) for (const to of runTransitions[queue.shift()!]) if (!seen.has(to)) (seen.add(to), queue.push(to));
      expect([...seen].some(isTerminal), start).toBe(true);
    }
  });

  it("gives every step status a way forward except the final ones", () => {
    for (const status of stepStatuses) {
      const final = ["succeeded", "failed", "skipped", "cancelled"].includes(status);
      expect(stepTransitions[status].length === 0, status).toBe(final);
    }
  });
});

describe("where a run goes after a step", () => {
  const lengths: PhaseLengths = { main: 3, rollback: 2, finally: 1 };
  const at = (phase: Phase, cursor: number, extra: Partial<Position> = {}): Position => ({ phase, cursor, outcome: "succeeded", ...extra });
  const step = (position: Position): Next => ({ done: false, position });

  it("goes to the next step, then finally, then ends succeeded", () => {
    expect(afterStep(at("main", 0), lengths, { status: "succeeded" })).toEqual(step(at("main", 1)));
    expect(afterStep(at("main", 2), lengths, { status: "skipped" })).toEqual(step(at("finally", 0)));
    expect(afterStep(at("finally", 0), lengths, { status: "succeeded" })).toEqual({ done: true, outcome: "succeeded" });
  });

  it("sends a failure with on_failure each way where it asks", () => {
    const fail = (onFailure: "abort" | "continue" | "rollback"): StepEnd => ({ status: "failed", stepId: "restart", onFailure });
    expect(afterStep(at("main", 1), lengths, fail("continue"))).toEqual(step(at("main", 2)));
    expect(afterStep(at("main", 1), lengths, fail("abort"))).toEqual(step(at("finally", 0, { outcome: "failed", failedStep: "restart" })));
    expect(afterStep(at("main", 1), lengths, fail("rollback"))).toEqual(
      step(at("rollback", 0, { outcome: "rolled_back", failedStep: "restart" })),
    );
    // Nothing to roll back with: the run simply failed.
    expect(afterStep(at("main", 1), { ...lengths, rollback: 0 }, fail("rollback"))).toEqual(
      step(at("finally", 0, { outcome: "failed", failedStep: "restart" })),
    );
  });

  it("ends rolled_back only when every rollback step succeeded", () => {
    const rolling = at("rollback", 0, { outcome: "rolled_back", failedStep: "restart" });
    const ok = afterStep(at("rollback", 1, { outcome: "rolled_back", failedStep: "restart" }), lengths, { status: "succeeded" });
    expect(ok).toEqual(step(at("finally", 0, { outcome: "rolled_back", failedStep: "restart" })));
    expect(afterStep(rolling, lengths, { status: "failed", stepId: "notify", onFailure: "continue" })).toEqual(
      step(at("rollback", 1, { outcome: "failed", failedStep: "restart" })),
    );
    expect(afterStep(rolling, lengths, { status: "failed", stepId: "notify", onFailure: "abort" })).toEqual(
      step(at("finally", 0, { outcome: "failed", failedStep: "restart" })),
    );
  });

  it("runs finally to the end after a failure there, and the run fails", () => {
    const two = { ...lengths, finally: 2 };
    expect(afterStep(at("finally", 0), two, { status: "failed", stepId: "cleanup", onFailure: "abort" })).toEqual(
      step(at("finally", 1, { outcome: "failed", failedStep: "cleanup" })),
    );
  });

  it("stops the main steps on cancel but not the cleanup", () => {
    expect(afterStep(at("main", 1), lengths, { status: "cancelled", stepId: "restart" })).toEqual(
      step(at("finally", 0, { outcome: "cancelled", failedStep: "restart" })),
    );
    expect(afterCancel(at("main", 2), lengths)).toEqual(step(at("finally", 0, { outcome: "cancelled" })));
    expect(afterCancel(at("rollback", 1, { outcome: "rolled_back" }), lengths)).toEqual(step(at("rollback", 1, { outcome: "rolled_back" })));
  });

  it("skips empty sections", () => {
    expect(settle(startPosition, { main: 0, rollback: 0, finally: 0 })).toEqual({ done: true, outcome: "succeeded" });
    expect(afterStep(at("main", 0), { main: 1, rollback: 0, finally: 0 }, { status: "succeeded" })).toEqual({ done: true, outcome: "succeeded" });
  });

  const endArb: fc.Arbitrary<StepEnd> = fc.oneof(
    fc.constant<StepEnd>({ status: "succeeded" }),
    fc.constant<StepEnd>({ status: "skipped" }),
    fc.constantFrom<StepEnd>(
      { status: "failed", stepId: "s", onFailure: "abort" },
      { status: "failed", stepId: "s", onFailure: "continue" },
      { status: "failed", stepId: "s", onFailure: "rollback" },
    ),
    fc.constant<StepEnd>({ status: "cancelled", stepId: "s" }),
  );

  it("always ends, never goes back a phase, runs every finally step once in order, and names the outcome right", () => {
    fc.assert(
      fc.property(
        fc.record({ main: fc.nat(6), rollback: fc.nat(4), finally: fc.nat(4) }),
        fc.array(endArb, { minLength: 20, maxLength: 20 }),
        (lens, ends) => {
          let next = settle(startPosition, lens);
          const visited: Position[] = [];
          let i = 0;
          let mainFailure: "abort" | "rollback" | undefined;
          let cancelled = false;
          while (!next.done) {
            const position = next.position;
            visited.push(position);
            expect(position.cursor).toBeLessThan(lens[position.phase]);
            // Cancels only ever reach main steps: the executor does not abort cleanup.
            let end = ends[i++ % ends.length]!;
            if (end.status === "cancelled" && position.phase !== "main") end = { status: "succeeded" };
            if (position.phase === "main" && end.status === "failed" && end.onFailure !== "continue") mainFailure ??= end.onFailure;
            if (position.phase === "main" && end.status === "cancelled") cancelled = true;
            next = afterStep(position, lens, end);
            expect(visited.length).toBeLessThanOrEqual(lens.main + lens.rollback + lens.finally);
          }
          const order = visited.map((p) => phases.indexOf(p.phase));
          expect(order).toEqual([...order].sort((a, b) => a - b));
          expect(visited.filter((p) => p.phase === "finally").map((p) => p.cursor)).toEqual([...Array(lens.finally).keys()]);
          const rolledBack = visited.some((p) => p.phase === "rollback");
          expect(rolledBack).toBe(mainFailure === "rollback" && lens.rollback > 0 && !cancelled);
          if (cancelled) expect(next.outcome).toBe("cancelled");
          else if (mainFailure === undefined && next.outcome !== "succeeded") {
            // Only a finally failure can fail a run whose main steps went through.
            expect(next.outcome).toBe("failed");
            expect(visited.some((p) => p.phase === "finally")).toBe(true);
          }
          if (mainFailure === "abort") expect(next.outcome).toBe("failed");
        },
      ),
    );
  });
});
