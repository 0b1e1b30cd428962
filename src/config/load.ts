import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, resolve } from "node:path";
import { createRequire } from "node:module";
import type { Node as YamlNode } from "yaml";
import type { z } from "zod";
import { ConfigError } from "./config-error.js";
import { closest, readEnv, type EnvReader, type KnownVariable } from "./env.js";
import { configSchema, type ConfigFile } from "./schema.js";
import { Secret } from "./secret.js";

export { ConfigError };

export interface MysqlTarget {
  host: string;
  port: number;
  user: string;
  database?: string;
  password?: Secret;
  /** Where it points, safe to print: mysql://user@host:port/db. */
  label: string;
}

export interface RedisTarget {
  host: string;
  port: number;
  db: number;
  tls: boolean;
  username?: string;
  password?: Secret;
  label: string;
}

export type Config = Omit<ConfigFile, "targets" | "store" | "dataDir"> & {
  /** The file it came from, if any. */
  source?: string;
  dataDir: string;
  store: { url?: Secret };
  targets: Omit<ConfigFile["targets"], "mysql" | "redis"> & { mysql?: MysqlTarget; redis?: RedisTarget };
};

export interface LoadOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** --config on the command line; wins over GAMEOPS_CONFIG and ./gameops.yaml. */
  path?: string;
}


