import type { Readable } from "node:stream";

/**
 * Where backup artifacts live. Backup, verify, retention and restore speak only to this
 * contract; the local directory and S3 differ behind it.
 *
 * Keys are relative, "/"-separated paths ("2024-05-01T030000Z/mysql.sql.zst"); every
 * implementation refuses the same bad keys (see `checkKey`).
 */
export interface BackupStorage {
  readonly kind: "local" | "s3";
  /** Where, for people and logs: a directory, `s3://bucket/prefix`. Never holds a credential. */
  readonly label: string;
  /**
   * Streams `body` into `key`, hashing and counting the bytes as they pass: the artifact is
   * never held whole in memory. Either the object is complete under `key` or nothing is left
   * behind (a failing body, an abort, a full disk).
   */
  put(key: string, body: Readable, options?: PutOptions): Promise<PutResult>;
  /** A stream of the stored bytes. Rejects with failure "not-found", or "needs-thaw" for an archived S3 object. */
  get(key: string, options?: GetOptions): Promise<Readable>;
  /** Every complete object whose key starts with `prefix` ("" for all), sorted by key. */
  list(prefix: string): Promise<StoredObject[]>;
  /** Idempotent: removing a key that is not there is not an error. */
  remove(key: string): Promise<void>;
  exists(key: string): Promise<boolean>;
}

export interface PutOptions {
  signal?: AbortSignal;
  contentType?: string;
}

export interface GetOptions {
  signal?: AbortSignal;
}

export interface PutResult {
  /** Bytes stored. */
  size: number;
  /** Lower-case hex sha256 of the bytes stored. */
  sha256: string;
}

export interface StoredObject {
  key: string;
  size: number;
  modifiedAt: Date;
  /** S3's storage class ("STANDARD", "GLACIER", …); absent for the local directory. */
  storageClass?: string;
}

/** Storage classes whose objects must be restored (thawed) before they can be read. */
const archivedClasses: ReadonlySet<string> = new Set(["GLACIER", "DEEP_ARCHIVE"]);

/** Whether reading the object needs a thaw (an S3 RestoreObject) first: a GLACIER-class set cannot be verified or restored as it is. */
export function needsThaw(object: Pick<StoredObject, "storageClass">): boolean {
  return object.storageClass !== undefined && archivedClasses.has(object.storageClass);
}

export type StorageFailure =
  /** A key that is not a plain relative path. */
  | "bad-key"
  | "not-found"
  /** An archived (GLACIER, DEEP_ARCHIVE) object: restore it in S3 first. */
  | "needs-thaw"
  /** Credentials refused or not allowed to do this. */
  | "unauthorized"
  /** The bucket or directory is not there, or is not usable as one. */
  | "no-store"
  /** The body stream given to `put` failed; nothing was stored. */
  | "source"
  /** The caller cancelled. */
  | "aborted"
  /** No answer, connection refused or reset, a timeout, a 5xx, a throttle. */
  | "unavailable"
  /** The store said no to this request as asked, a disk error, an answer we do not understand. */
  | "refused";

const retryableFailures: ReadonlySet<StorageFailure> = new Set(["unavailable"]);

/**
 * A storage call failed. `retryable` says whether the same call may succeed later. The message
 * names the store (bucket or directory) and the key, never a credential.
 */
export class StorageError extends Error {
  readonly retryable: boolean;

  constructor(
    readonly failure: StorageFailure,
    message: string,
    readonly details: { key?: string; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "StorageError";
    this.retryable = retryableFailures.has(failure);
  }
}

const example = `keys are relative paths such as "2024-05-01T030000Z/mysql.sql.zst"`;

/**
 * Refuses a key that could escape the store or collide with its bookkeeping: empty, absolute,
 * with a NUL, a backslash, an empty, "." or ".." segment, or ending in ".partial" (the local
 * store's name for an upload in progress).
 */
export function checkKey(key: string): void {
  const refuse = (why: string) => {
    throw new StorageError("bad-key", `backup key ${JSON.stringify(key)} refused: ${why}; ${example}`, { key });
  };
  if (typeof key !== "string" || key.length === 0) refuse("it is empty");
  if (key.length > 1024) refuse("it is longer than 1024 characters");
  if (key.includes("\0")) refuse("it contains a NUL character");
  if (key.includes("\\")) refuse("it contains a backslash");
  if (key.startsWith("/")) refuse("it is an absolute path");
  for (const segment of key.split("/")) {
    if (segment === "..") refuse('it contains a ".." segment');
    if (segment === "." || segment === "") refuse('it contains an empty or "." segment');
  }
  if (key.endsWith(partialSuffix)) refuse(`it ends in "${partialSuffix}", which marks an unfinished upload`);
}

/** The suffix of a local upload in progress; such files are never listed. */
export const partialSuffix = ".partial";
