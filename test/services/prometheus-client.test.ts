import { describe, expect, it } from "vitest";
import { prometheusClient, PrometheusError } from "../../src/integrations/prometheus/client.js";
import { closedPort } from "../alerts/servers.js";
import { testServices } from "../services.js";

const { url } = testServices().prometheus;
const prometheus = prometheusClient({ url });

async function failureOf(promise: Promise<unknown>): Promise<PrometheusError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PrometheusError);
  return error as PrometheusError;
}

describe("prometheus client against the real Prometheus", () => {
  it("is ready", async () => {
    expect(await prometheus.isReady()).toBe(true);
  });

  it("runs instant queries of each result type", async () => {
    expect(await prometheus.query("1 + 1")).toMatchObject({ type: "scalar", value: 2 });
    expect(await prometheus.query('"game"')).toMatchObject({ type: "string", value: "game" });
    const vector = await prometheus.query('label_replace(vector(3), "job", "game", "", "")');
    expect(vector).toMatchObject({ type: "vector", samples: [{ metric: { job: "game" }, value: 3 }] });
    // Empty until the first scrape; the type is what matters here.
    expect(await prometheus.query('up{job="prometheus"}[1m]')).toMatchObject({ type: "matrix" });
  });

  it("evaluates at the time asked for", async () => {
    const at = new Date("2026-01-02T03:04:05Z");
    expect(await prometheus.query("time()", { at })).toEqual({ type: "scalar", at, value: at.getTime() / 1000 });
  });

  it("reports a malformed query with Prometheus' own words, not retryable", async () => {
    const failure = await failureOf(prometheus.query("rate(up[5m]"));
    expect(failure).toMatchObject({ failure: "http-status", status: 400, retryable: false });
    expect(failure.message).toBe(
      `GET ${url}/api/v1/query: HTTP 400 Bad Request: bad_data: invalid parameter "query": 1:12: parse error: unclosed left parenthesis`,
    );
  });

  it("says 'connection refused' on a closed port, and that retrying may help", async () => {
    const port = await closedPort();
    const failure = await failureOf(prometheusClient({ url: `http://127.0.0.1:${port}` }).query("up"));
    expect(failure).toMatchObject({ failure: "unreachable", reason: "connection refused", retryable: true });
  });

  it("says so when the URL is not a Prometheus (here: Alertmanager)", async () => {
    const alertmanagerUrl = testServices().alertmanager.url;
    const failure = await failureOf(prometheusClient({ url: alertmanagerUrl }).query("up"));
    expect(failure.reason).toBe("HTTP 404 Not Found: 404 page not found (is this a Prometheus? gameops uses its HTTP API v1)");
  });
});
