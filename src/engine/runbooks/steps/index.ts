import type { StepKind } from "../step-kind.js";

/** The kinds that are StepKinds; check, wait, approve and runbook steps are run by the executor itself. */
export type StepKindModuleName = "shell" | "sql" | "redis" | "http" | "k8s" | "fleet" | "notify" | "backup" | "db_maintenance";

/**
 * Each kind's module is its StepKind, loaded only when a runbook uses it: a runbook of shell
 * steps never loads the Kubernetes client, mysql2 or ioredis.
 */
export const stepKinds: Record<StepKindModuleName, () => Promise<StepKind>> = {
  shell: () => import("./shell.js"),
  sql: () => import("./sql.js"),
  redis: () => import("./redis.js"),
  http: () => import("./http.js"),
  k8s: () => import("./k8s.js"),
  fleet: () => import("./fleet.js"),
  notify: () => import("./notify.js"),
  backup: () => import("./backup.js"),
  db_maintenance: () => import("./db-maintenance.js"),
};
