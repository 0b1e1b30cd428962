import { afterEach, describe, expect, it } from "vitest";
import { alertmanagerClient, AlertmanagerError } from "../../src/integrations/alertmanager/client.js";
import { testServices } from "../services.js";
import { closedPort, scriptedServer, type ScriptedServer } from "./servers.js";

// Nothing here fires an alert on the shared Alertmanager: it only reads its status and has it
// reject bad requests. Failures Alertmanager does not produce on demand come from local servers.
const sharedUrl = testServices().alertmanager.url;
let server: ScriptedServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function failureOf(promise: Promise<unknown>): Promise<AlertmanagerError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AlertmanagerError);
  return error as AlertmanagerError;
}

describe("alertmanager client", () => {
  it("reads the status of API v2: version, and clustering off as the test instance runs", async () => {
    const status = await alertmanagerClient({ url: sharedUrl }).status();
    expect(status.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(status).toMatchObject({ cluster: "disabled", peers: 0, startedAt: expect.stringMatching(/^\d{4}-/) });
  });

  it("reports an alert Alertmanager rejects as a 400 that retrying will not fix", async () => {
    const failure = await failureOf(alertmanagerClient({ url: sharedUrl }).postAlerts([{ labels: {} }]));
    expect(failure).toMatchObject({ failure: "http-status", status: 400, retryable: false });
    expect(failure.message).toBe(`POST ${sharedUrl}/api/v2/alerts: HTTP 400 Bad Request: at least one label pair required`);
  });

  it("reports a malformed filter with Alertmanager's own words", async () => {
    const failure = await failureOf(alertmanagerClient({ url: sharedUrl }).activeAlerts({ filter: ["severity"] }));
    expect(failure.reason).toBe("HTTP 400 Bad Request: bad matcher format: severity");
  });

  it("says 'connection refused' on a closed port, and that retrying may help", async () => {
    const port = await closedPort();
    const failure = await failureOf(alertmanagerClient({ url: `http://127.0.0.1:${port}` }).activeAlerts());
    expect(failure).toMatchObject({ failure: "unreachable", reason: "connection refused", retryable: true });
    expect(failure.message).toBe(`GET http://127.0.0.1:${port}/api/v2/alerts: connection refused`);
  });

  it("says the host lookup failed for a host that cannot exist", async () => {
    const failure = await failureOf(alertmanagerClient({ url: "http://alertmanager.invalid:9093" }).activeAlerts());
    // NXDOMAIN with a resolver; a machine without one cannot even ask (EAI_AGAIN), which may pass later.
    const expected = [
      { failure: "unreachable", reason: "host not found (DNS)", retryable: false },
      { failure: "unreachable", reason: "host lookup failed for now (DNS)", retryable: true },
    ];
    expect(expected).toContainEqual({ failure: failure.failure, reason: failure.reason, retryable: failure.retryable });
  });

  it("treats a 503 as retryable", async () => {
    server = await scriptedServer((_, res) => res.writeHead(503, { "content-type": "text/plain" }).end("Service Unavailable"));
    const failure = await failureOf(alertmanagerClient({ url: server.url }).activeAlerts());
    expect(failure).toMatchObject({ failure: "http-status", status: 503, retryable: true, reason: "HTTP 503 Service Unavailable: Service Unavailable" });
  });

  it("rejects an answer that is not JSON", async () => {
    server = await scriptedServer((_, res) => res.writeHead(200, { "content-type": "text/html" }).end("<html><body>Grafana</body></html>"));
    const failure = await failureOf(alertmanagerClient({ url: server.url }).activeAlerts());
    expect(failure).toMatchObject({ failure: "bad-body", retryable: false, reason: "answer is not JSON (text/html): <html><body>Grafana</body></html>" });
  });

  it("rejects JSON that is not the API v2 shape, naming the field", async () => {
    server = await scriptedServer((_, res) => res.writeHead(200, { "content-type": "application/json" }).end('[{"labels":{"alertname":"X"},"startsAt":"2026-01-01T00:00:00Z","status":{"state":"active"}}]'));
    const failure = await failureOf(alertmanagerClient({ url: server.url }).activeAlerts());
    expect(failure.reason).toBe("unexpected answer, not Alertmanager API v2: 0.fingerprint: Invalid input: expected string, received undefined");
  });

  it("asks for active, unsilenced, uninhibited alerts under the URL's path prefix, with Basic credentials", async () => {
    server = await scriptedServer((_, res) => res.writeHead(200, { "content-type": "application/json" }).end("[]"));
    const client = alertmanagerClient({ url: server.url.replace("http://", "http://ops:s3cr%40t@") + "/alertmanager/" });
    expect(client.label).toBe(`${server.url}/alertmanager`);
    expect(await client.activeAlerts({ filter: ['team="game"', 'severity=~"critical|page"'] })).toEqual([]);
    expect(server.seen).toEqual([
      {
        url: "/alertmanager/api/v2/alerts?active=true&silenced=false&inhibited=false&filter=team%3D%22game%22&filter=severity%3D%7E%22critical%7Cpage%22",
        authorization: `Basic ${Buffer.from("ops:s3cr@t").toString("base64")}`,
      },
    ]);
  });

  it("stops waiting at its timeout", async () => {
    server = await scriptedServer(() => {}); // never answers
    const failure = await failureOf(alertmanagerClient({ url: server.url, timeoutMs: 200 }).activeAlerts());
    expect(failure).toMatchObject({ failure: "timeout", reason: "no answer within 200ms", retryable: true });
  });

  it("stops waiting when the caller gives up, and calls it cancelled", async () => {
    server = await scriptedServer(() => {});
    const controller = new AbortController();
    const pending = alertmanagerClient({ url: server.url }).activeAlerts({ signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const failure = await failureOf(pending);
    expect(failure).toMatchObject({ failure: "aborted", reason: "cancelled", retryable: false });
  });
});
