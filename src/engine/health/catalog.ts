import type { Config } from "../../config/load.js";
import { checkNames, type CheckName } from "../../config/schema.js";
import { componentNames } from "../../domain/backups/manifest.js";
import { componentSkipReason } from "../backups/set-components.js";
import type { CheckModule } from "./check.js";

interface CatalogEntry {
  title: string;
  /** Why the check cannot run with this config, or undefined when it can. Cheap: no imports. */
  skipReason(config: Config): string | undefined;
  /** Loaded only when the check runs, so `--only redis` never pays for the Kubernetes client. */
  load(): Promise<CheckModule>;
}

export const catalog: Record<CheckName, CatalogEntry> = {
  mysql: {
    title: "MySQL / MariaDB",
    skipReason: (c) => (c.targets.mysql ? undefined : "not configured: set GAMEOPS_MYSQL_URL or targets.mysql.url"),
    load: () => import("./mysql-check.js"),
  },
  redis: {
    title: "Redis",
    skipReason: (c) => (c.targets.redis ? undefined : "not configured: set GAMEOPS_REDIS_URL or targets.redis.url"),
    load: () => import("./redis-check.js"),
  },
  disk: {
    title: "Disks",
    skipReason: () => undefined,
    load: () => import("./disk-check.js"),
  },
  logs: {
    title: "Error logs",
    skipReason: (c) =>
      c.targets.logs.length > 0 ? undefined : "not configured: set GAMEOPS_LOG_FILES or targets.logs",
    load: () => import("./logs-check.js"),
  },
  alerts: {
    title: "Active alerts",
    skipReason: (c) =>
      c.targets.alertmanager ? undefined : "not configured: set GAMEOPS_ALERTMANAGER_URL or targets.alertmanager.url",
    load: () => import("./alerts-check.js"),
  },
  kubernetes: {
    title: "Kubernetes",
    skipReason: (c) =>
      c.targets.kubernetes ? undefined : "not configured: set GAMEOPS_KUBECONFIG and GAMEOPS_K8S_NAMESPACE or targets.kubernetes",
    load: () => import("./kubernetes-check.js"),
  },
  backups: {
    title: "Backups",
    skipReason: (c) =>
      componentNames.some((name) => componentSkipReason(c, name) === undefined) ? undefined : "nothing to back up: set GAMEOPS_MYSQL_URL or GAMEOPS_REDIS_URL, or configure backups",
    load: () => import("./backups-check.js"),
  },
};

export function isCheckName(name: string): name is CheckName {
  return (checkNames as readonly string[]).includes(name);
}
