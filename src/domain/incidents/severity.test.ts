import { describe, expect, it } from "vitest";
import { incidentsConfig } from "../../config/incident-schema.js";
import { IncidentError } from "./incident-error.js";
import { parseIncidentReference, incidentReference } from "./reference.js";
import { severities, severityOf, severityRank } from "./severity.js";

const config = incidentsConfig.parse({ severities: { P2: { name: "Major" } } });

describe("severities", () => {
  it("are found by id, in any case, with the config's policy", () => {
    expect(severityOf(config, "P2")).toMatchObject({ id: "P2", name: "Major", respondWithin: 15 * 60_000 });
    expect(severityOf(config, " p1 ")).toMatchObject({ id: "P1", name: "Critical", warRoom: true });
  });

  it("refuse an unknown one, naming the levels there are", () => {
    expect(() => severityOf(config, "P5")).toThrow(new IncidentError("unknown severity P5; use P1, P2, P3 or P4"));
    expect(() => severityOf(config, "")).toThrow("unknown severity (empty); use P1, P2, P3 or P4");
  });

  it("list most severe first", () => {
    expect(severities(config).map((s) => `${s.id} ${s.name}`)).toEqual(["P1 Critical", "P2 Major", "P3 Medium", "P4 Low"]);
    expect(["P3", "P1", "P4", "P2"].sort((a, b) => severityRank(a as "P1") - severityRank(b as "P1"))).toEqual(["P1", "P2", "P3", "P4"]);
  });
});

describe("incident references", () => {
  it("read INC-42, inc42 and 42 alike", () => {
    expect(incidentReference(42)).toBe("INC-42");
    for (const text of ["INC-42", "inc-42", "inc42", " 42 "]) expect(parseIncidentReference(text)).toBe(42);
  });

  it("refuse anything else, saying how to write one", () => {
    for (const text of ["INC-0", "INC-", "P1", "42a", ""]) expect(() => parseIncidentReference(text)).toThrow(`"${text}" is not an incident; name it like INC-42 or 42`);
  });
});
