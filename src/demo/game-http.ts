import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import { faultNames, type FaultName, type Faults } from "./faults.js";
import type { Game } from "./game.js";
import type { GameLog } from "./game-log.js";
import { CpuWindow, Histogram, renderMetrics } from "./game-metrics.js";
import { cpuProfile, heapSnapshot } from "./profiler.js";

export interface GameHttpOptions {
  game: Game;
  faults: Faults;
  log: GameLog;
  ticks: Histogram;
  cpu: CpuWindow;
  adminToken: string;
  region: string;
  version: string;
  startedAt: Date;
}

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const maxBodyBytes = 64 * 1024;
const maxProfileMs = 300_000;
const maxFaultMs = 3_600_000;

/**
 * The demo game server's HTTP face. Public: `/healthz`, `/metrics`, `POST /join`, `POST /leave`.
 * Operators: everything under `/admin/`, with the admin token as `Authorization: Bearer …` or,
 * through a proxy that keeps the Authorization header for itself (the Kubernetes API server's),
 * as `X-Admin-Token`.
 */
export function gameHttpHandler(options: GameHttpOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { game, faults, log } = options;
  const expected = digest(options.adminToken);
  let profiling = false;

  const authorized = (req: IncomingMessage) => {
    const header = req.headers.authorization;
    const bearer = header?.startsWith("Bearer ") ? header.slice(7) : undefined;
    const given = bearer ?? (typeof req.headers["x-admin-token"] === "string" ? req.headers["x-admin-token"] : undefined);
    return given !== undefined && timingSafeEqual(digest(given), expected);
  };

  const status = () => ({
    server: game.server,
    region: options.region,
    pid: process.pid,
    version: options.version,
    startedAt: options.startedAt.toISOString(),
    uptimeSeconds: Math.round(process.uptime()),
    players: game.sessions.size,
    maintenance: game.maintenance ? { on: true, ...game.maintenance } : { on: false },
    accepting: game.acceptingFlag,
    acceptingSessions: game.acceptingSessions,
    faults: faults.list(),
    cpuPercent: options.cpu.percent(),
    memory: { rssBytes: process.memoryUsage.rss(), heapUsedBytes: process.memoryUsage().heapUsed, leakedBytes: faults.retainedBytes },
    errorsTotal: game.errorsTotal,
  });

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://game");
    const method = req.method ?? "GET";
    const path = url.pathname;

    if (path === "/healthz") return json(res, 200, { status: "ok", server: game.server, pid: process.pid });
    if (path === "/metrics") {
      const text = renderMetrics({ game, ticks: options.ticks, version: options.version, region: options.region, startedAt: options.startedAt });
      res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" });
      return void res.end(text);
    }
    if (path === "/join") {
      allow(method, "POST");
      const body = await readJson(req);
      const player = optionalString(body, "player") ?? `guest-${Math.floor(Math.random() * 1e6)}`;
      const outcome = game.join(player);
      if ("refused" in outcome) {
        const message = outcome.refused === "maintenance" ? (game.maintenance?.message ?? "maintenance") : outcome.refused === "full" ? "the server is full" : "the server is not accepting new sessions";
        return json(res, 503, { error: outcome.refused, message });
      }
      return json(res, 201, outcome.session);
    }
    if (path === "/leave") {
      allow(method, "POST");
      const session = requiredString(await readJson(req), "session");
      if (!game.leave(session)) throw new HttpProblem(404, "not-found", `no session ${session}`);
      return json(res, 200, { left: session });
    }
    if (!path.startsWith("/admin/")) throw new HttpProblem(404, "not-found", `no such path: ${path}`);

    if (!authorized(req)) {
      res.setHeader("WWW-Authenticate", 'Bearer realm="game-admin"');
      throw new HttpProblem(401, "unauthorized", "the admin API needs the admin token: Authorization: Bearer <token> or X-Admin-Token: <token>");
    }
    switch (path) {
      case "/admin/status":
        allow(method, "GET");
        return json(res, 200, status());
      case "/admin/sessions":
        allow(method, "GET");
        return json(res, 200, { server: game.server, region: options.region, count: game.sessions.size, sessions: [...game.sessions.values()] });
      case "/admin/maintenance": {
        allow(method, "POST");
        const body = await readJson(req);
        const message = optionalString(body, "message");
        game.setMaintenance(requiredBoolean(body, "on"), message);
        return json(res, 200, status());
      }
      case "/admin/accepting": {
        allow(method, "POST");
        game.setAccepting(requiredBoolean(await readJson(req), "on"));
        return json(res, 200, status());
      }
      case "/admin/broadcast": {
        allow(method, "POST");
        const message = requiredString(await readJson(req), "message");
        return json(res, 200, game.broadcast(message));
      }
      case "/admin/broadcasts":
        allow(method, "GET");
        return json(res, 200, { server: game.server, broadcasts: game.broadcasts });
      case "/admin/faults": {
        if (method === "GET") return json(res, 200, { server: game.server, faults: faults.list() });
        allow(method, "POST");
        const body = await readJson(req);
        const fault = requiredString(body, "fault");
        if (!(faultNames as readonly string[]).includes(fault)) throw new HttpProblem(400, "bad-request", `fault must be one of ${faultNames.join(", ")}, not "${fault}"`);
        const durationMs = fault === "none" ? 0 : requiredMs(body, "durationMs", maxFaultMs);
        const thread = optionalString(body, "thread");
        if (thread !== undefined && thread !== "main" && thread !== "worker") throw new HttpProblem(400, "bad-request", `thread must be main or worker, not "${thread}"`);
        const rate = (name: string) => {
          const value = body[name];
          if (value === undefined) return undefined;
          if (typeof value !== "number" || !(value > 0) || value > 1000) throw new HttpProblem(400, "bad-request", `${name} must be a number above 0 and at most 1000`);
          return value;
        };
        const megabytesPerSecond = rate("megabytesPerSecond");
        const errorsPerSecond = rate("errorsPerSecond");
        const active = faults.inject({
          fault: fault as FaultName,
          durationMs,
          ...(thread ? { thread } : {}),
          ...(megabytesPerSecond !== undefined ? { megabytesPerSecond } : {}),
          ...(errorsPerSecond !== undefined ? { errorsPerSecond } : {}),
        });
        return json(res, 200, { server: game.server, injected: active ?? null, faults: faults.list() });
      }
      case "/admin/profile": {
        allow(method, "POST");
        const durationMs = requiredMs(await readJson(req), "durationMs", maxProfileMs);
        if (profiling) throw new HttpProblem(409, "busy", "a CPU profile is already being taken; try again when it is done");
        profiling = true;
        const gone = new AbortController();
        res.on("close", () => gone.abort());
        try {
          log.write("INFO", `CPU profile started for ${durationMs} ms`);
          const profile = await cpuProfile(durationMs, gone.signal);
          res.setHeader("Content-Disposition", `attachment; filename="${game.server}-${Date.now()}.cpuprofile"`);
          return json(res, 200, profile);
        } finally {
          profiling = false;
        }
      }
      case "/admin/heap-snapshot": {
        allow(method, "GET");
        log.write("INFO", "heap snapshot requested");
        res.writeHead(200, { "Content-Type": "application/json", "Content-Disposition": `attachment; filename="${game.server}-${Date.now()}.heapsnapshot"` });
        await pipeline(heapSnapshot(), res);
        return;
      }
      default:
        throw new HttpProblem(404, "not-found", `no such admin path: ${path}`);
    }
  };

  return (req, res) => {
    route(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof HttpProblem) return json(res, error.status, { error: error.code, message: error.message });
      log.write("ERROR", `admin API failed on ${req.method} ${req.url}: ${(error as Error).message}`);
      json(res, 500, { error: "internal", message: (error as Error).message });
    });
  };
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

