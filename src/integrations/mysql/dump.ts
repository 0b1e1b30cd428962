import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { MysqlTarget } from "../../config/load.js";
import { BackupError } from "../../domain/backups/backup-error.js";
import type { Component, Fingerprint } from "../../domain/backups/manifest.js";
import { ChildFailure, readOutput, startChild, type RunningChild } from "../process/child.js";
import { findProgram } from "../process/find-program.js";
import { StorageError, type BackupStorage } from "../storage/storage.js";
import { connectMysql, MysqlError } from "./connection.js";

/**
 * The `mysql` component of a backup set: mariadb-dump (or mysqldump) → zstd or gzip → storage,
 * streamed with no temporary copy, and its restore: storage → decompress → the mariadb client.
 *
 * Safety, against the seed's scripts (DESIGN.md): the password goes to the tools in a 0600
 * defaults file, deleted when they are done, never in argv (which `ps` shows to every local user)
 * nor the environment (MYSQL_PWD, readable in /proc); every stage's exit code counts (pipefail),
 * and a failing stage leaves no artifact, because storage.put keeps nothing of a body that fails.
 */

export type DumpCompression = "zstd" | "gzip";

/** The artifact file name for a compression: what callers put at the end of the key. */
export function dumpFileName(compression: DumpCompression): string {
  return compression === "zstd" ? "dump.sql.zst" : "dump.sql.gz";
}

export interface DumpOptions {
  /** The server and the database to dump (`target.database` is required). */
  target: MysqlTarget;
  storage: BackupStorage;
  /** Where the artifact goes; its last segment is the artifact's name in the manifest, like "20261126T030000Z/dump.sql.zst". */
  key: string;
  compression: DumpCompression;
  signal: AbortSignal;
  /** About how many uncompressed dump bytes were produced so far, every tenth of a second while it runs. */
  onProgress?: (bytes: number) => void;
}

const probeTimeoutMs = 15_000;

/**
 * Dumps `target.database` in one consistent snapshot (`--single-transaction`) with routines,
 * triggers and events. When the server writes a binlog, the snapshot's binlog file/position (and,
 * on MariaDB, GTID) are captured from the dump itself: the point a point-in-time recovery
 * replays from. Throws a MysqlError naming the target (never the password) when any stage fails,
 * leaving nothing under `key`.
 */
export async function dumpDatabase(options: DumpOptions): Promise<Component> {
  const { target, storage, key, compression, signal } = options;
  const database = databaseOf(target);
  const where = `mysql dump of ${target.label}`;
  signal.throwIfAborted();

  const server = await probeServer(target, signal, where);
  const tool = await findProgram(["mariadb-dump", "mysqldump"]);
  if (tool === undefined)
    throw new MysqlError(`${where}: neither mariadb-dump nor mysqldump is on PATH; install the MariaDB client (apt install mariadb-client)`, false, "NO_TOOL");
  const versionText = await readOutput(tool.path, ["--version"]);
  const version = toolVersion(versionText);
  const positionFlags = server.logBin ? sourcePositionFlags(versionText) : [];

  return withDefaultsFile(target, async (defaultsFile) => {
    // The SQL never passes through this process: on two cores its copy of every byte would cost
    // a third of the dump's time. mariadb-dump writes into the compressor; where the binlog
    // position is wanted, `tee` (in C) also writes it into two FIFOs beside the defaults file,
    // read by `head` and `tail`: the header (binlog file/position) and the trailer (MariaDB's GTID).
    const ends = positionFlags.length > 0 ? await dumpEnds(dirname(defaultsFile)) : undefined;
    const dump = startChild(tool.path, dumpArguments(defaultsFile, database, positionFlags), { stdin: "ignore", stdout: "pipe", label: tool.name });
    const compressor = startChild(compression, compressorArguments(compression), { stdin: ends ? "pipe" : dump.stdout!, stdout: "pipe" });
    // -p: once head has its bytes and exits, tee carries on writing to the others.
    const splitter = ends && startChild("tee", ["-p", ...ends.fifos], { stdin: dump.stdout!, stdout: compressor.stdin! });
    const stages = [dump, ...(ends && splitter ? [splitter, ends.head, ends.tail] : []), compressor];
    const stopAll = () => stages.forEach((stage) => stage.stop());
    signal.addEventListener("abort", stopAll, { once: true });
    // The compressor counts: it reads every byte, and lives until the artifact is written.
    const progress = options.onProgress ? watchBytesRead(compressor, options.onProgress) : undefined;
    // Read from the start: once a child exits, node drains (and drops) any stdout nobody listens
    // to, and a small dump's compressor can exit before storage begins to read — an empty "success".
    const output = new PassThrough();
    const draining = pipeline(compressor.stdout!, output);
    draining.catch(() => undefined);
    const finished = [...stages.map((stage) => stage.done), draining];

    // Pipefail: the body ends only after every stage exited 0; any failure errors the body, so
    // storage.put removes what it had written.
    let complete = false;
    async function* body(): AsyncGenerator<Buffer> {
      try {
        for await (const chunk of output) yield chunk as Buffer;
        await settle(finished, where, `nothing was stored at ${key}`, signal);
        complete = true;
      } finally {
        if (!complete) stopAll();
      }
    }

    let stored;
    try {
      stored = await storage.put(key, Readable.from(body()), { signal });
    } catch (error) {
      stopAll();
      // Unread output would hold the draining pipeline open for ever.
      output.destroy();
      // No child outlives the dump, and the defaults file is only removed once they are gone.
      await Promise.allSettled(finished);
      if (signal.aborted) throw new MysqlError(`${where}: cancelled; nothing was stored at ${key}`, false, "ABORTED", { cause: error });
      if (error instanceof StorageError && error.failure === "source" && error.cause instanceof MysqlError) throw error.cause;
      throw error;
    } finally {
      signal.removeEventListener("abort", stopAll);
      progress?.stop();
    }

    const source = ends ? parsePositions((await ends.header).toString("utf8"), (await ends.trailer).toString("utf8")) : undefined;
    return {
      name: "mysql",
      artifacts: [{ name: key.split("/").pop()!, size: stored.size, sha256: stored.sha256, compression }],
      tool: { name: tool.name, version },
      ...(source ? { source } : {}),
    } satisfies Component;
  });
}

