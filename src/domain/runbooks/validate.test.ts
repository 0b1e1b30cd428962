import { describe, expect, it } from "vitest";
import { RunbookError } from "./runbook-error.js";
import { runbookSchema, type RunbookInput } from "./schema.js";
import { ParamsError, resolveParams, validateRunbook } from "./validate.js";

const book = (input: Omit<RunbookInput, "title"> & { title?: string }) => runbookSchema.parse({ title: "t", ...input });
const messages = (input: Parameters<typeof book>[0], runbooks?: Parameters<typeof validateRunbook>[1]) =>
  validateRunbook(book(input), runbooks).map((i) => `${i.path.join(".")}: ${i.message}`);

describe("validateRunbook", () => {
  it("lets rollback read every step, and finally read steps and rollback", () => {
    expect(
      messages({
        name: "ok",
        params: { region: { default: "eu-1" } },
        locks: ["fleet/${{ params.region }}/${{ run.startedBy }}"],
        steps: [
          { id: "a", fleet: { action: "sessions" } },
          { id: "b", when: "${{ steps.a.outputs.count > 0 && steps.a.status == 'succeeded' }}", fleet: { action: "restart" }, on_failure: "rollback" },
        ],
        rollback: [
          { id: "undo", notify: { channel: "ops", text: "failed at ${{ run.failedStep }} after ${{ steps.b.status }}" } },
          { id: "undo2", notify: { channel: "ops", text: "${{ steps.undo.status }}" } },
        ],
        finally: [{ id: "end", notify: { channel: "ops", text: "${{ steps.undo.status }} ${{ steps.a.outputs.count }}" } }],
      }),
    ).toEqual([]);
  });

  it("refuses a finally step reading a later one, and rollback reading finally", () => {
    expect(
      messages({
        name: "x",
        steps: [{ id: "a", fleet: { action: "sessions" } }],
        rollback: [{ id: "undo", notify: { channel: "ops", text: "${{ steps.end.status }}" } }],
        finally: [{ id: "end", notify: { channel: "ops", text: "${{ steps.end.status }}" } }],
      }),
    ).toEqual([
      `rollback.0.notify.text: "steps.end.status": step "end" runs later; a step can read only the steps before it (column 5)`,
      `finally.0.notify.text: "steps.end.status": a step cannot read its own outputs or status (column 5)`,
    ]);
  });

  it("finds a cycle that does not pass through the runbook itself", () => {
    const b = book({ name: "b", steps: [{ id: "c", runbook: { name: "c" } }] });
    const c = book({ name: "c", steps: [{ id: "b", runbook: { name: "b" } }] });
    expect(messages({ name: "a", steps: [{ id: "call", runbook: { name: "b" } }] }, { runbooks: new Map([["b", b], ["c", c]]) })).toEqual([
      "steps.0.runbook.name: sub-runbook cycle: a → b → c → b; a runbook may not call itself, directly or through others",
    ]);
    expect(messages({ name: "a", steps: [{ id: "call", runbook: { name: "a" } }] }, { runbooks: new Map() })).toEqual([
      "steps.0.runbook.name: sub-runbook cycle: a → a; a runbook may not call itself, directly or through others",
    ]);
  });
});

describe("resolveParams", () => {
  const runbook = book({
    name: "restart-fleet",
    params: {
      region: { values: ["eu-1", "us-1"], default: "eu-1" },
      replicas: { type: "number" },
      force: { type: "boolean", default: false },
      password: { secret: true },
    },
    steps: [{ id: "a", fleet: { action: "sessions" } }],
  });

  it("types the given values and fills in defaults", () => {
    expect(resolveParams(runbook, { replicas: "3", password: "hunter2" })).toEqual({ region: "eu-1", replicas: 3, force: false, password: "hunter2" });
    expect(resolveParams(runbook, { replicas: 2.5, force: "true", region: "us-1", password: "p" })).toEqual({ region: "us-1", replicas: 2.5, force: true, password: "p" });
    // A hostile value is just a string.
    expect(resolveParams(runbook, { replicas: "1", password: "$(rm -rf /)" }).password).toBe("$(rm -rf /)");
  });

  it("lists every problem, never echoing a secret", () => {
    let error: unknown;
    try {
      resolveParams(runbook, { replica: "3", force: "maybe" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ParamsError);
    expect(error).toBeInstanceOf(RunbookError);
    expect((error as ParamsError).issues).toEqual([
      `unknown param "replica" — did you mean "replicas"? (restart-fleet takes region, replicas, force, password)`,
      `missing param "replicas" (number): pass --param replicas=…`,
      `param "force" must be true or false, not "maybe"`,
      `missing param "password" (string): pass --param password=…`,
    ]);
    expect(() => resolveParams(runbook, { replicas: "1", password: 5 as never })).not.toThrow();
  });
});
