import { createHash, timingSafeEqual } from "node:crypto";
import type { Secret } from "../config/secret.js";
import type { Store } from "../store/store.js";
import { authenticate, hasRole } from "./auth.js";
import { ApiError } from "./errors.js";

/** What Alertmanager's `http_config` (or any other sender) may present to the intake endpoints. */
export interface IntakeCredentials {
  token?: Secret;
  basic?: { username: string; password?: Secret };
}

const unauthorized = (message: string) => new ApiError(401, "unauthorized", message);

/**
 * The intake accepts the configured bearer token or basic credentials, or an API token with the
 * operator role (handy for curl and tests). Returns who sent it, for the page's timeline.
 */
export async function authenticateIntake(store: Store, credentials: IntakeCredentials, header: string | undefined): Promise<string> {
  const configured = credentials.token !== undefined || credentials.basic !== undefined;
  const fix = configured
    ? "send the token of paging.intake (Authorization: Bearer …) or its basic credentials"
    : "set paging.intake.tokenFile or GAMEOPS_WEBHOOK_TOKEN and give Alertmanager the same token (http_config.authorization.credentials_file), or send an API token with the operator role";
  if (!header) throw unauthorized(`missing credentials: ${fix}`);

  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (bearer) {
    if (credentials.token && same(bearer[1]!, credentials.token.reveal())) return "intake";
    const actor = await authenticate(store, header).catch(() => undefined);
    if (actor && hasRole(actor.role, "operator")) return actor.name;
    throw unauthorized(`the token is not accepted: ${fix}`);
  }
  const basic = /^Basic\s+(\S+)\s*$/i.exec(header);
  if (basic && credentials.basic) {
    const decoded = Buffer.from(basic[1]!, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    const username = colon < 0 ? decoded : decoded.slice(0, colon);
    const password = colon < 0 ? "" : decoded.slice(colon + 1);
    // Both compared every time: which one was wrong is not for the caller to learn.
    const userOk = same(username, credentials.basic.username);
    const passwordOk = same(password, credentials.basic.password?.reveal() ?? "");
    if (userOk && passwordOk) return `intake:${username}`;
  }
  throw unauthorized(`the credentials are not accepted: ${fix}`);
}

/** Constant-time over hashes, so neither the content nor the length leaks through timing. */
function same(given: string, expected: string): boolean {
  const digest = (text: string) => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(given), digest(expected)) && expected.length > 0;
}
