import { z } from "zod";
import { bytes } from "../checks/redis.js";
import { BackupError } from "./backup-error.js";

/**
 * A backup set's manifest: the one record of what a set holds, written next to its artifacts.
 * Stable once shipped: a restore years later reads manifests written today.
 *
 * A set is good only once `status` is `verified`: every artifact re-read and re-hashed from
 * storage (and, for a deep verify, the dump restored and fingerprinted). `written` means the
 * artifacts reached storage and nothing more.
 */

export const componentNames = ["mysql", "redis", "kubernetes", "files"] as const;
export type ComponentName = (typeof componentNames)[number];

export const setStatuses = ["written", "verified", "failed"] as const;
export type SetStatus = (typeof setStatuses)[number];

/** S3 classes whose objects must be restored (thawed) before they can be read. GLACIER_IR reads at once. */
export const thawClasses = ["GLACIER", "DEEP_ARCHIVE"] as const;

// Set ids become directory names, object-key prefixes and part of `<db>_restore_<set>`:
// no dots, slashes or anything a path or an identifier would read differently.
const setId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, "must be letters, digits, '_' and '-' (at most 64), like 20261126T030000Z-mysql");

// An artifact name is a file name inside the set: never a path.
const artifactName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, "must be a file name without '/', like dump.sql.zst")
  .refine((name) => !name.includes(".."), "must not contain '..'; name the file itself, like dump.sql.zst");

const instant = z.iso.datetime({ offset: true, error: "must be an ISO 8601 time with a zone, like 2026-11-26T03:00:00Z" });

export const artifactSchema = z.strictObject({
  name: artifactName,
  size: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lower-case hex digits (the SHA-256 of the stored bytes)"),
  compression: z.enum(["zstd", "gzip", "none"]),
  encrypted: z.boolean().optional(),
});
export type Artifact = z.output<typeof artifactSchema>;

export const componentSchema = z
  .strictObject({
    name: z.enum(componentNames),
    artifacts: z.array(artifactSchema).min(1, "needs at least one artifact; a component that wrote nothing failed"),
    tool: z.strictObject({ name: z.string().min(1), version: z.string().min(1) }).optional(),
    /** Where the dump's snapshot stands in the binlog: the point a point-in-time recovery replays from. */
    source: z
      .strictObject({
        binlogFile: z.string().min(1).optional(),
        binlogPosition: z.number().int().min(0).optional(),
        gtid: z.string().min(1).optional(),
      })
      .optional(),
  })
  .superRefine((component, ctx) => {
    duplicates(component.artifacts.map((a) => a.name)).forEach((name) =>
      ctx.addIssue({ code: "custom", path: ["artifacts"], message: `artifact "${name}" appears twice; each artifact needs its own name` }),
    );
    const source = component.source;
    if (source && (source.binlogFile === undefined) !== (source.binlogPosition === undefined))
      ctx.addIssue({ code: "custom", path: ["source"], message: "binlogFile and binlogPosition go together; give both or neither" });
  });
export type Component = z.output<typeof componentSchema>;

export const fingerprintSchema = z.strictObject({
  tables: z.array(z.strictObject({ name: z.string().min(1), rows: z.number().int().min(0), checksum: z.string().min(1) })),
  redisKeys: z.number().int().min(0).optional(),
});
export type Fingerprint = z.output<typeof fingerprintSchema>;

export const manifestSchema = z
  .strictObject({
    id: setId,
    createdAt: instant,
    components: z.array(componentSchema).min(1, "needs at least one component"),
    status: z.enum(setStatuses),
    verifiedAt: instant.optional(),
    /** Taken from the first deep verify's restore, which later verifies and restores must match. */
    fingerprint: fingerprintSchema.optional(),
    storage: z.strictObject({ kind: z.enum(["local", "s3"]), storageClass: z.string().regex(/^[A-Z_]+$/, "must be an S3 storage class, like STANDARD_IA").optional() }),
  })
  .superRefine((m, ctx) => {
    duplicates(m.components.map((c) => c.name)).forEach((name) =>
      ctx.addIssue({ code: "custom", path: ["components"], message: `component "${name}" appears twice; a set holds each component once` }),
    );
    if (m.status === "verified" && m.verifiedAt === undefined)
      ctx.addIssue({ code: "custom", path: ["verifiedAt"], message: "a verified set needs verifiedAt, the time the verify passed" });
    if (m.verifiedAt !== undefined && Date.parse(m.verifiedAt) < Date.parse(m.createdAt))
      ctx.addIssue({ code: "custom", path: ["verifiedAt"], message: "is before createdAt; a set is verified after it is written" });
    if (m.storage.kind === "local" && m.storage.storageClass !== undefined)
      ctx.addIssue({ code: "custom", path: ["storage", "storageClass"], message: "only s3 storage has a storage class; remove it for local" });
  });
export type BackupManifest = z.output<typeof manifestSchema>;

/** A manifest read from storage, refused with every bad field named when it is not one. */
export function parseManifest(value: unknown, where: string): BackupManifest {
  const parsed = manifestSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "(manifest)"}: ${issue.message}`);
  throw new BackupError(`invalid backup manifest ${where}:\n${problems.map((p) => `  - ${p}`).join("\n")}`, { cause: parsed.error });
}

/** Whether the set's objects sit in an archive class and must be thawed before a verify or restore can read them. */
export function needsThaw(manifest: BackupManifest): boolean {
  const storageClass = manifest.storage.storageClass;
  return manifest.storage.kind === "s3" && storageClass !== undefined && (thawClasses as readonly string[]).includes(storageClass);
}

/** The total stored size of a set's artifacts, in bytes. */
export function manifestSize(manifest: BackupManifest): number {
  return manifest.components.reduce((sum, c) => sum + c.artifacts.reduce((s, a) => s + a.size, 0), 0);
}

/** One line for lists and logs: id, time, status, components with their sizes, and where it is stored. */
export function describeManifest(manifest: BackupManifest): string {
  const status = manifest.status === "verified" ? `verified ${manifest.verifiedAt}` : manifest.status;
  const components = manifest.components
    .map((c) => `${c.name} ${bytes(c.artifacts.reduce((s, a) => s + a.size, 0))}`)
    .join(", ");
  const storage = [manifest.storage.kind, manifest.storage.storageClass].filter(Boolean).join(" ");
  const thaw = needsThaw(manifest) ? " (needs a thaw before restore)" : "";
  return `${manifest.id} · ${manifest.createdAt} · ${status} · ${components} (${bytes(manifestSize(manifest))}) · ${storage}${thaw}`;
}

function duplicates(names: readonly string[]): string[] {
  return [...new Set(names.filter((name, i) => names.indexOf(name) !== i))];
}
