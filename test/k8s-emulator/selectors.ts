import { badRequest } from "./status.js";
import type { KubeObject } from "./store.js";

type Labels = Record<string, string> | undefined;

interface Requirement {
  key: string;
  op: "exists" | "!exists" | "=" | "!=" | "in" | "notin" | "gt" | "lt";
  values: string[];
}

export type LabelSelector = (labels: Labels) => boolean;

/**
 * Label selector syntax of k8s.io/apimachinery/pkg/labels: `a=b`, `a==b`, `a!=b`, `a in (x,y)`,
 * `a notin (x,y)`, `a`, `!a`, `a>1`, `a<1`, comma-joined (ANDed).
 */
export function parseLabelSelector(text: string | null | undefined): LabelSelector {
  const requirements = splitTopLevel(text ?? "").map(parseRequirement);
  return (labels) => requirements.every((r) => matches(r, labels ?? {}));
}

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of text) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      parts.push(current);
      current = "";
    } else current += ch;
  }
  if (depth !== 0) throw badRequest(`unable to parse requirement: found unbalanced parentheses in "${text}"`);
  parts.push(current);
  const trimmed = parts.map((p) => p.trim());
  if (trimmed.length === 1 && trimmed[0] === "") return [];
  if (trimmed.some((p) => p === "")) throw badRequest(`unable to parse requirement: found ',', expected: identifier in "${text}"`);
  return trimmed;
}

const keyPattern = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const valuePattern = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function parseRequirement(text: string): Requirement {
  let m: RegExpMatchArray | null;
  let req: Requirement;
  if ((m = text.match(/^!\s*(\S+)$/))) req = { key: m[1]!, op: "!exists", values: [] };
  else if ((m = text.match(/^(\S+?)\s+(in|notin)\s*\((.*)\)$/))) {
    req = { key: m[1]!, op: m[2] as "in" | "notin", values: m[3]!.split(",").map((v) => v.trim()) };
  } else if ((m = text.match(/^([^=!<>\s]+)\s*(==|=|!=|>|<)\s*(.*)$/))) {
    const op = m[2] === "==" || m[2] === "=" ? "=" : m[2] === "!=" ? "!=" : m[2] === ">" ? "gt" : "lt";
    req = { key: m[1]!, op, values: [m[3]!.trim()] };
  } else if ((m = text.match(/^(\S+)$/))) req = { key: m[1]!, op: "exists", values: [] };
  else throw badRequest(`unable to parse requirement: found '${text}', expected: in, notin, =, ==, !=, gt, lt`);

  if (!keyPattern.test(req.key)) {
    throw badRequest(`unable to parse requirement: invalid label key "${req.key}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`);
  }
  for (const v of req.values) {
    if ((req.op === "gt" || req.op === "lt") && !/^-?\d+$/.test(v)) {
      throw badRequest(`unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer`);
    }
    if (!valuePattern.test(v) || v.length > 63) {
      throw badRequest(`unable to parse requirement: invalid label value: "${v}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`);
    }
  }
  return req;
}

function matches(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const value = labels[r.key];
  switch (r.op) {
    case "exists":
      return has;
    case "!exists":
      return !has;
    case "=":
    case "in":
      return has && r.values.includes(value!);
    case "!=":
    case "notin":
      return !has || !r.values.includes(value!);
    case "gt":
      return has && Number(value) > Number(r.values[0]);
    case "lt":
      return has && Number(value) < Number(r.values[0]);
  }
}

export type FieldSelector = (object: KubeObject) => boolean;

/** `metadata.name=x,status.phase!=Running`; only the fields the resource declares (the real server says which). */
export function parseFieldSelector(text: string | null | undefined, supported: Record<string, (o: KubeObject) => string | undefined>): FieldSelector {
  const terms = (text ?? "")
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean)
    .map((term) => {
      const m = term.match(/^([^=!]+?)\s*(==|=|!=)\s*(.*)$/);
      if (!m) throw badRequest(`invalid selector: '${text}'; can't understand '${term}'`);
      const field = m[1]!;
      const read = supported[field];
      if (!read) throw badRequest(`field label not supported: ${field}`);
      return { read, equal: m[2] !== "!=", value: m[3]! };
    });
  return (object) => terms.every((t) => (String(t.read(object) ?? "") === t.value) === t.equal);
}
