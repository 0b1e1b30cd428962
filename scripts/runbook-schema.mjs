// Writes docs/runbook.schema.json, the JSON Schema editors use for runbooks, from the zod schema
// (src/domain/runbooks/json-schema.ts). Run after changing the format:
//   npx tsx scripts/runbook-schema.mjs
// test/runbooks/json-schema.test.ts fails while the committed file is stale.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { runbookJsonSchemaText } from "../src/domain/runbooks/json-schema.ts";

const target = fileURLToPath(new URL("../docs/runbook.schema.json", import.meta.url));
writeFileSync(target, runbookJsonSchemaText());
console.log(`wrote ${target}`);
