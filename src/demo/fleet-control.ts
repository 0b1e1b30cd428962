import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { DemoServer } from "./fleet.js";

/** What the control endpoint asks of the supervisor. */
export interface Supervised {
  list(): DemoServer[];
  restart(id: string): Promise<DemoServer>;
  scale(size: number): Promise<DemoServer[]>;
  setMaintenance(on: boolean, message?: string): void;
  maintenance(): { on: boolean; message?: string };
}

/**
 * The supervisor's control endpoint on loopback, for a gameops process other than the one that
 * started the fleet. Same bearer token as the game servers' admin API.
 *
 *   GET  /servers                → { servers, maintenance }
 *   POST /servers/{id}/restart   → { server }            a new process, a new pid, the same port
 *   POST /scale {size}           → { servers }
 *   PUT  /maintenance {on, message?} → { maintenance }   what servers started from now on start with
 */
export async function startControlServer(supervisor: Supervised, token: string): Promise<{ url: string; close(): Promise<void> }> {
  const expected = createHash("sha256").update(token).digest();
  const server = createServer((req, res) => {
    handle(supervisor, expected, req, res).catch((error: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (error instanceof UnknownServerError) return json(res, 404, { error: "unknown-server", message: error.message });
      if (error instanceof RangeError || error instanceof BadRequest) return json(res, 400, { error: "bad-request", message: error.message });
      json(res, 500, { error: "internal", message: (error as Error).message });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export class UnknownServerError extends Error {
  constructor(
    readonly server: string,
    known: string[],
  ) {
    super(`no server "${server}" in the demo fleet; it has ${known.length > 0 ? known.join(", ") : "no servers"}`);
    this.name = "UnknownServerError";
  }
}

class BadRequest extends Error {}

async function handle(supervisor: Supervised, expected: Buffer, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? "/", "http://control").pathname;
  const method = req.method ?? "GET";
  if (path === "/healthz") return json(res, 200, { status: "ok" });
  const header = req.headers.authorization ?? "";
  const given = createHash("sha256").update(header.startsWith("Bearer ") ? header.slice(7) : "").digest();
  if (!header.startsWith("Bearer ") || !timingSafeEqual(given, expected)) {
    res.setHeader("WWW-Authenticate", 'Bearer realm="demo-fleet"');
    return json(res, 401, { error: "unauthorized", message: "the demo fleet's control endpoint needs its token: Authorization: Bearer <token>" });
  }
  if (path === "/servers" && method === "GET") return json(res, 200, { servers: supervisor.list(), maintenance: supervisor.maintenance() });
  const restart = path.match(/^\/servers\/([^/]+)\/restart$/);
  if (restart && method === "POST") return json(res, 200, { server: await supervisor.restart(decodeURIComponent(restart[1]!)) });
  if (path === "/scale" && method === "POST") {
    const body = await readJson(req);
    if (typeof body.size !== "number") throw new BadRequest("size must be a number");
    return json(res, 200, { servers: await supervisor.scale(body.size) });
  }
  if (path === "/maintenance" && method === "PUT") {
    const body = await readJson(req);
    if (typeof body.on !== "boolean") throw new BadRequest("on must be true or false");
    if (body.message !== undefined && typeof body.message !== "string") throw new BadRequest("message must be a text");
    supervisor.setMaintenance(body.on, body.message as string | undefined);
    return json(res, 200, { maintenance: supervisor.maintenance() });
  }
  return json(res, 404, { error: "not-found", message: `no such path: ${method} ${path}` });
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 16 * 1024) throw new BadRequest("the body is too large");
    chunks.push(chunk);
  }
  try {
    const body: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
    if (typeof body === "object" && body !== null && !Array.isArray(body)) return body as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new BadRequest("the body must be a JSON object");
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}
