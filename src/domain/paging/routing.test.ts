import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { route, type Route } from "../../config/paging-schema.js";
import { compileRoutes, type Labels } from "./routing.js";

const routes = (...input: unknown[]): Route[] => input.map((r) => route.parse(r));

describe("routing", () => {
  const router = compileRoutes(
    routes(
      { match: { alertname: "ServerDown" }, matchRegex: { severity: "critical|page" }, policy: "game-ops", declare: "P2" },
      { matchRegex: { alertname: "Disk.*" }, policy: "storage" },
      { match: { team: "" }, policy: "unowned" },
    ),
    "default",
  );

  it("takes the first route whose equalities and regexes all hold", () => {
    expect(router({ alertname: "ServerDown", severity: "page" })).toEqual({ route: 0, policy: "game-ops", declare: "P2" });
    expect(router({ alertname: "DiskSpaceLow", team: "ops" })).toEqual({ route: 1, policy: "storage" });
  });

  it("anchors regexes at both ends, like Alertmanager", () => {
    expect(router({ alertname: "ServerDown", severity: "pager", team: "ops" })).toEqual({ policy: "default" });
    expect(router({ alertname: "LowDisk", team: "ops" })).toEqual({ policy: "default" });
  });

  it("reads a missing label as empty", () => {
    expect(router({ alertname: "HighErrorRate" })).toEqual({ route: 2, policy: "unowned" });
  });

  it("falls back to the default policy, and a route without a policy uses it too", () => {
    expect(compileRoutes(routes({ match: { env: "prod" } }), "default")({ env: "prod" })).toEqual({ route: 0, policy: "default" });
    expect(compileRoutes([], "default")({ alertname: "X" })).toEqual({ policy: "default" });
  });

  it("lets the first match win", () => {
    const names = ["alertname", "severity", "team"] as const;
    const values = ["a", "b", "ab", ""] as const;
    const labelSet = fc.dictionary(fc.constantFrom(...names), fc.constantFrom(...values)) as fc.Arbitrary<Labels>;
    const routeArb = fc.record({
      match: fc.dictionary(fc.constantFrom(...names), fc.constantFrom(...values), { maxKeys: 2 }),
      matchRegex: fc.dictionary(fc.constantFrom(...names), fc.constantFrom("a", "a|b", "a.*", ".*", "b?"), { maxKeys: 2 }),
      policy: fc.constantFrom("p1", "p2", "p3"),
    });
    fc.assert(
      fc.property(fc.array(routeArb, { maxLength: 6 }), labelSet, (rs, labels) => {
        const holds = (r: (typeof rs)[number]) =>
          Object.entries(r.match).every(([k, v]) => (labels[k] ?? "") === v) &&
          Object.entries(r.matchRegex).every(([k, re]) => new RegExp(`^(?:${re})$`).test(labels[k] ?? ""));
        const choice = compileRoutes(routes(...rs), "fallback")(labels);
        if (choice.route === undefined) {
          expect(rs.some(holds)).toBe(false);
          expect(choice.policy).toBe("fallback");
        } else {
          expect(holds(rs[choice.route]!)).toBe(true);
          expect(rs.slice(0, choice.route).some(holds)).toBe(false);
          expect(choice.policy).toBe(rs[choice.route]!.policy);
        }
      }),
    );
  });
});
