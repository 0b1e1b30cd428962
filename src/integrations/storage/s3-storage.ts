import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
  type StorageClass,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { MeasuringStream } from "./measuring-stream.js";
import { checkKey, StorageError, type BackupStorage, type GetOptions, type PutOptions, type PutResult, type StorageFailure, type StoredObject } from "./storage.js";

export interface S3StorageOptions {
  bucket: string;
  /** Folder inside the bucket, e.g. "gameops/prod"; keys are stored under `prefix/`. */
  prefix?: string;
  region?: string;
  /** For S3-compatible stores (MinIO, Ceph, R2…): their URL. Absent for AWS. */
  endpoint?: string;
  /** Path-style URLs (`endpoint/bucket/key`), which most S3-compatible stores need. */
  forcePathStyle?: boolean;
  /** Absent: the SDK's default chain (environment, profile, instance role). Never logged. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Multipart part size in bytes (S3's minimum, 5 MiB, by default). Memory used is about partSize × queueSize. */
  partSize?: number;
  /** Parts uploaded at once (4 by default). */
  queueSize?: number;
  /** Storage class new artifacts are written with (STANDARD by default). */
  storageClass?: StorageClass;
  /**
   * "when-supported" (the SDK's default) adds a CRC checksum to every upload; "when-required"
   * only where S3 demands one. Many S3-compatible stores reject or mangle the former's
   * aws-chunked bodies. Integrity does not depend on it: every artifact's sha256 is ours.
   */
  checksums?: "when-supported" | "when-required";
  /** Per request: no answer (or no byte of a streamed answer) for this long fails it (30 s by default). */
  requestTimeoutMs?: number;
}

const minimumPartSize = 5 * 1024 * 1024;

/** Backups in an S3 bucket, or any store speaking the S3 protocol. */
export class S3Storage implements BackupStorage {
  readonly kind = "s3";
  readonly label: string;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly partSize: number;
  private readonly queueSize: number;
  private readonly storageClass: StorageClass | undefined;

  constructor(options: S3StorageOptions) {
    if (!options.bucket) throw new StorageError("no-store", "S3 storage: bucket is empty; name the bucket backups go to");
    if (options.partSize !== undefined && (!Number.isInteger(options.partSize) || options.partSize < minimumPartSize)) {
      throw new StorageError("refused", `S3 storage: partSize ${options.partSize} is below S3's minimum part of ${minimumPartSize} bytes (5 MiB); raise it`);
    }
    this.bucket = options.bucket;
    this.prefix = options.prefix ? options.prefix.replace(/^\/+|\/+$/g, "") + "/" : "";
    this.label = `s3://${this.bucket}/${this.prefix}`;
    this.partSize = options.partSize ?? minimumPartSize;
    this.queueSize = options.queueSize ?? 4;
    this.storageClass = options.storageClass;
    const checksums = options.checksums === "when-required" ? "WHEN_REQUIRED" : "WHEN_SUPPORTED";
    this.client = new S3Client({
      region: options.region ?? "us-east-1",
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      forcePathStyle: options.forcePathStyle ?? false,
      ...(options.credentials ? { credentials: { ...options.credentials } } : {}),
      requestChecksumCalculation: checksums,
      responseChecksumValidation: checksums,
      requestHandler: { connectionTimeout: 10_000, requestTimeout: options.requestTimeoutMs ?? 30_000 },
    });
  }

