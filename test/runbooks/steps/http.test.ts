import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describe as describeStep, execute } from "../../../src/engine/runbooks/steps/http.js";
import { closedPort } from "../../support/servers.js";
import { envConfig, failureOf, stepContext } from "./support.js";

const config = envConfig();
let server: Server;
let base: string;
/** What the server received, for the last request. */
let received: { method: string; url: string; headers: IncomingMessage["headers"]; body: string } | undefined;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      received = { method: req.method!, url: req.url!, headers: req.headers, body };
      const json = (status: number, value: unknown) => {
        res.writeHead(status, { "content-type": "application/json", "set-cookie": "session=abc" });
        res.end(JSON.stringify(value));
      };
      const path = req.url!.split("?")[0];
      if (path === "/api/health") return json(200, { status: "ok", checks: { db: true }, servers: [{ name: "eu-1a", players: 12 }] });
      if (path === "/api/degraded") return json(200, { status: "degraded", checks: { db: false } });
      if (path === "/api/echo") return json(200, { method: req.method, body: body ? JSON.parse(body) : null, contentType: req.headers["content-type"] ?? null });
      if (path === "/down") return json(503, { error: "down" });
      if (path === "/missing") return json(404, { error: "no such server" });
      if (path === "/text") {
        res.writeHead(200, { "content-type": "text/plain" });
        return res.end("all good\n");
      }
      if (path === "/big") {
        res.writeHead(200, { "content-type": "text/plain" });
        return res.end("x".repeat(100_000));
      }
      json(404, { error: "unknown path" });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const get = (url: string, expect?: object) => ({ method: "GET" as const, url, ...(expect ? { expect } : {}) });

