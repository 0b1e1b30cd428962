import { z } from "zod";
import { FleetError } from "./errors.js";
import type { CpuProfile, FleetFault, HeapSnapshot, Injected, Session, ServerStatus } from "./fleet.js";
import { fetchStream, fetchText, type FleetRequest } from "./request.js";

/** Where one server's admin API is, and how to be let in: a URL and a header, maybe TLS (through the Kubernetes API server). */
export interface AdminRoute {
  url(path: string): URL;
  headers: Record<string, string>;
  tls?: FleetRequest["tls"];
}

/** Bound of a plain admin call; a profile or a heap snapshot gets more. */
export const adminTimeoutMs = 5000;

const statusSchema = z.object({
  server: z.string(),
  region: z.string(),
  pid: z.number(),
  version: z.string(),
  startedAt: z.string(),
  uptimeSeconds: z.number(),
  players: z.number(),
  maintenance: z.object({ on: z.boolean(), message: z.string().optional(), since: z.string().optional() }),
  accepting: z.boolean(),
  acceptingSessions: z.boolean(),
  faults: z.array(z.object({ fault: z.string(), until: z.string(), thread: z.string().optional() })),
  cpuPercent: z.number(),
  memory: z.object({ rssBytes: z.number(), heapUsedBytes: z.number(), leakedBytes: z.number() }),
  errorsTotal: z.number(),
});

const sessionsSchema = z.object({
  server: z.string(),
  region: z.string(),
  count: z.number(),
  sessions: z.array(z.object({ id: z.string(), player: z.string(), joinedAt: z.string() })),
});

const broadcastSchema = z.object({ id: z.number(), at: z.string(), message: z.string(), delivered: z.number() });
const faultsSchema = z.object({ server: z.string(), injected: z.object({ fault: z.string(), until: z.string() }).nullable() });
const profileSchema = z.looseObject({ nodes: z.array(z.unknown()), startTime: z.number(), endTime: z.number() });

/**
 * The demo game server's admin API, as one server: the same calls whether the server is a local
 * process or a pod behind the Kubernetes API server's proxy.
 */
export class AdminApi {
  constructor(
    /** The server's id (a pod's name on Kubernetes). */
    readonly server: string,
    private readonly route: AdminRoute,
  ) {}

