/**
 * Why a call to Alertmanager failed. `retryable` says whether the same call may succeed later
 * (a restart, a network blip, a 503) or will fail the same way until someone changes the
 * configuration (a 404 from something that is not Alertmanager, a 400, an unreadable answer).
 */
export type AlertmanagerFailure =
  | "unreachable" // no HTTP answer: refused, reset, DNS, TLS
  | "timeout" // no answer within the call's timeout
  | "aborted" // the caller cancelled
  | "http-status" // an HTTP answer other than 2xx
  | "bad-body"; // a 2xx answer that is not what API v2 returns

export interface AlertmanagerErrorInit {
  failure: AlertmanagerFailure;
  /** What went wrong, without the request: "connection refused", "HTTP 503 Service Unavailable: …". */
  reason: string;
  /** The request, safe to print (never credentials): "GET http://127.0.0.1:9093/api/v2/alerts". */
  request: string;
  retryable: boolean;
  /** The HTTP status, for failure "http-status". */
  status?: number;
  cause?: unknown;
}

export class AlertmanagerError extends Error {
  readonly failure: AlertmanagerFailure;
  readonly reason: string;
  readonly request: string;
  readonly retryable: boolean;
  readonly status: number | undefined;

  constructor(init: AlertmanagerErrorInit) {
    super(`${init.request}: ${init.reason}`, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = "AlertmanagerError";
    this.failure = init.failure;
    this.reason = init.reason;
    this.request = init.request;
    this.retryable = init.retryable;
    this.status = init.status;
  }
}
