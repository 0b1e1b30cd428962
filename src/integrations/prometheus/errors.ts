import { HttpError, type HttpFailure } from "../http/http-error.js";

/**
 * Why a call to Prometheus failed. `retryable` says whether the same call may succeed later
 * (a restart, a 503 while it replays its WAL, a query timeout) or will fail the same way until
 * something changes (a malformed query, a URL that is not Prometheus).
 */
export class PrometheusError extends HttpError {}

/** "http-status" carries Prometheus' own errorType and error in `reason`; "bad-body" is a 2xx that is not the HTTP API v1. */
export type PrometheusFailure = HttpFailure;
