import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { constants, createWriteStream } from "node:fs";
import { access, mkdir, mkdtemp, open, readFile, rm, writeFile, type FileHandle } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { Duplex, Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { createGunzip, createGzip } from "node:zlib";
import type { Redis } from "ioredis";
import type { RedisTarget } from "../../config/load.js";
import { Secret } from "../../config/secret.js";
import { BackupError } from "../../domain/backups/backup-error.js";
import type { Component } from "../../domain/backups/manifest.js";
import { OutputTail } from "../process/output-tail.js";
import { MeasuringStream } from "../storage/measuring-stream.js";
import { StorageError, type BackupStorage, type PutResult } from "../storage/storage.js";
import { connectRedis, describeRedisError, RedisError } from "./connection.js";
import { parseInfo } from "./server-info.js";

/**
 * The Redis component of a backup set: an RDB taken over the replication protocol
 * (`redis-cli --rdb -`), or copied after a BGSAVE where SYNC is refused, proved by loading it
 * into a scratch redis-server, and restored onto a live server by making that server a replica
 * of the scratch one, so its old data stays in place until the new data has fully arrived (no
 * FLUSHALL-then-load window).
 */

export type RdbCompression = "zstd" | "gzip";

/** Keys per database number, as INFO keyspace lists them (empty databases are absent). */
export type KeyCounts = Record<number, number>;

const connectTimeoutMs = 10_000;
const defaultWaitMs = 10 * 60_000;
// A diskless SYNC ends with a 40-byte random marker; redis-cli truncates it away only when it
// writes a file, never on stdout.
const eofMarkSize = 40;
// An RDB file starts with "REDIS" and its version; it ends with the EOF opcode, then an 8-byte CRC64.
const rdbMagic = "REDIS";
const rdbEofOpcode = 0xff;

export interface DumpRdbOptions {
  target: RedisTarget;
  storage: BackupStorage;
  /** Where the artifact goes in the store; its last segment becomes the artifact name (like "20261126T030000Z/dump.rdb.zst"). */
  key: string;
  compression: RdbCompression;
  signal: AbortSignal;
  /** Where SYNC is refused: how long the BGSAVE (and one already running) may take (default 10 min). */
  timeoutMs?: number;
}

/**
 * Streams the target's RDB through the compressor into `storage`, with no full temporary copy.
 * Every stage's exit status is checked before the store keeps the object: a redis-cli or zstd
 * failure fails the body, so `put` leaves nothing behind.
 *
 * Where the server refuses SYNC, its RDB file is copied instead after a BGSAVE of ours, when that
 * file is reachable from this host (`CONFIG GET dir` answers and the file is readable here).
 *
 * `keys` is INFO keyspace read just before the transfer: under writes it may differ slightly from
 * what the RDB holds; the counts verify reads from the artifact itself are the fingerprint.
 */
export async function dumpRdb(options: DumpRdbOptions): Promise<{ component: Component; keys: KeyCounts }> {
  const { target, key, compression, signal } = options;
  // Reachability and the password are checked here, with a timeout redis-cli does not have.
  const client = await connectRedis(target, { timeoutMs: connectTimeoutMs, signal });
  let keys: KeyCounts;
  let version: string;
  try {
    const info = parseInfo(await client.info());
    keys = keyCountsOf(info);
    version = info.redis_version ?? "unknown";
  } catch (error) {
    throw describeRedisError(error, target);
  } finally {
    client.disconnect();
  }

  const sync = await streamBySync(options);
  const stored = "stored" in sync ? sync.stored : await copyAfterBgsave(options, sync.refused);
  return {
    component: {
      name: "redis",
      artifacts: [{ name: key.slice(key.lastIndexOf("/") + 1), size: stored.size, sha256: stored.sha256, compression }],
      tool: { name: "redis-server", version },
    },
    keys,
  };
}

/** `redis-cli --rdb -` into the store; `refused` (what redis-cli said) when the server refuses SYNC. */
async function streamBySync(options: DumpRdbOptions): Promise<{ stored: PutResult } | { refused: string }> {
  const { target, key, signal } = options;
  const args = ["-h", target.host, "-p", String(target.port), ...(target.username ? ["--user", target.username] : []), ...(target.tls ? ["--tls", "--sni", target.host] : []), "--rdb", "-"];
  // The password goes through the environment, which other users cannot read; argv they can (ps).
  const env: NodeJS.ProcessEnv = { ...process.env, REDISCLI_AUTH: target.password?.reveal() };
  // Never one inherited from our own environment, meant for some other server.
  if (env.REDISCLI_AUTH === undefined) delete env.REDISCLI_AUTH;
  const cli = startProcess("redis-cli", args, { env, stdin: "ignore" });
  signal.addEventListener("abort", cli.stop, { once: true });
  try {
    return { stored: await storeCompressed(cli.stdout!, endOfRdb(cli), options) };
  } catch (failure) {
    // redis-cli's own account of what went wrong beats the echo it caused downstream.
    const exit = await cli.exit;
    if (exit.code !== 0) {
      const said = redact(cli.stderr.text(), target);
      if (syncRefusal.test(said)) return { refused: said };
      throw cliFailure(exit, said, target);
    }
    if (failure instanceof StorageError || failure instanceof RedisError) throw failure;
    throw new BackupError(`redis dump of ${target.label} to ${key}: ${redact(messageOf(failure), target)}; nothing was stored`, { cause: failure });
  } finally {
    signal.removeEventListener("abort", cli.stop);
    cli.stop();
  }
}

/**
 * The fallback where SYNC is refused: BGSAVE, then copy the file it wrote. The file is opened
 * once and read from that descriptor, so a later BGSAVE renaming a new file over it cannot mix
 * two snapshots into one artifact.
 */
async function copyAfterBgsave(options: DumpRdbOptions, refusal: string): Promise<PutResult> {
  const { target, key, signal } = options;
  const client = await connectRedis(target, { timeoutMs: connectTimeoutMs, signal });
  let path: string;
  let newerThan: number;
  try {
    path = await reachableRdbFile(client, target, refusal);
    newerThan = await bgsave(client, target, path, Date.now() + (options.timeoutMs ?? defaultWaitMs), signal);
  } catch (error) {
    if (error instanceof RedisError) throw error;
    throw describeRedisError(error, target);
  } finally {
    client.disconnect();
  }

  let file: FileHandle | undefined;
  try {
    file = await open(path, "r");
    // LASTSAVE and the file's time come from the same clock when the file is on the server's host:
    // a file not written since the LASTSAVE our save had to beat belongs to some other server.
    const modified = Math.floor((await file.stat()).mtimeMs / 1000);
    if (modified <= newerThan) {
      throw new BackupError(
        `redis dump of ${target.label}: ${path} on this host was last written at ${new Date(modified * 1000).toISOString()}, before the BGSAVE that just finished there, so it is not that server's RDB (is Redis on another host, or in a container with a filesystem of its own?); nothing was stored`,
      );
    }
    const body = file.createReadStream();
    // The stream closes the descriptor from here on, also when it fails.
    file = undefined;
    return await storeCompressed(body, wholeRdb(), options);
  } catch (error) {
    if (error instanceof StorageError || error instanceof BackupError) throw error;
    throw new BackupError(`redis dump of ${target.label} to ${key}: copy of ${path} after BGSAVE: ${redact(messageOf(error), target)}; nothing was stored`, { cause: error });
  } finally {
    await file?.close();
  }
}

/**
 * `<dir>/<dbfilename>` from the server's CONFIG, when this host can read it; else the SYNC
 * refusal, saying why the fallback does not apply (managed services rename or refuse CONFIG).
 */
async function reachableRdbFile(client: Redis, target: RedisTarget, refusal: string): Promise<string> {
  let dir: string;
  let name: string;
  try {
    dir = await configGet(client, "dir");
    name = await configGet(client, "dbfilename");
  } catch (error) {
    throw syncRefused(target, refusal, `it refuses CONFIG GET dir too (${redact(messageOf(error), target).split("\n")[0]})`);
  }
  if (!isAbsolute(dir) || name === "") throw syncRefused(target, refusal, `CONFIG GET dir and dbfilename answered "${dir}" and "${name}", not a file path`);
  const path = join(dir, name);
  try {
    await access(path, constants.R_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOENT") throw syncRefused(target, refusal, `its RDB file ${path} is not readable by this process (${code})`);
    // Never saved yet: the BGSAVE creates the file; its directory must at least be here.
    await access(dir, constants.X_OK).catch(() => {
      throw syncRefused(target, refusal, `its RDB directory ${dir} is not on this host`);
    });
  }
  return path;
}

/**
 * Runs a BGSAVE of our own to completion and returns the LASTSAVE it had to beat. A save already
 * running is waited out first, not taken: its snapshot may predate the backup request.
 */
async function bgsave(client: Redis, target: RedisTarget, path: string, deadline: number, signal: AbortSignal): Promise<number> {
  const pause = async (what: string) => {
    if (Date.now() > deadline) throw new RedisError(`redis ${target.label}: ${what} did not finish in time; raise timeoutMs for a large dataset, or check the server's log`, true);
    await sleep(100, undefined, { signal });
  };
  for (;;) {
    signal.throwIfAborted();
    const before = parseInfo(await client.info("persistence"));
    // BGSAVE refuses to run beside another save or an AOF rewrite.
    if (before.rdb_bgsave_in_progress === "1" || before.aof_rewrite_in_progress === "1") {
      await pause("a BGSAVE or AOF rewrite already running there");
      continue;
    }
    const lastSave = Number(before.rdb_last_save_time);
    // LASTSAVE has one-second steps: a save of ours ending in the same second as the last one would not move it.
    const [seconds, micros] = ((await client.call("TIME")) as string[]).map(Number) as [number, number];
    if (seconds <= lastSave) await sleep((lastSave + 1 - seconds) * 1000 - micros / 1000, undefined, { signal });
    try {
      await client.call("BGSAVE");
    } catch (error) {
      // Someone else's save won the race since we looked: wait for it, then start ours.
      if (!/already in progress|rewriting in progress/i.test(messageOf(error))) throw error;
      await pause("a BGSAVE already running there");
      continue;
    }
    // The fork happened before BGSAVE answered: in-progress is 1 from here until our save (or a later one) ends.
    for (;;) {
      await pause("the BGSAVE");
      const after = parseInfo(await client.info("persistence"));
      if (after.rdb_bgsave_in_progress === "1") continue;
      if (Number(after.rdb_last_save_time) > lastSave && after.rdb_last_bgsave_status === "ok") return lastSave;
      throw new RedisError(
        `BGSAVE on redis ${target.label} failed (rdb_last_bgsave_status:${after.rdb_last_bgsave_status ?? "?"}); its log says why (often a full disk, or a directory it cannot write: it saves to ${path}); nothing was stored`,
        false,
      );
    }
  }
}

/**
 * Holds back the stream's end until redis-cli has exited 0, then drops the last 40 bytes if the
 * transfer was diskless (they are the EOF marker, not RDB). A non-zero exit fails the stream
 * here, before the compressor and the store ever see its end.
 */
function endOfRdb(cli: Running): Transform {
  // The marker and, before it, the RDB's own end (EOF opcode and CRC64) to check the cut against.
  const held = eofMarkSize + 9;
  let tail = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      const all = Buffer.concat([tail, chunk]);
      const keep = Math.min(held, all.length);
      tail = all.subarray(all.length - keep);
      callback(null, all.subarray(0, all.length - keep));
    },
    flush(callback) {
      void cli.exit.then((exit) => {
        if (exit.code !== 0) return callback(new Error(`redis-cli ${describeExit(exit)}`));
        if (!/EOF marker/.test(cli.stderr.text())) return callback(null, tail);
        if (tail.length < held || tail[0] !== rdbEofOpcode) return callback(new Error("the diskless transfer did not end with an RDB end and its EOF marker; the RDB is incomplete"));
        callback(null, tail.subarray(0, held - eofMarkSize));
      });
    },
  });
}

