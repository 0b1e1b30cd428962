import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileMatchers, formatMatcher, parseMatcher, toSilenceMatcher, type Matcher } from "./matchers.js";

describe("matchers", () => {
  it("read the four Alertmanager operators", () => {
    expect(parseMatcher("severity=critical")).toEqual({ name: "severity", type: "=", value: "critical" });
    expect(parseMatcher("env != staging")).toEqual({ name: "env", type: "!=", value: "staging" });
    expect(parseMatcher('alertname=~"Server.*"')).toEqual({ name: "alertname", type: "=~", value: "Server.*" });
    expect(parseMatcher("instance!~test-.*")).toEqual({ name: "instance", type: "!~", value: "test-.*" });
    expect(parseMatcher("team=")).toEqual({ name: "team", type: "=", value: "" });
    expect(parseMatcher('summary="say \\"hi\\", a\\\\b\\nnext"')).toEqual({ name: "summary", type: "=", value: 'say "hi", a\\b\nnext' });
  });

  it("name the matcher and the fix when it cannot be read", () => {
    expect(() => parseMatcher("severity")).toThrow('matcher "severity": write it as name=value, name!=value, name=~regex or name!~regex');
    expect(() => parseMatcher("sev-erity=high")).toThrow('matcher "sev-erity=high": "sev-erity" is not a label name; use letters, digits and _ (not starting with a digit)');
    expect(() => parseMatcher("job=~(api")).toThrow('matcher "job=~(api": the regex does not compile (Unterminated group)');
    expect(() => parseMatcher('job="api')).toThrow('matcher "job=\\"api": the quoted value has no closing quote');
    expect(() => parseMatcher('job="a"b"')).toThrow('matcher "job=\\"a\\"b\\"": escape a quote inside the value as \\"');
    expect(() => parseMatcher('job="a\\tb"')).toThrow('matcher "job=\\"a\\\\tb\\"": unknown escape \\t; only \\", \\\\ and \\n are allowed');
    expect(() => parseMatcher("job=a\"b")).toThrow('matcher "job=a\\"b": quote the whole value, like name="a value"');
  });

  it("select alerts only when every matcher holds, anchored, a missing label reading as empty", () => {
    const test = compileMatchers(["severity=~critical|page", "env!=staging", "team="].map(parseMatcher));
    expect(test({ severity: "page", env: "prod" })).toBe(true);
    expect(test({ severity: "pager", env: "prod" })).toBe(false);
    expect(test({ severity: "page", env: "staging" })).toBe(false);
    expect(test({ severity: "page", team: "ops" })).toBe(false);
    expect(compileMatchers([parseMatcher("instance!~test-.*")])({ instance: "test-1" })).toBe(false);
    expect(compileMatchers([])({})).toBe(true);
  });

  it("become Alertmanager silence matchers", () => {
    expect(["a=1", "a!=1", "a=~1", "a!~1"].map((m) => toSilenceMatcher(parseMatcher(m)))).toEqual([
      { name: "a", value: "1", isRegex: false, isEqual: true },
      { name: "a", value: "1", isRegex: false, isEqual: false },
      { name: "a", value: "1", isRegex: true, isEqual: true },
      { name: "a", value: "1", isRegex: true, isEqual: false },
    ]);
  });

  it("print in a form that reads back the same", () => {
    const matcher: fc.Arbitrary<Matcher> = fc.record({
      name: fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,10}$/),
      type: fc.constantFrom("=" as const, "!=" as const),
      value: fc.string({ unit: "grapheme", maxLength: 30 }),
    });
    fc.assert(
      fc.property(matcher, (m) => {
        expect(parseMatcher(formatMatcher(m))).toEqual(m);
      }),
    );
  });
});
