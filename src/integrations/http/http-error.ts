/**
 * Why a call over HTTP failed. `retryable` says whether the same call may succeed later (a
 * restart, a network blip, a 503) or will fail the same way until something changes (a URL
 * that is not the service asked for, a malformed request, an unreadable answer).
 */
export type HttpFailure =
  | "unreachable" // no HTTP answer: refused, reset, DNS, TLS
  | "timeout" // no answer within the call's timeout
  | "aborted" // the caller cancelled
  | "http-status" // an answer the service calls an error: a status other than 2xx, or its own error body
  | "bad-body"; // a 2xx answer that is not what the service's API returns

export interface HttpErrorInit {
  failure: HttpFailure;
  /** What went wrong, without the request: "connection refused", "HTTP 503 Service Unavailable: …". */
  reason: string;
  /** The request, safe to print (never credentials): "GET http://127.0.0.1:9093/api/v2/alerts". */
  request: string;
  retryable: boolean;
  /** The HTTP status, for failure "http-status". */
  status?: number;
  cause?: unknown;
}

/**
 * Each outside system throws its own subclass (AlertmanagerError, PrometheusError…), so that a
 * caller catches the failures of the system it called and no other.
 */
export class HttpError extends Error {
  readonly failure: HttpFailure;
  readonly reason: string;
  readonly request: string;
  readonly retryable: boolean;
  readonly status: number | undefined;

  constructor(init: HttpErrorInit) {
    super(`${init.request}: ${init.reason}`, init.cause === undefined ? undefined : { cause: init.cause });
    // The subclass's name, so that a log line says which system failed.
    this.name = new.target.name;
    this.failure = init.failure;
    this.reason = init.reason;
    this.request = init.request;
    this.retryable = init.retryable;
    this.status = init.status;
  }
}

export type HttpErrorClass = new (init: HttpErrorInit) => HttpError;

/** "HTTP 503 Service Unavailable"; HTTP/2 answers have no status text. */
export function statusLine(answer: { status: number; statusText: string }): string {
  return `HTTP ${answer.status}${answer.statusText ? ` ${answer.statusText}` : ""}`;
}

/** A body shown in a message: one line, at most `max` characters. */
export function excerpt(text: string, max = 200): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}