/** A pass-through that fails at the end unless the bytes were a whole RDB: "REDIS" first, the EOF opcode and a CRC64 last. */
function wholeRdb(): Transform {
  let head: Buffer = Buffer.alloc(0);
  let tail: Buffer = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (head.length < rdbMagic.length) head = Buffer.concat([head, chunk]).subarray(0, rdbMagic.length);
      tail = (chunk.length >= 9 ? chunk : Buffer.concat([tail, chunk])).subarray(-9);
      callback(null, chunk);
    },
    flush(callback) {
      if (head.toString("latin1") !== rdbMagic) return callback(new Error(`the file does not start with "${rdbMagic}": it is not an RDB`));
      if (tail.length < 9 || tail[0] !== rdbEofOpcode) return callback(new Error("the file does not end with the RDB end (EOF opcode and CRC64): it is incomplete"));
      callback();
    },
  });
}

/**
 * Streams `source` through `guard` and the compressor into `storage`. The body's end waits for
 * the compressor's exit status, so any failing stage fails `put`, which then keeps nothing.
 */
async function storeCompressed(source: Readable, guard: Transform, options: DumpRdbOptions): Promise<PutResult> {
  const { storage, key, compression, signal } = options;
  const codec = compressor(compression);
  signal.addEventListener("abort", codec.stop, { once: true });
  const checked = afterFlush(() => codec.finished());
  try {
    // Wired in the same tick the compressor starts: a child's stdout that nobody reads yet is drained and dropped when it exits.
    const flowing = pipeline(source, guard, codec.stream, checked, { signal });
    const [stored, flowed] = await Promise.allSettled([storage.put(key, checked, { signal, contentType: "application/octet-stream" }), flowing]);
    if (stored.status === "fulfilled" && flowed.status === "fulfilled") return stored.value;
    throw flowed.status === "rejected" ? flowed.reason : (stored as PromiseRejectedResult).reason;
  } finally {
    signal.removeEventListener("abort", codec.stop);
    codec.stop();
  }
}

