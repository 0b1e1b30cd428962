/**
 * Label matchers as Alertmanager writes them — `severity=critical`, `env!=staging`,
 * `alertname=~"Server.*"`, `instance!~"test-.*"` — for maintenance windows and silences, and the
 * anchored regex that routes' `matchRegex` shares with them.
 */

export type MatchType = "=" | "!=" | "=~" | "!~";

export interface Matcher {
  name: string;
  type: MatchType;
  value: string;
}

/** The shape of a matcher in Alertmanager's `/api/v2/silences`. */
export interface SilenceMatcher {
  name: string;
  value: string;
  isRegex: boolean;
  isEqual: boolean;
}

export class MatcherError extends Error {
  constructor(
    readonly matcher: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`matcher ${JSON.stringify(matcher)}: ${message}`, options);
    this.name = "MatcherError";
  }
}

const labelName = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Whether a string is a Prometheus label name (letters, digits and _, not starting with a digit). */
export function isLabelName(name: string): boolean {
  return labelName.test(name);
}

/**
 * A label regex as Prometheus and Alertmanager read it: anchored at both ends (`critical|page`
 * matches "page", not "pager") and `.` matching newlines too.
 */
export function compileLabelRegex(source: string): RegExp {
  return new RegExp(`^(?:${source})$`, "s");
}

/** Why a label regex does not compile, or undefined when it does. */
export function labelRegexProblem(source: string): string | undefined {
  try {
    compileLabelRegex(source);
    return undefined;
  } catch (error) {
    // "Invalid regular expression: /^(?:(a)$/s: Unterminated group" → "Unterminated group"
    return error instanceof Error ? (error.message.split(": ").at(-1) ?? error.message) : String(error);
  }
}

/** Parses one matcher; the value may be "double-quoted" with \" \\ \n escapes, as amtool writes it. */
export function parseMatcher(text: string): Matcher {
  const m = /^\s*([^=!~\s]+)\s*(=~|!~|!=|=)\s*(.*?)\s*$/s.exec(text);
  if (!m) throw new MatcherError(text, "write it as name=value, name!=value, name=~regex or name!~regex");
  const [, name, type, raw] = m as unknown as [string, string, MatchType, string];
  if (!isLabelName(name)) throw new MatcherError(text, `"${name}" is not a label name; use letters, digits and _ (not starting with a digit)`);
  const value = unquote(text, raw);
  if (type === "=~" || type === "!~") {
    const problem = labelRegexProblem(value);
    if (problem) throw new MatcherError(text, `the regex does not compile (${problem})`);
  }
  return { name, type, value };
}

function unquote(text: string, raw: string): string {
  if (!raw.startsWith('"')) {
    if (raw.includes('"')) throw new MatcherError(text, 'quote the whole value, like name="a value"');
    return raw;
  }
  let out = "";
  for (let i = 1; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '"') {
      if (i !== raw.length - 1) throw new MatcherError(text, 'escape a quote inside the value as \\"');
      return out;
    }
    if (c !== "\\") {
      out += c;
      continue;
    }
    const next = raw[++i];
    if (next === "n") out += "\n";
    else if (next === '"' || next === "\\") out += next;
    else throw new MatcherError(text, `unknown escape \\${next ?? ""}; only \\", \\\\ and \\n are allowed`);
  }
  throw new MatcherError(text, "the quoted value has no closing quote");
}

/**
 * A test of a label set against matchers, regexes compiled once: a window or silence applies
 * only to alerts every matcher selects. A missing label reads as "" (as in Alertmanager).
 */
export function compileMatchers(matchers: readonly Matcher[]): (labels: Readonly<Record<string, string>>) => boolean {
  const tests = matchers.map((m): ((value: string) => boolean) => {
    if (m.type === "=") return (value) => value === m.value;
    if (m.type === "!=") return (value) => value !== m.value;
    const regex = compileLabelRegex(m.value);
    return m.type === "=~" ? (value) => regex.test(value) : (value) => !regex.test(value);
  });
  return (labels) => matchers.every((m, i) => tests[i]!(labels[m.name] ?? ""));
}

export function toSilenceMatcher(matcher: Matcher): SilenceMatcher {
  return {
    name: matcher.name,
    value: matcher.value,
    isRegex: matcher.type === "=~" || matcher.type === "!~",
    isEqual: matcher.type === "=" || matcher.type === "=~",
  };
}

/** `name="value"` with the operator, as amtool prints it; parseMatcher reads it back. */
export function formatMatcher(matcher: Matcher): string {
  const quoted = matcher.value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
  return `${matcher.name}${matcher.type}"${quoted}"`;
}
