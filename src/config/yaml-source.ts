import { createRequire } from "node:module";
import type { Node as YamlNode } from "yaml";
import type { z } from "zod";
import { closest } from "./env.js";

/**
 * YAML files validated by zod — gameops.yaml and runbooks — report mistakes the same way:
 * `restart-fleet.yaml:12:7 steps.2.shell: …` (file, line, column, field path, what to fix).
 */

/** Line and column of a field's value, or of its key with `key: true` (for unknown fields). */
export type Locate = (path: string, options?: { key?: boolean }) => { line: number; col: number } | undefined;

export interface YamlSource {
  /** The file as it is named in messages. */
  file: string;
  input: unknown;
  locate: Locate;
}

// Loaded only when there is a file to read: most `gameops check` runs in CI and cron have none.
const loadYaml = () => createRequire(import.meta.url)("yaml") as typeof import("yaml");

/** Parses YAML text; `issues` holds the syntax errors (file:line:col), if any. */
export function parseYamlSource(text: string, file: string): YamlSource & { issues: string[] } {
  const { LineCounter, parseDocument, isMap, isSeq } = loadYaml();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const locate: Locate = (dotted, options) => {
    let node: unknown = doc.contents;
    let found: YamlNode | undefined;
    for (const key of dotted ? dotted.split(".") : []) {
      if (isMap(node)) {
        const pair = node.items.find((p) => String((p.key as { value?: unknown })?.value ?? p.key) === key);
        if (!pair) return undefined;
        found = (options?.key ? pair.key : (pair.value ?? pair.key)) as YamlNode;
        node = pair.value;
      } else if (isSeq(node)) {
        const item = node.items[Number(key)];
        if (item === undefined) return undefined;
        found = item as YamlNode;
        node = item;
      } else return undefined;
    }
    if (!found?.range) return undefined;
    return lineCounter.linePos(found.range[0]);
  };
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => {
      const pos = e.linePos?.[0];
      return `${file}${pos ? `:${pos.line}:${pos.col}` : ""}: YAML syntax error: ${e.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "")}`;
    });
    return { file, input: undefined, locate, issues };
  }
  return { file, input: doc.toJS() ?? undefined, locate, issues: [] };
}

export interface Place {
  /** The file, when there is one. */
  file?: string;
  locate: Locate;
  /** Where a field came from when not from the file (an environment variable), e.g. `GAMEOPS_MYSQL_URL (targets.mysql.url)`. */
  origin?: (path: string) => string | undefined;
}

/**
 * `file:line:col path`, or `VARIABLE (path)` for a value from the environment. A field that is
 * missing is placed at the nearest enclosing field the file has.
 */
export function where(path: string, place: Place, key = false): string {
  const origin = place.origin?.(path);
  if (origin) return origin;
  const segments = path ? path.split(".") : [];
  for (let n = segments.length; n >= 1; n--) {
    const pos = place.locate(segments.slice(0, n).join("."), { key: key && n === segments.length });
    if (place.file && pos) return `${place.file}:${pos.line}:${pos.col} ${path}`;
  }
  return place.file ? `${place.file} ${path || "(top level)"}` : path || "(top level)";
}

/** One zod issue as a line: place, field, and the fix; unknown fields get "did you mean". */
export function describeIssue(issue: z.core.$ZodIssue, place: Place, allowedKeys: (path: readonly PropertyKey[]) => string[]): string {
  const path = issue.path.map(String).join(".");
  if (issue.code === "unrecognized_keys") {
    return issue.keys
      .map((key) => {
        const field = path ? `${path}.${key}` : key;
        const allowed = allowedKeys(issue.path);
        return `${where(field, place, true)}: ${unknownField(key, allowed)}`;
      })
      .join("\n  - ");
  }
  if (issue.code === "custom" && issue.params?.unknownKey) return `${where(path, place, true)}: ${issue.message}`;
  let message = issue.message;
  // The input itself is never echoed: it may be a secret.
  if (issue.code === "invalid_type") message = `expected ${issue.expected}${issue.input === undefined ? ", but it is missing" : `, not ${describeType(issue.input)}`}`;
  if (issue.code === "invalid_value" && issue.values.length > 1) {
    const values = issue.values.map(String);
    // An enum's wrong value is a word like "restrat", safe to show; anything else is described by its type.
    const given = typeof issue.input === "string" && issue.input.length <= 40 ? `"${issue.input}"` : describeType(issue.input);
    const suggestion = typeof issue.input === "string" ? closest(issue.input, values) : undefined;
    message =
      issue.input === undefined
        ? `expected one of ${values.join(", ")}, but it is missing`
        : `${given} is not one of ${values.join(", ")}${suggestion ? ` — did you mean "${suggestion}"?` : ""}`;
  }
  return `${where(path, place)}: ${message}`;
}

/** `unknown field "timeZon" — did you mean "timeZone"? (allowed: name, timeZone)` */
export function unknownField(key: string, allowed: readonly string[], what = "field"): string {
  const suggestion = closest(key, allowed);
  return `unknown ${what} "${key}"${suggestion ? ` — did you mean "${suggestion}"?` : ""} (allowed: ${allowed.join(", ")})`;
}

/** Field names allowed at a path of a zod schema, for "did you mean". */
export function allowedKeysOf(root: unknown, path: readonly PropertyKey[]): string[] {
  let schema: unknown = root;
  for (const key of path) schema = child(schema, key);
  const shape = objectShape(schema);
  return shape ? Object.keys(shape) : [];
}

function unwrap(schema: unknown): unknown {
  let s = schema as { def?: { type?: string; innerType?: unknown; in?: unknown; schema?: unknown } } | undefined;
  while (s?.def && ["default", "optional", "pipe", "nullable", "prefault"].includes(s.def.type ?? "")) {
    s = (s.def.innerType ?? s.def.in ?? s.def.schema) as typeof s;
  }
  return s;
}

function objectShape(schema: unknown): Record<string, unknown> | undefined {
  const s = unwrap(schema) as { def?: { type?: string; shape?: Record<string, unknown>; options?: unknown[] } } | undefined;
  if (s?.def?.type === "union") {
    // The fields of every form the union accepts.
    const shapes = (s.def.options ?? []).map(objectShape).filter((shape) => shape !== undefined);
    return shapes.length > 0 ? Object.assign({}, ...shapes) : undefined;
  }
  return s?.def?.type === "object" ? s.def.shape : undefined;
}

function child(schema: unknown, key: PropertyKey): unknown {
  const s = unwrap(schema) as { def?: { type?: string; element?: unknown; valueType?: unknown } } | undefined;
  if (s?.def?.type === "array") return s.def.element;
  if (s?.def?.type === "record") return s.def.valueType;
  return objectShape(s)?.[String(key)];
}

export function describeType(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return typeof value === "object" ? "a mapping" : `a ${typeof value}`;
}
