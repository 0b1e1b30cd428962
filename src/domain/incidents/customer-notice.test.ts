import { describe, expect, it } from "vitest";
import { customerStatus, fillCustomerNotice, unknownPlaceholders } from "./customer-notice.js";
import { incidentStates } from "./life-cycle.js";

const template = "[{severity}] {title} ({id}) is {status}. Impact: {impact}. {update} Next update: {next_update}.";
const incident = {
  number: 42,
  title: "Login failures",
  severity: { id: "P1", name: "Critical" },
  state: "mitigating" as const,
  timeZone: "Asia/Seoul",
};

describe("the customer notice", () => {
  it("fills every placeholder, times in the team's zone", () => {
    expect(
      fillCustomerNotice(template, { ...incident, impact: "30% of players cannot log in", update: "We rolled back the last release.", nextUpdateAt: Date.parse("2026-11-26T05:15:00Z") }),
    ).toBe(
      "[P1 Critical] Login failures (INC-42) is identified. Impact: 30% of players cannot log in. We rolled back the last release. Next update: 2026-11-26 14:15 Asia/Seoul.",
    );
  });

  it("says so when the impact is not known or no update is scheduled", () => {
    expect(fillCustomerNotice("{impact} / {next_update} / {update}|", incident)).toBe("being assessed / none scheduled / |");
  });

  it("leaves unknown braces as written (the config refused unknown placeholders already)", () => {
    expect(fillCustomerNotice("{title} {eta} {}", incident)).toBe("Login failures {eta} {}");
  });

  it("names unknown placeholders once each", () => {
    expect(unknownPlaceholders("{titel} {title} {eta} {titel} { spaced }")).toEqual(["titel", "eta"]);
    expect(unknownPlaceholders(template)).toEqual([]);
  });

  it("tells customers status page words, not the internal state", () => {
    expect(incidentStates.map(customerStatus)).toEqual(["investigating", "investigating", "identified", "monitoring", "resolved", "resolved", "resolved"]);
  });
});
