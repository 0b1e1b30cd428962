import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { Readable } from "node:stream";
import { inspect } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { S3Storage, type S3StorageOptions } from "../../src/integrations/storage/s3-storage.js";
import { needsThaw, StorageError } from "../../src/integrations/storage/storage.js";
import { closedPort } from "../support/servers.js";
import { privateS3, s3rverCredentials } from "./s3-server.js";
import { generatedBody, sha256Of } from "./source-streams.js";

const bucket = "gameops-backups";
let server: Awaited<ReturnType<typeof privateS3>>;
const opened: S3Storage[] = [];

function storageWith(options: Partial<S3StorageOptions> = {}): S3Storage {
  const storage = new S3Storage({
    bucket,
    prefix: "prod",
    endpoint: server.endpoint,
    forcePathStyle: true,
    credentials: s3rverCredentials,
    ...options,
  });
  opened.push(storage);
  return storage;
}

beforeAll(async () => {
  server = await privateS3(bucket);
});

afterAll(async () => {
  for (const storage of opened) storage.close();
  await server?.stop();
});

describe("S3Storage against s3rver", () => {
  it("uploads 13 MB in several parts and reads it back with the same sha256", async () => {
    const storage = storageWith({ partSize: 5 * 1024 * 1024 });
    const size = 13 * 1024 * 1024 + 17;
    const body = generatedBody(size);
    const stored = await storage.put("set-1/mysql.sql.zst", body.stream, { contentType: "application/zstd" });
    expect(stored).toEqual({ size, sha256: body.sha256() });
    expect(await sha256Of(await storage.get("set-1/mysql.sql.zst"))).toEqual(stored);
    expect(storage.label).toBe(`s3://${bucket}/prod/`);
    // Three parts of at most 5 MiB, then one completion.
    expect(server.log()).toMatch(/prod\/set-1\/mysql\.sql\.zst\?partNumber=3&uploadId=\w+&x-id=UploadPart 200/);
    expect(server.log()).not.toMatch(/prod\/set-1\/mysql\.sql\.zst\?partNumber=4/);
  });

  it("lists by prefix under its own prefix only, removes, and says what exists", async () => {
    const storage = storageWith({ prefix: "listing/" });
    for (const key of ["s2/a", "s1/b", "s1/a", "other"]) await storage.put(key, Readable.from([Buffer.from(key)]));
    const neighbour = storageWith({ prefix: "listing-neighbour" });
    await neighbour.put("s1/z", Readable.from([Buffer.from("not ours")]));

    const listed = await storage.list("s1/");
    expect(listed.map((o) => [o.key, o.size, o.storageClass])).toEqual([
      ["s1/a", 4, "STANDARD"],
      ["s1/b", 4, "STANDARD"],
    ]);
    expect(listed[0]?.modifiedAt).toBeInstanceOf(Date);
    expect((await storage.list("")).map((o) => o.key)).toEqual(["other", "s1/a", "s1/b", "s2/a"]);

    expect(await storage.exists("s1/a")).toBe(true);
    await storage.remove("s1/a");
    await storage.remove("s1/a");
    expect(await storage.exists("s1/a")).toBe(false);
    await expect(storage.get("s1/a")).rejects.toMatchObject({ failure: "not-found", retryable: false });
    expect((await storage.list("s1/")).map((o) => o.key)).toEqual(["s1/b"]);
  });

  it("paginates a listing longer than one page", async () => {
    const storage = storageWith({ prefix: "many" });
    const keys = Array.from({ length: 1005 }, (_, i) => `k/${String(i).padStart(4, "0")}`);
    // Straight through the SDK: 1005 puts through Upload would only slow the test.
    const client = new S3Client({ region: "us-east-1", endpoint: server.endpoint, forcePathStyle: true, credentials: s3rverCredentials });
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(keys.slice(i, i + 50).map((key) => client.send(new PutObjectCommand({ Bucket: bucket, Key: `many/${key}`, Body: "x" }))));
    }
    client.destroy();
    expect((await storage.list("k/")).map((o) => o.key)).toEqual(keys);
  });

  it("aborts the multipart upload and stores no object when the source fails after some parts", async () => {
    const storage = storageWith({ partSize: 5 * 1024 * 1024, queueSize: 1 });
    const body = generatedBody(20 * 1024 * 1024, { failAfter: 12 * 1024 * 1024 });
    const failure = await storage.put("set-2/mysql.sql.zst", body.stream).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StorageError);
    expect(failure).toMatchObject({ failure: "source", retryable: false });
    expect((failure as Error).message).toContain("the dump process died");
    expect(await storage.exists("set-2/mysql.sql.zst")).toBe(false);
    expect(await storage.list("set-2/")).toEqual([]);
    // Parts were sent, then the abort. s3rver 3.7 does not implement AbortMultipartUpload (405):
    // the error says the parts may remain and how to have S3 remove them.
    const log = server.log();
    // s3rver's log line cuts the method off; the query names the operation.
    expect(log).toMatch(/prod\/set-2\/mysql\.sql\.zst\?partNumber=2&uploadId=\w+&x-id=UploadPart 200/);
    expect(log).toMatch(/prod\/set-2\/mysql\.sql\.zst\?uploadId=\w+&x-id=AbortMultipartUpload 405/);
    expect((failure as Error).message).toContain("aborting the multipart upload failed too");
    expect((failure as Error).message).toContain("AbortIncompleteMultipartUpload");
  });

  it("leaves no object when the caller cancels mid-upload", async () => {
    const storage = storageWith({ partSize: 5 * 1024 * 1024, queueSize: 1 });
    const controller = new AbortController();
    const body = generatedBody(20 * 1024 * 1024, { onChunk: (produced) => produced > 11 * 1024 * 1024 && controller.abort() });
    await expect(storage.put("set-3/big", body.stream, { signal: controller.signal })).rejects.toMatchObject({ failure: "aborted" });
    expect(await storage.exists("set-3/big")).toBe(false);
  });

  it("wrong credentials: a StorageError naming the bucket, holding no secret anywhere", async () => {
    const secret = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY";
    const accessKeyId = "AKIAGAMEOPSWRONGKEY1";
    const storage = storageWith({ credentials: { accessKeyId, secretAccessKey: secret } });
    for (const attempt of [
      () => storage.put("set-4/x", Readable.from([Buffer.from("x")])),
      () => storage.list(""),
      () => storage.get("set-1/mysql.sql.zst"),
    ]) {
      const failure = await attempt().catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(StorageError);
      expect(failure).toMatchObject({ failure: "unauthorized", retryable: false });
      expect((failure as Error).message).toContain(`s3://${bucket}/`);
      expect((failure as Error).message).toContain("credentials");
      const everything = inspect(failure, { depth: 20, showHidden: true }) + JSON.stringify(failure);
      expect(everything).not.toContain(secret);
      expect(everything).not.toContain(accessKeyId);
    }
    expect(inspect(storage, { depth: 3 })).not.toContain(secret);
  });

  it("a missing bucket: a StorageError naming it and the fix", async () => {
    const storage = storageWith({ bucket: "no-such-gameops-bucket" });
    const failure = await storage.put("set-5/x", Readable.from([Buffer.from("x")])).catch((error: unknown) => error);
    expect(failure).toMatchObject({ failure: "no-store", retryable: false });
    expect((failure as Error).message).toContain("s3://no-such-gameops-bucket/");
    expect((failure as Error).message).toContain("create it or fix the bucket name");
  });

  it("an endpoint nobody listens on is retryable", async () => {
    const storage = storageWith({ endpoint: `http://127.0.0.1:${await closedPort()}` });
    await expect(storage.list("")).rejects.toMatchObject({ failure: "unavailable", retryable: true });
  });

  it("refuses bad keys before any request, and a part size below S3's minimum", async () => {
    const storage = storageWith();
    await expect(storage.put("../x", Readable.from([Buffer.from("x")]))).rejects.toMatchObject({ failure: "bad-key" });
    await expect(storage.exists("/abs")).rejects.toMatchObject({ failure: "bad-key" });
    expect(() => storageWith({ partSize: 1024 })).toThrow("below S3's minimum part");
  });

  it("flags archived storage classes as needing a thaw", () => {
    expect(needsThaw({ storageClass: "GLACIER" })).toBe(true);
    expect(needsThaw({ storageClass: "DEEP_ARCHIVE" })).toBe(true);
    expect(needsThaw({ storageClass: "STANDARD_IA" })).toBe(false);
    expect(needsThaw({})).toBe(false);
  });
});
