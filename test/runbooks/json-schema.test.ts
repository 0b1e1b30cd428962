import { readFileSync } from "node:fs";
import { join } from "node:path";
// Fastify's own JSON Schema validator (a dependency of fastify, not of gameops): editors use the
// same draft, so this proves the emitted schema accepts and refuses what the zod schema does.
import { Ajv2020 } from "ajv/dist/2020.js";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { runbookJsonSchema, runbookJsonSchemaText } from "../../src/domain/runbooks/json-schema.js";
import { packageRoot } from "../../src/package-root.js";

const committed = join(packageRoot(), "docs", "runbook.schema.json");

describe("docs/runbook.schema.json", () => {
  it("is up to date (regenerate with: npx tsx scripts/runbook-schema.mjs)", () => {
    expect(readFileSync(committed, "utf8"), "docs/runbook.schema.json is stale: run `npx tsx scripts/runbook-schema.mjs`").toBe(runbookJsonSchemaText());
  });

  const validate = new Ajv2020({ strict: false, allErrors: true }).compile(runbookJsonSchema());
  const docs = readFileSync(join(packageRoot(), "docs", "runbooks.md"), "utf8");
  const example = [...docs.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.startsWith("name:"))!;

  it("accepts the documented example", () => {
    expect(validate(parse(example)), JSON.stringify(validate.errors)).toBe(true);
  });

  it("accepts a wait with a probe and refuses a step with two kinds or none", () => {
    const base = { name: "x", title: "x" };
    const wait = { id: "w", wait: { until: "${{ probe.count == 0 }}", deadline: "5m", probe: { fleet: { action: "sessions" } } } };
    expect(validate({ ...base, steps: [wait] })).toBe(true);
    expect(validate({ ...base, steps: [{ id: "a", shell: ["ls"], notify: { channel: "ops", text: "x" } }] })).toBe(false);
    expect(validate({ ...base, steps: [{ id: "a" }] })).toBe(false);
    expect(validate({ ...base, steps: [{ id: "a", shel: ["ls"] }] })).toBe(false);
    expect(validate({ ...base, steps: [{ id: "w", wait: { ...wait.wait, probe: { approve: { prompt: "x", approvers: ["ops"] } } } }] })).toBe(false);
  });
});