export interface RestoreOptions {
  /** The server to restore onto; its `database` is not touched. */
  target: MysqlTarget;
  storage: BackupStorage;
  key: string;
  compression: DumpCompression;
  /** A new database to create and restore into: restore refuses one that already exists. */
  database: string;
  /**
   * Load into `database` as it is, which must exist: the dump's DROP TABLE IF EXISTS / CREATE
   * replace its tables. Only for an approved overwrite with a safety set taken first; a failure
   * leaves it half-loaded, and that safety set is the way back.
   */
  replace?: boolean;
  signal: AbortSignal;
  /** Stored (compressed) bytes read so far, as they pass: against the artifact's size, the restore's progress. */
  onProgress?: (bytes: number) => void;
}

/**
 * Restores a dump into a database it creates, never into an existing one: overwriting a live
 * database is a separate, approved operation. On failure the half-restored database is dropped,
 * so nothing that looks like a restore is left behind.
 */
export async function restoreDump(options: RestoreOptions): Promise<void> {
  const { target, storage, key, compression, database, signal } = options;
  const replace = options.replace === true;
  const where = `restore of ${key} into ${replace ? "the existing" : "the new"} database ${database} at ${target.host}:${target.port}`;
  checkNewDatabaseName(database);
  signal.throwIfAborted();
  const client = await findProgram(["mariadb", "mysql"]);
  if (client === undefined) throw new MysqlError(`${where}: neither mariadb nor mysql is on PATH; install the MariaDB client (apt install mariadb-client)`, false, "NO_TOOL");

  if (!replace) await createDatabase(target, database, signal, where);
  try {
    await withDefaultsFile(target, async (defaultsFile) => {
      const source = await storage.get(key, { signal });
      // Decompressed straight into the client: the SQL does not pass through this process.
      const decompressor = startChild(compression, decompressorArguments(compression), { stdin: "pipe", stdout: "pipe" });
      const loader = startChild(client.path, restoreArguments(defaultsFile, database), { stdin: decompressor.stdout!, stdout: "ignore", label: client.name });
      const stages = [decompressor, loader];
      const stopAll = () => {
        source.destroy();
        stages.forEach((stage) => stage.stop());
      };
      signal.addEventListener("abort", stopAll, { once: true });
      try {
        let read = 0;
        if (options.onProgress) source.on("data", (chunk: Buffer) => options.onProgress!((read += chunk.length)));
        const reading = pipeline(source, decompressor.stdin!);
        reading.catch(() => undefined);
        await settle([decompressor.done, loader.done, reading], where, replace ? `${database} is half-loaded: restore the safety set` : `the new database ${database} is dropped`, signal).catch((error: unknown) => {
          stopAll();
          throw error;
        });
      } finally {
        signal.removeEventListener("abort", stopAll);
      }
    });
  } catch (error) {
    if (replace) throw signal.aborted ? new MysqlError(`${where}: cancelled; ${database} is half-loaded: restore the safety set`, false, "ABORTED", { cause: error }) : error;
    await dropDatabase(target, database).catch(() => undefined);
    if (signal.aborted) throw new MysqlError(`${where}: cancelled; the partial database was dropped`, false, "ABORTED", { cause: error });
    throw error;
  }
}

