import { describe, expect, it } from "vitest";
import { stepKinds } from "../../../src/engine/runbooks/steps/index.js";

describe("step kind registry", () => {
  it("loads each kind lazily as a StepKind named as its key", async () => {
    expect(Object.keys(stepKinds).sort()).toEqual(["backup", "db_maintenance", "fleet", "http", "k8s", "notify", "redis", "shell", "sql"]);
    for (const [name, load] of Object.entries(stepKinds)) {
      const kind = await load();
      expect(kind.kind, name).toBe(name);
      expect(typeof kind.describe, name).toBe("function");
      expect(typeof kind.execute, name).toBe("function");
    }
  });
});
