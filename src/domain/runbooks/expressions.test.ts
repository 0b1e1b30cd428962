import { describe, expect, it } from "vitest";
import {
  ExpressionError,
  evaluate,
  evaluateCondition,
  maxExpressionDepth,
  maxExpressionLength,
  parseExpression,
  referencesOf,
  renderTemplate,
  singleExpression,
  type Scope,
} from "./expressions.js";

const scope: Scope = {
  params: { region: "eu-1", count: 3, force: false, hostile: "$(rm -rf /)", list: ["a", "b"], nested: { "k-x": 1 } },
  steps: { sessions: { status: "succeeded", outputs: { count: 12, stdout: "42\n", servers: ["s1", "s2"] } } },
  run: { id: "r1", startedBy: "alice" },
};

function errorOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof ExpressionError) return error.message;
    throw error;
  }
  throw new Error("expected an ExpressionError");
}

describe("evaluate", () => {
  it("reads literals and paths", () => {
    expect(evaluate("42", scope)).toBe(42);
    expect(evaluate("1.5", scope)).toBe(1.5);
    expect(evaluate("'it\\'s'", scope)).toBe("it's");
    expect(evaluate('"two words"', scope)).toBe("two words");
    expect(evaluate("true", scope)).toBe(true);
    expect(evaluate("null", scope)).toBe(null);
    expect(evaluate("params.region", scope)).toBe("eu-1");
    expect(evaluate("steps.sessions.outputs.count", scope)).toBe(12);
    expect(evaluate("steps.sessions.outputs.servers[1]", scope)).toBe("s2");
    expect(evaluate("params.nested['k-x']", scope)).toBe(1);
    expect(evaluate("steps['sessions'].status", scope)).toBe("succeeded");
  });

  it("reads an unknown path as undefined", () => {
    expect(evaluate("params.nope", scope)).toBeUndefined();
    expect(evaluate("steps.nope.outputs.x", scope)).toBeUndefined();
    expect(evaluate("params.list[7]", scope)).toBeUndefined();
    expect(evaluate("params.region.length", scope)).toBeUndefined();
    expect(evaluate("params.list['0']", scope)).toBeUndefined();
  });

  it("applies precedence: ! over comparisons over == over && over ||", () => {
    expect(evaluate("1 < 2 == true", scope)).toBe(true);
    expect(evaluate("true || false && false", scope)).toBe(true);
    expect(evaluate("(true || false) && false", scope)).toBe(false);
    expect(evaluate("!params.force && params.count >= 3", scope)).toBe(true);
    expect(evaluate("!(params.count > 2)", scope)).toBe(false);
    expect(evaluate("-params.count < 0", scope)).toBe(true);
    expect(evaluate("params.count != 3 || params.region == 'eu-1'", scope)).toBe(true);
  });

  it("returns the deciding operand of && and ||, so || gives a default", () => {
    expect(evaluate("params.nope || 'eu-2'", scope)).toBe("eu-2");
    expect(evaluate("params.region || 'eu-2'", scope)).toBe("eu-1");
    expect(evaluate("params.force && 'yes'", scope)).toBe(false);
  });

  it("compares without coercion", () => {
    expect(evaluate("'3' == 3", scope)).toBe(false);
    expect(evaluate("number(steps.sessions.outputs.stdout) == 42", scope)).toBe(true);
    expect(evaluate("params.nope == null", scope)).toBe(true);
    expect(evaluate("params.list == params.list", scope)).toBe(true);
    expect(evaluate("'abc' < 'abd'", scope)).toBe(true);
    expect(errorOf(() => evaluate("params.region > 2", scope))).toBe(
      `expression error at column 15: ">" compares two numbers or two strings, not a string and a number; number(x) turns digits into a number`,
    );
    expect(errorOf(() => evaluate("steps.x.outputs.count > 0", scope))).toBe(
      `expression error at column 23: ">" compares two numbers or two strings, not nothing (an unknown name or a missing value) and a number`,
    );
  });

  it("calls the documented functions", () => {
    expect(evaluate("length(params.list)", scope)).toBe(2);
    expect(evaluate("length(params.region)", scope)).toBe(4);
    expect(evaluate("length(params.nope)", scope)).toBe(0);
    expect(evaluate("contains(params.list, 'b')", scope)).toBe(true);
    expect(evaluate("contains(params.region, 'eu')", scope)).toBe(true);
    expect(evaluate("join(steps.sessions.outputs.servers, ' ')", scope)).toBe("s1 s2");
    expect(evaluate("join(params.list)", scope)).toBe("a, b");
    expect(errorOf(() => evaluate("number(params.region)", scope))).toBe("expression error at column 1: number() needs a number or decimal digits, not a string of other characters");
    expect(errorOf(() => parseExpression("lenght(params.list)"))).toBe(
      `expression error at column 1: unknown function "lenght" — did you mean "length"? (functions: length, contains, join, number)`,
    );
    expect(errorOf(() => parseExpression("contains(params.list)"))).toBe("expression error at column 1: contains() takes 2 arguments, not 1");
  });
});

