/**
 * Why a call to Prometheus failed. `retryable` says whether the same call may succeed later
 * (a restart, a 503 while it replays its WAL, a query timeout) or will fail the same way until
 * something changes (a malformed query, a URL that is not Prometheus).
 */
export type PrometheusFailure =
  | "unreachable" // no HTTP answer: refused, reset, DNS, TLS
  | "timeout" // no answer within the call's timeout
  | "aborted" // the caller cancelled
  | "http-status" // an HTTP answer other than 2xx; Prometheus' own errorType and error in `reason`
  | "bad-body"; // a 2xx answer that is not what the HTTP API v1 returns

export interface PrometheusErrorInit {
  failure: PrometheusFailure;
  /** What went wrong, without the request: "connection refused", "HTTP 400 Bad Request: bad_data: …". */
  reason: string;
  /** The request, safe to print (never credentials): "GET http://127.0.0.1:9090/api/v1/query". */
  request: string;
  retryable: boolean;
  /** The HTTP status, for failure "http-status". */
  status?: number;
  cause?: unknown;
}

export class PrometheusError extends Error {
  readonly failure: PrometheusFailure;
  readonly reason: string;
  readonly request: string;
  readonly retryable: boolean;
  readonly status: number | undefined;

  constructor(init: PrometheusErrorInit) {
    super(`${init.request}: ${init.reason}`, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = "PrometheusError";
    this.failure = init.failure;
    this.reason = init.reason;
    this.request = init.request;
    this.retryable = init.retryable;
    this.status = init.status;
  }
}
