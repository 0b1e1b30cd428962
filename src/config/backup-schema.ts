import { z } from "zod";
import { componentNames } from "../domain/backups/manifest.js";
import { retentionPolicySchema } from "../domain/backups/retention.js";
import { defaultCleanupTargets } from "../domain/db-maintenance/cleanup.js";
import { cron, duration, durationOrZero } from "./fields.js";

/**
 * `backups:` — where sets go, what they hold, how long they stay and when they are taken — and
 * `dbMaintenance:`, the tables the database maintenance runbook rotates, cleans and optimizes.
 * With neither section, and only GAMEOPS_MYSQL_URL / GAMEOPS_REDIS_URL set, backups of those go
 * to `<dataDir>/backups`.
 */

const identifier = z.string().regex(/^[A-Za-z0-9_$]{1,64}$/, "must be a table or column name: letters, digits, '_' or '$' (at most 64)");

const s3Storage = z.strictObject({
  kind: z.literal("s3"),
  bucket: z.string().min(3, "must be the bucket's name: 3 to 63 characters, like game-backups").max(63, "must be the bucket's name: 3 to 63 characters, like game-backups"),
  /** A folder inside the bucket, like "gameops/prod". */
  prefix: z.string().optional(),
  region: z.string().min(1).optional(),
  /** An S3-compatible store's URL (MinIO, Ceph, R2…); absent for AWS. */
  endpoint: z.string().url("must be a URL like https://minio.internal:9000").optional(),
  forcePathStyle: z.boolean().optional(),
  /** STANDARD when absent. GLACIER and DEEP_ARCHIVE sets need a thaw before verify or restore. */
  storageClass: z
    .enum(["STANDARD", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE", "REDUCED_REDUNDANCY"], {
      error: "must be an S3 storage class: STANDARD, STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER_IR, GLACIER or DEEP_ARCHIVE",
    })
    .optional(),
  /** Files holding the key pair; without them the AWS SDK's chain (AWS_* variables, profile, instance role). */
  accessKeyIdFile: z.string().min(1).optional(),
  secretAccessKeyFile: z.string().min(1).optional(),
  /** Many S3-compatible stores refuse the SDK's default CRC trailers; "when-required" turns them off. */
  checksums: z.enum(["when-supported", "when-required"]).optional(),
});

const localStorage = z.strictObject({
  kind: z.literal("local"),
  /** `<dataDir>/backups` when absent. */
  directory: z.string().min(1).optional(),
});

export const backupsConfig = z
  .strictObject({
    storage: z
      .discriminatedUnion("kind", [localStorage, s3Storage], {
        error: (issue) => (issue.code === "invalid_union" ? 'kind must be "local" (a directory) or "s3" (an S3-compatible bucket)' : undefined),
      })
      .default({ kind: "local" }),
    compression: z.enum(["zstd", "gzip"], { error: 'must be "zstd" (the default) or "gzip"' }).default("zstd"),
    /** What a set holds; every configured one when absent (mysql and redis from targets, kubernetes and files when their sections are given). */
    components: z.array(z.enum(componentNames, { error: `must be one of ${componentNames.join(", ")}` })).min(1).optional(),
    kubernetes: z
      .strictObject({
        /** targets.kubernetes.namespace when absent. */
        namespace: z.string().min(1).optional(),
        /** Secrets are sealed (AES-256-GCM) with the 32-byte key in this file; `false` backs up ConfigMaps only. */
        secrets: z.boolean().default(true),
        secretsKeyFile: z.string().min(1).optional(),
      })
      .optional(),
    files: z.strictObject({ paths: z.array(z.string().min(1)).min(1, "list at least one file or directory, like /etc/game-server") }).optional(),
    retention: retentionPolicySchema.omit({ graceMs: true }).extend({ grace: duration.default(2 * 86_400_000) }).prefault({}),
    /** A 5-field cron in the team's zone, or false for no scheduled backup. */
    schedule: z.union([z.literal(false), cron]).default("0 3 * * *"),
    /** After a scheduled backup: restore it into scratch servers and fingerprint it (the only proof a backup is good). */
    deepVerify: z.boolean().default(true),
    /** The `backups` check is critical when no verified set is younger than this. */
    maxAge: duration.default(26 * 3_600_000),
  })
  .prefault({});
export type BackupsConfig = z.output<typeof backupsConfig>;

export const dbMaintenanceConfig = z
  .strictObject({
    partitions: z
      .array(
        z.strictObject({
          table: identifier,
          keepMonths: z.number().int().min(1, "must keep at least 1 past month").max(120).default(6),
          aheadMonths: z.number().int().min(1, "needs at least 1 month ahead, so the month change never writes into pmax").max(24).default(2),
          timeZone: z.string().optional(),
        }),
      )
      .default([]),
    cleanup: z
      .array(
        z.strictObject({
          table: identifier,
          timeColumn: identifier,
          primaryKey: identifier.default("id"),
          olderThanDays: z.number().int().min(1, "must be at least 1 day"),
        }),
      )
      .default(defaultCleanupTargets.map((t) => ({ ...t }))),
    batchSize: z.number().int().min(1).max(100_000, "must be at most 100000 rows a batch").default(1000),
    pause: durationOrZero.default(200),
    analyze: z.array(identifier).default([]),
    optimize: z.array(identifier).default([]),
    /** OPTIMIZE of an InnoDB table bigger than this rebuilds it (a copy, locks); it is held back unless approved. */
    bigTableMb: z.number().int().min(1).default(1024),
  })
  .prefault({});
export type DbMaintenanceConfig = z.output<typeof dbMaintenanceConfig>;