export interface VerifyRdbOptions {
  storage: BackupStorage;
  key: string;
  compression: RdbCompression;
  signal: AbortSignal;
  /** How long the scratch server may take to load the RDB (default 10 min). */
  timeoutMs?: number;
}

/**
 * Proves an RDB artifact by loading it: fetch, decompress, start a scratch redis-server on it
 * and count its keys per database. `stored` is the size and sha256 of the bytes read, to compare
 * with the manifest without a second read. The scratch server and its directory are gone when
 * this returns or throws.
 */
export async function verifyRdb(options: VerifyRdbOptions): Promise<{ keys: KeyCounts; stored: PutResult }> {
  const scratch = await startScratch(options);
  try {
    return { keys: keyCountsOf(parseInfo(await scratch.client.info("keyspace"))), stored: scratch.stored };
  } finally {
    await scratch.stop();
  }
}

export interface RestoreRdbOptions extends VerifyRdbOptions {
  target: RedisTarget;
  /** Must be true: the restore replaces every key in every database of the target. */
  overwrite?: boolean;
}

/**
 * Replaces the target's whole dataset with the artifact's, without a window where the data is
 * gone: the RDB is loaded into a scratch server, the target becomes its replica (keeping and
 * serving its old data until the full sync has been received), then `REPLICAOF NO ONE` makes it
 * a master again. The target must reach the scratch server on 127.0.0.1: it runs on this host.
 * Writes to the target fail (READONLY) while it is a replica; the restore runbook puts the fleet
 * in maintenance first.
 */