describe("syntax errors name the column and what was expected", () => {
  const cases: [string, string][] = [
    ["params.region ==", `expression error at column 17: expected a value after "==", found the end of the expression`],
    ["params.region = 'eu'", `expression error at column 15: unexpected "=" — compare with "=="`],
    ["a & b", `expression error at column 3: unexpected "&" — "and" is "&&"`],
    ["(params.count > 1", `expression error at column 18: expected ")" to close the "(" at column 1, found the end of the expression`],
    ["params.", `expression error at column 8: expected a name after ".", found the end of the expression`],
    ["params.list[-1]", `expression error at column 13: expected a list index like [0] or a quoted key like ['name'], found "-"`],
    ["'open", "expression error at column 1: the string starting here is not closed with '"],
    ["params.a params.b", `expression error at column 10: expected an operator or the end of the expression, found "params"`],
    ["", "expression error at column 1: the expression is empty"],
    ["1 + 2", `expression error at column 3: unexpected "+" — expressions do no arithmetic`],
  ];
  for (const [text, message] of cases) it(text || "(empty)", () => expect(errorOf(() => parseExpression(text))).toBe(message));
});

describe("safety", () => {
  it("refuses prototype access in every spelling", () => {
    for (const [text, column, name] of [
      ["params.__proto__", 8, "__proto__"],
      ["params.constructor.name", 8, "constructor"],
      ["params['constructor']", 8, "constructor"],
      ["run.id.prototype", 8, "prototype"],
      ["__proto__", 1, "__proto__"],
    ] as const) {
      expect(errorOf(() => parseExpression(text))).toBe(`expression error at column ${column}: "${name}" may not be read: expressions read only the run's data`);
    }
  });

  it("reads only own properties of plain objects", () => {
    const inherited = Object.create({ secret: "inherited" }) as Record<string, unknown>;
    expect(evaluate("params.x.secret", { params: { x: inherited } })).toBeUndefined();
    expect(evaluate("params.x.getTime", { params: { x: new Date() } })).toBeUndefined();
    expect(evaluate("params.toString", { params: {} })).toBeUndefined();
    expect(evaluate("params.x.size", { params: { x: new Map([["size", 1]]) } })).toBeUndefined();
  });

  it("keeps a hostile param a plain string, in text and as one argv element", () => {
    expect(renderTemplate("${{ params.hostile }}", scope)).toBe("$(rm -rf /)");
    expect(renderTemplate("--region=${{ params.hostile }}; echo", scope)).toBe("--region=$(rm -rf /); echo");
    // A value that looks like an expression is data, not re-evaluated.
    expect(renderTemplate("${{ params.x }}", { params: { x: "${{ params.y }}", y: "boom" } })).toBe("${{ params.y }}");
  });

  it("bounds length and depth", () => {
    expect(errorOf(() => parseExpression("1".repeat(maxExpressionLength + 1)))).toBe(`expression error at column ${maxExpressionLength + 1}: an expression may be at most ${maxExpressionLength} characters long`);
    expect(errorOf(() => parseExpression(`${"(".repeat(40)}1${")".repeat(40)}`))).toBe(`expression error at column ${maxExpressionDepth + 1}: the expression is nested too deeply (more than ${maxExpressionDepth} levels)`);
    expect(errorOf(() => parseExpression(`${"!".repeat(40)}true`))).toBe(`expression error at column ${maxExpressionDepth + 1}: the expression is nested too deeply (more than ${maxExpressionDepth} levels)`);
    expect(evaluate(`${"(".repeat(20)}1${")".repeat(20)}`, scope)).toBe(1);
  });
});

describe("templates", () => {
  it("render one expression to its typed value, anything else to text", () => {
    expect(renderTemplate("${{ params.count }}", scope)).toBe(3);
    expect(renderTemplate("${{params.list}}", scope)).toEqual(["a", "b"]);
    expect(renderTemplate("x${{ params.count }}", scope)).toBe("x3");
    expect(renderTemplate("fleet/${{ params.region }}", scope)).toBe("fleet/eu-1");
    expect(renderTemplate("${{ params.list }} and ${{ params.nope }}.", scope)).toBe('["a","b"] and .');
    expect(renderTemplate("no expressions", scope)).toBe("no expressions");
    expect(renderTemplate("${{ '}}' }}", scope)).toBe("}}");
  });

  it("name the column within the template", () => {
    expect(errorOf(() => renderTemplate("Restart ${{ steps.sessions.outputs. }} sessions?", scope))).toBe(
      `expression error at column 37: expected a name after ".", found "}}"`,
    );
    expect(errorOf(() => renderTemplate("at ${{ run.failedStep", scope))).toBe(
      `expression error at column 22: expected "}}" to close the expression opened at column 4, found the end of the expression`,
    );
    expect(errorOf(() => renderTemplate("${{ }}", scope))).toBe("expression error at column 5: the expression is empty");
  });

  it("list the paths they read", () => {
    expect(referencesOf("Restart ${{ steps.sessions.outputs.count }} in ${{ params.region || run.id }}, ${{ length(params.list[0]) }}")).toEqual([
      ["steps", "sessions", "outputs", "count"],
      ["params", "region"],
      ["run", "id"],
      ["params", "list", "0"],
    ]);
    expect(referencesOf("plain")).toEqual([]);
  });

  it("evaluate a condition with the truthiness of !", () => {
    expect(evaluateCondition("${{ params.count > 2 }}", scope)).toBe(true);
    expect(evaluateCondition("${{ params.nope }}\n", scope)).toBe(false);
    expect(evaluateCondition("${{ length(params.list) }}", scope)).toBe(true);
    expect(renderTemplate("${{ params.force }}\n", scope)).toBe(false);
    expect(errorOf(() => evaluateCondition("params.force", scope))).toBe("expression error at column 1: a condition must be one expression like ${{ params.force == true }}, with no text around it");
  });

  it("recognise a single expression", () => {
    expect(singleExpression(" ${{ params.force }} ")).toBeDefined();
    expect(singleExpression("params.force")).toBeUndefined();
    expect(singleExpression("${{ a }} ${{ b }}")).toBeUndefined();
  });
});
