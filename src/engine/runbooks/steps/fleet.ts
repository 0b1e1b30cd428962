import { setTimeout as sleep } from "node:timers/promises";
import type { Config } from "../../../config/load.js";
import { formatDuration } from "../../../config/duration.js";
import type { StepSpec } from "../../../domain/runbooks/schema.js";
import { hottestFunctions } from "../../../integrations/fleet/cpu-profile.js";
import { FleetError, FleetPartialFailure } from "../../../integrations/fleet/errors.js";
import type { FleetSessions, GameFleet, ScopedOptions, ServerScope } from "../../../integrations/fleet/fleet.js";
import { fleetLabel, notConfigured, openFleet } from "../../../integrations/fleet/open-fleet.js";
import { StepFailure, type RenderedAction, type StepContext, type StepResult } from "../step-kind.js";

type FleetSpec = StepSpec<"fleet">;

/** The module is the StepKind (loaded lazily by ./index.ts). */
export const kind = "fleet";

const readOnly = new Set<FleetSpec["action"]>(["status", "sessions", "profile", "heap-snapshot"]);
const defaultDrainMs = 5 * 60_000;
const defaultFaultMs = 60_000;
const defaultProfileMs = 10_000;
/** How often a drain looks at the sessions. */
const drainPollMs = 2000;
/** A heap snapshot larger than this is not kept with the run. */
const maxSnapshotBytes = 1024 * 1024 * 1024;

function scopeOf(spec: FleetSpec): ServerScope | undefined {
  if (spec.server) return { server: spec.server };
  if (spec.region) return { region: spec.region };
  return undefined;
}

function scopeText(spec: FleetSpec): string {
  if (spec.server) return spec.server;
  if (spec.region) return `the servers of region ${spec.region}`;
  return "every server";
}

/** `enabled` after rendering: a boolean, or the text of one (`${{ params.on }}` renders to a string inside a longer template). */
function enabledOf(spec: FleetSpec): boolean | undefined {
  const value = spec.enabled;
  if (value === undefined || typeof value === "boolean") return value;
  const text = value.trim().toLowerCase();
  if (["true", "on", "yes"].includes(text)) return true;
  if (["false", "off", "no"].includes(text)) return false;
  throw new StepFailure(`fleet ${spec.action}: enabled must be true or false, not "${value}"`, { retryable: false });
}

function replicasOf(spec: FleetSpec): number {
  const value = typeof spec.replicas === "string" ? Number(spec.replicas.trim()) : spec.replicas;
  if (value === undefined || !Number.isInteger(value) || value < 0) {
    throw new StepFailure(`fleet scale: replicas must be a whole number of servers, not ${spec.replicas === undefined ? "missing" : `"${spec.replicas}"`}`, { retryable: false });
  }
  return value;
}

function summary(spec: FleetSpec): string {
  const on = (() => {
    try {
      return enabledOf(spec);
    } catch {
      return undefined;
    }
  })();
  const scope = scopeText(spec);
  switch (spec.action) {
    case "status":
      return `status of ${scope}: players, CPU, memory, maintenance`;
    case "sessions":
      return `list the sessions on ${scope}`;
    case "maintenance":
      return on === false ? `maintenance mode off on ${scope}` : `maintenance mode on for ${scope}, kicking players${spec.message ? ` with "${spec.message}"` : ""}`;
    case "accept-sessions":
      return on === false ? `stop accepting new sessions on ${scope}` : `accept new sessions on ${scope}`;
    case "broadcast":
      return `broadcast "${spec.message ?? ""}" to the players on ${scope}`;
    case "restart":
      return spec.server ? `restart ${spec.server} (a new process)` : "restart every server, one at a time";
    case "drain":
      return `drain ${scope}: stop accepting new sessions, then wait up to ${formatDuration(spec.duration ?? defaultDrainMs)} for the sessions to end`;
    case "inject":
      return `drill: inject ${spec.fault ?? "?"} into ${spec.server ?? "?"}${spec.fault === "none" ? " (clear every fault)" : ` for ${formatDuration(spec.duration ?? defaultFaultMs)}`}`;
    case "profile":
      return `CPU profile of ${spec.server ?? "?"} for ${formatDuration(spec.duration ?? defaultProfileMs)}, kept with the run`;
    case "heap-snapshot":
      return `heap snapshot of ${spec.server ?? "?"}, kept with the run`;
    case "scale":
      return `scale the fleet to ${spec.replicas ?? "?"} servers`;
  }
}