export async function restoreRdbOnto(options: RestoreRdbOptions): Promise<{ keys: KeyCounts }> {
  const { target, signal } = options;
  if (options.overwrite !== true) {
    throw new BackupError(`restore of ${options.key} onto redis ${target.label} refused: it replaces every key in every database there; pass overwrite: true (gameops restore --overwrite) when that is meant`);
  }
  const client = await connectRedis(target, { timeoutMs: connectTimeoutMs, signal });
  let scratch: Scratch | undefined;
  try {
    const replication = parseInfo(await client.info("replication"));
    // REPLICAOF NO ONE at the end would promote a replica and split its replication group.
    if (replication.role !== "master") {
      throw new RedisError(`redis ${target.label} is a replica of ${replication.master_host}:${replication.master_port}; restore onto its master instead`, false);
    }
    scratch = await startScratch(options);
    const expected = keyCountsOf(parseInfo(await scratch.client.info("keyspace")));
    const previous = { masterauth: await configGet(client, "masterauth"), masteruser: await configGet(client, "masteruser") };
    // The scratch server has a password of its own; the target authenticates to it as its master.
    await client.call("CONFIG", "SET", "masteruser", "", "masterauth", scratch.password.reveal());
    try {
      await client.call("REPLICAOF", "127.0.0.1", String(scratch.port));
      await waitForSync(client, scratch, target, Date.now() + (options.timeoutMs ?? defaultWaitMs), signal);
    } finally {
      // Also after a failed or cancelled sync: an unfinished disk-based sync leaves the old data in place.
      await client.call("REPLICAOF", "NO", "ONE");
      await client.call("CONFIG", "SET", "masteruser", previous.masteruser, "masterauth", previous.masterauth);
    }
    const keys = keyCountsOf(parseInfo(await client.info("keyspace")));
    if (!sameCounts(keys, expected)) {
      throw new RedisError(`restore onto redis ${target.label}: it holds ${describeCounts(keys)} after the sync, the artifact ${describeCounts(expected)}; was something writing to it?`, false);
    }
    return { keys };
  } catch (error) {
    if (error instanceof BackupError || error instanceof StorageError || error instanceof RedisError) throw error;
    throw describeRedisError(error, target);
  } finally {
    client.disconnect();
    await scratch?.stop();
  }
}

