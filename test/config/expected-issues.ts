import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The messages an invalid fixture states it must produce, in its `# expect:` lines. */
export function expectedIssues(dir: string, file: string): string[] {
  return readFileSync(join(dir, file), "utf8")
    .split("\n")
    .filter((l) => l.startsWith("# expect: "))
    .map((l) => l.slice("# expect: ".length));
}
