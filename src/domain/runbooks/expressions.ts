import { closest } from "../../config/env.js";

/**
 * Runbook expressions: `${{ params.region }}`, `${{ steps.sessions.outputs.count > 0 }}`.
 *
 * A small recursive-descent parser and a tree-walking evaluator. There is no `eval` and no
 * `Function`, and a path reads only own properties of plain objects and arrays: `__proto__`,
 * `constructor` and `prototype` are refused when parsed, so an expression can never reach code.
 * Values are data: a param holding `$(rm -rf /)` renders to that text and nothing else.
 *
 * Grammar (lowest precedence first):
 *
 *   or       := and ("||" and)*
 *   and      := equality ("&&" equality)*
 *   equality := compare (("==" | "!=") compare)*
 *   compare  := unary (("<" | "<=" | ">" | ">=") unary)*
 *   unary    := ("!" | "-") unary | primary
 *   primary  := number | 'string' | "string" | true | false | null
 *             | name "(" args ")" | path | "(" or ")"
 *   path     := name ("." name | "[" index "]" | "[" 'key' "]")*
 */

/** What expressions read. Plain objects only: anything else reads as undefined. */
export type Scope = {
  params?: Record<string, unknown>;
  steps?: Record<string, { status?: string; outputs?: Record<string, unknown> }>;
  run?: { id?: string; failedStep?: string; startedBy?: string };
  /** Inside `wait.until` only: the probe's outputs. */
  probe?: Record<string, unknown>;
};

export type Ast =
  | { type: "literal"; value: string | number | boolean | null; column: number }
  | { type: "path"; path: (string | number)[]; column: number }
  | { type: "not" | "negate"; operand: Ast; column: number }
  | { type: "binary"; operator: BinaryOperator; left: Ast; right: Ast; column: number }
  | { type: "call"; name: FunctionName; args: Ast[]; column: number };

type BinaryOperator = "||" | "&&" | "==" | "!=" | "<" | "<=" | ">" | ">=";

/** A malformed expression, or one that cannot be evaluated; `column` is 1-based within the text given. */
export class ExpressionError extends Error {
  constructor(
    readonly column: number,
    readonly reason: string,
  ) {
    super(`expression error at column ${column}: ${reason}`);
    this.name = "ExpressionError";
  }
}

export const maxExpressionLength = 1000;
export const maxExpressionDepth = 32;
const maxTemplateLength = 64 * 1024;

/** Names no path may use: they lead out of the data into JavaScript's object machinery. */
const forbidden = new Set(["__proto__", "constructor", "prototype"]);

// ── functions ──────────────────────────────────────────────────────────────────────────────

interface FunctionSpec {
  arity: [min: number, max: number];
  call(args: unknown[], column: number): unknown;
}

/** The functions expressions may call; all pure, documented in docs/runbooks.md. */
const functions = {
  /** Characters of a string, items of a list, keys of a mapping; 0 for null. */
  length: {
    arity: [1, 1],
    call([value], column) {
      if (value === null || value === undefined) return 0;
      if (typeof value === "string" || Array.isArray(value)) return value.length;
      if (isPlainObject(value)) return Object.keys(value).length;
      throw new ExpressionError(column, `length() takes a string, a list or a mapping, not ${typeName(value)}`);
    },
  },
  /** A string holding a substring, or a list holding an item. */
  contains: {
    arity: [2, 2],
    call([haystack, needle], column) {
      if (haystack === null || haystack === undefined) return false;
      if (typeof haystack === "string") {
        if (typeof needle !== "string") throw new ExpressionError(column, `contains() looks for a string in a string, not ${typeName(needle)}`);
        return haystack.includes(needle);
      }
      if (Array.isArray(haystack)) return haystack.some((item) => equal(item, needle));
      throw new ExpressionError(column, `contains() looks in a string or a list, not ${typeName(haystack)}`);
    },
  },
  /** The items of a list as text, separated by `sep` (", " when absent). */
  join: {
    arity: [1, 2],
    call([list, separator], column) {
      if (list === null || list === undefined) return "";
      if (!Array.isArray(list)) throw new ExpressionError(column, `join() takes a list, not ${typeName(list)}`);
      if (separator !== undefined && typeof separator !== "string") throw new ExpressionError(column, `join()'s separator must be a string, not ${typeName(separator)}`);
      return list.map(toText).join(separator ?? ", ");
    },
  },
  /** A number from a number or from decimal digits (shell output is text). */
  number: {
    arity: [1, 1],
    call([value], column) {
      if (typeof value === "number") return value;
      if (typeof value === "string" && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) return Number(value);
      // The value is not echoed: it may be a secret.
      throw new ExpressionError(column, `number() needs a number or decimal digits, not ${typeName(value)}${typeof value === "string" ? " of other characters" : ""}`);
    },
  },
} satisfies Record<string, FunctionSpec>;

