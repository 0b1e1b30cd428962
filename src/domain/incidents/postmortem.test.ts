import { describe, expect, it } from "vitest";
import { renderPostmortem, type PostmortemInput } from "./postmortem.js";

const at = (iso: string) => Date.parse(iso);

/** The seed's example (§8.1), as gameops would hold it, in Seoul. */
const seedExample: PostmortemInput = {
  number: 42,
  title: "Players unable to log in",
  severity: { id: "P1", name: "Critical" },
  declaredAt: at("2024-01-15T05:00:00Z"),
  resolvedAt: at("2024-01-15T05:45:00Z"),
  impact: "30% of users unable to login",
  rootCause:
    "Database connection pool exhaustion. The pool was configured with a maximum of 50 connections,\nwhich was insufficient during peak load.",
  lessons: "1. Connection pool sizing was based on outdated traffic patterns\n- Monitoring for connection pool metrics was missing\n\nNo automatic scaling for database connections\n",
  timeZone: "Asia/Seoul",
  // Out of order on purpose: the document sorts by time.
  timeline: [
    { at: at("2024-01-15T05:05:00Z"), text: "On-call engineer acknowledged" },
    { at: at("2024-01-15T05:00:00Z"), text: "Alert triggered: High error rate" },
    { at: at("2024-01-15T05:10:00Z"), text: "Identified database\nconnection issues" },
    { at: at("2024-01-15T05:45:00Z"), text: "Full service restored" },
  ],
  roles: [
    { role: "scribe", name: "Dana" },
    { role: "incident_commander", name: "Alice" },
  ],
  actionItems: [
    { text: "Increase default connection pool to 200", owner: "Dev Team", dueOn: "2024-01-22", done: true },
    { text: "Add connection pool monitoring", owner: "Ops Team", done: false },
  ],
  links: {
    console: "https://gameops.example.com/incidents/42",
    pages: [{ number: 17, url: "https://gameops.example.com/pages/17" }],
    runbookRuns: [{ id: "r-9f2", runbook: "scale-db-pool", url: "https://gameops.example.com/runs/r-9f2" }],
  },
};