/**
 * The database's data length in bytes (information_schema's estimate): about what a dump of it
 * reads, for a progress bar's end. Undefined when the server will not say.
 */
export async function estimateDumpBytes(target: MysqlTarget, signal: AbortSignal): Promise<number | undefined> {
  const session = await connectMysql(target, { timeoutMs: probeTimeoutMs, signal }).catch(() => undefined);
  if (!session) return undefined;
  try {
    const [row] = await session.query<{ bytes: number | string | null }>("SELECT SUM(DATA_LENGTH) AS bytes FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?", [databaseOf(target)]);
    const bytes = Number(row?.bytes ?? NaN);
    return Number.isFinite(bytes) && bytes > 0 ? bytes : undefined;
  } catch {
    return undefined;
  } finally {
    await session.close();
  }
}

/**
 * Per base table, sorted by name: the row count and CHECKSUM TABLE. Taken on a restore of a dump
 * it is the dump's fingerprint; on a live database under writes it matches nothing, since it is
 * not the dump's snapshot.
 */
export async function fingerprint(options: { target: MysqlTarget; database: string; signal?: AbortSignal; timeoutMs?: number }): Promise<Fingerprint> {
  const { target, database } = options;
  const connect = () => connectMysql({ ...target, database }, { timeoutMs: options.timeoutMs ?? 600_000, signal: options.signal ?? new AbortController().signal });
  // Two sessions, biggest tables first: each scan is one core's work, and a deep verify waits for the last.
  const sessions = [await connect()];
  try {
    const tables = await sessions[0]!.query<{ name: string }>(
      "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY DATA_LENGTH DESC, TABLE_NAME",
      [database],
    );
    if (tables.length > 1) sessions.push(await connect());
    const queue = tables.map((t) => t.name);
    const result: Fingerprint["tables"] = [];
    await Promise.all(
      sessions.map(async (session) => {
        for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
          const table = `${quoteIdentifier(database)}.${quoteIdentifier(name)}`;
          const [count] = await session.query<{ rows: number | string }>(`SELECT COUNT(*) AS \`rows\` FROM ${table}`);
          const [checksum] = await session.query<{ Checksum: number | string | null }>(`CHECKSUM TABLE ${table}`);
          result.push({ name, rows: Number(count!.rows), checksum: String(checksum?.Checksum ?? "none") });
        }
      }),
    );
    return { tables: result.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) };
  } finally {
    await Promise.all(sessions.map((session) => session.close()));
  }
}

/** The dump tool's arguments: the defaults file first (the tools read it only there), and never a password. */
export function dumpArguments(defaultsFile: string, database: string, positionFlags: readonly string[]): string[] {
  return [
    `--defaults-extra-file=${defaultsFile}`,
    "--single-transaction",
    "--routines",
    "--triggers",
    "--events",
    // Binary columns survive any client character set; tablespaces need PROCESS and are not the database's.
    "--hex-blob",
    "--no-tablespaces",
    "--default-character-set=utf8mb4",
    ...positionFlags,
    database,
  ];
}

function restoreArguments(defaultsFile: string, database: string): string[] {
  // --binary-mode: a dump of binary data must not be read as client commands at a stray "\".
  return [`--defaults-extra-file=${defaultsFile}`, "--binary-mode", "--default-character-set=utf8mb4", database];
}

/**
 * The flags that write the binlog position as a comment in the dump's header: MariaDB's
 * `--master-data=2 --gtid`, MySQL 8.0.26+'s `--source-data=2`, older MySQL's `--master-data=2`.
 */
