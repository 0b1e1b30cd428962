import { readFileSync } from "node:fs";
import { allowedKeysOf, describeIssue, parseYamlSource, type Place, type YamlSource } from "../config/yaml-source.js";
import { RunbookError } from "../domain/runbooks/runbook-error.js";
import { runbookSchema, stepKindNames, stepKinds, type Runbook } from "../domain/runbooks/schema.js";
import { validateRunbook, type ValidateOptions } from "../domain/runbooks/validate.js";

export { RunbookError };

/** A runbook that passed the schema, with where its fields are in the file. */
export interface ParsedRunbook {
  runbook: Runbook;
  source: YamlSource;
}

/**
 * Parses runbook YAML against the schema. Throws RunbookError whose issues read like config
 * errors: `restart-fleet.yaml:12:7 steps.2.shell: …`. Cross-field rules are checkRunbook's.
 */
export function parseRunbook(text: string, file: string): ParsedRunbook {
  const source = parseYamlSource(text, file);
  if (source.issues.length > 0) throw new RunbookError(source.issues);
  if (typeof source.input !== "object" || source.input === null || Array.isArray(source.input)) {
    throw new RunbookError([`${file}: a runbook is a mapping with name, title and steps (see docs/runbooks.md)`]);
  }
  const parsed = runbookSchema.safeParse(source.input, { reportInput: true });
  if (!parsed.success) throw new RunbookError(parsed.error.issues.map((issue) => describeIssue(issue, placeOf(source), runbookAllowedKeys)));
  return { runbook: parsed.data, source };
}

/** The cross-field rules (references, expressions, sub-runbooks), each issue with its file:line. */
export function checkRunbook(parsed: ParsedRunbook, options: ValidateOptions = {}): string[] {
  return validateRunbook(parsed.runbook, options).map((issue) => describeIssue(issue, placeOf(parsed.source), runbookAllowedKeys));
}

/**
 * Reads, parses and checks a runbook file. `label` names the file in messages (the path as the
 * user wrote it); `runbooks` (the catalogue) lets sub-runbook calls be checked.
 */
export function loadRunbook(path: string, options: ValidateOptions & { label?: string } = {}): Runbook {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new RunbookError([`${options.label ?? path}: cannot read (${(error as NodeJS.ErrnoException).code ?? "error"})`]);
  }
  const parsed = parseRunbook(text, options.label ?? path);
  const issues = checkRunbook(parsed, options);
  if (issues.length > 0) throw new RunbookError(issues);
  return parsed.runbook;
}

function placeOf(source: YamlSource): Place {
  return { file: source.file, locate: source.locate };
}

const sections = ["steps", "rollback", "finally"];

/** Field names allowed at a path, for "did you mean": step kinds are looked up by their key. */
function runbookAllowedKeys(path: readonly PropertyKey[]): string[] {
  const [section, , kind, ...rest] = path;
  if (sections.includes(String(section)) && path.length >= 3 && (stepKindNames as string[]).includes(String(kind))) {
    const schema = stepKinds[kind as keyof typeof stepKinds];
    // A wait's probe is a step body of its own.
    if (kind === "wait" && rest[0] === "probe" && rest.length >= 2 && (stepKindNames as string[]).includes(String(rest[1]))) {
      return allowedKeysOf(stepKinds[rest[1] as keyof typeof stepKinds], rest.slice(2));
    }
    return allowedKeysOf(schema, rest);
  }
  return allowedKeysOf(runbookSchema, path);
}
