import { endpointOf } from "../http/endpoint.js";
import { instantQuery, type QueryOptions, type QueryResult, type Sample } from "./query.js";
import { isReady } from "./readiness.js";

export interface PrometheusClient {
  /** Its base URL, safe to print: credentials removed. */
  readonly label: string;
  query(expression: string, options?: QueryOptions): Promise<QueryResult>;
  isReady(options?: { signal?: AbortSignal }): Promise<boolean>;
}

export interface PrometheusClientOptions {
  /** Base URL, e.g. http://127.0.0.1:9090 or https://user:pass@ops.example.com/prometheus. */
  url: string;
  /** Bound of every call, on top of the caller's signal. */
  timeoutMs?: number;
}

export function prometheusClient(options: PrometheusClientOptions): PrometheusClient {
  const endpoint = endpointOf(options.url, options.timeoutMs ?? 5000);
  return {
    label: endpoint.label,
    query: (expression, o) => instantQuery(endpoint, expression, o),
    isReady: (o) => isReady(endpoint, o),
  };
}

export type { QueryOptions, QueryResult, Sample };
export { PrometheusError, type PrometheusFailure } from "./errors.js";
