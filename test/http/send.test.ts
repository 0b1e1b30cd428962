import type { IncomingMessage } from "node:http";
import { inspect } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { endpointOf } from "../../src/integrations/http/endpoint.js";
import { excerpt, HttpError, statusLine } from "../../src/integrations/http/http-error.js";
import { send } from "../../src/integrations/http/send.js";
import { closedPort, scriptedServer, type ScriptedServer } from "../alerts/servers.js";

/** What a system's integration declares: its own class, so that callers catch only its failures. */
class FleetError extends HttpError {}

let server: ScriptedServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function failureOf(promise: Promise<unknown>): Promise<FleetError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FleetError);
  return error as FleetError;
}

function bodyOf(request: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => (text += chunk));
    request.on("end", () => resolve(text));
  });
}

describe("send", () => {
  it("sends method, query, headers, body and Basic credentials under the path prefix", async () => {
    const received: { method?: string; contentType?: string; body?: string }[] = [];
    server = await scriptedServer((request, response) => {
      void bodyOf(request).then((body) => {
        received.push({ method: request.method, contentType: request.headers["content-type"], body });
        response.writeHead(204).end();
      });
    });
    const endpoint = endpointOf(server.url.replace("http://", "http://ops:s3cr%40t@") + "/fleet", 5000);
    const answer = await send(
      endpoint,
      {
        method: "POST",
        path: "api/drain",
        query: { zone: "eu", server: ["game-1", "game-2"], skipped: undefined },
        headers: { "content-type": "application/json" },
        body: '{"grace":"30s"}',
      },
      FleetError,
    );
    expect(answer).toMatchObject({ request: `POST ${server.url}/fleet/api/drain`, status: 204, statusText: "No Content", text: "" });
    expect(server.seen).toEqual([
      { url: "/fleet/api/drain?zone=eu&server=game-1&server=game-2", authorization: `Basic ${Buffer.from("ops:s3cr@t").toString("base64")}` },
    ]);
    expect(received).toEqual([{ method: "POST", contentType: "application/json", body: '{"grace":"30s"}' }]);
  });

  it("hands back any status with its headers and the body as text, JSON or not: the system judges it", async () => {
    server = await scriptedServer((_, res) => res.writeHead(503, { "content-type": "text/html" }).end("<html><body>maintenance</body></html>"));
    const answer = await send(endpointOf(server.url, 5000), { path: "health" }, FleetError);
    expect(answer).toMatchObject({ request: `GET ${server.url}/health`, status: 503, statusText: "Service Unavailable", text: "<html><body>maintenance</body></html>" });
    expect(answer.headers.get("content-type")).toBe("text/html");
  });

  it("says 'connection refused' on a closed port, retryable, as the system's error class, without the credentials", async () => {
    const port = await closedPort();
    const failure = await failureOf(send(endpointOf(`http://ops:hunter2@127.0.0.1:${port}/fleet`, 5000), { path: "health" }, FleetError));
    expect(failure).toBeInstanceOf(HttpError);
    expect(failure).toMatchObject({ name: "FleetError", failure: "unreachable", reason: "connection refused", retryable: true, status: undefined });
    expect(failure.message).toBe(`GET http://127.0.0.1:${port}/fleet/health: connection refused`);
    expect(inspect(failure, { depth: 10 })).not.toMatch(/hunter2|ops:/);
  });

  it("says the host lookup failed for a host that cannot exist", async () => {
    const failure = await failureOf(send(endpointOf("http://fleet.invalid:8080", 5000), { path: "health" }, FleetError));
    // NXDOMAIN with a resolver; a machine without one cannot even ask (EAI_AGAIN), which may pass later.
    expect([
      { failure: "unreachable", reason: "host not found (DNS)", retryable: false },
      { failure: "unreachable", reason: "host lookup failed for now (DNS)", retryable: true },
    ]).toContainEqual({ failure: failure.failure, reason: failure.reason, retryable: failure.retryable });
  });

  it("stops waiting at the endpoint's timeout, retryable", async () => {
    server = await scriptedServer(() => {}); // never answers
    const failure = await failureOf(send(endpointOf(server.url, 200), { path: "health" }, FleetError));
    expect(failure).toMatchObject({ failure: "timeout", reason: "no answer within 200ms", retryable: true });
    expect(failure.message).toBe(`GET ${server.url}/health: no answer within 200ms`);
  });

  it("calls the caller's own deadline a timeout too", async () => {
    server = await scriptedServer(() => {});
    const failure = await failureOf(send(endpointOf(server.url, 60_000), { path: "health", signal: AbortSignal.timeout(100) }, FleetError));
    expect(failure).toMatchObject({ failure: "timeout", reason: "no answer before the deadline", retryable: true });
  });

  it("calls a caller's abort cancelled, not retryable", async () => {
    server = await scriptedServer(() => {});
    const failure = await failureOf(send(endpointOf(server.url, 60_000), { path: "health", signal: AbortSignal.abort() }, FleetError));
    expect(failure).toMatchObject({ failure: "aborted", reason: "cancelled", retryable: false });
  });
});

describe("messages", () => {
  it("prints the status line, without status text when there is none (HTTP/2)", () => {
    expect(statusLine({ status: 404, statusText: "Not Found" })).toBe("HTTP 404 Not Found");
    expect(statusLine({ status: 404, statusText: "" })).toBe("HTTP 404");
  });

  it("shows a body on one line, cut at 200 characters", () => {
    expect(excerpt("  <html>\n  <body>Bad Gateway</body>\n</html>\n")).toBe("<html> <body>Bad Gateway</body> </html>");
    expect(excerpt("x".repeat(250))).toBe(`${"x".repeat(200)}…`);
  });
});
