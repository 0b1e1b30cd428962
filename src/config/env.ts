import { ConfigError } from "./config-error.js";

/**
 * Every environment variable gameops reads. Any of them may instead be given as `NAME_FILE`,
 * a path whose contents are the value (Docker/Kubernetes secrets style).
 */
export const knownVariables = {
  GAMEOPS_CONFIG: "path of gameops.yaml",
  GAMEOPS_DATA: "data directory (SQLite store, run history)",
  GAMEOPS_STORE_URL: "postgres://… store instead of the embedded SQLite file",
  GAMEOPS_MYSQL_URL: "mysql://user:pass@host:port/db",
  GAMEOPS_MYSQL_PASSWORD: "MySQL password (prefer GAMEOPS_MYSQL_PASSWORD_FILE)",
  GAMEOPS_REDIS_URL: "redis://[:pass@]host:port",
  GAMEOPS_REDIS_PASSWORD: "Redis password (prefer GAMEOPS_REDIS_PASSWORD_FILE)",
  GAMEOPS_ALERTMANAGER_URL: "Alertmanager base URL",
  GAMEOPS_PROMETHEUS_URL: "Prometheus base URL",
  GAMEOPS_LOG_FILES: "comma-separated globs of game-server log files",
  GAMEOPS_DISK_PATHS: "comma-separated mount points to check",
  GAMEOPS_KUBECONFIG: "kubeconfig path",
  GAMEOPS_K8S_CONTEXT: "kubeconfig context",
  GAMEOPS_K8S_NAMESPACE: "namespace of the game fleet",
  GAMEOPS_K8S_LABEL_SELECTOR: "label selector of the game pods",
  GAMEOPS_FLEET_URL: "control endpoint of a local demo fleet (printed by `gameops up --demo`)",
  GAMEOPS_FLEET_TOKEN: "admin token of the game fleet's admin API",
  GAMEOPS_TIME_ZONE: "team time zone (IANA)",
  GAMEOPS_HOST: "address `gameops up` listens on",
  GAMEOPS_PORT: "port `gameops up` listens on",
  GAMEOPS_URL: "a running gameops server the CLI talks to",
  GAMEOPS_TOKEN: "API token for GAMEOPS_URL",
  GAMEOPS_PERSON: "who a local CLI acts as (a known person id): starts runbook runs and answers approvals",
  GAMEOPS_ADMIN_TOKEN: "admin token to use instead of a generated one",
  GAMEOPS_LOG_LEVEL: "server log level (info, debug, …)",
  GAMEOPS_RUNBOOKS: "folder of your own runbooks (default: runbooks/ beside gameops.yaml)",
  GAMEOPS_WEBHOOK_TOKEN: "bearer token Alertmanager (or another alert source) sends to /webhooks/* (prefer GAMEOPS_WEBHOOK_TOKEN_FILE)",
  GAMEOPS_PUBLIC_URL: "base URL of the links in notifications (paging.publicUrl)",
} as const;

export type KnownVariable = keyof typeof knownVariables;

export interface EnvReader {
  get(name: KnownVariable): string | undefined;
  /** Names that look like ours but are not: a typo must never look green. */
  unknown(): { name: string; suggestion?: string }[];
}

export function readEnv(env: NodeJS.ProcessEnv, readFile: (path: string) => string): EnvReader {
  return {
    get(name) {
      const direct = env[name];
      if (direct !== undefined && direct !== "") return direct;
      const file = env[`${name}_FILE`];
      if (file) {
        try {
          return readFile(file).replace(/\r?\n$/, "");
        } catch (error) {
          throw new ConfigError([`${name}_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? "error"}); point it at a readable file`]);
        }
      }
      return undefined;
    },
    unknown() {
      const known = Object.keys(knownVariables);
      return Object.keys(env)
        .filter((n) => n.startsWith("GAMEOPS_"))
        .filter((n) => !known.includes(n) && !known.includes(n.replace(/_FILE$/, "")))
        .map((name) => {
          const suggestion = closest(name.replace(/_FILE$/, ""), known);
          return suggestion ? { name, suggestion } : { name };
        });
    },
  };
}

/** The nearest known name within a small edit distance, for "did you mean". */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 4)) + 1;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}