  async put(key: string, body: Readable, options: PutOptions = {}): Promise<PutResult> {
    const objectKey = this.objectKey(key);
    const meter = new MeasuringStream();
    // Whichever fails first is the cause; the other's failure is only its echo.
    let first: "source" | "upload" | undefined;
    // The source's failure must reach the uploader as a failing body: it then stops, aborts the
    // multipart upload (no parts left billed in the bucket) and rejects.
    const flowing = pipeline(body, meter, options.signal ? { signal: options.signal } : {}).catch((error: unknown) => {
      first ??= "source";
      throw error;
    });
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.bucket,
        Key: objectKey,
        Body: meter,
        ContentType: options.contentType ?? "application/octet-stream",
        ...(this.storageClass ? { StorageClass: this.storageClass } : {}),
      },
      partSize: this.partSize,
      queueSize: this.queueSize,
      leavePartsOnError: false,
    });
    // Not upload.abort() on cancel: its done() then rejects at once while the multipart abort is
    // still in flight. Failing the body instead lets done() settle only after the abort was sent.
    const uploading = upload.done().catch((error: unknown) => {
      first ??= "upload";
      // Stop reading a source nobody will store.
      meter.destroy(error as Error);
      throw error;
    });
    const [uploaded, flowed] = await Promise.allSettled([uploading, flowing]);
    if (uploaded.status === "fulfilled" && flowed.status === "fulfilled") return meter.result();
    // lib-storage reports a failed multipart abort in place of the failure that caused it.
    const leftover = uploaded.status === "rejected" && uploaded.reason instanceof S3ServiceException ? `; aborting the multipart upload failed too (${classify(uploaded.reason)[1]}), so its parts may remain: an AbortIncompleteMultipartUpload lifecycle rule on the bucket removes them` : "";
    if (options.signal?.aborted) throw new StorageError("aborted", `put ${this.where(key)}: cancelled; no object was stored${leftover}`, { key });
    if (first === "source" && flowed.status === "rejected") {
      throw new StorageError("source", `put ${this.where(key)}: the data stream failed (${messageOf(flowed.reason)}); no object was stored${leftover}`, { key, cause: flowed.reason });
    }
    throw this.failure(uploaded.status === "rejected" ? uploaded.reason : (flowed as PromiseRejectedResult).reason, "put", key);
  }

  async get(key: string, options: GetOptions = {}): Promise<Readable> {
    const objectKey = this.objectKey(key);
    try {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: objectKey }), options.signal ? { abortSignal: options.signal } : {});
      // In Node the SDK's body is the response stream itself (an IncomingMessage).
      return answer.Body as Readable;
    } catch (error) {
      throw this.failure(error, "get", key);
    }
  }

  async list(prefix: string): Promise<StoredObject[]> {
    const found: StoredObject[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix + prefix, ...(token ? { ContinuationToken: token } : {}) }),
        );
        for (const object of page.Contents ?? []) {
          if (object.Key === undefined) continue;
          found.push({
            key: object.Key.slice(this.prefix.length),
            size: object.Size ?? 0,
            modifiedAt: object.LastModified ?? new Date(0),
            storageClass: object.StorageClass ?? "STANDARD",
          });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (error) {
      throw this.failure(error, "list", prefix);
    }
    return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async remove(key: string): Promise<void> {
    const objectKey = this.objectKey(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: objectKey }));
    } catch (error) {
      throw this.failure(error, "remove", key);
    }
  }

  async exists(key: string): Promise<boolean> {
    const objectKey = this.objectKey(key);
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: objectKey }));
      return true;
    } catch (error) {
      const failure = this.failure(error, "exists", key);
      if (failure.failure === "not-found") return false;
      throw failure;
    }
  }

  /** Closes the client's connections. */
  close(): void {
    this.client.destroy();
  }

  private objectKey(key: string): string {
    checkKey(key);
    return this.prefix + key;
  }

  private where(key: string): string {
    return `s3://${this.bucket}/${this.prefix}${key}`;
  }

  /**
   * The message is built from S3's error code and HTTP status only: an SDK message may quote
   * the request (an access key id, a signature) and has no place in a log.
   */
  private failure(error: unknown, operation: string, key: string): StorageError {
    if (error instanceof StorageError) return error;
    const [failure, why] = classify(error);
    const target = operation === "list" ? `s3://${this.bucket}/${this.prefix}${key}*` : this.where(key);
    return new StorageError(failure, `${operation} ${target}: ${why}`, { key, cause: scrub(error) });
  }
}

function classify(error: unknown): [StorageFailure, string] {
  const name = (error as Error)?.name ?? "";
  const status = error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
  const code = (error as NodeJS.ErrnoException)?.code;
  switch (name) {
    case "NoSuchKey":
    case "NotFound":
      return ["not-found", "no such backup artifact"];
    case "NoSuchBucket":
      return ["no-store", "the bucket does not exist; create it or fix the bucket name"];
    case "InvalidObjectState":
      return ["needs-thaw", "the object is archived (GLACIER or DEEP_ARCHIVE); restore it in S3 before reading it"];
    case "InvalidAccessKeyId":
    case "SignatureDoesNotMatch":
    case "InvalidToken":
    case "ExpiredToken":
      return ["unauthorized", `the credentials were refused (${name}); check the access key and secret configured for this bucket`];
    case "AccessDenied":
    case "Forbidden":
      return ["unauthorized", `access denied (${name}); the credentials lack permission on this bucket`];
    case "AbortError":
      return ["aborted", "cancelled"];
    case "TimeoutError":
    case "RequestTimeout":
    case "SlowDown":
    case "ServiceUnavailable":
    case "InternalError":
      return ["unavailable", `the store did not answer in time or is overloaded (${name}); try again later`];
  }
  if (status === 404) return ["not-found", "no such backup artifact"];
  if (status === 401 || status === 403) return ["unauthorized", `access refused (HTTP ${status}); check the credentials and their permissions on this bucket`];
  if (status !== undefined && (status >= 500 || status === 429)) return ["unavailable", `the store failed (HTTP ${status}${name ? ` ${name}` : ""}); try again later`];
  if (code && ["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH"].includes(code)) {
    return ["unavailable", `cannot reach the store (${code}); check the endpoint and the network`];
  }
  return ["refused", `${name || "error"}${status ? ` (HTTP ${status})` : ""}; the store refused the request`];
}

/**
 * The SDK error without what it carries of the exchange: kept as `cause` for its name, status
 * and request id, but nothing a log could leak a credential from.
 */
function scrub(error: unknown): Error {
  const plain = new Error(`${(error as Error)?.name ?? "Error"}`);
  plain.name = (error as Error)?.name ?? "Error";
  if (error instanceof S3ServiceException) Object.assign(plain, { status: error.$metadata.httpStatusCode, requestId: error.$metadata.requestId });
  else if ((error as NodeJS.ErrnoException)?.code) Object.assign(plain, { code: (error as NodeJS.ErrnoException).code });
  return plain;
}

function messageOf(error: unknown): string {
  return (error as Error)?.message ?? String(error);
}