export type FunctionName = keyof typeof functions;
export const functionNames = Object.keys(functions) as FunctionName[];

// ── lexer ──────────────────────────────────────────────────────────────────────────────────

type Token =
  | { kind: "number"; value: number; column: number; text: string }
  | { kind: "string"; value: string; column: number; text: string }
  | { kind: "name"; value: string; column: number; text: string }
  | { kind: "punct"; value: string; column: number; text: string }
  | { kind: "close"; column: number; text: "}}" }
  | { kind: "end"; column: number; text: "" };

const puncts = ["==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "-", "(", ")", "[", "]", ".", ","];

class Lexer {
  constructor(
    private readonly text: string,
    public position: number,
    /** Inside a template `}}` ends the expression; alone, the end of the text does. */
    private readonly inTemplate: boolean,
  ) {}

  private column(at: number) {
    return at + 1;
  }

  next(): Token {
    const text = this.text;
    while (this.position < text.length && /\s/.test(text[this.position]!)) this.position++;
    const start = this.position;
    const column = this.column(start);
    if (start >= text.length) return { kind: "end", column, text: "" };
    const c = text[start]!;
    if (text.startsWith("}}", start)) {
      if (!this.inTemplate) throw new ExpressionError(column, `unexpected "}}"`);
      this.position += 2;
      return { kind: "close", column, text: "}}" };
    }
    if (/[0-9]/.test(c)) {
      const match = /^\d+(\.\d+)?/.exec(text.slice(start, start + 40))!;
      this.position += match[0].length;
      if (/[A-Za-z_]/.test(text[this.position] ?? "")) throw new ExpressionError(column, `"${match[0]}${text[this.position]}…" is neither a number nor a name`);
      return { kind: "number", value: Number(match[0]), column, text: match[0] };
    }
    if (c === "'" || c === '"') {
      let value = "";
      let i = start + 1;
      for (;;) {
        if (i >= text.length) throw new ExpressionError(column, `the string starting here is not closed with ${c}`);
        const d = text[i]!;
        if (d === c) break;
        if (d === "\\") {
          const e = text[i + 1];
          const escapes: Record<string, string> = { n: "\n", t: "\t", "\\": "\\", "'": "'", '"': '"' };
          if (e === undefined || !(e in escapes)) throw new ExpressionError(this.column(i), `unknown escape "\\${e ?? ""}"; use \\\\, \\', \\", \\n or \\t`);
          value += escapes[e];
          i += 2;
          continue;
        }
        value += d;
        i++;
      }
      this.position = i + 1;
      return { kind: "string", value, column, text: text.slice(start, i + 1) };
    }
    if (/[A-Za-z_]/.test(c)) {
      const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(start, start + 200))!;
      this.position += match[0].length;
      return { kind: "name", value: match[0], column, text: match[0] };
    }
    for (const p of puncts) {
      if (text.startsWith(p, start)) {
        this.position += p.length;
        return { kind: "punct", value: p, column, text: p };
      }
    }
    const hints: Record<string, string> = { "=": ` — compare with "=="`, "&": ` — "and" is "&&"`, "|": ` — "or" is "||"`, "+": " — expressions do no arithmetic" };
    throw new ExpressionError(column, `unexpected "${c}"${hints[c] ?? ""}`);
  }
}

// ── parser ─────────────────────────────────────────────────────────────────────────────────

class Parser {
  private token: Token;
  private depth = 0;

  constructor(private readonly lexer: Lexer) {
    this.token = lexer.next();
  }

