import { describe, expect, it } from "vitest";
import type { Scope } from "./expressions.js";
import { RenderError, redact, renderLocks, renderStep, secretsOf, templateFields } from "./render.js";
import { runbookSchema, type Step } from "./schema.js";

const runbook = runbookSchema.parse({
  name: "restart-fleet",
  title: "Restart",
  params: { region: { default: "eu-1" }, password: { secret: true }, replicas: { type: "number", default: 2 } },
  locks: ["fleet/${{ params.region }}"],
  steps: [
    { id: "argv", shell: ["kubectl", "-n", "${{ params.region }}", "get", "pods"] },
    { id: "argv_env", title: "In ${{ params.region }}", shell: { argv: ["echo", "${{ params.hostile }}"], env: { REGION: "${{ params.region }}" }, cwd: "/tmp/${{ params.region }}" } },
    { id: "script", shell: { script: 'echo "$REGION"', shell: true, env: { REGION: "${{ params.region }}" } } },
    { id: "db", sql: { statement: "SELECT ? + ?", params: ["${{ params.replicas }}", "x-${{ params.replicas }}"] } },
    { id: "call", http: { method: "POST", url: "http://h/${{ params.region }}", headers: { "X-Run": "${{ run.id }}" }, body: { n: "${{ params.replicas }}", list: ["${{ params.region }}", 5] }, expect: { json: { region: "${{ params.region }}" } } } },
    { id: "scale", k8s: { action: "scale", resource: "deployment/game", replicas: "${{ params.replicas }}" } },
    { id: "maint", fleet: { action: "maintenance", enabled: "${{ params.replicas > 1 }}", message: "for ${{ steps.argv.outputs.stdout }}" } },
    { id: "wait", wait: { until: "${{ probe.count == 0 }}", deadline: "5m", probe: { fleet: { action: "sessions", region: "${{ params.region }}" } } } },
    { id: "ok", approve: { prompt: "Restart ${{ steps.argv.outputs.count }}?", approvers: ["ops"] } },
    { id: "sub", runbook: { name: "other", params: { region: "${{ params.region }}", n: 3 } } },
  ],
});
const step = (id: string) => runbook.steps.find((s) => s.id === id)!;
const scope: Scope = {
  params: { region: "eu-1", replicas: 4, hostile: "$(rm -rf /)", password: "hunter2" },
  steps: { argv: { status: "succeeded", outputs: { stdout: "ok", count: 7 } } },
  run: { id: "run-1" },
};

describe("renderStep", () => {
  it("renders argv elements as text, one element each, however hostile the value", () => {
    expect(renderStep(step("argv"), scope).spec).toEqual(["kubectl", "-n", "eu-1", "get", "pods"]);
    const rendered = renderStep(step("argv_env"), scope);
    expect(rendered.title).toBe("In eu-1");
    expect(rendered.spec).toEqual({ argv: ["echo", "$(rm -rf /)"], env: { REGION: "eu-1" }, cwd: "/tmp/eu-1" });
  });

  it("renders a script's env, never its text", () => {
    expect(renderStep(step("script"), scope).spec).toEqual({ script: 'echo "$REGION"', shell: true, env: { REGION: "eu-1" } });
  });

  it("keeps types where a value is bound, and renders inside the http body and expectations", () => {
    expect(renderStep(step("db"), scope).spec).toMatchObject({ params: [4, "x-4"] });
    expect(renderStep(step("call"), scope).spec).toEqual({
      method: "POST",
      url: "http://h/eu-1",
      headers: { "X-Run": "run-1" },
      body: { n: 4, list: ["eu-1", 5] },
      expect: { json: { region: "eu-1" } },
    });
    expect(renderStep(step("scale"), scope).spec).toMatchObject({ replicas: 4 });
    expect(renderStep(step("maint"), scope).spec).toMatchObject({ enabled: true, message: "for ok" });
    expect(renderStep(step("sub"), scope).spec).toEqual({ name: "other", params: { region: "eu-1", n: 3 } });
  });

  it("renders a wait's probe but leaves until for every poll", () => {
    expect(renderStep(step("wait"), scope).spec).toMatchObject({ until: "${{ probe.count == 0 }}", probe: { fleet: { action: "sessions", region: "eu-1" } } });
  });

  it("leaves deferred expressions as written, for plans", () => {
    const deferred = (path: string[]) => path[0] === "steps";
    expect((renderStep(step("ok"), scope, { deferred }).spec as { prompt: string }).prompt).toBe("Restart ${{ steps.argv.outputs.count }}?");
    expect(renderStep(step("maint"), scope, { deferred }).spec).toMatchObject({ enabled: true, message: "for ${{ steps.argv.outputs.stdout }}" });
  });

  it("names the field it cannot render", () => {
    const bad = (spec: Record<string, unknown>): Step => runbookSchema.parse({ name: "x", title: "x", steps: [{ id: "s", ...spec }] }).steps[0]!;
    const error = (run: () => unknown) => {
      try {
        run();
      } catch (e) {
        if (e instanceof RenderError) return e.message;
        throw e;
      }
      throw new Error("expected a RenderError");
    };
    expect(error(() => renderStep(bad({ k8s: { action: "scale", replicas: "${{ params.region }}" } }), scope))).toBe("k8s.replicas: must render to a whole number (0 or more), not other text");
    expect(error(() => renderStep(bad({ fleet: { action: "maintenance", enabled: "${{ params.nope }}" } }), scope))).toBe(
      "fleet.enabled: must render to true or false (or on/off), not nothing (an unknown name or a missing value)",
    );
    expect(error(() => renderStep(bad({ notify: { channel: "ops", text: "${{ params.region > 1 }}" } }), scope))).toBe(
      `notify.text: expression error at column 19: ">" compares two numbers or two strings, not a string and a number; number(x) turns digits into a number`,
    );
  });

  it("lists the template fields validation must check", () => {
    expect(templateFields(step("argv_env")).map((f) => f.field)).toEqual(["shell.env.REGION", "shell.cwd", "shell.argv.0", "shell.argv.1", "title"]);
    expect(templateFields(step("call")).map((f) => f.field)).toEqual(["http.url", "http.headers.X-Run", "http.body.n", "http.body.list.0", "http.expect.json.region"]);
    expect(templateFields(step("script")).map((f) => f.field)).toEqual(["shell.env.REGION"]);
  });
});

describe("locks and secrets", () => {
  it("renders lock names", () => {
    expect(renderLocks(runbook, scope)).toEqual(["fleet/eu-1"]);
  });

  it("redacts secret params, longest first and JSON-escaped", () => {
    const secrets = secretsOf(runbook, { region: "eu-1", password: 'pa"ss' });
    expect(secrets).toEqual(['pa"ss']);
    expect(redact(`login pa"ss ${JSON.stringify({ p: 'pa"ss' })}`, secrets)).toBe('login <secret> {"p":"<secret>"}');
    expect(redact("abcdef abc", ["abc", "abcdef"])).toBe("<secret> <secret>");
    expect(redact("nothing", [""])).toBe("nothing");
  });
});
