import { describe, expect, it } from "vitest";
import { responseMetrics, type IncidentTimes } from "./response-metrics.js";

const at = (iso: string) => Date.parse(iso);
const min = 60_000;

function incident(severity: IncidentTimes["severity"], declared: string, ackAfterMin?: number, resolveAfterMin?: number): IncidentTimes {
  const declaredAt = at(declared);
  return {
    severity,
    declaredAt,
    ...(ackAfterMin !== undefined ? { acknowledgedAt: declaredAt + ackAfterMin * min } : {}),
    ...(resolveAfterMin !== undefined ? { resolvedAt: declaredAt + resolveAfterMin * min } : {}),
  };
}

describe("MTTA and MTTR", () => {
  it("are the mean and median per severity and month, each over the incidents that reached that point", () => {
    const rows = responseMetrics(
      [
        incident("P1", "2026-11-02T03:00:00Z", 1, 40),
        incident("P1", "2026-11-10T03:00:00Z", 3, 60),
        incident("P1", "2026-11-20T03:00:00Z", 8, 200),
        incident("P1", "2026-11-25T03:00:00Z", 4), // acknowledged, still open
        incident("P1", "2026-11-26T03:00:00Z"), // not even acknowledged
        incident("P3", "2026-11-05T03:00:00Z", 30, 120),
      ],
      "UTC",
    );
    expect(rows).toEqual([
      { month: "2026-11", severity: "P1", incidents: 5, mtta: { count: 4, meanMs: 4 * min, medianMs: 3.5 * min }, mttr: { count: 3, meanMs: 100 * min, medianMs: 60 * min } },
      { month: "2026-11", severity: "P3", incidents: 1, mtta: { count: 1, meanMs: 30 * min, medianMs: 30 * min }, mttr: { count: 1, meanMs: 120 * min, medianMs: 120 * min } },
    ]);
  });

  it("put an incident in the month of its declaration in the team's zone", () => {
    // 2026-11-30 23:30 in New York is already December in UTC.
    const late = incident("P2", "2026-12-01T04:30:00Z", 5, 10);
    expect(responseMetrics([late], "America/New_York")[0]!.month).toBe("2026-11");
    expect(responseMetrics([late], "UTC")[0]!.month).toBe("2026-12");
  });

  it("order months, then severities, and leave out the empty ones", () => {
    const rows = responseMetrics(
      [incident("P4", "2026-12-03T03:00:00Z"), incident("P2", "2026-12-01T03:00:00Z", 2), incident("P1", "2026-10-01T03:00:00Z", 1, 5)],
      "UTC",
    );
    expect(rows.map((r) => `${r.month} ${r.severity}`)).toEqual(["2026-10 P1", "2026-12 P2", "2026-12 P4"]);
    expect(rows[2]).toEqual({ month: "2026-12", severity: "P4", incidents: 1, mtta: { count: 0 }, mttr: { count: 0 } });
  });

  it("count an incident declared on an already acknowledged page as acknowledged at once", () => {
    expect(responseMetrics([incident("P2", "2026-11-02T03:00:00Z", -5)], "UTC")[0]!.mtta).toEqual({ count: 1, meanMs: 0, medianMs: 0 });
  });
});
