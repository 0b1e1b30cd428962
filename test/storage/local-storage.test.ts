import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import fc from "fast-check";
import { LocalStorage } from "../../src/integrations/storage/local-storage.js";
import { checkKey, StorageError } from "../../src/integrations/storage/storage.js";
import { generatedBody, sha256Of } from "./source-streams.js";

let parent: string;
let directory: string;
let storage: LocalStorage;

beforeEach(() => {
  parent = mkdtempSync(join(tmpdir(), "gameops-local-storage-"));
  directory = join(parent, "backups");
  storage = new LocalStorage(directory);
});

afterEach(() => {
  rmSync(parent, { recursive: true, force: true });
});

/** Every file under the store, .partial ones included. */
function filesUnder(root: string): string[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

describe("LocalStorage", () => {
  it("streams 50 MB in and out with the same sha256, never running far ahead of the disk", async () => {
    const size = 50 * 1024 * 1024;
    const key = "2024-05-01T030000Z/mysql.sql.zst";
    const partial = join(directory, key + ".partial");
    let furthestAhead = 0;
    // Each time the producer makes a chunk, compare what it made with what reached the file: a
    // put that buffered the artifact would run the whole 50 MB ahead before writing.
    const body = generatedBody(size, {
      onChunk: (produced) => {
        let written = 0;
        try {
          written = statSync(partial).size;
        } catch {
          written = 0;
        }
        furthestAhead = Math.max(furthestAhead, produced - written);
      },
    });
    const stored = await storage.put(key, body.stream);
    expect(stored).toEqual({ size, sha256: body.sha256() });
    expect(furthestAhead).toBeLessThan(4 * 1024 * 1024);

    expect(await sha256Of(await storage.get(key))).toEqual(stored);
    expect(filesUnder(directory)).toEqual([join(directory, key)]);
  });

  it("creates the directory 0700 and artifacts 0600", async () => {
    await storage.put("set-1/redis.rdb", Readable.from([Buffer.from("REDIS0011")]));
    expect(statSync(directory).mode & 0o777).toBe(0o700);
    expect(statSync(join(directory, "set-1")).mode & 0o777).toBe(0o700);
    expect(statSync(join(directory, "set-1/redis.rdb")).mode & 0o777).toBe(0o600);
  });

  it("leaves no file and no .partial when the source fails midway, and keeps an older artifact", async () => {
    await storage.put("set-1/dump.sql", Readable.from([Buffer.from("the good one")]));
    const body = generatedBody(10 * 1024 * 1024, { failAfter: 3 * 1024 * 1024 });
    const failure = await storage.put("set-1/dump.sql", body.stream).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StorageError);
    expect(failure).toMatchObject({ failure: "source", retryable: false });
    expect((failure as Error).message).toContain("the dump process died");

    const fresh = await storage.put("set-2/dump.sql", generatedBody(1024 * 1024, { failAfter: 512 * 1024 }).stream).catch((error: unknown) => error);
    expect(fresh).toMatchObject({ failure: "source" });

    expect(filesUnder(directory)).toEqual([join(directory, "set-1/dump.sql")]);
    expect(await sha256Of(await storage.get("set-1/dump.sql"))).toMatchObject({ size: "the good one".length });
    expect(await storage.exists("set-2/dump.sql")).toBe(false);
  });

  it("leaves nothing when the caller cancels", async () => {
    const controller = new AbortController();
    const body = generatedBody(10 * 1024 * 1024, { onChunk: (produced) => produced > 1024 * 1024 && controller.abort() });
    await expect(storage.put("set-1/big", body.stream, { signal: controller.signal })).rejects.toMatchObject({ failure: "aborted" });
    expect(filesUnder(parent)).toEqual([]);
  });

  it("lists by prefix, sorted, without unfinished uploads; remove is idempotent", async () => {
    for (const key of ["b/2", "a/1", "a/2", "c"]) await storage.put(key, Readable.from([Buffer.from(key)]));
    const slow = generatedBody(4 * 1024 * 1024, { failAfter: 1024 * 1024 });
    await storage.put("a/3", slow.stream).catch(() => undefined);

    expect((await storage.list("a/")).map((o) => [o.key, o.size])).toEqual([
      ["a/1", 3],
      ["a/2", 3],
    ]);
    expect((await storage.list("")).map((o) => o.key)).toEqual(["a/1", "a/2", "b/2", "c"]);
    const [first] = await storage.list("c");
    expect(first?.modifiedAt).toBeInstanceOf(Date);
    expect(first?.storageClass).toBeUndefined();

    await storage.remove("a/1");
    await storage.remove("a/1");
    expect(await storage.exists("a/1")).toBe(false);
    expect(await storage.exists("a")).toBe(false);
    await expect(storage.get("a/1")).rejects.toMatchObject({ failure: "not-found", retryable: false });
  });

  it("lists nothing from a store nothing was put into", async () => {
    expect(await storage.list("")).toEqual([]);
  });

  it("refuses keys with .., absolute paths, NUL and the like, naming the key and the fix", async () => {
    for (const key of ["../escape", "a/../../etc/passwd", "/etc/passwd", "a\0b", "", "a//b", "./a", "a\\..\\b", "set/dump.partial"]) {
      const failure = await storage.put(key, Readable.from([Buffer.from("x")])).catch((error: unknown) => error);
      expect(failure, key).toBeInstanceOf(StorageError);
      expect(failure).toMatchObject({ failure: "bad-key", retryable: false });
      expect((failure as Error).message).toContain(JSON.stringify(key));
      expect((failure as Error).message).toContain("keys are relative paths");
      await expect(storage.get(key)).rejects.toMatchObject({ failure: "bad-key" });
      await expect(storage.remove(key)).rejects.toMatchObject({ failure: "bad-key" });
    }
    expect(() => checkKey("../x")).toThrow('backup key "../x" refused: it contains a ".." segment');
    expect(() => checkKey("/x")).toThrow("it is an absolute path");
    expect(() => checkKey("a\0")).toThrow("NUL");
    expect(filesUnder(parent)).toEqual([]);
  });

  it("every key it accepts stays inside the store", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom("a", "..", ".", "", "/", "\\", "\0", "b.partial", "x"), { maxLength: 8 }), (parts) => {
        const key = parts.join("");
        let accepted = true;
        try {
          checkKey(key);
        } catch {
          accepted = false;
        }
        if (!accepted) return;
        const path = join(directory, key);
        expect(path.startsWith(directory + "/")).toBe(true);
        expect(key.split("/")).not.toContain("..");
      }),
    );
  });
});
