// A closed-loop client for GET /api/incidents: `connections` keep-alive connections, each sending
// its next request as soon as the last one is answered. Latency is from the request's start to
// the last byte of its body; parsing and checking the answer happen after the clock stops.
import { Agent, request } from "node:http";
import { performance } from "node:perf_hooks";
import { pathOf, wrongAnswer, type Shape } from "./query-shapes.js";

export interface ShapeRun {
  latenciesMs: number[];
  wallMs: number;
  errors: string[];
  /** Mean answer size, bytes, and mean incidents a page. */
  meanBytes: number;
  meanIncidents: number;
}

export interface ClientOptions {
  url: string;
  token: string;
  connections: number;
  requests: number;
  limit: number;
  random: () => number;
}

export async function runShape(shape: Shape, options: ClientOptions): Promise<ShapeRun> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const latenciesMs: number[] = [];
  const errors: string[] = [];
  let bytes = 0;
  let incidents = 0;
  let sent = 0;
  const limit = shape.limit ?? options.limit;
  const started = performance.now();
  const worker = async () => {
    while (sent < options.requests) {
      sent++;
      const query = shape.query(options.random);
      const path = pathOf(query, limit);
      const t0 = performance.now();
      try {
        const { status, body } = await get(agent, options.url + path, options.token);
        latenciesMs.push(performance.now() - t0);
        if (status !== 200) {
          errors.push(`${path}: HTTP ${status} ${body.slice(0, 200)}`);
          continue;
        }
        const page = (JSON.parse(body) as { incidents: { number: number; status: string; severity: string }[] }).incidents;
        bytes += Buffer.byteLength(body);
        incidents += page.length;
        const wrong = wrongAnswer(query, limit, page, shape.fullPage);
        if (wrong) errors.push(`${path}: ${wrong}`);
      } catch (error) {
        errors.push(`${path}: ${(error as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: options.connections }, worker));
  const wallMs = performance.now() - started;
  agent.destroy();
  const answered = Math.max(1, latenciesMs.length - errors.length);
  return { latenciesMs, wallMs, errors, meanBytes: bytes / answered, meanIncidents: incidents / answered };
}

function get(agent: Agent, url: string, token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: { authorization: `Bearer ${token}` }, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("no answer within 30 s")));
    req.on("error", reject);
    req.end();
  });
}