  /** Parses one expression up to the end of the text or, in a template, its `}}`. */
  parseWhole(expectClose: boolean, openedAt?: number): Ast {
    if (this.token.kind === (expectClose ? "close" : "end")) throw new ExpressionError(this.token.column, "the expression is empty");
    const ast = this.or();
    if (expectClose && this.token.kind !== "close") {
      throw this.expected(this.token.kind === "end" ? `"}}" to close the expression opened at column ${openedAt}` : `an operator or "}}"`);
    }
    if (!expectClose && this.token.kind !== "end") throw this.expected("an operator or the end of the expression");
    return ast;
  }

  private advance(): Token {
    const t = this.token;
    this.token = this.lexer.next();
    return t;
  }

  private isPunct(...values: string[]) {
    return this.token.kind === "punct" && values.includes(this.token.value);
  }

  private expected(what: string): ExpressionError {
    return new ExpressionError(this.token.column, `expected ${what}, found ${describe(this.token)}`);
  }

  private binary(next: () => Ast, operators: BinaryOperator[]): Ast {
    let left = next();
    while (this.isPunct(...operators)) {
      const op = this.advance() as Token & { value: BinaryOperator };
      if (this.token.kind === "end" || this.token.kind === "close") throw this.expected(`a value after "${op.value}"`);
      const right = next();
      left = { type: "binary", operator: op.value, left, right, column: op.column };
    }
    return left;
  }

  private or = (): Ast => this.binary(this.and, ["||"]);
  private and = (): Ast => this.binary(this.equality, ["&&"]);
  private equality = (): Ast => this.binary(this.compare, ["==", "!="]);
  private compare = (): Ast => this.binary(this.unary, ["<", "<=", ">", ">="]);

  private unary = (): Ast => {
    this.enter();
    try {
      if (this.isPunct("!", "-")) {
        const op = this.advance();
        const operand = this.unary();
        return { type: op.text === "!" ? "not" : "negate", operand, column: op.column };
      }
      return this.primary();
    } finally {
      this.depth--;
    }
  };

  private enter() {
    if (++this.depth > maxExpressionDepth) throw new ExpressionError(this.token.column, `the expression is nested too deeply (more than ${maxExpressionDepth} levels)`);
  }

  private primary(): Ast {
    const t = this.token;
    if (t.kind === "number" || t.kind === "string") {
      this.advance();
      return { type: "literal", value: t.value, column: t.column };
    }
    if (t.kind === "punct" && t.value === "(") {
      this.advance();
      const inner = this.or();
      if (!this.isPunct(")")) throw this.expected(`")" to close the "(" at column ${t.column}`);
      this.advance();
      return inner;
    }
    if (t.kind === "name") {
      this.advance();
      if (t.value === "true" || t.value === "false") return { type: "literal", value: t.value === "true", column: t.column };
      if (t.value === "null") return { type: "literal", value: null, column: t.column };
      if (this.isPunct("(")) return this.call(t.value, t.column);
      return this.path(t.value, t.column);
    }
    throw this.expected("a value (a number, a 'string', true, false, null, a name like params.region, or \"(\")");
  }

  private call(name: string, column: number): Ast {
    if (!(name in functions)) {
      const suggestion = closest(name, functionNames);
      throw new ExpressionError(column, `unknown function "${name}"${suggestion ? ` — did you mean "${suggestion}"?` : ""} (functions: ${functionNames.join(", ")})`);
    }
    const spec = functions[name as FunctionName] as FunctionSpec;
    this.advance(); // (
    const args: Ast[] = [];
    if (!this.isPunct(")")) {
      for (;;) {
        args.push(this.or());
        if (this.isPunct(",")) {
          this.advance();
          continue;
        }
        if (this.isPunct(")")) break;
        throw this.expected(`"," or ")" in the call of ${name}()`);
      }
    }
    this.advance(); // )
    const [min, max] = spec.arity;
    if (args.length < min || args.length > max) {
      throw new ExpressionError(column, `${name}() takes ${min === max ? min : `${min} or ${max}`} argument${max === 1 ? "" : "s"}, not ${args.length}`);
    }
    return { type: "call", name: name as FunctionName, args, column };
  }