export function describe(spec: FleetSpec, config: Config): RenderedAction {
  const detail = Object.fromEntries(Object.entries(spec).filter(([, v]) => v !== undefined));
  return {
    summary: `fleet: ${summary(spec)}`,
    detail,
    target: fleetLabel(config) ?? "fleet (not configured)",
    destructive: !readOnly.has(spec.action),
  };
}

function failure(error: unknown): StepFailure {
  if (error instanceof StepFailure) return error;
  if (error instanceof FleetPartialFailure) {
    return new StepFailure(error.message, { retryable: error.retryable, outputs: { changed: error.changed, failed: error.failed.map((f) => ({ server: f.server, error: f.error.message })) }, cause: error });
  }
  if (error instanceof FleetError) return new StepFailure(error.message, { retryable: error.retryable, cause: error });
  return new StepFailure((error as Error)?.message ?? String(error), { retryable: false, cause: error });
}

function needsServer(spec: FleetSpec): string {
  if (!spec.server) throw new StepFailure(`fleet ${spec.action} acts on one server: name it with \`server:\`, e.g. server: "\${{ steps.status.outputs.hottest.server }}"`, { retryable: false });
  return spec.server;
}

async function collect(chunks: AsyncIterable<Uint8Array>, server: string): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of chunks) {
    size += chunk.byteLength;
    if (size > maxSnapshotBytes) throw new StepFailure(`heap snapshot of ${server} is larger than ${maxSnapshotBytes / 1024 / 1024} MiB; take it with the inspector directly`, { retryable: false });
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}

const listed = (sessions: FleetSessions) =>
  sessions.servers
    .filter((s) => s.count > 0)
    .map((s) => `${s.server} ${s.count}`)
    .join(", ");

/** Stop new sessions, then wait for the sessions there are to end: the seed's `sleep 300`, done right. */
async function drain(fleet: GameFleet, spec: FleetSpec, context: StepContext, options: ScopedOptions): Promise<StepResult> {
  const deadlineMs = spec.duration ?? defaultDrainMs;
  const started = context.now().getTime();
  await fleet.setAcceptingSessions(false, options);
  context.log(`not accepting new sessions on ${scopeText(spec)}; waiting up to ${formatDuration(deadlineMs)} for the sessions to end`);
  for (;;) {
    const sessions = await fleet.sessions(options);
    const waitedMs = context.now().getTime() - started;
    if (sessions.count === 0) {
      context.log(`drained after ${formatDuration(waitedMs)}`);
      return { outputs: { drained: true, count: 0, waitedMs, servers: sessions.servers.map((s) => ({ server: s.server, count: 0 })) } };
    }
    if (waitedMs >= deadlineMs) {
      const still = sessions.servers.filter((s) => s.count > 0);
      throw new StepFailure(
        `drain: ${sessions.count} sessions still on after ${formatDuration(waitedMs)}: ${still.map((s) => `${s.server} (${s.sessions.slice(0, 5).map((x) => x.player).join(", ")}${s.count > 5 ? ", …" : ""})`).join("; ")}`,
        { retryable: false, outputs: { drained: false, count: sessions.count, waitedMs, servers: sessions.servers } },
      );
    }
    context.log(`${sessions.count} sessions still on: ${listed(sessions)}`);
    await sleep(Math.min(drainPollMs, deadlineMs - waitedMs), undefined, { signal: context.signal });
  }
}

