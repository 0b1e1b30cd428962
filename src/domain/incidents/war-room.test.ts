import { describe, expect, it } from "vitest";
import { incidentsConfig } from "../../config/incident-schema.js";
import { checklistFor, openPhases, parseRole, phaseOpensAt, roleLabels, rolesFor, warRoomChecklist } from "./war-room.js";

const { severities } = incidentsConfig.parse(undefined);
const declaredAt = Date.parse("2026-11-26T05:00:00Z");
const minutes = (n: number) => declaredAt + n * 60_000;

describe("the war room", () => {
  it("has four roles for P1/P2 and an owner for P3/P4", () => {
    expect(rolesFor(severities.P1).map((r) => roleLabels[r])).toEqual(["Incident Commander", "Technical Lead", "Communications", "Scribe"]);
    expect(rolesFor(severities.P2)).toHaveLength(4);
    expect(rolesFor(severities.P3)).toEqual(["owner"]);
    expect(rolesFor(severities.P4)).toEqual(["owner"]);
  });

  it("reads roles as operators type them, and refuses others naming the roles", () => {
    expect(parseRole("IC")).toBe("incident_commander");
    expect(parseRole("incident-commander")).toBe("incident_commander");
    expect(parseRole("tech lead")).toBe("tech_lead");
    expect(parseRole("comms")).toBe("communications");
    expect(parseRole("Scribe")).toBe("scribe");
    expect(() => parseRole("observer")).toThrow('unknown role "observer"; use incident_commander, tech_lead, communications, scribe, owner (or ic, comms)');
  });

  it("opens the seed's checklist in three phases, four items each, with owners", () => {
    const titles = (phase: string) => warRoomChecklist.filter((t) => t.phase === phase).map((t) => t.title);
    expect(titles("first_15_minutes")).toEqual(["Assess the impact", "Apply a temporary fix", "Notify stakeholders", "Start the timeline"]);
    expect(titles("ongoing")).toEqual([
      "Post a status update every 15 minutes",
      "Request more people if needed",
      "Send the customer notice",
      "Review rollback options",
    ]);
    expect(titles("after_resolution")).toEqual([
      "Confirm the service is back to normal",
      "Strengthen monitoring",
      "Schedule the root cause analysis",
      "Write the initial report",
    ]);
    const owner = (id: string) => warRoomChecklist.find((t) => t.id === id)!.ownerRole;
    expect([owner("notify-stakeholders"), owner("start-timeline"), owner("customer-notice")]).toEqual(["incident_commander", "scribe", "communications"]);
    expect(new Set(warRoomChecklist.map((t) => t.id)).size).toBe(12);
  });

  it("fits the checklist to the severity: its update cadence, and the owner without a war room", () => {
    expect(checklistFor(severities.P1).find((t) => t.id === "status-updates")).toMatchObject({ title: "Post a status update every 15 minutes", ownerRole: "incident_commander" });
    const p3 = checklistFor(severities.P3);
    expect(p3.find((t) => t.id === "status-updates")!.title).toBe("Post a status update every 1 hour");
    expect(new Set(p3.map((t) => t.ownerRole))).toEqual(new Set(["owner"]));
    expect(checklistFor(severities.P4).find((t) => t.id === "status-updates")!.title).toBe("Post status updates");
  });

  it("opens the phases at declaration, 15 minutes in, and at resolution", () => {
    const open = { declaredAt };
    expect(openPhases(open, minutes(0))).toEqual(["first_15_minutes"]);
    expect(openPhases(open, minutes(14))).toEqual(["first_15_minutes"]);
    expect(openPhases(open, minutes(15))).toEqual(["first_15_minutes", "ongoing"]);
    expect(openPhases({ declaredAt, resolvedAt: minutes(40) }, minutes(40))).toEqual(["first_15_minutes", "ongoing", "after_resolution"]);
    // Resolved within the first 15 minutes: nothing was ever ongoing.
    expect(openPhases({ declaredAt, resolvedAt: minutes(10) }, minutes(30))).toEqual(["first_15_minutes", "after_resolution"]);
    expect(phaseOpensAt("after_resolution", open)).toBeUndefined();
    expect(phaseOpensAt("ongoing", open)).toBe(minutes(15));
  });
});
