import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, resolve } from "node:path";
import { ConfigError } from "./config-error.js";
import { readEnv, type EnvReader, type KnownVariable } from "./env.js";
import { inlineSecrets, resolvePagingSecrets, type PagingConfig } from "./paging-schema.js";
import { configSchema, type ConfigFile, type FleetTargetFile } from "./schema.js";
import { Secret } from "./secret.js";
import { allowedKeysOf, describeIssue, parseYamlSource, where, type Locate, type Place } from "./yaml-source.js";

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

type WithToken<T> = T extends unknown ? Omit<T, "tokenFile"> & { token?: Secret } : never;
/** The game fleet target, its admin token read from `tokenFile` or GAMEOPS_FLEET_TOKEN. */
export type FleetTarget = WithToken<FleetTargetFile>;

export type Config = Omit<ConfigFile, "targets" | "store" | "dataDir" | "paging"> & {
  /** The file it came from, if any. */
  source?: string;
  dataDir: string;
  store: { url?: Secret };
  targets: Omit<ConfigFile["targets"], "mysql" | "redis" | "fleet"> & { mysql?: MysqlTarget; redis?: RedisTarget; fleet?: FleetTarget };
  paging: PagingConfig;
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
    const at = place(located.locate, origins, path);
    throw new ConfigError(parsed.error.issues.map((issue) => describeIssue(issue, at, (p) => allowedKeysOf(configSchema, p))));
  }
  const file = parsed.data;
  const baseDir = path ? dirname(path) : options.cwd;
  const problems: string[] = [];
  const at = (p: string) => where(p, place(located.locate, origins, path));

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

  const { mysql, redis, fleet, ...otherTargets } = file.targets;
  const config: Config = {
    ...file,
    ...(path ? { source: path } : {}),
    dataDir: resolve(options.cwd, env.get("GAMEOPS_DATA") ?? file.dataDir ?? ".gameops"),
    store: file.store.url ? { url: new Secret(file.store.url) } : {},
    targets: { ...otherTargets },
    paging: resolvePagingSecrets(file.paging, readSecretFile),
  };
  for (const field of inlineSecrets(file.paging)) {
    if (!origins.has(field) && located.locate(field)) warnings.push(`${field} is written in the config file in clear; put it in a file and name that file instead (${field}File)`);
  }
  config.backups = withBackupPaths(file.backups, (p) => resolve(baseDir, p), config.dataDir);
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
  if (fleet) {
    const { tokenFile, ...where } = fleet;
    const fromEnv = env.get("GAMEOPS_FLEET_TOKEN");
    const token = tokenFile ? readSecretFile("targets.fleet.tokenFile", tokenFile) : fromEnv ? new Secret(fromEnv) : undefined;
    config.targets.fleet = { ...where, ...(token ? { token } : {}) };
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { config, warnings };
}

/** Paths relative to the config file; the local store under the data dir unless one is named. */
function withBackupPaths(backups: ConfigFile["backups"], fromFile: (p: string) => string, dataDir: string): ConfigFile["backups"] {
  const storage = backups.storage;
  return {
    ...backups,
    storage:
      storage.kind === "local"
        ? { kind: "local", directory: storage.directory === undefined ? resolve(dataDir, "backups") : fromFile(storage.directory) }
        : {
            ...storage,
            ...(storage.accessKeyIdFile ? { accessKeyIdFile: fromFile(storage.accessKeyIdFile) } : {}),
            ...(storage.secretAccessKeyFile ? { secretAccessKeyFile: fromFile(storage.secretAccessKeyFile) } : {}),
          },
    ...(backups.kubernetes?.secretsKeyFile ? { kubernetes: { ...backups.kubernetes, secretsKeyFile: fromFile(backups.kubernetes.secretsKeyFile) } } : {}),
    ...(backups.files ? { files: { paths: backups.files.paths.map(fromFile) } } : {}),
  };
}

function defaultPath(cwd: string): string | undefined {
  for (const name of ["gameops.yaml", "gameops.yml"]) {
    const p = resolve(cwd, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

function parseFile(path: string): { input: Record<string, unknown>; locate: Locate } {
  const { input, locate, issues } = parseYamlSource(readFileSync(path, "utf8"), path);
  if (issues.length > 0) throw new ConfigError(issues);
  const mapping = input ?? {};
  if (typeof mapping !== "object" || Array.isArray(mapping)) {
    throw new ConfigError([`${path}: the top level must be a mapping of settings (team:, targets:, thresholds:, …)`]);
  }
  return { input: mapping as Record<string, unknown>, locate };
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
  if (env.get("GAMEOPS_WEBHOOK_TOKEN") !== undefined) {
    bind("GAMEOPS_WEBHOOK_TOKEN", "paging.intake.token");
    // The variable wins over the file, tokenFile included.
    delete ((input.paging as Record<string, unknown>).intake as Record<string, unknown>).tokenFile;
  }
  bind("GAMEOPS_PUBLIC_URL", "paging.publicUrl");
  const logFiles = env.get("GAMEOPS_LOG_FILES");
  if (logFiles !== undefined) {
    const targets = (input.targets ??= {}) as Record<string, unknown>;
    const sources = Array.isArray(targets.logs) ? (targets.logs as Record<string, unknown>[]).filter((s) => s.name !== "env") : [];
    targets.logs = [...sources, { name: "env", files: list(logFiles) }];
    origins.set(`targets.logs.${sources.length}.files`, "GAMEOPS_LOG_FILES");
  }
  const fleetUrl = env.get("GAMEOPS_FLEET_URL");
  if (fleetUrl !== undefined) {
    const targets = (input.targets ??= {}) as Record<string, unknown>;
    const fromFile = targets.fleet as Record<string, unknown> | undefined;
    targets.fleet = fromFile?.kind === "local" ? { ...fromFile, url: fleetUrl } : { kind: "local", url: fleetUrl };
    origins.set("targets.fleet.url", "GAMEOPS_FLEET_URL");
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

function place(locate: Locate, origins: Map<string, KnownVariable>, file: string | undefined): Place {
  return {
    ...(file ? { file } : {}),
    locate,
    origin(path) {
      for (const [p, variable] of origins) if (path === p || path.startsWith(`${p}.`)) return `${variable} (${path})`;
      return undefined;
    },
  };
}