async function waitForSync(client: Redis, scratch: Scratch, target: RedisTarget, deadline: number, signal: AbortSignal): Promise<void> {
  for (;;) {
    signal.throwIfAborted();
    const info = parseInfo(await client.info("replication"));
    if (info.master_port === String(scratch.port) && info.master_link_status === "up" && info.master_sync_in_progress === "0") return;
    if (scratch.process.exitCode !== null) throw new BackupError(`restore onto redis ${target.label}: the scratch redis-server stopped during the sync: ${scratch.log.text().trim().split("\n").slice(-3).join(" / ")}`);
    if (Date.now() > deadline) {
      throw new RedisError(`restore onto redis ${target.label}: the sync from the scratch server did not finish in time (master_link_status ${info.master_link_status ?? "?"}); the target keeps its old data. Check its log, its free disk for the transferred RDB, and raise timeoutMs for a large dataset`, true);
    }
    await sleep(50, undefined, { signal });
  }
}

interface Scratch {
  port: number;
  password: Secret;
  client: Redis;
  process: ChildProcess;
  log: OutputTail;
  stored: PutResult;
  stop(): Promise<void>;
}

/** A redis-server on a loopback port and a private 0700 directory, loaded with the artifact. */
async function startScratch(options: VerifyRdbOptions): Promise<Scratch> {
  const { storage, key, compression, signal } = options;
  const dir = await mkdtemp(join(tmpdir(), "gameops-rdb-"));
  let server: Running | undefined;
  let client: Redis | undefined;
  const stop = async () => {
    client?.disconnect();
    if (server) await server.stopAndWait();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const stored = await fetchRdb(storage, key, compression, join(dir, "dump.rdb"), signal);
    // A password even on loopback: any local user could otherwise read the game's data while it runs.
    const password = new Secret(randomBytes(24).toString("hex"));
    const deadline = Date.now() + (options.timeoutMs ?? defaultWaitMs);
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      server = startProcess(
        "redis-server",
        // The source may use more than the default 16 databases; a smaller count refuses to load its RDB.
        ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--dbfilename", "dump.rdb", "--save", "", "--appendonly", "no", "--databases", "256", "--repl-diskless-sync-delay", "0", "--logfile", "", "-"],
        { stdin: "pipe", log: true },
      );
      // Through stdin, not argv, which every local user can read.
      server.process.stdin!.end(`requirepass ${password.reveal()}\n`);
      const ready = await waitForLoad(server, port, password, deadline, signal);
      if (ready !== "port-taken") {
        client = ready;
        return { port, password, client, process: server.process, log: server.log, stored, stop };
      }
      if (attempt === 3) throw new BackupError(`verify of ${key}: no free loopback port for the scratch redis-server after 3 tries`);
    }
  } catch (error) {
    const log = server?.log.text() ?? "";
    await stop();
    if (error instanceof BackupError || error instanceof StorageError || error instanceof RedisError) throw error;
    if (signal.aborted) throw new BackupError(`verify of ${key}: cancelled`, { cause: error });
    throw new BackupError(`verify of ${key}: ${messageOf(error)}${log ? ` (redis-server said: ${lastLines(log)})` : ""}`, { cause: error });
  }
}

