import { z } from "zod";
import type { Secret } from "../../config/secret.js";
import { AdminApi } from "./admin-api.js";
import { onEachServer, selectServers, summarize } from "./each-server.js";
import { FleetError } from "./errors.js";
import type {
  Broadcasted,
  CallOptions,
  CpuProfile,
  FleetFault,
  FleetServer,
  FleetSessions,
  FleetStatus,
  GameFleet,
  HeapSnapshot,
  Injected,
  InjectOptions,
  Restarted,
  Scaled,
  ScopedOptions,
} from "./fleet.js";
import { fetchText } from "./request.js";

export interface LocalFleetTarget {
  /** The demo fleet supervisor's control endpoint. */
  url: string;
  token?: Secret;
}

const memberSchema = z.object({
  id: z.string(),
  region: z.string(),
  url: z.string(),
  state: z.enum(["up", "down"]),
  pid: z.number().optional(),
  exit: z.string().optional(),
});
type Member = z.output<typeof memberSchema> & { server: string };

const listSchema = z.object({ servers: z.array(memberSchema), maintenance: z.object({ on: z.boolean(), message: z.string().optional() }) });

const controlTimeoutMs = 5000;
/** A restart waits for the new process to listen: under tsx on a busy machine that takes seconds. */
const restartTimeoutMs = 60_000;

/**
 * The demo fleet of `gameops up --demo`: the list of servers and restarts from its supervisor's
 * control endpoint, everything else from each server's admin API, on loopback.
 */
export class LocalFleet implements GameFleet {
  readonly kind = "local" as const;
  readonly label: string;
  private readonly base: URL;

  constructor(private readonly target: LocalFleetTarget) {
    this.base = new URL(target.url.endsWith("/") ? target.url : `${target.url}/`);
    this.label = `the demo fleet at ${this.base.origin}`;
  }

  private get authorization(): Record<string, string> {
    return this.target.token ? { Authorization: `Bearer ${this.target.token.reveal()}` } : {};
  }

