import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export type LinkAction = "acknowledge" | "resolve";

export interface LinkClaim {
  pageId: string;
  personId: string;
  action: LinkAction;
  /** Epoch ms. */
  expiresAt: number;
}

/** Long enough for someone paged at night to act on it next morning, short enough to expire. */
export const linkLifetimeMs = 7 * 24 * 3600_000;

/**
 * Signed links in notifications: acknowledge or resolve a page as the person it was sent to,
 * without a token. The link only opens a confirmation page; the action needs its POST (mail
 * scanners and chat previews fetch every GET).
 */
export class ActionLinks {
  constructor(private readonly key: Buffer) {
    if (key.length < 32) throw new Error("the link signing key must be at least 32 bytes");
  }

  sign(claim: LinkClaim): string {
    const body = Buffer.from(JSON.stringify([claim.pageId, claim.personId, claim.action, claim.expiresAt])).toString("base64url");
    return `${body}.${this.mac(body)}`;
  }

  /** The claim, or why the token is refused, in words for the person holding the link. */
  verify(token: string, now: Date): { claim: LinkClaim } | { problem: string } {
    const [body, mac, extra] = token.split(".");
    if (!body || !mac || extra !== undefined) return { problem: "this link is damaged; open the page from the console instead" };
    if (!this.matches(body, mac)) {
      return { problem: "this link's signature does not match (it was changed, or the server's link key changed); open the page from the console" };
    }
    const [pageId, personId, action, expiresAt] = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as [string, string, LinkAction, number];
    if (action !== "acknowledge" && action !== "resolve") return { problem: "this link does not act on a page; open the page from the console" };
    if (now.getTime() > expiresAt) return { problem: "this link has expired; open the page from the console" };
    return { claim: { pageId, personId, action, expiresAt } };
  }

  /**
   * A calendar feed's token: calendar apps cannot send a header, so the URL carries a signature
   * of what it shows (a schedule, or one person's shifts). It does not expire; changing the key
   * revokes every feed.
   */
  signFeed(scope: { scheduleId?: string; personId?: string }): string {
    const body = Buffer.from(JSON.stringify(["feed", scope.scheduleId ?? null, scope.personId ?? null])).toString("base64url");
    return `${body}.${this.mac(body)}`;
  }

  verifyFeed(token: string): { scheduleId?: string; personId?: string } | undefined {
    const [body, mac, extra] = token.split(".");
    if (!body || !mac || extra !== undefined || !this.matches(body, mac)) return undefined;
    const [kind, scheduleId, personId] = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as [string, string | null, string | null];
    if (kind !== "feed") return undefined;
    return { ...(scheduleId ? { scheduleId } : {}), ...(personId ? { personId } : {}) };
  }

  private matches(body: string, mac: string): boolean {
    const expected = Buffer.from(this.mac(body));
    const given = Buffer.from(mac);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  private mac(body: string): string {
    return createHmac("sha256", this.key).update(`gameops-link.${body}`).digest("base64url");
  }
}

/**
 * The key from `file` (as configured), or one generated into it at first use, readable by the
 * owner only. Replicas sharing one store must share this file.
 */
export function loadLinkKey(file: string): Buffer {
  try {
    const text = readFileSync(file, "utf8").trim();
    const key = Buffer.from(text, "base64");
    if (key.length < 32) throw new Error(`${file} holds ${key.length} bytes of key; it needs at least 32 (base64), e.g. from: openssl rand -base64 32`);
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const key = randomBytes(32);
  mkdirSync(dirname(file), { recursive: true });
  try {
    writeFileSync(file, `${key.toString("base64")}\n`, { mode: 0o600, flag: "wx" });
  } catch (error) {
    // Another process wrote it first: use theirs, so both sign alike.
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return loadLinkKey(file);
    throw error;
  }
  chmodSync(file, 0o600);
  return key;
}