export async function execute(spec: FleetSpec, context: StepContext): Promise<StepResult> {
  if (!context.config.targets.fleet) throw new StepFailure(notConfigured, { retryable: false });
  const scope = scopeOf(spec);
  const options: ScopedOptions = { signal: context.signal, ...(scope ? { scope } : {}) };
  try {
    const fleet = await openFleet(context.config);
    switch (spec.action) {
      case "status": {
        const status = await fleet.status(options);
        const servers = status.servers.map((s) =>
          s.up
            ? {
                server: s.server,
                up: true,
                pid: s.status.pid,
                region: s.status.region,
                players: s.status.players,
                cpuPercent: s.status.cpuPercent,
                rssBytes: s.status.memory.rssBytes,
                heapUsedBytes: s.status.memory.heapUsedBytes,
                maintenance: s.status.maintenance.on,
                acceptingSessions: s.status.acceptingSessions,
                faults: s.status.faults.map((f) => f.fault),
                errorsTotal: s.status.errorsTotal,
              }
            : { server: s.server, up: false, problem: s.problem },
        );
        for (const s of servers) {
          context.log(s.up ? `${s.server}: pid ${s.pid}, ${s.players} players, CPU ${s.cpuPercent} %, ${Math.round((s.rssBytes ?? 0) / 1048576)} MiB${s.maintenance ? ", maintenance" : ""}` : `${s.server}: down (${s.problem})`);
        }
        return {
          outputs: {
            label: status.label,
            desired: status.desired,
            up: servers.filter((s) => s.up).length,
            players: status.players,
            maintenance: status.maintenance.on,
            servers,
            ...(status.hottest ? { hottest: status.hottest } : {}),
            ...(status.largest ? { largest: status.largest } : {}),
            ...(status.service ? { service: status.service } : {}),
          },
        };
      }
      case "sessions": {
        const sessions = await fleet.sessions(options);
        context.log(`${sessions.count} sessions${sessions.count > 0 ? `: ${listed(sessions)}` : ""}`);
        return { outputs: { count: sessions.count, servers: sessions.servers } };
      }
      case "maintenance":
      case "accept-sessions": {
        const on = enabledOf(spec);
        if (on === undefined) throw new StepFailure(`fleet ${spec.action} needs enabled: true or false`, { retryable: false });
        const servers =
          spec.action === "maintenance" ? await fleet.setMaintenance(on, spec.message, options) : await fleet.setAcceptingSessions(on, options);
        context.log(`${spec.action === "maintenance" ? "maintenance mode" : "accepting new sessions"} ${on ? "on" : "off"} on ${servers.map((s) => s.server).join(", ") || "no server up"}`);
        return {
          outputs: {
            enabled: on,
            servers: servers.map((s) => (s.up ? { server: s.server, maintenance: s.status.maintenance.on, acceptingSessions: s.status.acceptingSessions, players: s.status.players } : { server: s.server })),
          },
        };
      }
      case "broadcast": {
        if (!spec.message) throw new StepFailure("fleet broadcast needs a message", { retryable: false });
        const sent = await fleet.broadcast(spec.message, options);
        context.log(`delivered to ${sent.delivered} players on ${sent.servers.length} servers`);
        return { outputs: { delivered: sent.delivered, servers: sent.servers } };
      }
      case "restart": {
        const restarted = await fleet.restart(spec.server, { signal: context.signal });
        for (const [i, before] of restarted.before.entries()) {
          const after = restarted.after[i];
          if (after) context.log(`${before.server}${before.pid ? ` (pid ${before.pid})` : ""} → ${after.server}${after.pid ? ` (pid ${after.pid})` : ""}`);
        }
        return { outputs: { before: restarted.before, after: restarted.after } };
      }
      case "drain":
        return await drain(fleet, spec, context, options);
      case "inject": {
        const server = needsServer(spec);
        if (!spec.fault) throw new StepFailure("fleet inject needs a fault: cpu-burn, memory-growth, errors or none", { retryable: false });
        const injected = await fleet.inject(server, spec.fault, spec.duration ?? defaultFaultMs, { signal: context.signal });
        context.log(injected.until ? `${spec.fault} injected into ${server} until ${injected.until}` : `every fault cleared on ${server}`);
        return { outputs: { ...injected } };
      }
      case "profile": {
        const server = needsServer(spec);
        const durationMs = spec.duration ?? defaultProfileMs;
        context.log(`profiling the CPU of ${server} for ${formatDuration(durationMs)}`);
        const { profile } = await fleet.profile(server, durationMs, { signal: context.signal });
        const hottest = hottestFunctions(profile);
        const at = context.now().toISOString().replace(/[:.]/g, "-");
        const artifact = await context.saveArtifact(`${server}-${at}.cpuprofile`, JSON.stringify(profile), "application/json");
        for (const f of hottest) context.log(`${String(f.selfPercent).padStart(5)} %  ${f.function}${f.location ? `  ${f.location}` : ""}`);
        return { outputs: { server, artifact, durationMs, hottest, samples: Array.isArray(profile.samples) ? profile.samples.length : 0 } };
      }
      case "heap-snapshot": {
        const server = needsServer(spec);
        context.log(`taking a heap snapshot of ${server}`);
        const snapshot = await fleet.heapSnapshot(server, { signal: context.signal });
        const data = await collect(snapshot.chunks, server);
        const at = context.now().toISOString().replace(/[:.]/g, "-");
        const artifact = await context.saveArtifact(`${server}-${at}.heapsnapshot`, data, "application/json");
        context.log(`${Math.round(data.byteLength / 1048576)} MiB saved as artifact ${artifact}; open it in Chrome DevTools → Memory`);
        return { outputs: { server, artifact, bytes: data.byteLength } };
      }
      case "scale": {
        const scaled = await fleet.scale(replicasOf(spec), { signal: context.signal });
        context.log(`scaled from ${scaled.from} to ${scaled.to} servers: ${scaled.servers.map((s) => s.server).join(", ")}`);
        return { outputs: { ...scaled } };
      }
    }
  } catch (error) {
    throw failure(error);
  }
}