export function sourcePositionFlags(versionText: string): string[] {
  if (/MariaDB/i.test(versionText)) return ["--master-data=2", "--gtid"];
  const [major = 0, minor = 0, patch = 0] = (/Ver (\d+)\.(\d+)\.(\d+)/.exec(versionText) ?? []).slice(1).map(Number);
  const atLeast8026 = major > 8 || (major === 8 && (minor > 0 || patch >= 26));
  return [atLeast8026 ? "--source-data=2" : "--master-data=2"];
}

/** "10.11.19-MariaDB" from "mariadb-dump  Ver 10.19 Distrib 10.11.19-MariaDB, for …"; "8.0.36" from "mysqldump  Ver 8.0.36 for Linux …". */
export function toolVersion(versionText: string): string {
  return /Distrib ([^\s,]+)/.exec(versionText)?.[1] ?? /Ver ([^\s,]+)/.exec(versionText)?.[1] ?? (versionText.trim() || "unknown");
}

/** The snapshot's binlog position from the dump's commented CHANGE MASTER / CHANGE REPLICATION SOURCE lines and, for MariaDB, its GTID. */
export function parsePositions(header: string, trailer: string): Component["source"] {
  const file = /^-- CHANGE (?:MASTER|REPLICATION SOURCE) TO (?:MASTER|SOURCE)_LOG_FILE='([^']+)', (?:MASTER|SOURCE)_LOG_POS=(\d+);/m.exec(header);
  const gtid = /^-- SET GLOBAL gtid_slave_pos='([^']+)';/m.exec(header) ?? /^-- SET GLOBAL gtid_slave_pos='([^']+)';/m.exec(trailer);
  if (!file && !gtid) return undefined;
  return {
    ...(file ? { binlogFile: file[1]!, binlogPosition: Number(file[2]) } : {}),
    ...(gtid ? { gtid: gtid[1]! } : {}),
  };
}

/** The text of a `[client]` option file: values quoted, with the escapes the option-file parser reads. */
export function defaultsFileText(target: Pick<MysqlTarget, "host" | "port" | "user" | "password">): string {
  const quote = (value: string) => `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(/\t/g, "\\t")}"`;
  const lines = ["[client]", `user=${quote(target.user)}`, `host=${quote(target.host)}`, `port=${target.port}`];
  if (target.password !== undefined) lines.push(`password=${quote(target.password.reveal())}`);
  return lines.join("\n") + "\n";
}

/**
 * Runs `use` with a 0600 defaults file in a fresh 0700 directory, and removes both afterwards,
 * whether `use` succeeded or not. `use` must not return before the tools reading it have exited.
 */
async function withDefaultsFile<T>(target: MysqlTarget, use: (path: string) => Promise<T>): Promise<T> {
  const directory = await mkdtemp(join(tmpdir(), "gameops-mysql-"));
  try {
    const path = join(directory, "client.cnf");
    await writeFile(path, defaultsFileText(target), { mode: 0o600, flag: "wx" });
    return await use(path);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

const headerBytes = 64 * 1024;
const trailerBytes = 8 * 1024;

function compressorArguments(compression: DumpCompression): string[] {
  // zstd: -T0 every core, -q no progress on stderr; both read stdin and write stdout.
  return compression === "zstd" ? ["-T0", "-q", "-c"] : ["-c"];
}

function decompressorArguments(compression: DumpCompression): string[] {
  return compression === "zstd" ? ["-d", "-q", "-c"] : ["-d", "-c"];
}

/** `head` and `tail` reading two new FIFOs (0600, in the caller's private directory) that tee writes the dump into. */
async function dumpEnds(directory: string) {
  const fifos = [join(directory, "header.fifo"), join(directory, "trailer.fifo")] as const;
  await readOutput("mkfifo", ["-m", "600", ...fifos]);
  const head = startChild("head", ["-c", String(headerBytes), fifos[0]], { stdin: "ignore", stdout: "pipe" });
  const tail = startChild("tail", ["-c", String(trailerBytes), fifos[1]], { stdin: "ignore", stdout: "pipe" });
  return { fifos, head, tail, header: collect(head.stdout!), trailer: collect(tail.stdout!) };
}

/** All of a small stream (a header, a trailer), read from the start. */
function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve) => stream.once("close", () => resolve(Buffer.concat(chunks))));
}

/**
 * The bytes a child has read so far (Linux's /proc/PID/io `rchar`), reported every tenth of a
 * second: the dump's progress, counted without the dump passing through this process.
 */
