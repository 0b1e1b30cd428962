import { FleetError, FleetPartialFailure } from "./errors.js";
import type { FleetServer, FleetStatus, ServerScope, ServerStatus } from "./fleet.js";

/**
 * Does `work` on every server at once and returns the results in order. When some fail, the
 * others still did it: the error says which changed and which did not. One server failing alone
 * throws its own error.
 */
export async function onEachServer<S extends { server: string }, R>(servers: S[], what: string, work: (server: S) => Promise<R>): Promise<R[]> {
  const settled = await Promise.allSettled(servers.map(work));
  const failed = settled.flatMap((s, i) => (s.status === "rejected" ? [{ server: servers[i]!.server, error: asFleetError(s.reason, servers[i]!.server) }] : []));
  if (failed.length === 0) return settled.map((s) => (s as PromiseFulfilledResult<R>).value);
  if (servers.length === 1) throw failed[0]!.error;
  const changed = settled.flatMap((s, i) => (s.status === "fulfilled" ? [servers[i]!.server] : []));
  throw new FleetPartialFailure(changed, failed, what);
}

export function asFleetError(error: unknown, server?: string): FleetError {
  if (error instanceof FleetError) return error;
  return new FleetError("unavailable", `${server ?? "fleet"}: ${(error as Error)?.message ?? String(error)}`, { ...(server ? { server } : {}), cause: error });
}

/**
 * The servers a scope names. A server asked for by name that is not there is an error with the
 * ones that are; a region with no server too — an empty selection would make a step "succeed"
 * without touching anything.
 */
export function selectServers<S extends { server: string; region?: string }>(servers: S[], scope: ServerScope | undefined, fleet: string): S[] {
  if (scope?.server !== undefined) {
    const found = servers.filter((s) => s.server === scope.server);
    if (found.length === 0) {
      throw new FleetError("unknown-server", `no server "${scope.server}" in ${fleet}; it has ${servers.length > 0 ? servers.map((s) => s.server).join(", ") : "no servers"}`, { server: scope.server });
    }
    return found;
  }
  if (scope?.region !== undefined) {
    const found = servers.filter((s) => s.region === scope.region);
    if (found.length === 0) {
      const regions = [...new Set(servers.map((s) => s.region).filter((r): r is string => r !== undefined))];
      throw new FleetError("unknown-server", `no server in region "${scope.region}" in ${fleet}; its regions: ${regions.length > 0 ? regions.join(", ") : "none"}`);
    }
    return found;
  }
  return servers;
}

/** The fleet-wide figures of a status: players, and the hottest and largest server among those up. */
export function summarize(servers: FleetServer[]): Pick<FleetStatus, "players" | "hottest" | "largest"> {
  const up = servers.flatMap((s) => (s.up ? [s.status] : []));
  const max = (pick: (s: ServerStatus) => number) => up.reduce<ServerStatus | undefined>((best, s) => (best === undefined || pick(s) > pick(best) ? s : best), undefined);
  const hottest = max((s) => s.cpuPercent);
  const largest = max((s) => s.memory.rssBytes);
  return {
    players: up.reduce((sum, s) => sum + s.players, 0),
    ...(hottest ? { hottest: { server: hottest.server, cpuPercent: hottest.cpuPercent } } : {}),
    ...(largest ? { largest: { server: largest.server, rssBytes: largest.memory.rssBytes } } : {}),
  };
}