  private async control<T>(method: "GET" | "POST" | "PUT", path: string, body: unknown, what: string, schema: z.ZodType<T>, options: CallOptions, timeoutMs = controlTimeoutMs): Promise<T> {
    const answer = await fetchText({
      method,
      url: new URL(path, this.base),
      headers: { ...this.authorization, Accept: "application/json", ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      what,
      timeoutMs: options.timeoutMs ?? timeoutMs,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    let parsed: unknown;
    try {
      parsed = JSON.parse(answer.text);
    } catch {
      throw new FleetError("bad-answer", `${what}: ${this.base.origin} did not answer JSON; is it the demo fleet's control endpoint (GAMEOPS_FLEET_URL)?`, { status: answer.status });
    }
    if (answer.status !== 200) {
      const message = (parsed as { message?: unknown })?.message;
      const said = typeof message === "string" ? message : `HTTP ${answer.status}`;
      if (answer.status === 401) {
        throw new FleetError("unauthorized", `${what}: the demo fleet refused the token; set GAMEOPS_FLEET_TOKEN to the token in <data>/demo-fleet/fleet.json`, { status: 401 });
      }
      if (answer.status === 404 && (parsed as { error?: unknown })?.error === "unknown-server") throw new FleetError("unknown-server", said, { status: 404 });
      throw new FleetError(answer.status >= 500 ? "unavailable" : "refused", `${what}: ${said}`, { status: answer.status });
    }
    const result = schema.safeParse(parsed);
    if (!result.success) throw new FleetError("bad-answer", `${what}: unexpected answer from ${this.base.origin}; is it the demo fleet's control endpoint?`);
    return result.data;
  }

  private async members(options: CallOptions): Promise<{ servers: Member[]; maintenance: { on: boolean; message?: string } }> {
    const list = await this.control("GET", "servers", undefined, `listing the servers of ${this.label}`, listSchema, options);
    return { servers: list.servers.map((m) => ({ ...m, server: m.id })), maintenance: list.maintenance };
  }

  private admin(member: Member): AdminApi {
    const base = new URL(`${member.url.replace(/\/$/, "")}/`);
    return new AdminApi(member.server, { url: (path) => new URL(path, base), headers: this.authorization });
  }

  /** The servers of a scope that are up: a server that is down has no one to ask. */
  private async upServers(options: ScopedOptions): Promise<Member[]> {
    const { servers } = await this.members(options);
    return selectServers(servers, options.scope, this.label).filter((m) => m.state === "up");
  }

  private async one(server: string, options: CallOptions): Promise<Member> {
    const { servers } = await this.members(options);
    const [member] = selectServers(servers, { server }, this.label);
    if (member!.state !== "up") throw new FleetError("unavailable", `${server} is down (${member!.exit ?? "not running"}); restart it first`, { server });
    return member!;
  }

  async status(options: ScopedOptions = {}): Promise<FleetStatus> {
    const { servers, maintenance } = await this.members(options);
    const selected = selectServers(servers, options.scope, this.label);
    const described = await Promise.all(
      selected.map(async (m): Promise<FleetServer> => {
        if (m.state !== "up") return { server: m.server, address: m.url, up: false, problem: m.exit ?? "not running" };
        try {
          return { server: m.server, address: m.url, up: true, status: await this.admin(m).status(options) };
        } catch (error) {
          return { server: m.server, address: m.url, up: false, problem: (error as Error).message, ...(m.pid ? { pid: m.pid } : {}) };
        }
      }),
    );
    return { kind: this.kind, label: this.label, servers: described, desired: servers.length, maintenance, ...summarize(described) };
  }

  async sessions(options: ScopedOptions = {}): Promise<FleetSessions> {
    const servers = await onEachServer(await this.upServers(options), `listing sessions of ${this.label}`, (m) => this.admin(m).sessions(options));
    return { count: servers.reduce((sum, s) => sum + s.count, 0), servers };
  }

  async setMaintenance(on: boolean, message?: string, options: ScopedOptions = {}): Promise<FleetServer[]> {
    // The fleet-wide switch first: a server restarted while this runs comes up as asked.
    if (!options.scope) {
      const body = { on, ...(message ? { message } : {}) };
      await this.control("PUT", "maintenance", body, `setting the maintenance switch of ${this.label}`, z.unknown(), options);
    }
    const servers = await this.upServers(options);
    const statuses = await onEachServer(servers, `turning maintenance ${on ? "on" : "off"}`, (m) => this.admin(m).setMaintenance(on, message, options));
    return statuses.map((status, i) => ({ server: servers[i]!.server, address: servers[i]!.url, up: true, status }));
  }

  async setAcceptingSessions(on: boolean, options: ScopedOptions = {}): Promise<FleetServer[]> {
    const servers = await this.upServers(options);
    const statuses = await onEachServer(servers, `${on ? "accepting" : "refusing"} new sessions`, (m) => this.admin(m).setAccepting(on, options));
    return statuses.map((status, i) => ({ server: servers[i]!.server, address: servers[i]!.url, up: true, status }));
  }

  async broadcast(message: string, options: ScopedOptions = {}): Promise<Broadcasted> {
    const servers = await this.upServers(options);
    const sent = await onEachServer(servers, "broadcasting", (m) => this.admin(m).broadcast(message, options));
    const perServer = sent.map((s, i) => ({ server: servers[i]!.server, delivered: s.delivered }));
    return { delivered: perServer.reduce((sum, s) => sum + s.delivered, 0), servers: perServer };
  }

  async restart(server: string | undefined, options: CallOptions = {}): Promise<Restarted> {
    const { servers } = await this.members(options);
    const selected = server === undefined ? servers : selectServers(servers, { server }, this.label);
    const before = selected.map((m) => ({ server: m.server, ...(m.pid ? { pid: m.pid } : {}) }));
    const after = [];
    // One at a time, so the rest of the fleet keeps the players while one restarts.
    for (const m of selected) {
      const { server: restarted } = await this.control(
        "POST",
        `servers/${encodeURIComponent(m.server)}/restart`,
        {},
        `restarting ${m.server}`,
        z.object({ server: memberSchema }),
        options,
        restartTimeoutMs,
      );
      after.push({ server: restarted.id, ...(restarted.pid ? { pid: restarted.pid } : {}) });
    }
    return { before, after };
  }

  async scale(size: number, options: CallOptions = {}): Promise<Scaled> {
    const { servers: current } = await this.members(options);
    const { servers } = await this.control("POST", "scale", { size }, `scaling ${this.label} to ${size} servers`, z.object({ servers: z.array(memberSchema) }), options, restartTimeoutMs * Math.max(1, size - current.length));
    return { from: current.length, to: servers.length, servers: servers.map((m) => ({ server: m.id, ...(m.pid ? { pid: m.pid } : {}) })) };
  }

  async inject(server: string, fault: FleetFault, durationMs: number, options: InjectOptions = {}): Promise<Injected> {
    return this.admin(await this.one(server, options)).inject(fault, durationMs, options.thread, options);
  }

  async profile(server: string, durationMs: number, options: CallOptions = {}): Promise<CpuProfile> {
    const { timeoutMs: _ignored, ...rest } = options;
    const member = await this.one(server, rest);
    return this.admin(member).profile(durationMs, options);
  }

  async heapSnapshot(server: string, options: CallOptions = {}): Promise<HeapSnapshot> {
    const { timeoutMs: _ignored, ...rest } = options;
    const member = await this.one(server, rest);
    return this.admin(member).heapSnapshot(options);
  }
}