export interface ScratchServer {
  /** redis://127.0.0.1:PORT/0 — the password is in `passwordFile`, never in the URL. */
  url: string;
  port: number;
  passwordFile: string;
  keys: KeyCounts;
  /** The command that stops it, the password read from its file: nothing secret on a command line. */
  stopCommand: string;
}

/**
 * A restore "into a scratch instance": the RDB written under `directory` and a redis-server of
 * its own started on it (loopback, a random password in a 0600 file, no persistence), left
 * running for people to read from. Refuses a directory that already holds an RDB.
 */
export async function serveRdb(options: VerifyRdbOptions & { directory: string }): Promise<ScratchServer> {
  const { directory, key, signal } = options;
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const rdb = join(directory, "dump.rdb");
  if (await access(rdb).then(() => true, () => false)) throw new BackupError(`restore of ${key}: ${rdb} exists already; name another folder with --to`);
  await fetchRdb(options.storage, key, options.compression, rdb, signal);
  const password = new Secret(randomBytes(24).toString("hex"));
  const passwordFile = join(directory, "password");
  await writeFile(passwordFile, `${password.reveal()}\n`, { mode: 0o600, flag: "wx" });
  const deadline = Date.now() + (options.timeoutMs ?? defaultWaitMs);
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const config = join(directory, "redis.conf");
    const log = join(directory, "redis.log");
    await writeFile(
      config,
      [`port ${port}`, "bind 127.0.0.1", `dir ${directory}`, "dbfilename dump.rdb", 'save ""', "appendonly no", "databases 256", `requirepass ${password.reveal()}`, "daemonize yes", `pidfile ${join(directory, "redis.pid")}`, `logfile ${log}`, ""].join("\n"),
      { mode: 0o600 },
    );
    const launcher = startProcess("redis-server", [config], { stdin: "ignore" });
    await launcher.exit;
    const target: RedisTarget = { host: "127.0.0.1", port, db: 0, tls: false, password, label: `scratch 127.0.0.1:${port}` };
    for (;;) {
      signal.throwIfAborted();
      const said = await readFile(log, "utf8").catch(() => "");
      if (/Address already in use/i.test(said)) break;
      if (/Short read|Bad file format|Can't handle RDB format/i.test(said)) throw new BackupError(`restore of ${key}: the scratch redis-server could not load the RDB: ${lastLines(said)}`);
      if (Date.now() > deadline) throw new BackupError(`restore of ${key}: the scratch redis-server on port ${port} did not finish loading in time (its log: ${log})`);
      const client = await connectRedis(target, { timeoutMs: 2_000, signal }).catch(() => undefined);
      if (client) {
        try {
          const info = parseInfo(await client.info());
          if (info.loading === "0")
            return {
              url: `redis://127.0.0.1:${port}/0`,
              port,
              passwordFile,
              keys: keyCountsOf(info),
              stopCommand: `REDISCLI_AUTH="$(cat ${passwordFile})" redis-cli -p ${port} shutdown nosave`,
            };
        } finally {
          client.disconnect();
        }
      }
      await sleep(50, undefined, { signal });
    }
    if (attempt === 3) throw new BackupError(`restore of ${key}: no free loopback port for the scratch redis-server after 3 tries`);
  }
}

