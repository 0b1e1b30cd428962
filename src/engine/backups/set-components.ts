import { readFile } from "node:fs/promises";
import type { Config, MysqlTarget } from "../../config/load.js";
import { BackupError } from "../../domain/backups/backup-error.js";
import { componentNames, type Component, type ComponentName } from "../../domain/backups/manifest.js";
import type { BackupStorage } from "../../integrations/storage/storage.js";

/**
 * The components a set can hold, which of them this config can take, and how each is taken.
 * Client code (mysql2, ioredis, the Kubernetes client, tar) loads only for the components a set
 * holds.
 */

export type Compression = Config["backups"]["compression"];

/** Why a component cannot be taken with this config, or undefined when it can. */
export function componentSkipReason(config: Config, name: ComponentName): string | undefined {
  switch (name) {
    case "mysql":
      if (!config.targets.mysql) return "no MySQL target: set GAMEOPS_MYSQL_URL or targets.mysql.url";
      return config.targets.mysql.database ? undefined : "targets.mysql names no database: put it in the URL's path, like mysql://backup@db:3306/game";
    case "redis":
      return config.targets.redis ? undefined : "no Redis target: set GAMEOPS_REDIS_URL or targets.redis.url";
    case "kubernetes":
      if (!config.targets.kubernetes) return "no Kubernetes target: set targets.kubernetes (or GAMEOPS_KUBECONFIG)";
      return config.backups.kubernetes ? undefined : "not configured: add backups.kubernetes (with secretsKeyFile, or secrets: false)";
    case "files":
      return config.backups.files ? undefined : "not configured: list the paths in backups.files.paths";
  }
}

/**
 * What a set takes: those asked for (each must be configured), else `backups.components`, else
 * every configured one. An empty answer is refused: a set of nothing proves nothing.
 */
export function chooseComponents(config: Config, asked?: readonly string[]): ComponentName[] {
  const wanted = asked && asked.length > 0 ? asked : config.backups.components;
  if (wanted) {
    const unknown = wanted.filter((name) => !(componentNames as readonly string[]).includes(name));
    if (unknown.length > 0) throw new BackupError(`components: unknown ${unknown.map((n) => `"${n}"`).join(", ")}; choose from ${componentNames.join(", ")}`);
    const chosen = componentNames.filter((name) => wanted.includes(name));
    const problems = chosen.flatMap((name) => {
      const reason = componentSkipReason(config, name);
      return reason ? [`${name}: ${reason}`] : [];
    });
    if (problems.length > 0) throw new BackupError(`cannot back up ${problems.join("; ")}`);
    return chosen;
  }
  const configured = componentNames.filter((name) => componentSkipReason(config, name) === undefined);
  if (configured.length === 0)
    throw new BackupError("nothing to back up: configure at least one of targets.mysql (GAMEOPS_MYSQL_URL), targets.redis (GAMEOPS_REDIS_URL), backups.kubernetes or backups.files");
  return configured;
}

export interface TakeComponentOptions {
  config: Config;
  storage: BackupStorage;
  setId: string;
  signal: AbortSignal;
  /** Uncompressed bytes read from the source so far (mysql and files report it), and about how many there will be, where known. */
  onBytes?: (bytes: number, expected?: number) => void;
}

const extension = (compression: Compression) => (compression === "zstd" ? "zst" : "gz");

export async function takeComponent(name: ComponentName, options: TakeComponentOptions): Promise<Component> {
  const { config, storage, setId, signal } = options;
  const compression = config.backups.compression;
  switch (name) {
    case "mysql": {
      const { dumpDatabase, dumpFileName, estimateDumpBytes } = await import("../../integrations/mysql/dump.js");
      const onBytes = options.onBytes;
      const expected = onBytes ? await estimateDumpBytes(config.targets.mysql!, signal) : undefined;
      return dumpDatabase({
        target: config.targets.mysql!,
        storage,
        key: `${setId}/${dumpFileName(compression)}`,
        compression,
        signal,
        ...(onBytes ? { onProgress: (bytes: number) => onBytes(bytes, expected) } : {}),
      });
    }
    case "redis": {
      const { dumpRdb } = await import("../../integrations/redis/rdb-backup.js");
      return (await dumpRdb({ target: config.targets.redis!, storage, key: `${setId}/dump.rdb.${extension(compression)}`, compression, signal })).component;
    }
    case "kubernetes": {
      const settings = config.backups.kubernetes!;
      const { backupKubernetesObjects } = await import("../../integrations/kubernetes/objects-backup.js");
      return backupKubernetesObjects({
        cluster: await openCluster(config),
        namespace: settings.namespace ?? config.targets.kubernetes!.namespace,
        storage,
        prefix: setId,
        compression,
        secretsKey: settings.secrets ? await readSecretsKey(config) : undefined,
        includeSecrets: settings.secrets,
        signal,
      });
    }
    case "files": {
      const { backupFiles } = await import("../../integrations/files/tar-backup.js");
      return backupFiles({
        paths: config.backups.files!.paths,
        storage,
        key: `${setId}/files.tar.${extension(compression)}`,
        compression,
        signal,
        ...(options.onBytes ? { onProgress: options.onBytes } : {}),
      });
    }
  }
}

export async function openCluster(config: Config) {
  const target = config.targets.kubernetes;
  if (!target) throw new BackupError("no Kubernetes target: set targets.kubernetes (or GAMEOPS_KUBECONFIG)");
  const { openKubernetesCluster } = await import("../../integrations/kubernetes/client-node-cluster.js");
  return openKubernetesCluster(target, { timeoutMs: 30_000 });
}

/** The key Secrets are sealed with, read when used: a rotated key file needs no restart. */
export async function readSecretsKey(config: Config): Promise<Buffer> {
  const path = config.backups.kubernetes?.secretsKeyFile;
  const how = "create one with `openssl rand -base64 32 > backup.key && chmod 600 backup.key` and keep a copy outside the backups";
  if (!path) throw new BackupError(`backups.kubernetes.secretsKeyFile is not set: Secrets are only backed up sealed with a key; ${how}, or set backups.kubernetes.secrets: false`);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new BackupError(`backups.kubernetes.secretsKeyFile: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? "error"}); ${how}`);
  }
  const { parseBackupKey } = await import("../../domain/backups/secret-box.js");
  return parseBackupKey(text, `backups.kubernetes.secretsKeyFile (${path})`);
}

/** The MySQL target a restore or a scratch database goes to: the configured one. */
export function mysqlTargetOf(config: Config): MysqlTarget {
  const target = config.targets.mysql;
  if (!target?.database) throw new BackupError(componentSkipReason(config, "mysql")!);
  return target;
}
