import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { checklistsConfig } from "../../src/config/checklist-schema.js";
import { incidentsConfig, pagingProblems, seedBusinessHours, seedSeverities } from "../../src/config/incident-schema.js";
import { pagingConfig } from "../../src/config/paging-schema.js";
import { allowedKeysOf, describeIssue, parseYamlSource, where } from "../../src/config/yaml-source.js";
import { seedChecklists } from "../../src/domain/checklists/operations-checklists.js";
import { expectedIssues } from "./expected-issues.js";

const dir = join(import.meta.dirname, "incidents");
const invalid = join(dir, "invalid");

/**
 * The three sections as gameops.yaml holds them, reported the way loadConfig reports: the
 * paging cross-check runs only once the fields are valid, as the lead's configSchema runs it.
 */
const sections = z.object({ paging: pagingConfig, incidents: incidentsConfig, checklists: checklistsConfig });

function read(file: string, folder = dir) {
  const source = parseYamlSource(readFileSync(join(folder, file), "utf8"), file);
  expect(source.issues).toEqual([]);
  return { place: { file, locate: source.locate }, parsed: sections.safeParse(source.input, { reportInput: true }) };
}

function issuesOf(file: string): string[] {
  const { place, parsed } = read(file, invalid);
  if (!parsed.success) return parsed.error.issues.map((issue) => describeIssue(issue, place, (p) => allowedKeysOf(sections, p)));
  return pagingProblems(parsed.data.incidents, parsed.data.paging).map((p) => `${where(p.path.join("."), place)}: ${p.message}`);
}

describe("invalid incidents and checklists sections", () => {
  // Each fixture states the exact messages it must produce in its `# expect:` lines.
  for (const file of readdirSync(invalid).filter((f) => f.endsWith(".yaml"))) {
    it(file, () => {
      const expected = expectedIssues(invalid, file);
      expect(expected.length).toBeGreaterThan(0);
      expect(issuesOf(file)).toEqual(expected);
    });
  }
});

describe("the incidents section", () => {
  it("is the seed's table when absent", () => {
    const incidents = incidentsConfig.parse(undefined);
    expect(incidents).toEqual({ severities: seedSeverities, businessHours: seedBusinessHours });
    expect(incidents.severities.P1).toMatchObject({ respondWithin: 0, escalateTo: [{ title: "cto" }, { title: "vp" }], updateEvery: 15 * 60_000, warRoom: true });
    expect(incidents.severities.P2).toMatchObject({ respondWithin: 15 * 60_000, escalateTo: [{ title: "lead" }], updateEvery: 15 * 60_000, warRoom: true });
    expect(incidents.severities.P3).toMatchObject({ respondWithin: 60 * 60_000, escalateTo: [], updateEvery: 60 * 60_000, warRoom: false });
    expect(incidents.severities.P4).toMatchObject({ businessHoursOnly: true, warRoom: false });
    expect(incidents.severities.P4.updateEvery).toBeUndefined();
    expect(incidents.businessHours).toEqual({ days: ["mon", "tue", "wed", "thu", "fri"], from: "09:00", to: "18:00" });
  });

  it("keeps every default not overridden, severity by severity and field by field", () => {
    const incidents = incidentsConfig.parse({ severities: { P2: { respondWithin: "10m" } } });
    expect(incidents.severities.P2).toEqual({ ...seedSeverities.P2, respondWithin: 10 * 60_000 });
    expect(incidents.severities.P1).toEqual(seedSeverities.P1);
    expect(incidents.severities.P4).toEqual(seedSeverities.P4);
  });

  it("does not share the defaults' lists between parses", () => {
    incidentsConfig.parse(undefined).severities.P1.escalateTo.push({ person: "mallory" });
    expect(incidentsConfig.parse(undefined).severities.P1.escalateTo).toEqual([{ title: "cto" }, { title: "vp" }]);
    expect(seedSeverities.P1.escalateTo).toEqual([{ title: "cto" }, { title: "vp" }]);
  });

  it("reads a full example", () => {
    const { parsed } = read("valid.yaml");
    expect(parsed.error?.issues ?? []).toEqual([]);
    const { incidents, paging } = parsed.data!;
    expect(pagingProblems(incidents, paging)).toEqual([]);
    expect(incidents.severities.P1).toEqual({
      ...seedSeverities.P1,
      firstResponders: [{ schedule: "game-ops", role: "primary" }, { person: "dave" }],
      policy: "executives",
    });
    expect(incidents.severities.P2).toMatchObject({ respondWithin: 10 * 60_000, updateEvery: 30 * 60_000, escalateTo: [{ title: "lead" }] });
    expect(incidents.severities.P3.escalateTo).toEqual([{ schedule: "game-ops", role: "backup" }]);
    expect(incidents.severities.P4).toMatchObject({ respondWithin: 4 * 3_600_000, businessHoursOnly: true, description: "Cosmetic or a workaround exists", name: "Low" });
    expect(incidents.businessHours).toEqual({ days: ["mon", "tue", "wed", "thu", "fri", "sat"], from: "10:00", to: "19:00" });
    expect(incidents.warRoomChannel).toBe("webhook:war-room");
    expect(incidents.customerNotice).toBe("[{severity}] {title} is {status}. {update} Next update: {next_update}.");
  });

  it("accepts 0 and bare numbers of seconds as a response time, but not as an update cadence", () => {
    const respond = (value: unknown) => incidentsConfig.parse({ severities: { P2: { respondWithin: value } } }).severities.P2.respondWithin;
    expect(respond(0)).toBe(0);
    expect(respond("0s")).toBe(0);
    expect(respond(90)).toBe(90_000);
    expect(incidentsConfig.safeParse({ severities: { P2: { updateEvery: 0 } } }).success).toBe(false);
  });

  it("takes slack as a war-room channel when paging has it", () => {
    const paging = pagingConfig.parse({ channels: { slack: { url: "https://hooks.slack.com/services/T000/B000/XXXX" } } });
    expect(pagingProblems(incidentsConfig.parse({ warRoomChannel: "slack" }), paging)).toEqual([]);
  });

  it("names no paging problem for the defaults, even with paging not set up", () => {
    expect(pagingProblems(incidentsConfig.parse(undefined), pagingConfig.parse(undefined))).toEqual([]);
  });
});

describe("the checklists section", () => {
  it("is the seed's lists when absent", () => {
    expect(checklistsConfig.parse(undefined)).toEqual(seedChecklists);
    expect(checklistsConfig.parse({ weekly: [] })).toEqual(seedChecklists);
  });

  it("changes, adds and removes items, keeping the others as the seed has them", () => {
    const { parsed } = read("valid.yaml");
    const { daily, weekly, monthly } = parsed.data!.checklists;
    expect(daily.map((i) => i.id)).toEqual(["server-status", "error-logs", "backup-status", "alerts-review", "cdn-status"]);
    expect(daily.find((i) => i.id === "backup-status")).toEqual({ id: "backup-status", title: "Check the backup status", proof: "backup-verified", team: "dba" });
    expect(daily.at(-1)).toEqual({ id: "cdn-status", title: "Check the CDN", proof: "daily-check", team: "ops" });
    expect(weekly).toEqual(seedChecklists.weekly);
    // `proof: manual` takes the proof away: a person signs it off.
    expect(monthly[0]).toEqual({ id: "dr-drill", title: "Run the DR drill in the staging region", team: "ops" });
  });

  it("does not change the seed's lists", () => {
    checklistsConfig.parse({ daily: [{ id: "server-status", title: "Changed" }] });
    expect(seedChecklists.daily[0]!.title).toBe("Check server status");
  });
});
