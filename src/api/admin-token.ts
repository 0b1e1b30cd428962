import { readFileSync } from "node:fs";
import { readEnv } from "../config/env.js";
import type { Store } from "../store/store.js";

/** Shorter than this, a token set by hand is guessable. */
const minimumLength = 24;

export class AdminTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AdminTokenError";
  }
}

/**
 * The bootstrap admin token, which only serves to add people and give them their own tokens.
 *
 * With GAMEOPS_ADMIN_TOKEN (or GAMEOPS_ADMIN_TOKEN_FILE) set, that value is the admin token:
 * it is stored (hashed) if new, and any other bootstrap token is revoked, so rotating the
 * variable rotates access. Returns nothing to print then. Without it, the first start creates
 * one and returns it so that `gameops up` prints it once; later starts return nothing.
 */
export async function ensureAdminToken(store: Store, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const wanted = readEnv(env, (path) => readFileSync(path, "utf8")).get("GAMEOPS_ADMIN_TOKEN");
  if (wanted === undefined) {
    if (await store.tokens.hasBootstrap()) return undefined;
    const { token, record } = await store.tokens.create({ role: "admin", label: "bootstrap admin (printed at first start)" });
    await store.audit.append({ actor: "system", action: "token.create", subject: `token:${record.id}`, details: { role: "admin", bootstrap: true } });
    return token;
  }

  if (wanted.length < minimumLength || /\s/.test(wanted)) {
    throw new AdminTokenError(
      `GAMEOPS_ADMIN_TOKEN must be at least ${minimumLength} characters without spaces; generate one with \`openssl rand -hex 32\``,
    );
  }
  let kept = await store.tokens.verify(wanted);
  if (kept && (kept.personId !== undefined || kept.role !== "admin")) {
    throw new AdminTokenError("GAMEOPS_ADMIN_TOKEN is already a person's token; choose a new value for the admin token");
  }
  if (!kept) {
    kept = (await store.tokens.create({ role: "admin", label: "bootstrap admin (GAMEOPS_ADMIN_TOKEN)", plain: wanted })).record;
    await store.audit.append({
      actor: "system",
      action: "token.create",
      subject: `token:${kept.id}`,
      details: { role: "admin", bootstrap: true, from: "GAMEOPS_ADMIN_TOKEN" },
    });
  }
  for (const other of await store.tokens.list()) {
    if (other.personId === undefined && other.id !== kept.id && !other.revokedAt && (await store.tokens.revoke(other.id))) {
      await store.audit.append({
        actor: "system",
        action: "token.revoke",
        subject: `token:${other.id}`,
        details: { reason: "GAMEOPS_ADMIN_TOKEN replaces it" },
      });
    }
  }
  return undefined;
}