describe("http step against a local server", () => {
  it("GETs JSON: status, headers and the parsed body; set-cookie is not kept", async () => {
    const context = stepContext(config);
    const result = await execute(get(`${base}/api/health`), context);
    expect(result.exitCode).toBe(200);
    expect(result.outputs).toMatchObject({ status: 200, json: { status: "ok", checks: { db: true }, servers: [{ name: "eu-1a", players: 12 }] } });
    expect((result.outputs.headers as Record<string, string>)["content-type"]).toBe("application/json");
    expect(result.outputs.headers).not.toHaveProperty("set-cookie");
    expect(received).toMatchObject({ method: "GET", url: "/api/health" });
    expect(context.lines).toEqual([`GET ${base}/api/health: HTTP 200 OK`]);
  });

  it("keeps the path as written and the query string", async () => {
    await execute(get(`${base}/api/health?region=eu-1&tag=a&tag=b%20c`), stepContext(config));
    expect(received!.url).toBe("/api/health?region=eu-1&tag=a&tag=b+c");
  });

  it("sends a JSON body with its content type, and PATCH", async () => {
    const result = await execute({ method: "POST", url: `${base}/api/echo`, body: { message: "maintenance at 04:00", minutes: 30 } }, stepContext(config));
    expect(result.outputs.json).toEqual({ method: "POST", body: { message: "maintenance at 04:00", minutes: 30 }, contentType: "application/json" });
    const patched = await execute({ method: "PATCH", url: `${base}/api/echo`, body: { enabled: false }, headers: { "Content-Type": "application/merge-patch+json" } }, stepContext(config));
    expect(patched.outputs.json).toEqual({ method: "PATCH", body: { enabled: false }, contentType: "application/merge-patch+json" });
  });

  it("sends URL credentials as a header and never prints them", async () => {
    const url = `http://ops:S3cret-pa55@127.0.0.1:${(server.address() as AddressInfo).port}/down`;
    const failure = await failureOf(execute(get(url), stepContext(config)));
    expect(received!.headers.authorization).toBe(`Basic ${Buffer.from("ops:S3cret-pa55").toString("base64")}`);
    expect(failure.message).toBe(`GET ${base}/down answered HTTP 503 Service Unavailable, expected 2xx: {"error":"down"}`);
    const action = describeStep(get(url), config);
    expect(JSON.stringify(action)).not.toContain("S3cret-pa55");
    expect(action.summary).toBe(`GET ${base}/down`);
  });

  it("fails on a status outside the expected ones: 5xx may pass, 4xx will not", async () => {
    const down = await failureOf(execute(get(`${base}/down`), stepContext(config)));
    expect(down.message).toBe(`GET ${base}/down answered HTTP 503 Service Unavailable, expected 2xx: {"error":"down"}`);
    expect(down.options).toMatchObject({ retryable: true, exitCode: 503, outputs: { status: 503, json: { error: "down" } } });

    const missing = await failureOf(execute(get(`${base}/missing`), stepContext(config)));
    expect(missing.message).toBe(`GET ${base}/missing answered HTTP 404 Not Found, expected 2xx: {"error":"no such server"}`);
    expect(missing.options.retryable).toBe(false);

    expect((await execute(get(`${base}/missing`, { status: [200, 404] }), stepContext(config))).outputs.status).toBe(404);
    expect((await failureOf(execute(get(`${base}/api/health`, { status: 204 }), stepContext(config)))).message).toBe(
      `GET ${base}/api/health answered HTTP 200 OK, expected 204: {"status":"ok","checks":{"db":true},"servers":[{"name":"eu-1a","players":12}]}`,
    );
  });

  it("checks JSON fields by dot path and names every one that differs", async () => {
    await execute(get(`${base}/api/health`, { json: { status: "ok", "checks.db": true, "servers.0.players": 12 } }), stepContext(config));
    const failure = await failureOf(execute(get(`${base}/api/degraded`, { json: { status: "ok", "checks.db": true, "checks.cache": true } }), stepContext(config)));
    expect(failure.message).toBe(`GET ${base}/api/degraded answered JSON where status is "degraded" (expected "ok"); checks.db is false (expected true); checks.cache is missing (expected true)`);
    expect(failure.options).toMatchObject({ retryable: true, exitCode: 200 });
  });

  it("keeps a text body as text, and says when JSON fields cannot be checked", async () => {
    expect((await execute(get(`${base}/text`), stepContext(config))).outputs).toMatchObject({ status: 200, text: "all good\n" });
    const failure = await failureOf(execute(get(`${base}/text`, { json: { status: "ok" } }), stepContext(config)));
    expect(failure.message).toBe(`GET ${base}/text answered text/plain, not JSON, so its fields cannot be checked: all good`);
    const big = await execute(get(`${base}/big`), stepContext(config));
    expect(big.outputs).toMatchObject({ truncated: true });
    expect(big.outputs.text).toHaveLength(65_536);
  });

  it("says when nothing answers, as a retryable failure", async () => {
    const port = await closedPort();
    const failure = await failureOf(execute(get(`http://127.0.0.1:${port}/healthz`), stepContext(config)));
    expect(failure.message).toBe(`GET http://127.0.0.1:${port}/healthz: connection refused`);
    expect(failure.options.retryable).toBe(true);
  });

  it("refuses a body on GET and a URL that is not http(s), without printing credentials", async () => {
    expect((await failureOf(execute({ method: "GET", url: `${base}/api/echo`, body: { a: 1 } }, stepContext(config)))).message).toBe(
      "http: a GET request has no body; use POST, PUT or PATCH to send one",
    );
    expect((await failureOf(execute(get("ftp://ops:S3cret@files.example.com/x"), stepContext(config)))).message).toBe("http: not an http(s) URL: ftp://<credentials>@files.example.com/x");
    expect((await failureOf(execute(get("http://ops:S3cret@[bad/x"), stepContext(config)))).message).toBe("http: invalid URL: http://<credentials>@[bad/x");
  });
});

describe("http step: describe", () => {
  it("shows method and URL, GET and HEAD as reading, credential headers hidden", () => {
    expect(describeStep(get(`${base}/api/health?region=eu-1`), config)).toEqual({
      summary: `GET ${base}/api/health?region=eu-1`,
      detail: { method: "GET", url: `${base}/api/health?region=eu-1` },
      target: base,
      destructive: false,
    });
    const post = describeStep({ method: "POST", url: `${base}/admin/broadcast`, headers: { Authorization: "Bearer abc", "X-Region": "eu-1" }, body: { text: "hi" } }, config);
    expect(post).toMatchObject({ summary: `POST ${base}/admin/broadcast`, destructive: true, detail: { headers: { Authorization: "<secret>", "X-Region": "eu-1" }, body: { text: "hi" } } });
    expect(describeStep({ method: "HEAD", url: `${base}/` }, config)).toMatchObject({ summary: `HEAD ${base}/`, destructive: false });
  });
});
