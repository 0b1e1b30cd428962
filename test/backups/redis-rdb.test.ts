import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RedisTarget } from "../../src/config/load.js";
import { Secret } from "../../src/config/secret.js";
import { dumpRdb, restoreRdbOnto, verifyRdb } from "../../src/integrations/redis/rdb-backup.js";
import { LocalStorage } from "../../src/integrations/storage/local-storage.js";
import { closedPort, waitForPort } from "../support/servers.js";

/**
 * Against redis-servers of this file's own (never the shared one): a source filled with a few
 * thousand keys, a second server restored onto, and servers that refuse the dump.
 */

interface Private {
  port: number;
  stop(): Promise<void>;
}

// A temp dir of this file's own (each test file runs in its own process): the scratch dirs the
// verifies make there can be counted without seeing those of other files' verifies meanwhile.
const sharedTmp = tmpdir();
process.env.TMPDIR = mkdtempSync(join(sharedTmp, "gameops-rdb-test-tmp-"));

const started: ChildProcess[] = [];
const dirs: string[] = [];

/** Config lines go through stdin: a password in argv would be visible in `ps`. */
async function privateServer(config: string[] = []): Promise<Private> {
  const port = await closedPort();
  const dir = mkdtempSync(join(tmpdir(), "gameops-rdb-test-"));
  dirs.push(dir);
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--repl-diskless-sync-delay", "0", "-"], { stdio: ["pipe", "ignore", "ignore"] });
  started.push(child);
  child.stdin!.end(config.join("\n") + "\n");
  await waitForPort(port);
  return {
    port,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

function target(port: number, password?: string): RedisTarget {
  return { host: "127.0.0.1", port, db: 0, tls: false, label: `test 127.0.0.1:${port}`, ...(password ? { password: new Secret(password) } : {}) };
}

function client(port: number, password?: string, db = 0): Redis {
  return new Redis({ host: "127.0.0.1", port, db, ...(password ? { password } : {}), lazyConnect: false, maxRetriesPerRequest: 1 });
}

async function dbsizes(port: number, password?: string): Promise<Record<number, number>> {
  const c = client(port, password);
  try {
    const out: Record<number, number> = {};
    for (const db of [0, 1, 2, 3, 5]) {
      await c.select(db);
      const n = await c.dbsize();
      if (n > 0) out[db] = n;
    }
    return out;
  } finally {
    c.disconnect();
  }
}

async function failureOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a failure");
}

function rdbScratchDirs(): string[] {
  return readdirSync(tmpdir()).filter((name) => name.startsWith("gameops-rdb-") && !name.startsWith("gameops-rdb-test-"));
}

const sourcePassword = "source-pass-7f3a";
let source: Private;
let storageDir: string;
let storage: LocalStorage;
const signal = new AbortController().signal;

beforeAll(async () => {
  source = await privateServer([`requirepass ${sourcePassword}`]);
  const c = client(source.port, sourcePassword);
  // db0: strings (half with a TTL), hashes, lists; db3: strings and hashes with TTLs.
  const p = c.pipeline();
  for (let i = 0; i < 2000; i++) i % 2 === 0 ? p.set(`player:${i}:name`, `name-${i}`) : p.set(`player:${i}:name`, `name-${i}`, "EX", 3600);
  for (let i = 0; i < 300; i++) p.hset(`player:${i}:stats`, { level: String(i % 60), gold: String(i * 7), guild: `g${i % 9}` });
  for (let i = 0; i < 300; i++) p.rpush(`player:${i}:inventory`, `sword-${i}`, `shield-${i}`, `potion-${i}`);
  p.select(3);
  for (let i = 0; i < 1000; i++) p.set(`session:${i}`, `token-${i}`);
  for (let i = 0; i < 200; i++) p.hset(`match:${i}`, { map: `m${i % 5}`, score: String(i) }).expire(`match:${i}`, 7200);
  await p.exec();
  c.disconnect();
  storageDir = mkdtempSync(join(tmpdir(), "gameops-rdb-test-store-"));
  dirs.push(storageDir);
  storage = new LocalStorage(storageDir);
});

afterAll(async () => {
  for (const child of started) if (child.exitCode === null) child.kill("SIGTERM");
  await Promise.all(started.map((child) => (child.exitCode === null ? new Promise((resolve) => child.once("exit", resolve)) : undefined)));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  rmSync(tmpdir(), { recursive: true, force: true });
  process.env.TMPDIR = sharedTmp;
});

describe("redis RDB backup", () => {
  const key = "set-1/dump.rdb.zst";
  const expected = { 0: 2600, 3: 1200 };

  it("dumps through zstd into storage, with the stored sha256 matching a re-hash and key counts per db", async () => {
    const { component, keys } = await dumpRdb({ target: target(source.port, sourcePassword), storage, key, compression: "zstd", signal });
    expect(keys).toEqual(expected);
    const bytes = readFileSync(join(storageDir, key));
    const artifact = component.artifacts[0]!;
    expect(component.name).toBe("redis");
    expect(artifact).toMatchObject({ name: "dump.rdb.zst", compression: "zstd", size: bytes.length });
    expect(artifact.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
    expect(bytes.subarray(0, 4)).toEqual(Buffer.from([0x28, 0xb5, 0x2f, 0xfd])); // the zstd frame magic
    expect(component.tool?.name).toBe("redis-server");
    // A plain RDB: "REDIS" magic, ending in the EOF opcode and CRC64, with the diskless transfer's marker cut off.
    const rdb = execFileSync("zstd", ["-d", "-q", "-c"], { input: bytes });
    expect(rdb.subarray(0, 5).toString()).toBe("REDIS");
    expect(rdb[rdb.length - 9]).toBe(0xff);
  });

  it("verify loads the artifact into a scratch server and reports the same key counts, then removes it", async () => {
    const result = await verifyRdb({ storage, key, compression: "zstd", signal });
    expect(result.keys).toEqual(expected);
    expect(result.stored.sha256).toBe(createHash("sha256").update(readFileSync(join(storageDir, key))).digest("hex"));
    expect(rdbScratchDirs()).toEqual([]);
  });

  it("gzip round-trips too", async () => {
    await dumpRdb({ target: target(source.port, sourcePassword), storage, key: "set-gz/dump.rdb.gz", compression: "gzip", signal });
    expect(readFileSync(join(storageDir, "set-gz/dump.rdb.gz")).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect((await verifyRdb({ storage, key: "set-gz/dump.rdb.gz", compression: "gzip", signal })).keys).toEqual(expected);
  });

  it("restore onto a live server needs overwrite: true and leaves it untouched without", async () => {
    const other = await privateServer();
    const c = client(other.port);
    await c.set("keep-me", "1");
    await expect(restoreRdbOnto({ target: target(other.port), storage, key, compression: "zstd", signal })).rejects.toThrow(/refused.*overwrite: true/);
    expect(await c.get("keep-me")).toBe("1");
    c.disconnect();
    await other.stop();
  });

  it("restore with overwrite replaces the target's data with the artifact's, via REPLICAOF, and leaves it a writable master", async () => {
    const restored = await privateServer(["masterauth previous-masterauth"]);
    const c = client(restored.port);
    await c.set("stale", "x");
    await c.select(5);
    await c.set("stale-in-db5", "y");
    await c.select(0);

    const result = await restoreRdbOnto({ target: target(restored.port), storage, key, compression: "zstd", overwrite: true, signal });
    expect(result.keys).toEqual(expected);
    expect(await dbsizes(restored.port)).toEqual(await dbsizes(source.port, sourcePassword));
    expect(await c.exists("stale")).toBe(0);

    const s = client(source.port, sourcePassword);
    for (const i of [0, 1, 17, 299, 1999]) expect(await c.get(`player:${i}:name`)).toBe(await s.get(`player:${i}:name`));
    for (const i of [0, 42, 299]) {
      expect(await c.hgetall(`player:${i}:stats`)).toEqual(await s.hgetall(`player:${i}:stats`));
      expect(await c.lrange(`player:${i}:inventory`, 0, -1)).toEqual(await s.lrange(`player:${i}:inventory`, 0, -1));
    }
    expect(await c.ttl("player:1:name")).toBeGreaterThan(0);
    expect(await c.ttl("player:0:name")).toBe(-1);
    await c.select(3);
    await s.select(3);
    expect(await c.hgetall("match:7")).toEqual(await s.hgetall("match:7"));
    expect(await c.ttl("match:7")).toBeGreaterThan(0);

    const replication = await c.info("replication");
    expect(replication).toMatch(/role:master/);
    expect(await c.call("CONFIG", "GET", "masterauth")).toEqual(["masterauth", "previous-masterauth"]);
    expect(await c.set("written-after", "ok")).toBe("OK");
    c.disconnect();
    s.disconnect();
    expect(rdbScratchDirs()).toEqual([]);
  });

  it("a wrong password fails the component without an artifact and without the password in the error", async () => {
    const wrong = "wrong-pass-91b2";
    const error = await failureOf(dumpRdb({ target: target(source.port, wrong), storage, key: "set-bad/dump.rdb.zst", compression: "zstd", signal }));
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toMatch(/authentication failed|authenticate/);
    expect(JSON.stringify({ message: error.message, stack: error.stack, cause: String(error.cause) })).not.toContain(wrong);
    expect(await storage.list("set-bad/")).toEqual([]);
    expect(readdirSync(storageDir)).not.toContain("set-bad");
  });

  it("a server that refuses SYNC and CONFIG fails the component naming the BGSAVE fallback; nothing is stored", async () => {
    const managed = await privateServer(['rename-command SYNC ""', 'rename-command CONFIG ""', "requirepass managed-pass-55"]);
    const c = client(managed.port, "managed-pass-55");
    await c.set("k", "v");
    c.disconnect();
    const error = await failureOf(dumpRdb({ target: target(managed.port, "managed-pass-55"), storage, key: "set-managed/dump.rdb.zst", compression: "zstd", signal }));
    expect(error.message).toMatch(/refused SYNC.*CONFIG GET.*BGSAVE.*LASTSAVE/s);
    expect(error.message).not.toContain("managed-pass-55");
    expect(await storage.list("set-managed/")).toEqual([]);
    await managed.stop();
  });

  it("where SYNC is refused, waits out a BGSAVE already running, then copies the RDB of a BGSAVE of its own", async () => {
    // Each key slows a save by 2 ms: the test's own BGSAVE is most likely still running when the dump looks.
    const password = "nosync-pass-3c1d";
    const nosync = await privateServer(['rename-command SYNC ""', 'rename-command PSYNC ""', "rdb-key-save-delay 2000", `requirepass ${password}`]);
    const c = client(nosync.port, password);
    const p = c.pipeline();
    for (let i = 0; i < 300; i++) p.set(`player:${i}:name`, `name-${i}`);
    p.select(2);
    for (let i = 0; i < 50; i++) p.hset(`guild:${i}`, { size: String(i) });
    p.select(0);
    await p.exec();
    const saves = Number(/rdb_saves:(\d+)/.exec(await c.info("persistence"))![1]);
    expect(await c.bgsave()).toMatch(/started/);
    // Written after that save forked: only a save started later holds it.
    await c.set("written-after-first-bgsave", "1");

    const { component, keys } = await dumpRdb({ target: target(nosync.port, password), storage, key: "set-nosync/dump.rdb.zst", compression: "zstd", signal });
    expect(keys).toEqual({ 0: 301, 2: 50 });
    expect(component).toMatchObject({ name: "redis", artifacts: [{ name: "dump.rdb.zst", compression: "zstd" }], tool: { name: "redis-server" } });
    expect(Number(/rdb_saves:(\d+)/.exec(await c.info("persistence"))![1])).toBe(saves + 2);
    const rdb = execFileSync("zstd", ["-d", "-q", "-c"], { input: readFileSync(join(storageDir, "set-nosync/dump.rdb.zst")) });
    expect(rdb.subarray(0, 5).toString()).toBe("REDIS");
    expect(rdb[rdb.length - 9]).toBe(0xff);
    expect((await verifyRdb({ storage, key: "set-nosync/dump.rdb.zst", compression: "zstd", signal })).keys).toEqual(keys);
    c.disconnect();
    await nosync.stop();
  });

  it("where SYNC is refused and the BGSAVE fails, the component fails naming the server, not the password; nothing is stored", async () => {
    // Root writes anywhere a chmod forbids, but no one creates files in /proc. `dir` is a protected config since Redis 7.
    const password = "failsave-pass-8e0a";
    const failing = await privateServer(['rename-command SYNC ""', "enable-protected-configs yes", `requirepass ${password}`]);
    const c = client(failing.port, password);
    await c.set("k", "v");
    await c.call("CONFIG", "SET", "dir", "/proc");
    const error = await failureOf(dumpRdb({ target: target(failing.port, password), storage, key: "set-failsave/dump.rdb.zst", compression: "zstd", signal }));
    expect(error.message).toMatch(new RegExp(`BGSAVE on redis test 127\\.0\\.0\\.1:${failing.port} failed.*nothing was stored`, "s"));
    expect(JSON.stringify({ message: error.message, stack: error.stack, cause: String(error.cause) })).not.toContain(password);
    expect(await storage.list("set-failsave/")).toEqual([]);
    c.disconnect();
    await failing.stop();
  });

  it("verify of an artifact with one flipped byte fails naming it, and leaves no scratch server directory", async () => {
    const bytes = readFileSync(join(storageDir, key));
    const corrupted = Buffer.from(bytes);
    corrupted[Math.floor(corrupted.length / 2)]! ^= 0xff;
    writeFileSync(join(storageDir, "set-corrupt-dump.rdb.zst"), corrupted);
    await expect(verifyRdb({ storage, key: "set-corrupt-dump.rdb.zst", compression: "zstd", signal })).rejects.toThrow(/set-corrupt-dump\.rdb\.zst.*(corrupted|could not load)/s);
    expect(rdbScratchDirs()).toEqual([]);
  });
});