/** Writes the artifact, decompressed, to `path` (0600): an RDB a redis-server can start on. Returns the stored bytes' size and sha256. */
export async function fetchRdb(storage: BackupStorage, key: string, compression: RdbCompression, path: string, signal: AbortSignal): Promise<PutResult> {
  const body = await storage.get(key, { signal });
  const meter = new MeasuringStream();
  const codec = decompressor(compression);
  try {
    await pipeline(body, meter, codec.stream, afterFlush(() => codec.finished()), createWriteStream(path, { mode: 0o600 }), { signal });
  } catch (error) {
    codec.stop();
    if (error instanceof StorageError || signal.aborted) throw error;
    throw new BackupError(`verify of ${key} in ${storage.label}: the artifact does not decompress as ${compression} (${lastLines(messageOf(error))}); it is corrupted or truncated, restore from another set`, { cause: error });
  }
  return meter.result();
}

/** Polls until the scratch server has loaded the RDB; "port-taken" when another process won the port. */
async function waitForLoad(server: Running, port: number, password: Secret, deadline: number, signal: AbortSignal): Promise<Redis | "port-taken"> {
  const scratchTarget: RedisTarget = { host: "127.0.0.1", port, db: 0, tls: false, password, label: `scratch 127.0.0.1:${port}` };
  for (;;) {
    signal.throwIfAborted();
    if (server.process.exitCode !== null || server.process.signalCode !== null) {
      const log = server.log.text();
      if (/Address already in use/i.test(log)) return "port-taken";
      throw new Error(`the scratch redis-server could not load the RDB; it is corrupted or from a newer Redis: ${lastLines(log)}`);
    }
    if (Date.now() > deadline) throw new Error("the scratch redis-server did not finish loading the RDB in time; raise timeoutMs for a large dataset");
    const client = await connectRedis(scratchTarget, { timeoutMs: 2_000, signal }).catch(() => undefined);
    if (client) {
      const loading = await client.info("persistence").then((text) => parseInfo(text).loading, () => "1");
      if (loading === "0") return client;
      client.disconnect();
    }
    await sleep(50, undefined, { signal });
  }
}

function keyCountsOf(info: Record<string, string>): KeyCounts {
  const counts: KeyCounts = {};
  for (const [name, value] of Object.entries(info)) {
    const db = /^db(\d+)$/.exec(name);
    const keys = /(?:^|,)keys=(\d+)/.exec(value);
    if (db && keys) counts[Number(db[1])] = Number(keys[1]);
  }
  return counts;
}

function sameCounts(a: KeyCounts, b: KeyCounts): boolean {
  const dbs = new Set([...Object.keys(a), ...Object.keys(b)].map(Number));
  return [...dbs].every((db) => (a[db] ?? 0) === (b[db] ?? 0));
}

function describeCounts(counts: KeyCounts): string {
  const parts = Object.entries(counts).map(([db, n]) => `db${db} ${n}`);
  return parts.length > 0 ? parts.join(", ") : "no keys";
}

async function configGet(client: Redis, name: string): Promise<string> {
  const answer = (await client.call("CONFIG", "GET", name)) as string[];
  return answer[1] ?? "";
}

// What redis-cli says when the server refuses SYNC (renamed, or denied by a managed service).
const syncRefusal = /SYNC with master failed/i;

function syncRefused(target: RedisTarget, said: string, fallback: string): RedisError {
  return new RedisError(
    `redis ${target.label} refused SYNC (${lastLines(said)}), as managed services (ElastiCache, MemoryStore, Azure Cache) do, so its RDB cannot be streamed from here; nor copied after a BGSAVE: ${fallback}. Back it up where its RDB file is: BGSAVE on the Redis host, wait for LASTSAVE to change, then copy its dump.rdb into the set (or export the provider's snapshot)`,
    false,
  );
}