  async status(options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<ServerStatus> {
    return this.call("GET", "admin/status", undefined, `reading the status of ${this.server}`, statusSchema, options);
  }

  async sessions(options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<{ server: string; region: string; count: number; sessions: Session[] }> {
    return this.call("GET", "admin/sessions", undefined, `listing the sessions of ${this.server}`, sessionsSchema, options);
  }

  async setMaintenance(on: boolean, message: string | undefined, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<ServerStatus> {
    return this.call("POST", "admin/maintenance", { on, ...(message ? { message } : {}) }, `turning maintenance ${on ? "on" : "off"} on ${this.server}`, statusSchema, options);
  }

  async setAccepting(on: boolean, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<ServerStatus> {
    return this.call("POST", "admin/accepting", { on }, `${on ? "accepting" : "refusing"} new sessions on ${this.server}`, statusSchema, options);
  }

  async broadcast(message: string, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<{ delivered: number }> {
    return this.call("POST", "admin/broadcast", { message }, `broadcasting to the players of ${this.server}`, broadcastSchema, options);
  }

  async inject(fault: FleetFault, durationMs: number, thread: "main" | "worker" | undefined, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<Injected> {
    const body = { fault, ...(fault === "none" ? {} : { durationMs: Math.round(durationMs) }), ...(thread ? { thread } : {}) };
    const answer = await this.call("POST", "admin/faults", body, `injecting ${fault} into ${this.server}`, faultsSchema, options);
    return { server: answer.server, fault, ...(answer.injected ? { until: answer.injected.until } : {}) };
  }

  async profile(durationMs: number, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<CpuProfile> {
    // The server answers after the whole duration: the bound is the duration plus the usual margin.
    const timeoutMs = options.timeoutMs ?? durationMs + adminTimeoutMs * 2;
    const profile = await this.call("POST", "admin/profile", { durationMs: Math.round(durationMs) }, `profiling the CPU of ${this.server} for ${Math.round(durationMs / 1000)} s`, profileSchema, { ...options, timeoutMs });
    return { server: this.server, profile };
  }

  async heapSnapshot(options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<HeapSnapshot> {
    const what = `taking a heap snapshot of ${this.server}`;
    const answer = await fetchStream({ ...this.request("GET", "admin/heap-snapshot", undefined, what), timeoutMs: options.timeoutMs ?? 120_000, ...(options.signal ? { signal: options.signal } : {}) });
    if (answer.status !== 200) {
      const chunks: Buffer[] = [];
      for await (const chunk of answer.body) chunks.push(Buffer.from(chunk));
      throw this.failure(what, answer.status, Buffer.concat(chunks).toString("utf8"));
    }
    return { server: this.server, chunks: answer.body };
  }

  private request(method: FleetRequest["method"], path: string, body: unknown, what: string): Omit<FleetRequest, "timeoutMs"> {
    return {
      method,
      url: this.route.url(path),
      headers: { ...this.route.headers, Accept: "application/json", ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      what,
      ...(this.route.tls ? { tls: this.route.tls } : {}),
    };
  }

  private async call<T>(method: FleetRequest["method"], path: string, body: unknown, what: string, schema: z.ZodType<T>, options: { signal?: AbortSignal; timeoutMs?: number }): Promise<T> {
    const answer = await fetchText({ ...this.request(method, path, body, what), timeoutMs: options.timeoutMs ?? adminTimeoutMs, ...(options.signal ? { signal: options.signal } : {}) });
    if (answer.status < 200 || answer.status > 299) throw this.failure(what, answer.status, answer.text);
    let parsed: unknown;
    try {
      parsed = JSON.parse(answer.text);
    } catch {
      throw new FleetError("bad-answer", `${what}: the answer is not JSON; is this a gameops demo game server?`, { server: this.server, status: answer.status });
    }
    const result = schema.safeParse(parsed);
    if (!result.success) {
      const issue = result.error.issues[0]!;
      throw new FleetError("bad-answer", `${what}: unexpected answer (${issue.path.join(".") || "body"}: ${issue.message}); is this a gameops demo game server?`, { server: this.server, status: answer.status });
    }
    return result.data;
  }

  /**
   * An error answer, from the game server (`{error, message}`) or from the Kubernetes API server
   * in front of it (a metav1.Status: the pod is gone, not ready, or our credentials are refused).
   */
  private failure(what: string, status: number, text: string): FleetError {
    let body: { kind?: unknown; message?: unknown; error?: unknown } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      // plain text: a proxy's own page
    }
    const said = typeof body.message === "string" ? body.message : text.replace(/\s+/g, " ").trim().slice(0, 200) || `HTTP ${status}`;
    const fromKubernetes = body.kind === "Status";
    const details = { server: this.server, status };
    if (status === 401) {
      return new FleetError(
        "unauthorized",
        fromKubernetes ? `${what}: the Kubernetes API refused the kubeconfig's credentials` : `${what}: the admin token was refused; set GAMEOPS_FLEET_TOKEN or targets.fleet.tokenFile to the fleet's admin token`,
        details,
      );
    }
    if (status === 403) return new FleetError("forbidden", `${what}: ${said}`, details);
    if (status === 404 && fromKubernetes) return new FleetError("unknown-server", `${what}: ${said}`, details);
    // "address not allowed": the pod has no IP yet.
    if (status === 400 && fromKubernetes) return new FleetError("unavailable", `${what}: ${said}`, details);
    if (status === 409) return new FleetError("busy", `${what}: ${said}`, details);
    if (status >= 500 || status === 429) return new FleetError("unavailable", `${what}: ${said}`, details);
    return new FleetError("refused", `${what}: HTTP ${status}: ${said}`, details);
  }
}