  private path(first: string, column: number): Ast {
    checkName(first, column);
    const path: (string | number)[] = [first];
    for (;;) {
      if (this.isPunct(".")) {
        this.advance();
        const t = this.token;
        if (t.kind !== "name") throw this.expected(`a name after "."`);
        checkName(t.value, t.column);
        path.push(t.value);
        this.advance();
      } else if (this.isPunct("[")) {
        this.advance();
        const t = this.token;
        if (t.kind === "number" && Number.isInteger(t.value)) path.push(t.value);
        else if (t.kind === "string") {
          checkName(t.value, t.column);
          path.push(t.value);
        } else throw this.expected(`a list index like [0] or a quoted key like ['name']`);
        this.advance();
        if (!this.isPunct("]")) throw this.expected(`"]"`);
        this.advance();
      } else return { type: "path", path, column };
    }
  }
}

function checkName(name: string, column: number) {
  if (forbidden.has(name)) throw new ExpressionError(column, `"${name}" may not be read: expressions read only the run's data`);
}

function describe(token: Token): string {
  if (token.kind === "end") return "the end of the expression";
  if (token.kind === "close") return `"}}"`;
  return token.kind === "string" ? token.text : `"${token.text}"`;
}

/** Parses one bare expression (without `${{ }}`). Throws ExpressionError naming the column. */
export function parseExpression(text: string): Ast {
  if (text.length > maxExpressionLength) throw new ExpressionError(maxExpressionLength + 1, `an expression may be at most ${maxExpressionLength} characters long`);
  return new Parser(new Lexer(text, 0, false)).parseWhole(false);
}

// ── templates ──────────────────────────────────────────────────────────────────────────────

/** Literal text, or one `${{ … }}` with its source (for plans that leave it unresolved). */
export type TemplatePart = string | { ast: Ast; source: string; column: number };

const cache = new Map<string, TemplatePart[]>();
const cacheSize = 2000;

/** Splits a template into text and parsed expressions; columns are 1-based within the template. */
export function parseTemplate(template: string): TemplatePart[] {
  const cached = cache.get(template);
  if (cached) return cached;
  if (template.length > maxTemplateLength) throw new ExpressionError(1, `a template may be at most ${maxTemplateLength} characters long`);
  const parts: TemplatePart[] = [];
  let rest = 0;
  for (;;) {
    const open = template.indexOf("${{", rest);
    if (open < 0) break;
    if (open > rest) parts.push(template.slice(rest, open));
    const lexer = new Lexer(template, open + 3, true);
    const ast = new Parser(lexer).parseWhole(true, open + 1);
    if (lexer.position - open > maxExpressionLength) throw new ExpressionError(open + 1, `an expression may be at most ${maxExpressionLength} characters long`);
    parts.push({ ast, source: template.slice(open, lexer.position), column: open + 1 });
    rest = lexer.position;
  }
  if (rest < template.length) parts.push(template.slice(rest));
  // Parsed templates are reused for every run of a runbook; the bound keeps odd inputs from growing it.
  if (cache.size >= cacheSize) cache.delete(cache.keys().next().value!);
  cache.set(template, parts);
  return parts;
}

/** The single expression a template consists of (whitespace around allowed), or undefined. */
export function singleExpression(template: string): Ast | undefined {
  const parts = parseTemplate(template).filter((p) => typeof p !== "string" || p.trim() !== "");
  return parts.length === 1 && typeof parts[0] !== "string" ? parts[0]!.ast : undefined;
}

/**
 * Renders a template. One `${{ expr }}` and nothing else renders to the expression's value
 * (a number stays a number); anything else renders to text, each value written as text
 * (null and undefined as nothing, lists and mappings as JSON).
 */
export function renderTemplate(template: string, scope: Scope): unknown {
  const parts = parseTemplate(template);
  // Whitespace around the one expression (a folded YAML scalar's newline) does not make it text.
  const single = singleExpression(template);
  if (single) return evaluateAst(single, scope);
  let text = "";
  for (const part of parts) text += typeof part === "string" ? part : toText(evaluateAst(part.ast, scope));
  return text;
}

/**
 * A `when` or `wait.until`: one `${{ expr }}`, true unless its value is false, null, missing, 0,
 * "" or NaN. Throws ExpressionError when the template is not one expression (validation refuses that first).
 */
export function evaluateCondition(template: string, scope: Scope): boolean {
  const ast = singleExpression(template);
  if (!ast) throw new ExpressionError(1, `a condition must be one expression like \${{ params.force == true }}, with no text around it`);
  return truthy(evaluateAst(ast, scope));
}