function allow(method: string, expected: string): void {
  if (method !== expected) throw new HttpProblem(405, "method-not-allowed", `use ${expected}`);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBodyBytes) throw new HttpProblem(413, "too-large", `the body must be at most ${maxBodyBytes} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8").trim();
  if (text === "") return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HttpProblem(400, "bad-request", "the body is not valid JSON");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new HttpProblem(400, "bad-request", "the body must be a JSON object");
  return body as Record<string, unknown>;
}

function optionalString(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string" || value.length === 0 || value.length > 1000) throw new HttpProblem(400, "bad-request", `${name} must be a text of 1 to 1000 characters`);
  return value;
}

function requiredString(body: Record<string, unknown>, name: string): string {
  const value = optionalString(body, name);
  if (value === undefined) throw new HttpProblem(400, "bad-request", `${name} is required`);
  return value;
}

function requiredBoolean(body: Record<string, unknown>, name: string): boolean {
  const value = body[name];
  if (typeof value !== "boolean") throw new HttpProblem(400, "bad-request", `${name} must be true or false`);
  return value;
}

function requiredMs(body: Record<string, unknown>, name: string, max: number): number {
  const value = body[name];
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > max) {
    throw new HttpProblem(400, "bad-request", `${name} must be a whole number of milliseconds from 1 to ${max}`);
  }
  return value;
}
