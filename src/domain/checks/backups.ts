import { formatDuration } from "../../config/duration.js";
import type { Verdict } from "./verdict.js";

export interface SetSummary {
  id: string;
  createdAt: string;
  status: "written" | "verified" | "failed";
  /** Restored and fingerprinted at least once. */
  deep: boolean;
}

/**
 * The seed's daily "backup status", made to mean something: only a verified set counts. Critical
 * when no verified set is younger than `maxAgeMs`; a warning when one is, but the newest set since
 * is failed or still unverified (tonight's backup is not proven yet).
 *
 * `sets` newest first.
 */
export function judgeBackups(sets: readonly SetSummary[], now: number, maxAgeMs: number): Verdict {
  const newest = sets[0];
  const verified = sets.find((s) => s.status === "verified");
  const age = (s: SetSummary) => now - Date.parse(s.createdAt);
  const details = { sets: sets.length, newest: newest?.id, newestStatus: newest?.status, newestVerified: verified?.id, deep: verified?.deep ?? false };
  if (!verified)
    return {
      status: "critical",
      summary: newest ? `no verified backup set: the newest, ${newest.id}, is ${newest.status}; run \`gameops backup verify --deep ${newest.id}\`` : "no backup set at all: run `gameops backup`",
      details,
    };
  const verifiedAge = age(verified);
  const ageText = formatDuration(Math.max(0, verifiedAge));
  if (verifiedAge > maxAgeMs)
    return {
      status: "critical",
      summary: `no verified backup set younger than ${formatDuration(maxAgeMs)}: the newest verified, ${verified.id}, is ${ageText} old`,
      details: { ...details, ageMs: verifiedAge },
    };
  const proof = verified.deep ? "restored and fingerprinted" : "re-hashed only; run `gameops backup verify --deep` to prove it restores";
  if (newest && newest !== verified && newest.status === "failed")
    return { status: "warning", summary: `the newest backup set, ${newest.id}, failed; the newest verified is ${verified.id} (${ageText} old)`, details: { ...details, ageMs: verifiedAge } };
  return { status: verified.deep ? "ok" : "warning", summary: `newest verified set ${verified.id}, ${ageText} old, ${proof}`, details: { ...details, ageMs: verifiedAge } };
}
