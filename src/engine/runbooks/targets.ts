import type { Config } from "../../config/load.js";
import type { Runbook, RunbookTarget } from "../../domain/runbooks/schema.js";

const howToConfigure: Record<RunbookTarget, string> = {
  mysql: "set GAMEOPS_MYSQL_URL or targets.mysql.url",
  redis: "set GAMEOPS_REDIS_URL or targets.redis.url",
  kubernetes: "set GAMEOPS_KUBECONFIG and GAMEOPS_K8S_NAMESPACE or targets.kubernetes",
  alertmanager: "set GAMEOPS_ALERTMANAGER_URL or targets.alertmanager.url",
  prometheus: "set GAMEOPS_PROMETHEUS_URL or targets.prometheus.url",
  fleet: "set GAMEOPS_FLEET_URL or targets.fleet, or start the demo fleet with `gameops up --demo`",
};

/** The declared targets this config lacks, each with how to configure it; empty when the run may start. */
export function missingTargets(runbook: Runbook, config: Config): string[] {
  return runbook.targets
    .filter((target) => config.targets[target] === undefined)
    .map((target) => `runbook "${runbook.name}" needs the ${target} target: ${howToConfigure[target]}`);
}
