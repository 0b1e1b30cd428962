import { Secret } from "../../config/secret.js";

/** Where an HTTP service is, split so that its credentials never reach a message. */
export interface Endpoint {
  /** Base URL ending in "/", credentials removed (fetch refuses URLs that carry them). */
  base: URL;
  /** The base URL as printed in messages: never the user or password. */
  label: string;
  /** Basic credentials from `http://user:pass@host`, sent as a header. */
  authorization?: Secret;
  /** Bound of every call, on top of the caller's signal. */
  timeoutMs: number;
}

export function endpointOf(url: string, timeoutMs: number): Endpoint {
  let base: URL;
  try {
    base = new URL(url);
  } catch {
    // Node's own error carries the whole input, password included, and prints it with the error.
    throw new TypeError(`invalid URL: ${withoutCredentials(url)}`);
  }
  // "user:pass@host" parses with "user:" as its scheme, the password then in the path and the label.
  if (base.protocol !== "http:" && base.protocol !== "https:") throw new TypeError(`not an http(s) URL: ${withoutCredentials(url)}`);
  let authorization: Secret | undefined;
  if (base.username !== "" || base.password !== "") {
    const pair = `${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`;
    authorization = new Secret(`Basic ${Buffer.from(pair).toString("base64")}`);
    base.username = "";
    base.password = "";
  }
  base.search = "";
  base.hash = "";
  // The service may sit under a path prefix (--web.route-prefix or a reverse proxy).
  if (!base.pathname.endsWith("/")) base.pathname += "/";
  const label = `${base.origin}${base.pathname.replace(/\/$/, "")}`;
  return { base, label, timeoutMs, ...(authorization ? { authorization } : {}) };
}

/** Up to the last "@": a password may hold "/" or "@" when the URL is malformed, so hide too much rather than too little. */
function withoutCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)?.*@/is, "$1<credentials>@");
}
