import { HttpError, type HttpFailure } from "../http/http-error.js";

/**
 * Why a call to Alertmanager failed. `retryable` says whether the same call may succeed later
 * (a restart, a network blip, a 503) or will fail the same way until someone changes the
 * configuration (a 404 from something that is not Alertmanager, a 400, an unreadable answer).
 */
export class AlertmanagerError extends HttpError {}

/** "http-status" carries Alertmanager's own message in `reason`; "bad-body" is a 2xx that is not API v2. */
export type AlertmanagerFailure = HttpFailure;
