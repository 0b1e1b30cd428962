import type { Role, Store } from "../store/store.js";
import { roles } from "../store/store.js";
import { ApiError } from "./errors.js";

/** Who is calling, as the audit log names them. */
export interface Actor {
  tokenId: string;
  role: Role;
  label: string;
  personId?: string;
  /** The person id, or `admin` for the bootstrap token. */
  name: string;
}

/** Roles are ordered: each one may do everything the ones before it may. */
export function hasRole(actual: Role, needed: Role): boolean {
  return roles.indexOf(actual) >= roles.indexOf(needed);
}

const unauthorized = (message: string) => new ApiError(401, "unauthorized", message);

/** Tokens travel only in the Authorization header, never in a URL where logs would keep them. */
export async function authenticate(store: Store, header: string | undefined): Promise<Actor> {
  if (!header) {
    throw unauthorized("missing token: send the header Authorization: Bearer <token> (create one with `gameops token create`)");
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw unauthorized('the Authorization header must be "Bearer <token>"');
  const record = await store.tokens.verify(match[1]!);
  if (!record) throw unauthorized("the token is not valid: it is unknown or was revoked");
  return {
    tokenId: record.id,
    role: record.role,
    label: record.label,
    ...(record.personId ? { personId: record.personId } : {}),
    name: record.personId ?? "admin",
  };
}

export function requireRole(actor: Actor, needed: Role): void {
  if (!hasRole(actor.role, needed)) {
    const above = needed === "admin" ? "the admin role" : `the ${needed} role or above`;
    throw new ApiError(403, "forbidden", `this needs ${above}; your token has the ${actor.role} role`);
  }
}

/** The console and the CLI say who they are (x-gameops-client), so records show through what a person acted. */
export function throughOf(headers: Record<string, string | string[] | undefined>): "cli" | "console" | "api" {
  const client = headers["x-gameops-client"];
  return client === "console" || client === "cli" ? client : "api";
}