function watchBytesRead(child: RunningChild, onBytes: (bytes: number) => void): { stop(): void } {
  const pid = child.process.pid;
  const timer = setInterval(() => {
    if (pid === undefined) return;
    readFile(`/proc/${pid}/io`, "utf8").then(
      (text) => {
        const rchar = /^rchar:\s+(\d+)/m.exec(text);
        if (rchar) onBytes(Number(rchar[1]));
      },
      () => undefined,
    );
  }, 100);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/**
 * Waits for every stage and fails with all that failed, in pipeline order and the tools' own
 * words first: a "write EPIPE" is only the echo of the stage after it dying.
 */
async function settle(stages: Promise<unknown>[], where: string, consequence: string, signal: AbortSignal): Promise<void> {
  const results = await Promise.allSettled(stages);
  const failures = results.flatMap((r) => (r.status === "rejected" ? [r.reason as Error] : []));
  if (failures.length === 0) return;
  const children = failures.filter((f): f is ChildFailure => f instanceof ChildFailure);
  const shown = children.length > 0 ? children : failures;
  const words = shown.map((f) => f.message).join("; ");
  if (signal.aborted) throw new MysqlError(`${where}: cancelled (${words})`, false, "ABORTED", { cause: failures[0] });
  const denied = /Access denied|Unknown database|doesn't exist|syntax/i.test(words);
  throw new MysqlError(`${where} failed: ${words}; ${consequence}`, !denied, "STAGE_FAILED", { cause: failures[0] });
}

/** Connects once before starting any tool: a wrong password or a missing database fails here with a clear message. */
async function probeServer(target: MysqlTarget, signal: AbortSignal, where: string): Promise<{ logBin: boolean }> {
  let session;
  try {
    session = await connectMysql(target, { timeoutMs: probeTimeoutMs, signal });
    const [row] = await session.query<{ logBin: number | string }>("SELECT @@log_bin AS logBin");
    return { logBin: Number(row?.logBin) === 1 };
  } catch (error) {
    const e = error as MysqlError;
    throw new MysqlError(`${where}: ${e.message}`, e.retryable ?? true, e.code, { cause: error });
  } finally {
    await session?.close();
  }
}

async function createDatabase(target: MysqlTarget, database: string, signal: AbortSignal, where: string): Promise<void> {
  const { database: _ignored, ...server } = target;
  const session = await connectMysql(server, { timeoutMs: probeTimeoutMs, signal });
  try {
    // No IF NOT EXISTS: the server refuses an existing database atomically, with no check-then-create race.
    await session.query(`CREATE DATABASE ${quoteIdentifier(database)} CHARACTER SET utf8mb4`);
  } catch (error) {
    if ((error as MysqlError).code === "ER_DB_CREATE_EXISTS")
      throw new BackupError(`${where}: database ${database} already exists; restore only writes into a new database: choose another name (--target-db) or drop it first`, { cause: error });
    throw new MysqlError(`${where}: ${(error as Error).message}`, (error as MysqlError).retryable ?? true, (error as MysqlError).code, { cause: error });
  } finally {
    await session.close();
  }
}

/** Removes a scratch or restore database; one that is not there is not an error. */
export async function dropDatabase(target: MysqlTarget, database: string): Promise<void> {
  const { database: _ignored, ...server } = target;
  const session = await connectMysql(server, { timeoutMs: probeTimeoutMs, signal: new AbortController().signal });
  try {
    await session.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(database)}`);
  } finally {
    await session.close();
  }
}

function databaseOf(target: MysqlTarget): string {
  if (target.database === undefined || target.database === "")
    throw new BackupError(`mysql dump of ${target.label}: no database to dump; set targets.mysql.database (or the path of GAMEOPS_MYSQL_URL, like mysql://user@host/game)`);
  if (target.database.startsWith("-")) throw new BackupError(`mysql dump of ${target.label}: database name "${target.database}" starts with "-", which the dump tool would read as an option; rename it`);
  return target.database;
}

function checkNewDatabaseName(database: string): void {
  if (!/^[A-Za-z0-9_]{1,64}$/.test(database))
    throw new BackupError(`restore target database "${database}" refused: use letters, digits and '_' (at most 64), like game_restore_20261126`);
}

function quoteIdentifier(name: string): string {
  return "`" + name.replace(/`/g, "``") + "`";
}
