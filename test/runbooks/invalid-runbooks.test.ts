import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RunbookError } from "../../src/domain/runbooks/runbook-error.js";
import { resolveParams } from "../../src/domain/runbooks/validate.js";
import { loadCatalog } from "../../src/runbooks/catalog.js";

const invalid = join(import.meta.dirname, "invalid");

/**
 * Each fixture states the exact messages it must produce in its `# expect:` lines. A fixture
 * with `# params: k=v …` is valid, and its messages are those of resolveParams at run time.
 * The folder is loaded as one catalogue, so sub-runbook names and cycles are checked too.
 */
describe("invalid runbooks", () => {
  const catalog = loadCatalog({ builtIn: invalid });
  for (const file of readdirSync(invalid).filter((f) => f.endsWith(".yaml"))) {
    const text = readFileSync(join(invalid, file), "utf8");
    const lines = (prefix: string) => text.split("\n").filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length));
    const expected = lines("# expect: ");
    if (lines("# valid").length > 0) continue;
    it(file, () => {
      expect(expected.length).toBeGreaterThan(0);
      const entry = catalog.entries.find((e) => e.source === join(invalid, file))!;
      const given = lines("# params:");
      if (given.length > 0) {
        expect(entry.issues).toEqual([]);
        const params = Object.fromEntries(given.flatMap((l) => l.trim().split(/\s+/).filter(Boolean)).map((kv) => kv.split("=") as [string, string]));
        let issues: string[] = [];
        try {
          resolveParams(entry.runbook!, params);
        } catch (error) {
          if (!(error instanceof RunbookError)) throw error;
          issues = error.issues;
        }
        expect(issues).toEqual(expected);
      } else {
        expect(entry.issues.map((i) => i.replaceAll(`${invalid}/`, ""))).toEqual(expected);
      }
    });
  }
});