/** Every path an expression or template reads, e.g. [["params", "region"], ["steps", "sessions", "outputs", "count"]]. */
export function referencesOf(template: string): string[][] {
  return referencesWithColumns(template).map((r) => r.path);
}

/** Like referencesOf, with the column where each path starts (for validation messages). */
export function referencesWithColumns(template: string): { path: string[]; column: number }[] {
  const found: { path: string[]; column: number }[] = [];
  const walk = (ast: Ast) => {
    switch (ast.type) {
      case "path":
        found.push({ path: ast.path.map(String), column: ast.column });
        break;
      case "not":
      case "negate":
        walk(ast.operand);
        break;
      case "binary":
        walk(ast.left);
        walk(ast.right);
        break;
      case "call":
        ast.args.forEach(walk);
        break;
      case "literal":
        break;
    }
  };
  for (const part of parseTemplate(template)) if (typeof part !== "string") walk(part.ast);
  return found;
}

// ── evaluator ──────────────────────────────────────────────────────────────────────────────

/** Evaluates one bare expression (without `${{ }}`) against the scope. */
export function evaluate(expression: string, scope: Scope): unknown {
  return evaluateAst(parseExpression(expression), scope);
}

export function evaluateAst(ast: Ast, scope: Scope): unknown {
  switch (ast.type) {
    case "literal":
      return ast.value;
    case "path":
      return read(scope, ast.path);
    case "not":
      return !truthy(evaluateAst(ast.operand, scope));
    case "negate": {
      const value = evaluateAst(ast.operand, scope);
      if (typeof value !== "number") throw new ExpressionError(ast.column, `"-" needs a number, not ${typeName(value)}`);
      return -value;
    }
    case "call":
      return (functions[ast.name] as FunctionSpec).call(
        ast.args.map((a) => evaluateAst(a, scope)),
        ast.column,
      );
    case "binary": {
      const left = evaluateAst(ast.left, scope);
      if (ast.operator === "&&") return truthy(left) ? evaluateAst(ast.right, scope) : left;
      if (ast.operator === "||") return truthy(left) ? left : evaluateAst(ast.right, scope);
      const right = evaluateAst(ast.right, scope);
      if (ast.operator === "==") return equal(left, right);
      if (ast.operator === "!=") return !equal(left, right);
      const bothNumbers = typeof left === "number" && typeof right === "number";
      const bothStrings = typeof left === "string" && typeof right === "string";
      if (!bothNumbers && !bothStrings) {
        throw new ExpressionError(ast.column, `"${ast.operator}" compares two numbers or two strings, not ${typeName(left)} and ${typeName(right)}${typeof left === "string" || typeof right === "string" ? "; number(x) turns digits into a number" : ""}`);
      }
      const l = left as number | string;
      const r = right as number | string;
      switch (ast.operator) {
        case "<":
          return l < r;
        case "<=":
          return l <= r;
        case ">":
          return l > r;
        case ">=":
          return l >= r;
      }
    }
  }
}

/** Reads own properties of plain objects and indices of arrays only; anything else is undefined. */
function read(scope: Scope, path: readonly (string | number)[]): unknown {
  let node: unknown = scope;
  for (const key of path) {
    if (Array.isArray(node)) {
      if (typeof key !== "number" || key >= node.length) return undefined;
      node = node[key];
    } else if (isPlainObject(node)) {
      if (typeof key !== "string" || forbidden.has(key) || !Object.hasOwn(node, key)) return undefined;
      node = node[key];
    } else return undefined;
  }
  return node;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function truthy(value: unknown): boolean {
  return value !== false && value !== null && value !== undefined && value !== 0 && value !== "" && !Number.isNaN(value);
}

/** No coercion: '1' == 1 is false; null == undefined (a missing output) is true; lists and mappings compare by content. */
function equal(a: unknown, b: unknown, depth = 0): boolean {
  if ((a === null || a === undefined) && (b === null || b === undefined)) return true;
  if (a === b) return true;
  if (depth > maxExpressionDepth) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equal(x, b[i], depth + 1));
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && equal(a[k], b[k], depth + 1));
  }
  return false;
}

/** How a value is written into text: null and undefined as nothing, lists and mappings as JSON. */
export function toText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value) ?? "";
}

function typeName(value: unknown): string {
  if (value === undefined) return "nothing (an unknown name or a missing value)";
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `a ${typeof value}`;
}
