import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { escalationPolicy, onCallSchedule } from "../../config/paging-schema.js";
import { escalationStep, resolveTargets, snapshotPolicy, type Person, type PolicySnapshot } from "./escalation.js";

const MIN = 60_000;

// The seed's ladder: on-call primary at once, backup at 15 min, team lead at 30, director at 60.
const seed = snapshotPolicy(
  escalationPolicy.parse({
    id: "default",
    levels: [
      { after: "0s", notify: [{ schedule: "game-ops", role: "primary" }] },
      { after: "15m", notify: [{ schedule: "game-ops", role: "backup" }] },
      { after: "30m", notify: [{ title: "lead" }] },
      { after: "60m", notify: [{ title: "director" }] },
    ],
  }),
);

describe("escalation steps", () => {
  it("walk the seed's 0/15/30/60-minute ladder, then stop", () => {
    expect([0, 1, 2, 3].map((s) => escalationStep(seed, s)?.dueOffsetMs)).toEqual([0, 15 * MIN, 30 * MIN, 60 * MIN]);
    expect(escalationStep(seed, 1)).toEqual({ step: 1, round: 0, level: 1, dueOffsetMs: 15 * MIN, targets: [{ schedule: "game-ops", role: "backup" }] });
    expect(escalationStep(seed, 4)).toBeUndefined();
    expect(escalationStep(seed, -1)).toBeUndefined();
  });

  it("repeat the ladder repeatAfter past the last level", () => {
    const twice = { ...seed, repeat: 1, repeatAfter: 15 * MIN };
    // Round 1 starts at (60 + 15) minutes.
    expect(escalationStep(twice, 4)).toMatchObject({ round: 1, level: 0, dueOffsetMs: 75 * MIN });
    expect(escalationStep(twice, 7)).toMatchObject({ round: 1, level: 3, dueOffsetMs: 135 * MIN });
    expect(escalationStep(twice, 8)).toBeUndefined();
  });

  it("are never due earlier than the step before, and end after every level of every round", () => {
    const policy: fc.Arbitrary<PolicySnapshot> = fc
      .record({
        afters: fc.array(fc.integer({ min: 0, max: 120 * MIN }), { minLength: 1, maxLength: 6 }),
        repeat: fc.integer({ min: 0, max: 5 }),
        repeatAfter: fc.integer({ min: 1, max: 60 * MIN }),
      })
      .map(({ afters, repeat, repeatAfter }) => ({
        id: "p",
        levels: afters.sort((a, b) => a - b).map((after) => ({ after, notify: [{ title: "lead" }] })),
        repeat,
        repeatAfter,
      }));
    fc.assert(
      fc.property(policy, (snapshot) => {
        const steps = [];
        for (let s = 0; escalationStep(snapshot, s) !== undefined; s++) {
          steps.push(escalationStep(snapshot, s)!);
          expect(s).toBeLessThan(1000);
        }
        expect(steps.length).toBe(snapshot.levels.length * (snapshot.repeat + 1));
        for (let i = 1; i < steps.length; i++) expect(steps[i]!.dueOffsetMs).toBeGreaterThanOrEqual(steps[i - 1]!.dueOffsetMs);
        expect(steps.map((s) => [s.round, s.level])).toEqual(steps.map((_, i) => [Math.floor(i / snapshot.levels.length), i % snapshot.levels.length]));
      }),
    );
  });

  it("come from a snapshot that editing the policy afterwards does not change", () => {
    const policy = escalationPolicy.parse({ id: "p", levels: [{ after: "0s", notify: [{ person: "alice" }] }] });
    const snapshot = snapshotPolicy(policy);
    policy.levels[0]!.notify.push({ person: "bob" });
    policy.levels[0]!.after = 5 * MIN;
    expect(escalationStep(snapshot, 0)).toMatchObject({ dueOffsetMs: 0, targets: [{ person: "alice" }] });
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot);
  });
});

describe("resolving targets", () => {
  const schedule = onCallSchedule.parse({
    id: "game-ops",
    timeZone: "Asia/Seoul",
    layers: [{ name: "weekly", people: ["alice", "bob"], start: "2026-01-05", handoff: { day: "monday", time: "10:00" } }],
  });
  const solo = onCallSchedule.parse({ ...schedule, id: "solo", layers: [{ ...schedule.layers[0]!, people: ["carol"] }] });
  const people: Person[] = [
    { id: "alice", titles: [], teamId: "servers" },
    { id: "bob", titles: ["lead"], teamId: "servers" },
    { id: "carol", titles: ["lead"], teamId: "clients" },
    { id: "dave", titles: ["director"] },
  ];
  const context = { at: new Date("2026-01-06T00:00:00Z"), schedules: [schedule, solo], overrides: [], people };

  it("name each person once, in the order the targets give them", () => {
    expect(
      resolveTargets(
        [{ schedule: "game-ops", role: "backup" }, { title: "lead" }, { person: "dave" }, { schedule: "game-ops", role: "primary" }, { person: "bob" }],
        context,
      ),
    ).toEqual({ personIds: ["bob", "carol", "dave", "alice"], unresolved: [] });
  });

  it("read who is on call at the step's instant, overrides included", () => {
    const overrides = [{ id: "o1", scheduleId: "game-ops", role: "primary" as const, personId: "dave", start: new Date("2026-01-05T12:00:00Z"), end: new Date("2026-01-07T00:00:00Z") }];
    expect(resolveTargets([{ schedule: "game-ops", role: "primary" }], { ...context, overrides }).personIds).toEqual(["dave"]);
    expect(resolveTargets([{ schedule: "game-ops", role: "primary" }], { ...context, at: new Date("2026-01-13T00:00:00Z") }).personIds).toEqual(["bob"]);
  });

  it("narrow a title to a team", () => {
    expect(resolveTargets([{ title: "lead", team: "clients" }], context).personIds).toEqual(["carol"]);
  });

  it("say why a target reaches nobody, so the page can record it", () => {
    const result = resolveTargets(
      [
        { schedule: "solo", role: "backup" },
        { schedule: "gone", role: "primary" },
        { title: "cto" },
        { title: "lead", team: "audio" },
        { person: "zed" },
        { person: "alice" },
      ],
      { ...context, schedules: [schedule, solo] },
    );
    expect(result.personIds).toEqual(["alice"]);
    expect(result.unresolved.map((u) => u.reason)).toEqual([
      'schedule "solo" has no backup on call at 2026-01-06T00:00:00.000Z',
      'schedule "gone" is no longer in paging.schedules',
      'nobody has the title "cto"',
      'nobody in team "audio" has the title "lead"',
      'person "zed" is not known; add them to people or change the policy',
    ]);
    expect(result.unresolved[0]!.target).toEqual({ schedule: "solo", role: "backup" });
  });

  it("report an on-call person who is not among the people", () => {
    const result = resolveTargets([{ schedule: "game-ops", role: "primary" }], { ...context, people: people.filter((p) => p.id !== "alice") });
    expect(result).toEqual({
      personIds: [],
      unresolved: [{ target: { schedule: "game-ops", role: "primary" }, reason: '"alice", primary on call in schedule "game-ops", is not a known person; add them to people' }],
    });
  });
});