/** `said` is redis-cli's stderr, already redacted. */
function cliFailure(exit: Exit, said: string, target: RedisTarget): Error {
  if (/AUTH failed|WRONGPASS|NOAUTH|invalid password/i.test(said)) {
    return new RedisError(`redis-cli could not authenticate to ${target.host}:${target.port}: check the password (GAMEOPS_REDIS_PASSWORD_FILE); nothing was stored`, false);
  }
  return new RedisError(`redis-cli --rdb from ${target.host}:${target.port} ${describeExit(exit)}: ${lastLines(said) || "no message"}; nothing was stored`, true);
}

/** Belt and braces: no tool's message may carry the password into a log. */
function redact(text: string, target: RedisTarget): string {
  const password = target.password?.reveal();
  return password ? text.split(password).join("<secret>") : text;
}

interface Codec {
  stream: Duplex;
  /** Resolves once the codec has finished cleanly; rejects with what it said when it failed. */
  finished(): Promise<void>;
  stop(): void;
}

// zstd is a child process: Node 20's zlib has no zstd.
function compressor(compression: RdbCompression): Codec {
  return compression === "zstd" ? zstdProcess(["-q", "-c", "-T0"]) : zlibCodec(createGzip());
}

function decompressor(compression: RdbCompression): Codec {
  return compression === "zstd" ? zstdProcess(["-d", "-q", "-c"]) : zlibCodec(createGunzip());
}

function zlibCodec(stream: Duplex): Codec {
  return { stream, finished: async () => undefined, stop: () => stream.destroy() };
}

function zstdProcess(args: string[]): Codec {
  const zstd = startProcess("zstd", args, { stdin: "pipe" });
  return {
    stream: Duplex.from({ writable: zstd.process.stdin!, readable: zstd.stdout! }),
    finished: async () => {
      const exit = await zstd.exit;
      if (exit.code !== 0) throw new Error(`zstd ${describeExit(exit)}: ${lastLines(zstd.stderr.text()) || "no message"}`);
    },
    stop: () => zstd.stop(),
  };
}

/** A pass-through whose end waits for `check`: the stream fails, rather than ends, when it rejects. */
function afterFlush(check: () => Promise<void>): Transform {
  return new Transform({
    transform(chunk, _encoding, callback) {
      callback(null, chunk);
    },
    flush(callback) {
      check().then(() => callback(), (error: Error) => callback(error));
    },
  });
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

interface Running {
  process: ChildProcess;
  stdout: Readable | null;
  stderr: OutputTail;
  /** stdout of a server that logs there. */
  log: OutputTail;
  exit: Promise<Exit>;
  stop(): void;
  stopAndWait(): Promise<void>;
}

function startProcess(program: string, args: string[], options: { env?: NodeJS.ProcessEnv; stdin: "pipe" | "ignore"; log?: boolean }): Running {
  const child = spawn(program, args, { stdio: [options.stdin, "pipe", "pipe"], env: options.env ?? process.env });
  const stderr = new OutputTail(8 * 1024);
  const log = new OutputTail(8 * 1024);
  child.stderr!.on("data", (chunk: Buffer) => stderr.push(chunk));
  if (options.log) child.stdout!.on("data", (chunk: Buffer) => log.push(chunk));
  // A stdin the child stopped reading fails with EPIPE; its exit status reports why.
  child.stdin?.on("error", () => undefined);
  const exit = new Promise<Exit>((resolve) => {
    child.once("error", (error) => resolve({ code: null, signal: null, error }));
    child.once("close", (code, signal) => resolve({ code, signal }));
  });
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  };
  return {
    process: child,
    stdout: child.stdout,
    stderr,
    log,
    exit,
    stop,
    stopAndWait: async () => {
      stop();
      // redis-server saves nothing on SIGTERM with `save ""`; a stuck one is killed after 10 s.
      const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exit;
      clearTimeout(killer);
    },
  };
}

function describeExit(exit: Exit): string {
  if (exit.error) return `could not run (${exit.error.message}); is it installed and on PATH?`;
  return exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function lastLines(text: string): string {
  return text.trim().split("\n").slice(-3).join(" / ");
}

function messageOf(error: unknown): string {
  return (error as Error)?.message ?? String(error);
}