describe("the post-mortem", () => {
  it("follows the seed's template, filled in", () => {
    expect(renderPostmortem(seedExample)).toBe(
      [
        "# Incident Post-Mortem: INC-42 — Players unable to log in",
        "",
        "## Summary",
        "- **Date**: 2024-01-15",
        "- **Duration**: 45 minutes",
        "- **Impact**: 30% of users unable to login",
        "- **Root Cause**: Database connection pool exhaustion.",
        "- **Severity**: P1 Critical",
        "- **Roles**: Alice (Incident Commander), Dana (Scribe)",
        "",
        "## Timeline",
        "Times are Asia/Seoul time, UTC in parentheses.",
        "",
        "- 14:00 (05:00 UTC) — Alert triggered: High error rate",
        "- 14:05 (05:05 UTC) — On-call engineer acknowledged",
        "- 14:10 (05:10 UTC) — Identified database connection issues",
        "- 14:45 (05:45 UTC) — Full service restored",
        "",
        "## Root Cause Analysis",
        "Database connection pool exhaustion. The pool was configured with a maximum of 50 connections,",
        "which was insufficient during peak load.",
        "",
        "## Lessons Learned",
        "1. Connection pool sizing was based on outdated traffic patterns",
        "2. Monitoring for connection pool metrics was missing",
        "3. No automatic scaling for database connections",
        "",
        "## Action Items",
        "- [x] Increase default connection pool to 200 (Owner: Dev Team, due 2024-01-22)",
        "- [ ] Add connection pool monitoring (Owner: Ops Team)",
        "",
        "## Supporting Data",
        "- [INC-42 in the gameops console](https://gameops.example.com/incidents/42)",
        "- [Page #17](https://gameops.example.com/pages/17)",
        "- [Runbook run scale-db-pool (r-9f2)](https://gameops.example.com/runs/r-9f2)",
        "",
      ].join("\n"),
    );
  });

  it("is the same text for the same incident", () => {
    expect(renderPostmortem(seedExample)).toBe(renderPostmortem(structuredClone(seedExample)));
  });

  it("dates every entry of an incident that runs past midnight", () => {
    const text = renderPostmortem({
      ...seedExample,
      declaredAt: at("2026-11-26T14:50:00Z"),
      resolvedAt: at("2026-11-26T16:05:00Z"),
      timeline: [
        { at: at("2026-11-26T14:50:00Z"), text: "Alert triggered" },
        { at: at("2026-11-26T15:10:00Z"), text: "Rolled back" },
        { at: at("2026-11-26T16:05:00Z"), text: "Resolved" },
      ],
    });
    expect(text).toContain("- **Date**: 2026-11-26 to 2026-11-27\n- **Duration**: 1 hour 15 minutes\n");
    expect(text).toContain(
      "- 2026-11-26 23:50 (14:50 UTC) — Alert triggered\n- 2026-11-27 00:10 (15:10 UTC) — Rolled back\n- 2026-11-27 01:05 (16:05 UTC) — Resolved\n",
    );
  });

  it("tells apart the two 01:30s of the night the clocks go back, and counts real time", () => {
    const text = renderPostmortem({
      ...seedExample,
      timeZone: "America/New_York",
      declaredAt: at("2026-11-01T05:00:00Z"),
      resolvedAt: at("2026-11-01T07:00:00Z"),
      timeline: [
        { at: at("2026-11-01T05:30:00Z"), text: "First pass" },
        { at: at("2026-11-01T06:30:00Z"), text: "Second pass" },
      ],
    });
    expect(text).toContain("Times are America/New_York time, UTC in parentheses.");
    expect(text).toContain("- 01:30 (05:30 UTC) — First pass\n- 01:30 (06:30 UTC) — Second pass\n");
    // 01:00 EDT to 02:00 EST on the wall: two hours all the same.
    expect(text).toContain("- **Duration**: 2 hours\n");
  });

  it("writes UTC times plainly for a team in UTC", () => {
    const text = renderPostmortem({ ...seedExample, timeZone: "UTC" });
    expect(text).toContain("## Timeline\nTimes are UTC.\n\n- 05:00 — Alert triggered: High error rate\n");
  });

  it("is a draft to fill in while the incident is open", () => {
    const text = renderPostmortem({
      ...seedExample,
      resolvedAt: undefined,
      impact: "  ",
      rootCause: undefined,
      lessons: undefined,
      timeline: [],
      roles: [],
      actionItems: [],
      links: { console: "https://gameops.example.com/incidents/42", pages: [], runbookRuns: [] },
    });
    const sections = text.split("\n").filter((line) => line.startsWith("#"));
    expect(sections).toEqual([
      "# Incident Post-Mortem: INC-42 — Players unable to log in",
      "## Summary",
      "## Timeline",
      "## Root Cause Analysis",
      "## Lessons Learned",
      "## Action Items",
      "## Supporting Data",
    ]);
    expect(text).toContain("- **Duration**: ongoing (not resolved yet)\n- **Impact**: _To be written._\n- **Root Cause**: _To be written._\n- **Severity**: P1 Critical\n\n");
    expect(text).toContain("_No entries._");
    expect(text).toContain("## Root Cause Analysis\n_To be written._\n\n## Lessons Learned\n_To be written._\n\n## Action Items\n_None yet._\n");
    expect(text.endsWith("- [INC-42 in the gameops console](https://gameops.example.com/incidents/42)\n")).toBe(true);
  });

  it("keeps free text from breaking the Markdown", () => {
    const text = renderPostmortem({
      ...seedExample,
      title: "Shop\ndown",
      actionItems: [{ text: "Fix\nit", owner: "Ops\nTeam", done: false }],
      links: { ...seedExample.links, runbookRuns: [{ id: "r-1", runbook: "undo [v2]", url: "https://x.example/r-1" }] },
    });
    expect(text.startsWith("# Incident Post-Mortem: INC-42 — Shop down\n")).toBe(true);
    expect(text).toContain("- [ ] Fix it (Owner: Ops Team)\n");
    expect(text).toContain("- [Runbook run undo \\[v2\\] (r-1)](https://x.example/r-1)");
  });
});
