import { describe, expect, it } from "vitest";
import { judgeAlerts, type ActiveAlert } from "./alerts.js";

const thresholds = { criticalSeverities: ["critical", "page"] };

function alert(alertname: string, severity: string | undefined, startsAt = "2026-01-01T09:00:00Z", extra: Partial<ActiveAlert> = {}): ActiveAlert {
  return {
    labels: { alertname, ...(severity === undefined ? {} : { severity }), instance: `${alertname.toLowerCase()}:9100` },
    annotations: { summary: `${alertname} fired` },
    startsAt,
    ...extra,
  };
}

describe("judgeAlerts", () => {
  it("is ok with no active alert", () => {
    expect(judgeAlerts([], thresholds)).toEqual({
      status: "ok",
      summary: "no active alerts",
      details: { active: 0, critical: 0, bySeverity: {}, alerts: [] },
    });
  });

  it("is critical when one alert has a critical severity, and counts by severity", () => {
    const verdict = judgeAlerts(
      [alert("HighErrorRate", "warning"), alert("ServerDown", "critical"), alert("LowMemory", "warning")],
      thresholds,
    );
    expect(verdict.status).toBe("critical");
    expect(verdict.summary).toBe("3 active: 1 critical, 2 warning");
    expect(verdict.details).toMatchObject({ active: 3, critical: 1, bySeverity: { critical: 1, warning: 2 } });
  });

  it("is warning when only other severities are active", () => {
    const verdict = judgeAlerts([alert("DiskSpaceLow", "warning"), alert("Chatty", "info")], thresholds);
    expect(verdict.status).toBe("warning");
    expect(verdict.summary).toBe("2 active: 1 info, 1 warning");
  });

  it("treats every configured severity as critical, case aside", () => {
    expect(judgeAlerts([alert("Pager", "PAGE")], thresholds).status).toBe("critical");
    expect(judgeAlerts([alert("ServerDown", "critical")], { criticalSeverities: ["sev1"] }).status).toBe("warning");
    expect(judgeAlerts([alert("Outage", "sev1")], { criticalSeverities: ["SEV1"] }).summary).toBe("1 active: 1 sev1");
  });

  it("orders the summary: critical severities as configured, then by count, alerts without severity last", () => {
    const verdict = judgeAlerts(
      [alert("A", undefined), alert("B", "info"), alert("C", "warning"), alert("D", "warning"), alert("E", "page"), alert("F", "critical")],
      thresholds,
    );
    expect(verdict.summary).toBe("6 active: 1 critical, 1 page, 2 warning, 1 info, 1 none");
  });

  it("counts an alert without a severity label as 'none', which is a warning", () => {
    const verdict = judgeAlerts([alert("Mystery", undefined), alert("Blank", " ")], thresholds);
    expect(verdict.status).toBe("warning");
    expect(verdict.summary).toBe("2 active: 2 none");
  });

  it("lists alertname, severity, instance, start and summary: critical first, then longest firing", () => {
    const verdict = judgeAlerts(
      [
        alert("Recent", "warning", "2026-01-01T10:00:00Z"),
        alert("Old", "warning", "2026-01-01T08:00:00Z"),
        alert("ServerDown", "critical", "2026-01-01T11:00:00Z"),
      ],
      thresholds,
    );
    expect(verdict.details.alerts).toEqual([
      { alertname: "ServerDown", severity: "critical", instance: "serverdown:9100", startsAt: "2026-01-01T11:00:00Z", summary: "ServerDown fired" },
      { alertname: "Old", severity: "warning", instance: "old:9100", startsAt: "2026-01-01T08:00:00Z", summary: "Old fired" },
      { alertname: "Recent", severity: "warning", instance: "recent:9100", startsAt: "2026-01-01T10:00:00Z", summary: "Recent fired" },
    ]);
  });

  it("bounds the list and says how many were left out", () => {
    const many = Array.from({ length: 25 }, (_, i) => alert(`A${i}`, "warning", `2026-01-01T09:${String(i).padStart(2, "0")}:00Z`));
    const verdict = judgeAlerts(many, thresholds);
    expect(verdict.details.alerts).toHaveLength(20);
    expect(verdict.details.notListed).toBe(5);
    expect(judgeAlerts(many, thresholds, 3).details).toMatchObject({ notListed: 22 });
  });

  it("leaves out what an alert does not have, and shortens a long summary to one line", () => {
    const bare: ActiveAlert = { labels: {}, annotations: { summary: `line one\n  line two ${"x".repeat(300)}` }, startsAt: "not a time" };
    const [listed] = judgeAlerts([bare, alert("Dated", "warning")], thresholds).details.alerts as Record<string, unknown>[];
    expect(listed).toMatchObject({ alertname: "Dated" }); // an unparseable start sorts last
    const last = (judgeAlerts([bare], thresholds).details.alerts as Record<string, string>[])[0]!;
    expect(last).toEqual({ alertname: "(no alertname)", severity: "none", startsAt: "not a time", summary: `line one line two ${"x".repeat(182)}…` });
  });
});
