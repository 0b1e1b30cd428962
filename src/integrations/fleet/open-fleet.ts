import type { Config } from "../../config/load.js";
import { FleetError } from "./errors.js";
import type { GameFleet } from "./fleet.js";

export const notConfigured = "no game fleet configured: set GAMEOPS_FLEET_URL (the demo fleet of `gameops up --demo`) or targets.fleet in gameops.yaml";

/** Where the configured fleet is, safe to print, without loading anything: for plans and prompts. */
export function fleetLabel(config: Config): string | undefined {
  const target = config.targets.fleet;
  if (!target) return undefined;
  if (target.kind === "local") return `the demo fleet at ${new URL(target.url).origin}`;
  const namespace = target.namespace ?? config.targets.kubernetes?.namespace ?? "default";
  return `deployment/${target.deployment} in namespace ${namespace}`;
}

/** The configured fleet; only its implementation is loaded (the Kubernetes client for `kubernetes`). */
export async function openFleet(config: Config): Promise<GameFleet> {
  const target = config.targets.fleet;
  if (!target) throw new FleetError("config", notConfigured);
  if (target.kind === "local") {
    const { LocalFleet } = await import("./local-fleet.js");
    return new LocalFleet(target);
  }
  const { KubernetesFleet } = await import("./kubernetes-fleet.js");
  return new KubernetesFleet(target, config.targets.kubernetes ?? {});
}
