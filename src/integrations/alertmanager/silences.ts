import { z } from "zod";
import type { Endpoint } from "../http/endpoint.js";
import type { CallOptions } from "./alerts.js";
import { AlertmanagerError } from "./errors.js";
import { requestJson } from "./request.js";

/** One label condition of a silence, as API v2 spells it. */
export interface SilenceMatcher {
  name: string;
  /** With isRegex, an RE2 regex anchored at both ends by Alertmanager. */
  value: string;
  isRegex: boolean;
  /** false negates the matcher (`!=`, `!~`). */
  isEqual: boolean;
}

export interface NewSilence {
  /** All must match; Alertmanager wants at least one. */
  matchers: readonly SilenceMatcher[];
  /** Alertmanager moves a start in the past to its own now. */
  startsAt: Date;
  endsAt: Date;
  createdBy: string;
  comment: string;
}

const gettableSilence = z.object({
  id: z.string(),
  status: z.object({ state: z.enum(["active", "pending", "expired"]) }),
  matchers: z.array(z.object({ name: z.string(), value: z.string(), isRegex: z.boolean(), isEqual: z.boolean().default(true) })),
  startsAt: z.string(),
  endsAt: z.string(),
  updatedAt: z.string(),
  createdBy: z.string(),
  comment: z.string(),
});

export type Silence = z.output<typeof gettableSilence>;

/** Creates a silence and resolves to its id, the handle to expire it with. */
export async function createSilence(endpoint: Endpoint, silence: NewSilence, options: CallOptions = {}): Promise<string> {
  const answer = await requestJson(
    endpoint,
    {
      method: "POST",
      path: "api/v2/silences",
      body: {
        matchers: silence.matchers.map(({ name, value, isRegex, isEqual }) => ({ name, value, isRegex, isEqual })),
        startsAt: silence.startsAt.toISOString(),
        endsAt: silence.endsAt.toISOString(),
        createdBy: silence.createdBy,
        comment: silence.comment,
      },
      ...(options.signal ? { signal: options.signal } : {}),
    },
    z.object({ silenceID: z.string() }),
  );
  return answer.silenceID;
}

/** The silence, whatever its state; undefined when Alertmanager does not know the id. */
export async function getSilence(endpoint: Endpoint, id: string, options: CallOptions = {}): Promise<Silence | undefined> {
  try {
    return await requestJson(endpoint, { path: `api/v2/silence/${encodeURIComponent(id)}`, ...(options.signal ? { signal: options.signal } : {}) }, gettableSilence);
  } catch (error) {
    if (isUnknownSilence(error)) return undefined;
    throw error;
  }
}

/**
 * Ends a silence now. Resolves to false when Alertmanager does not know the id (gone after its
 * retention, or its data lost): nothing is silenced by it either way, so a caller that retries
 * an expiry after a crash gets an answer instead of an error. Expiring twice is fine.
 */
export async function expireSilence(endpoint: Endpoint, id: string, options: CallOptions = {}): Promise<boolean> {
  try {
    await requestJson(endpoint, { method: "DELETE", path: `api/v2/silence/${encodeURIComponent(id)}`, ...(options.signal ? { signal: options.signal } : {}) });
    return true;
  } catch (error) {
    if (isUnknownSilence(error)) return false;
    throw error;
  }
}

// Alertmanager 0.27 and later answer an unknown id with a 404; 0.25 and 0.26 expire with a 500
// "silence not found", which must not read as a server failure worth retrying.
function isUnknownSilence(error: unknown): boolean {
  return error instanceof AlertmanagerError && (error.status === 404 || (error.status === 500 && error.reason.includes("silence not found")));
}
