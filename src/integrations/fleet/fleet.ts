/**
 * What gameops asks of a game fleet, in the operator's words. Two implementations: the local demo
 * fleet (local-fleet.ts) and a Deployment in Kubernetes (kubernetes-fleet.ts); open-fleet.ts picks
 * one from the config and loads only that one.
 *
 * Every call is bounded: by `timeoutMs` (each has a default) and by the caller's `signal`.
 * Failures are FleetErrors that say whether trying again may help.
 */

export type FleetFault = "cpu-burn" | "memory-growth" | "errors" | "none";

export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** Which servers: all by default, one by its id (a pod's name on Kubernetes), or one region. */
export interface ServerScope {
  server?: string;
  region?: string;
}

export interface ScopedOptions extends CallOptions {
  scope?: ServerScope;
}

/** What one game server says about itself (its admin API's `/admin/status`). */
export interface ServerStatus {
  server: string;
  region: string;
  pid: number;
  version: string;
  startedAt: string;
  uptimeSeconds: number;
  players: number;
  maintenance: { on: boolean; message?: string; since?: string };
  /** Its own switch; `acceptingSessions` is whether a player gets in now (not in maintenance too). */
  accepting: boolean;
  acceptingSessions: boolean;
  faults: { fault: string; until: string; thread?: string }[];
  /** The whole process (all threads) over the last few seconds, in percent of one core. */
  cpuPercent: number;
  memory: { rssBytes: number; heapUsedBytes: number; leakedBytes: number };
  errorsTotal: number;
}

/** A server of the fleet: up with its status, or down/unreachable with the reason. */
export type FleetServer =
  | { server: string; address: string; up: true; status: ServerStatus }
  | { server: string; address: string; up: false; problem: string; pid?: number };

export interface FleetStatus {
  kind: "local" | "kubernetes";
  /** Where the fleet is, safe to print. */
  label: string;
  servers: FleetServer[];
  /** Servers the fleet should have (the supervisor's size, the Deployment's replicas). */
  desired: number;
  /** The fleet-wide maintenance switch new servers start with (the supervisor's, the ConfigMap's). */
  maintenance: { on: boolean; message?: string };
  players: number;
  /** The busiest and the biggest server among those up: where a CPU or memory runbook looks first. */
  hottest?: { server: string; cpuPercent: number };
  largest?: { server: string; rssBytes: number };
  /** Kubernetes: whether the Service answers through the API server's proxy. */
  service?: { name: string; reachable: boolean; problem?: string };
}

export interface Session {
  id: string;
  player: string;
  joinedAt: string;
}

export interface FleetSessions {
  count: number;
  servers: { server: string; region: string; count: number; sessions: Session[] }[];
}

export interface Broadcasted {
  delivered: number;
  servers: { server: string; delivered: number }[];
}

/** A server as it was and as it is after a restart: another pid (and another pod on Kubernetes). */
export interface FleetMember {
  server: string;
  pid?: number;
}

export interface Restarted {
  before: FleetMember[];
  after: FleetMember[];
}

export interface Scaled {
  from: number;
  to: number;
  servers: FleetMember[];
}

export interface Injected {
  server: string;
  fault: FleetFault;
  /** When it ends; absent for `none` (every fault cleared). */
  until?: string;
}

export interface InjectOptions extends CallOptions {
  /** cpu-burn: in the game loop (main, default) or a worker thread. */
  thread?: "main" | "worker";
}

export interface CpuProfile {
  server: string;
  /** The `.cpuprofile` JSON (Chrome DevTools, speedscope). */
  profile: Record<string, unknown>;
}

export interface HeapSnapshot {
  server: string;
  /** The `.heapsnapshot` JSON, streamed: it can be hundreds of megabytes. */
  chunks: AsyncIterable<Uint8Array>;
}

export interface GameFleet {
  readonly kind: "local" | "kubernetes";
  readonly label: string;
  status(options?: ScopedOptions): Promise<FleetStatus>;
  sessions(options?: ScopedOptions): Promise<FleetSessions>;
  /** On: players are kicked with the message and new ones refused, and servers started later start in maintenance. */
  setMaintenance(on: boolean, message?: string, options?: ScopedOptions): Promise<FleetServer[]>;
  setAcceptingSessions(on: boolean, options?: ScopedOptions): Promise<FleetServer[]>;
  broadcast(message: string, options?: ScopedOptions): Promise<Broadcasted>;
  /** One server, or the whole fleet (one by one locally, a rollout restart on Kubernetes) when `server` is undefined. */
  restart(server: string | undefined, options?: CallOptions): Promise<Restarted>;
  scale(servers: number, options?: CallOptions): Promise<Scaled>;
  inject(server: string, fault: FleetFault, durationMs: number, options?: InjectOptions): Promise<Injected>;
  profile(server: string, durationMs: number, options?: CallOptions): Promise<CpuProfile>;
  heapSnapshot(server: string, options?: CallOptions): Promise<HeapSnapshot>;
}