export function loadConfig(options: LoadOptions): { config: Config; warnings: string[] } {
  const warnings: string[] = [];
  const env = readEnv(options.env, (p) => readFileSync(resolve(options.cwd, p), "utf8"));
  for (const u of env.unknown()) {
    warnings.push(`unknown environment variable ${u.name} is ignored${u.suggestion ? ` — did you mean ${u.suggestion}?` : ""}`);
  }

  const explicit = options.path ?? env.get("GAMEOPS_CONFIG");
  const path = explicit ? resolve(options.cwd, explicit) : defaultPath(options.cwd);
  if (explicit && !existsSync(path!)) throw new ConfigError([`${explicit}: no such file; run \`gameops init\` to write an example`]);

  const located = path ? parseFile(path) : { input: {}, locate: () => undefined };
  const origins = new Map<string, KnownVariable>();
  applyEnv(located.input, env, origins);

  const parsed = configSchema.safeParse(located.input, { reportInput: true });
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => describeIssue(issue, located.locate, origins, path)));
  }
  const file = parsed.data;
  const baseDir = path ? dirname(path) : options.cwd;
  const problems: string[] = [];
  const at = (p: string) => where(p, located.locate, origins, path);

  const readSecretFile = (field: string, p: string): Secret | undefined => {
    try {
      return new Secret(readFileSync(resolve(baseDir, p), "utf8").replace(/\r?\n$/, ""));
    } catch (error) {
      problems.push(`${at(field)}: cannot read ${p} (${(error as NodeJS.ErrnoException).code ?? "error"}); point it at a readable file`);
      return undefined;
    }
  };
  const password = (name: "mysql" | "redis", fromUrl: string, target: { password?: string; passwordFile?: string }) => {
    if (target.password !== undefined && located.locate(`targets.${name}.password`)) {
      warnings.push(`targets.${name}.password is written in the config file in clear; use passwordFile or GAMEOPS_${name.toUpperCase()}_PASSWORD_FILE`);
    }
    if (target.passwordFile) return readSecretFile(`targets.${name}.passwordFile`, target.passwordFile);
    const value = target.password ?? env.get(name === "mysql" ? "GAMEOPS_MYSQL_PASSWORD" : "GAMEOPS_REDIS_PASSWORD") ?? fromUrl;
    return value ? new Secret(value) : undefined;
  };

  const { mysql, redis, ...otherTargets } = file.targets;
  const config: Config = {
    ...file,
    ...(path ? { source: path } : {}),
    dataDir: resolve(options.cwd, env.get("GAMEOPS_DATA") ?? file.dataDir ?? ".gameops"),
    store: file.store.url ? { url: new Secret(file.store.url) } : {},
    targets: { ...otherTargets },
  };
  const kubeconfig = otherTargets.kubernetes?.kubeconfig;
  if (kubeconfig !== undefined) {
    // Relative to the file that names it; `~/` is the user's home, as kubectl reads it.
    const from = origins.has("targets.kubernetes.kubeconfig") ? options.cwd : baseDir;
    config.targets.kubernetes!.kubeconfig = kubeconfig.startsWith("~/") ? resolve(homedir(), kubeconfig.slice(2)) : resolve(from, kubeconfig);
  }
  if (mysql) {
    const url = new URL(mysql.url);
    const user = decodeURIComponent(url.username) || "root";
    const port = Number(url.port || 3306);
    const database = decodeURIComponent(url.pathname.replace(/^\//, "")) || undefined;
    const secret = password("mysql", decodeURIComponent(url.password), mysql);
    config.targets.mysql = {
      host: url.hostname.replace(/^\[|\]$/g, ""),
      port,
      user,
      ...(database ? { database } : {}),
      ...(secret ? { password: secret } : {}),
      label: `mysql://${user}@${url.host.includes(":") ? url.host : `${url.host}:${port}`}/${database ?? ""}`,
    };
  }
  if (redis) {
    const url = new URL(redis.url);
    const port = Number(url.port || 6379);
    const db = Number(url.pathname.replace(/^\//, "") || 0);
    if (!Number.isInteger(db) || db < 0) problems.push(`${at("targets.redis.url")}: the database after the slash must be a number like /0`);
    const secret = password("redis", decodeURIComponent(url.password), redis);
    const username = decodeURIComponent(url.username);
    config.targets.redis = {
      host: url.hostname.replace(/^\[|\]$/g, ""),
      port,
      db,
      tls: url.protocol === "rediss:",
      ...(username ? { username } : {}),
      ...(secret ? { password: secret } : {}),
      label: `${url.protocol}//${url.hostname}:${port}/${db}`,
    };
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { config, warnings };
}

function defaultPath(cwd: string): string | undefined {
  for (const name of ["gameops.yaml", "gameops.yml"]) {
    const p = resolve(cwd, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** Line and column of a field's value, or of its key with `key: true` (for unknown fields). */
type Locate = (path: string, options?: { key?: boolean }) => { line: number; col: number } | undefined;

// Loaded only when there is a file to read: most `gameops check` runs in CI and cron have none.
const loadYaml = () => createRequire(import.meta.url)("yaml") as typeof import("yaml");

function parseFile(path: string): { input: Record<string, unknown>; locate: Locate } {
  const { LineCounter, parseDocument, isMap, isSeq } = loadYaml();
  const text = readFileSync(path, "utf8");
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        return `${path}${pos ? `:${pos.line}:${pos.col}` : ""}: YAML syntax error: ${e.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "")}`;
      }),
    );
  }
  const input = doc.toJS() ?? {};
  if (typeof input !== "object" || Array.isArray(input)) {
    throw new ConfigError([`${path}: the top level must be a mapping of settings (team:, targets:, thresholds:, …)`]);
  }
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
  return { input: input as Record<string, unknown>, locate };
}

function setPath(target: Record<string, unknown>, path: string, value: unknown) {
  const keys = path.split(".");
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (typeof node[key] !== "object" || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
}

const list = (value: string) => value.split(",").map((s) => s.trim()).filter(Boolean);

/** Environment variables win over the file, and alone make a complete config. */
function applyEnv(input: Record<string, unknown>, env: EnvReader, origins: Map<string, KnownVariable>) {
  const bind = (name: KnownVariable, path: string, convert: (v: string) => unknown = (v) => v) => {
    const value = env.get(name);
    if (value === undefined) return;
    setPath(input, path, convert(value));
    origins.set(path, name);
  };
  bind("GAMEOPS_STORE_URL", "store.url");
  bind("GAMEOPS_MYSQL_URL", "targets.mysql.url");
  bind("GAMEOPS_REDIS_URL", "targets.redis.url");
  bind("GAMEOPS_ALERTMANAGER_URL", "targets.alertmanager.url");
  bind("GAMEOPS_PROMETHEUS_URL", "targets.prometheus.url");
  bind("GAMEOPS_DISK_PATHS", "targets.disks", list);
  bind("GAMEOPS_TIME_ZONE", "team.timeZone");
  bind("GAMEOPS_HOST", "server.host");
  bind("GAMEOPS_PORT", "server.port", (v) => (/^\d+$/.test(v) ? Number(v) : v));
  const logFiles = env.get("GAMEOPS_LOG_FILES");
  if (logFiles !== undefined) {
    const targets = (input.targets ??= {}) as Record<string, unknown>;
    const sources = Array.isArray(targets.logs) ? (targets.logs as Record<string, unknown>[]).filter((s) => s.name !== "env") : [];
    targets.logs = [...sources, { name: "env", files: list(logFiles) }];
    origins.set(`targets.logs.${sources.length}.files`, "GAMEOPS_LOG_FILES");
  }
  const kubeconfig = env.get("GAMEOPS_KUBECONFIG");
  const namespace = env.get("GAMEOPS_K8S_NAMESPACE");
  if (kubeconfig !== undefined || namespace !== undefined) {
    bind("GAMEOPS_KUBECONFIG", "targets.kubernetes.kubeconfig");
    bind("GAMEOPS_K8S_NAMESPACE", "targets.kubernetes.namespace");
    bind("GAMEOPS_K8S_CONTEXT", "targets.kubernetes.context");
    bind("GAMEOPS_K8S_LABEL_SELECTOR", "targets.kubernetes.labelSelector");
  }
}

function where(path: string, locate: Locate, origins: Map<string, KnownVariable>, file: string | undefined, key = false): string {
  for (const [p, variable] of origins) if (path === p || path.startsWith(`${p}.`)) return `${variable} (${path})`;
  const pos = locate(path, { key });
  if (file && pos) return `${file}:${pos.line}:${pos.col} ${path}`;
  return file ? `${file} ${path || "(top level)"}` : path || "(top level)";
}

function describeIssue(issue: z.core.$ZodIssue, locate: Locate, origins: Map<string, KnownVariable>, file: string | undefined): string {
  const path = issue.path.map(String).join(".");
  if (issue.code === "unrecognized_keys") {
    return issue.keys
      .map((key) => {
        const field = path ? `${path}.${key}` : key;
        const allowed = allowedKeys(issue.path);
        const suggestion = closest(key, allowed);
        return `${where(field, locate, origins, file, true)}: unknown field "${key}"${suggestion ? ` — did you mean "${suggestion}"?` : ""} (allowed: ${allowed.join(", ")})`;
      })
      .join("\n  - ");
  }
  let message = issue.message;
  // The input itself is never echoed: it may be a secret.
  if (issue.code === "invalid_type") message = `expected ${issue.expected}${issue.input === undefined ? ", but it is missing" : `, not ${describeType(issue.input)}`}`;
  return `${where(path, locate, origins, file)}: ${message}`;
}

/** Field names allowed at a path of the schema, for "did you mean". */
function allowedKeys(path: readonly PropertyKey[]): string[] {
  let schema: unknown = configSchema;
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
  const s = unwrap(schema) as { def?: { type?: string; shape?: Record<string, unknown> } } | undefined;
  return s?.def?.type === "object" ? s.def.shape : undefined;
}

function child(schema: unknown, key: PropertyKey): unknown {
  const s = unwrap(schema) as { def?: { type?: string; element?: unknown } } | undefined;
  if (s?.def?.type === "array") return s.def.element;
  return objectShape(s)?.[String(key)];
}

function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return typeof value === "object" ? "a mapping" : `a ${typeof value}`;
}
