import { lstat, mkdir, readdir, readlink, realpath, rm } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import { PassThrough, Readable, Transform, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip, createGzip } from "node:zlib";
import { BackupError } from "../../domain/backups/backup-error.js";
import type { Component } from "../../domain/backups/manifest.js";
import { ChildFailure, readOutput, startChild, type RunningChild } from "../process/child.js";
import { findProgram } from "../process/find-program.js";
import { StorageError, type BackupStorage } from "../storage/storage.js";
import { ArchiveRules, pathsThatMustNotBeSymlinks, TarFormatError, TarReader, type ArchiveEntry, type Refusal } from "./archive-entry.js";

/**
 * The `files` component of a backup set: GNU tar of the configured paths → zstd or gzip →
 * storage, streamed with no temporary copy; and its restore, only ever under a directory of its
 * own (`--to`), never over the live system as the seed's `tar -C /` did.
 *
 * Safety: every stage's exit code counts (pipefail) and a failing stage leaves no artifact. A
 * restore reads the whole archive first and refuses it, naming the entry, if any member would land
 * outside `to` (absolute, "..", a link out, a write through a symlink) or is not a plain file,
 * directory or link. Then, as it feeds tar, it checks each header again before tar sees it: the
 * check, not tar's own stripping of "/" and "..", is the guard. The backup applies the same rules
 * as it writes, so a set that restore would refuse is never stored.
 */

export type FilesCompression = "zstd" | "gzip";

export type FilesFailure =
  /** GNU tar or zstd is not installed. */
  | "NO_TOOL"
  /** A file changed while tar read it: its copy may be torn. Retryable when things are quiet. */
  | "CHANGED"
  /** The stored artifact does not decompress or is not a tar gameops reads; or it changed during a restore. */
  | "CORRUPT"
  | "STAGE_FAILED"
  | "ABORTED";

/** A files backup or restore failed. `retryable` says whether running it again may help. */
export class FilesError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly code: FilesFailure,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "FilesError";
  }
}

export interface BackupFilesOptions {
  /** Absolute paths of files or directories (`backups.files.paths`); stored relative to "/". */
  paths: string[];
  storage: BackupStorage;
  /** Where the artifact goes; its last segment is the artifact's name, like "20261126T030000Z/files.tar.zst". */
  key: string;
  compression: FilesCompression;
  signal: AbortSignal;
  /** Uncompressed tar bytes produced so far, called as they pass. */
  onProgress?: (bytes: number) => void;
}

/**
 * Archives `paths` with their modes, times and numeric owners. Fails, storing nothing, when a
 * path is missing, when a file changes while tar reads it (the copy could mix old and new
 * content: a torn config restored during an incident is worse than a nightly backup that failed
 * and is retried), or when the tree holds something restore would refuse (an absolute symlink, a
 * fifo, a setuid file), named, so it is fixed now rather than found at restore time.
 */
export async function backupFiles(options: BackupFilesOptions): Promise<Component> {
  const { storage, key, compression, signal } = options;
  const where = `files backup to ${key}`;
  const consequence = `nothing was stored at ${key}`;
  const members = await membersOf(options.paths);
  signal.throwIfAborted();
  const tar = await gnuTar(where);
  const zstd = await zstdFor(compression, where);

  const archiver = startChild(tar.path, createArguments(members), { stdin: "ignore", stdout: "pipe", label: "tar" });
  const compressor = compressStage(compression, zstd);
  const rules = new ArchiveRules();
  const inspector = new ArchiveInspector({
    hold: false,
    onEntry: (entry) => refuseIf(rules.admit(entry), (r) => backupRefusal(r, where, consequence)),
    onEnd: () => refuseIf(rules.finish(), (r) => backupRefusal(r, where, consequence)),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  const children = [archiver, ...compressor.children];
  const stopAll = () => children.forEach((child) => child.stop());
  signal.addEventListener("abort", stopAll, { once: true });
  const feeding = pipeline(archiver.stdout!, inspector, compressor.input);
  // Read from the start: once a child exits, node drains (and drops) any stdout nobody listens
  // to, and a small archive's zstd can exit before storage begins to read.
  const output = new PassThrough();
  const draining = pipeline(compressor.output, output);
  const stages = [archiver.done, ...compressor.children.map((c) => c.done), feeding, draining];
  const failures = watch(stages, stopAll);

  // Pipefail: the body ends only after every stage finished well; any failure errors the body,
  // so storage.put removes what it had written.
  let complete = false;
  async function* body(): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of output) yield chunk as Buffer;
    } catch (error) {
      // Counted even if no stage reports it: an output cut short must never be stored as whole.
      failures.push(error);
      stopAll();
    }
    await Promise.allSettled(stages);
    if (failures.length > 0) throw describeFailure(failures, { where, consequence, signal, creating: true });
    complete = true;
  }

  let stored;
  try {
    stored = await storage.put(key, Readable.from(body()), { signal });
  } catch (error) {
    stopAll();
    // No child outlives the backup.
    await Promise.allSettled(stages);
    if (signal.aborted && !(error instanceof FilesError && error.code === "ABORTED"))
      throw new FilesError(`${where}: cancelled; ${consequence}`, false, "ABORTED", { cause: error });
    if (error instanceof StorageError && error.failure === "source" && (error.cause instanceof FilesError || error.cause instanceof BackupError)) throw error.cause;
    throw error;
  } finally {
    signal.removeEventListener("abort", stopAll);
    if (!complete) stopAll();
  }
  return {
    name: "files",
    artifacts: [{ name: key.split("/").pop()!, size: stored.size, sha256: stored.sha256, compression }],
    tool: { name: "tar", version: tar.version },
  } satisfies Component;
}

export interface ReadFilesOptions {
  storage: BackupStorage;
  key: string;
  compression: FilesCompression;
  signal: AbortSignal;
}

/**
 * Every entry of a stored files artifact, read through to the end so the compressor's checksum
 * is checked too. Refuses, naming the entry, an archive restore would refuse: a listing that
 * passes is one whose every member lands under the restore directory.
 */
export async function listFiles(options: ReadFilesOptions): Promise<ArchiveEntry[]> {
  const where = `listing of ${options.key}`;
  const zstd = await zstdFor(options.compression, where);
  return scanArchive(options, zstd, where, "a restore of this set would fail");
}

export interface RestoreFilesOptions extends ReadFilesOptions {
  /** The directory to restore under: not "/", and empty or missing unless `overwrite`. */
  to: string;
  /** Replace files already under `to` (still never anything outside it). */
  overwrite?: boolean;
}

/**
 * Restores the archive under `to`, and only there. The whole archive is checked before a byte is
 * written; members are owned by the user restoring, with their stored modes. Into a new or empty
 * directory, a failed restore removes what it wrote, so nothing that looks like a restore is left.
 */
export async function restoreFiles(options: RestoreFilesOptions): Promise<{ files: number; bytes: number; to: string }> {
  const { storage, key, compression, signal } = options;
  const overwrite = options.overwrite ?? false;
  const target = await restoreDirectory(options.to, overwrite);
  const where = `restore of ${key} into ${target.path}`;
  signal.throwIfAborted();
  const tar = await gnuTar(where);
  const zstd = await zstdFor(compression, where);

  const entries = await scanArchive(options, zstd, where, "nothing was restored");
  if (overwrite && target.existed) await refuseSymlinksOnDisk(target.path, entries, where);

  if (!target.existed) await mkdir(target.path, { recursive: true, mode: 0o700 });
  const consequence = overwrite && target.existed ? `files under ${target.path} may be partly replaced` : `what was written under ${target.path} is removed`;
  const extractor = startChild(tar.path, extractArguments(target.path, overwrite), { stdin: "pipe", stdout: "ignore", label: "tar" });
  let index = 0;
  const inspector = new ArchiveInspector({
    // tar reads a header only after it was checked here: what it extracts is what was listed.
    hold: true,
    onEntry: (entry) => {
      const listed = entries[index++];
      if (listed === undefined || !sameEntry(listed, entry))
        throw new FilesError(`${where}: the artifact changed after it was checked (entry ${index}: ${entry.path}); ${consequence}. Check who writes to ${storage.label}`, false, "CORRUPT");
    },
    onEnd: () => {
      if (index !== entries.length) throw new FilesError(`${where}: the artifact changed after it was checked (${index} entries, ${entries.length} listed); ${consequence}`, false, "CORRUPT");
    },
  });
  try {
    await readThrough(options, zstd, inspector, extractor.stdin!, [extractor], { where, consequence, signal, creating: false });
  } catch (error) {
    // When the second read failed to start, tar is still waiting for its input.
    extractor.stop();
    await extractor.done.catch(() => undefined);
    if (!overwrite || !target.existed) await emptyOut(target.path, target.existed).catch(() => undefined);
    throw error;
  }
  const files = entries.filter((e) => e.type === "file");
  return { files: files.length, bytes: files.reduce((sum, e) => sum + e.size, 0), to: target.path };
}

/** The tar members for the configured paths, relative to "/", refused with the field named when one cannot be archived. */
async function membersOf(paths: readonly string[]): Promise<string[]> {
  if (paths.length === 0) throw new BackupError("backups.files.paths is empty: list the files or directories to back up, like /etc/game-server");
  const resolved = paths.map((path, i) => {
    const field = `backups.files.paths[${i}]`;
    if (typeof path !== "string" || !isAbsolute(path)) throw new BackupError(`${field}: "${path}" is not an absolute path; write it from the root, like /etc/game-server`);
    const normal = resolve(path);
    if (normal === "/") throw new BackupError(`${field}: "/" is the whole system; list the directories that hold the game's configuration, like /etc/game-server`);
    return { field, path: normal };
  });
  for (const [i, a] of resolved.entries()) {
    for (const b of resolved.slice(i + 1)) {
      const [outer, inner] = b.path.startsWith(a.path + "/") || a.path === b.path ? [a, b] : a.path.startsWith(b.path + "/") ? [b, a] : [];
      if (outer && inner) throw new BackupError(`${inner.field}: ${inner.path} is already in ${outer.field} (${outer.path}); list it once`);
    }
  }
  for (const { field, path } of resolved) {
    const info = await lstat(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT" || error.code === "ENOTDIR") throw new BackupError(`${field}: ${path} does not exist; fix the path or remove it from backups.files.paths`, { cause: error });
      throw new BackupError(`${field}: cannot read ${path} (${error.message}); the gameops user must be able to read it`, { cause: error });
    });
    // tar stores a symlink as a link, not what it points to: the backup would hold none of it.
    if (info.isSymbolicLink()) throw new BackupError(`${field}: ${path} is a symlink to ${await readlink(path)}; list the directory it points to instead`);
    if (!info.isFile() && !info.isDirectory()) throw new BackupError(`${field}: ${path} is neither a file nor a directory; list files and directories only`);
  }
  return resolved.map(({ path }) => path.slice(1));
}

/**
 * GNU tar's arguments: members relative to "/" (so none is stored absolute), numeric owners
 * (names differ between hosts), members after "--" (a name may start with "-"), sorted so the
 * same tree gives the same archive.
 */
function createArguments(members: readonly string[]): string[] {
  return ["--create", "--file=-", "--format=gnu", "--numeric-owner", "--sort=name", "--directory=/", "--", ...members];
}

/**
 * --keep-old-files into a new directory (nothing to replace, and a second copy of a member is an
 * error); --no-overwrite-dir over an existing one: files are replaced (tar removes the old one and
 * creates a new file, so it never writes through a symlink at that name), directories keep their
 * own metadata. GNU tar takes only one of the two. No --overwrite: it opens an existing name for
 * writing, following a symlink there.
 */
function extractArguments(directory: string, overwrite: boolean): string[] {
  return ["--extract", "--file=-", `--directory=${directory}`, "--no-same-owner", "--preserve-permissions", overwrite ? "--no-overwrite-dir" : "--keep-old-files"];
}

async function gnuTar(where: string): Promise<{ path: string; version: string }> {
  const tar = await findProgram(["gtar", "tar"]);
  if (tar === undefined) throw new FilesError(`${where}: tar is not on PATH; install GNU tar (apt install tar)`, false, "NO_TOOL");
  const text = await readOutput(tar.path, ["--version"]);
  // The arguments and the extraction rules above are GNU tar's; bsdtar reads some of them otherwise.
  if (!/GNU tar/.test(text)) throw new FilesError(`${where}: ${tar.path} is not GNU tar (${text.split("\n")[0]}); install GNU tar (apt install tar)`, false, "NO_TOOL");
  return { path: tar.path, version: /(\d+\.\d+(?:\.\d+)?)/.exec(text)?.[1] ?? "unknown" };
}

async function zstdFor(compression: FilesCompression, where: string): Promise<string | undefined> {
  if (compression !== "zstd") return undefined;
  const zstd = await findProgram(["zstd"]);
  if (zstd === undefined) throw new FilesError(`${where}: zstd is not on PATH; install it (apt install zstd) or use gzip compression`, false, "NO_TOOL");
  return zstd.path;
}

/** `to`, resolved, after the checks that need no archive: not "/", a directory, empty unless overwriting. */
async function restoreDirectory(to: string, overwrite: boolean): Promise<{ path: string; existed: boolean }> {
  if (typeof to !== "string" || to.trim() === "") throw new BackupError("restore needs a directory to restore into (--to), like /srv/restore/20261126");
  const refuseRoot = () => {
    throw new BackupError(`restore into "/" refused: gameops restores files under a directory of their own (--to /srv/restore/20261126), never over the live system; copy back what you need from there`);
  };
  const path = resolve(to);
  if (path === "/") refuseRoot();
  const info = await lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw new BackupError(`restore directory ${path}: ${error.message}`, { cause: error });
  });
  if (info === undefined) return { path, existed: false };
  const real = await realpath(path).catch((error: NodeJS.ErrnoException) => {
    throw new BackupError(`restore directory ${path}: ${error.message}; choose a new directory (--to)`, { cause: error });
  });
  if (real === "/") refuseRoot();
  if (!(info.isDirectory() || (info.isSymbolicLink() && (await lstat(real)).isDirectory())))
    throw new BackupError(`restore directory ${path} is not a directory; choose a new directory (--to)`);
  if (!overwrite && (await readdir(real)).length > 0)
    throw new BackupError(`restore directory ${path} is not empty; restore into a new or empty directory (--to), or pass --overwrite to replace the files in it`);
  return { path: real, existed: true };
}

/** Over an existing directory, tar would follow a symlink found where the archive has a directory: refuse before writing. */
async function refuseSymlinksOnDisk(directory: string, entries: readonly ArchiveEntry[], where: string): Promise<void> {
  for (const relative of pathsThatMustNotBeSymlinks(entries)) {
    const info = await lstat(join(directory, relative)).catch(() => undefined);
    if (info?.isSymbolicLink())
      throw new BackupError(`${where} refused: ${join(directory, relative)} is a symlink (to ${await readlink(join(directory, relative))}) where the archive has a directory; tar would write through it. Remove it, or restore into a new directory`);
  }
}

/** After a failed restore into a new or empty directory: back to what it was. */
async function emptyOut(directory: string, existed: boolean): Promise<void> {
  if (!existed) return rm(directory, { recursive: true, force: true });
  // rm does not follow symlinks: a restored link to elsewhere is removed, not what it points to.
  for (const name of await readdir(directory)) await rm(join(directory, name), { recursive: true, force: true });
}

/** Pass one of a restore, and the listing: every entry, checked against the rules. */
async function scanArchive(options: ReadFilesOptions, zstd: string | undefined, where: string, consequence: string): Promise<ArchiveEntry[]> {
  const rules = new ArchiveRules();
  const entries: ArchiveEntry[] = [];
  const inspector = new ArchiveInspector({
    hold: false,
    onEntry: (entry) => {
      refuseIf(rules.admit(entry), (r) => restoreRefusal(r, where, consequence));
      entries.push(entry);
    },
    onEnd: () => refuseIf(rules.finish(), (r) => restoreRefusal(r, where, consequence)),
  });
  const discard = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  await readThrough(options, zstd, inspector, discard, [], { where, consequence, signal: options.signal, creating: false });
  return entries;
}

/** storage → decompress → inspector → sink, with every stage's outcome awaited and the first real failure reported. */
async function readThrough(options: ReadFilesOptions, zstd: string | undefined, inspector: ArchiveInspector, sink: Writable, more: RunningChild[], context: FailureContext): Promise<void> {
  const { storage, key, compression, signal } = options;
  signal.throwIfAborted();
  const source = await storage.get(key, { signal });
  const decompressor = decompressStage(compression, zstd);
  const children = [...decompressor.children, ...more];
  const stopAll = () => {
    source.destroy();
    children.forEach((child) => child.stop());
  };
  signal.addEventListener("abort", stopAll, { once: true });
  try {
    const reading = pipeline(source, decompressor.input);
    const inspecting = pipeline(decompressor.output, inspector, sink);
    const stages = [...decompressor.children.map((c) => c.done), reading, inspecting, ...more.map((c) => c.done)];
    const failures = watch(stages, stopAll);
    await Promise.allSettled(stages);
    if (failures.length > 0) throw describeFailure(failures, context);
  } finally {
    signal.removeEventListener("abort", stopAll);
  }
}

/** Records the stages' failures in the order they happen, stopping everything at the first. */
function watch(stages: Promise<unknown>[], stopAll: () => void): unknown[] {
  const failures: unknown[] = [];
  for (const stage of stages)
    stage.catch((error: unknown) => {
      failures.push(error);
      stopAll();
    });
  return failures;
}

interface FailureContext {
  where: string;
  consequence: string;
  signal: AbortSignal;
  /** Writing an archive (tar's exit 1 means a file changed) rather than reading one. */
  creating: boolean;
}

/**
 * The one failure to report among all the stages': a refusal or a cancel first, then the
 * earliest stage in pipeline order that failed on its own, in its own words. A bare stream error
 * ("write EPIPE"), a tool that died of a broken pipe, or one we killed after the first failure is
 * only the echo of another stage.
 */
function describeFailure(failures: unknown[], context: FailureContext): Error {
  const { where, consequence, signal, creating } = context;
  if (signal.aborted) return new FilesError(`${where}: cancelled; ${consequence}`, false, "ABORTED", { cause: failures[0] });
  const decided = failures.find((f) => f instanceof BackupError || f instanceof FilesError);
  if (decided) return decided as Error;
  const order = creating ? ["tar", "reader", "compressor", "storage"] : ["storage", "compressor", "reader", "tar"];
  const rank = (f: unknown) => {
    const stage = stageOf(f);
    return stage === undefined ? order.length : order.indexOf(stage);
  };
  const root = [...failures].sort((a, b) => rank(a) - rank(b))[0];
  const words = (root as Error)?.message ?? String(root);

  if (root instanceof StorageError) return root;
  if (creating) {
    if (root instanceof ChildFailure && root.program === "tar" && root.exitCode === 1)
      return new FilesError(
        `${where}: a file changed while tar read it (${words}); ${consequence}. Its copy could mix old and new content: run the backup again when nothing writes there, or leave busy files (logs, state) out of backups.files.paths`,
        true,
        "CHANGED",
        { cause: root },
      );
    if (root instanceof TarFormatError) return new FilesError(`${where}: tar wrote an archive gameops cannot read back (${words}); ${consequence}`, false, "STAGE_FAILED", { cause: root });
    return new FilesError(`${where} failed: ${words}; ${consequence}`, false, "STAGE_FAILED", { cause: root });
  }
  if (stageOf(root) === "compressor")
    return new FilesError(`${where}: the artifact does not decompress (${words}); it is corrupted or truncated, ${consequence}: restore from another set`, false, "CORRUPT", { cause: root });
  if (root instanceof TarFormatError) return new FilesError(`${where}: the artifact is not a tar gameops can read: ${words}; ${consequence}: restore from another set`, false, "CORRUPT", { cause: root });
  return new FilesError(`${where} failed: ${words}; ${consequence}`, false, "STAGE_FAILED", { cause: root });
}

/** Which stage a failure speaks for, or undefined for an echo. */
function stageOf(failure: unknown): "tar" | "reader" | "compressor" | "storage" | undefined {
  if (failure instanceof StorageError) return "storage";
  if (failure instanceof TarFormatError) return "reader";
  const code = (failure as NodeJS.ErrnoException)?.code;
  // zlib's own errors (Z_DATA_ERROR, Z_BUF_ERROR for a cut stream) stand where zstd would.
  if (typeof code === "string" && code.startsWith("Z_")) return "compressor";
  if (!(failure instanceof ChildFailure) || /broken pipe|EPIPE/i.test(failure.stderr)) return undefined;
  // zstd (run with -q) only speaks of real trouble: its words count even when we stopped it as it exited.
  if (failure.program === "zstd") return failure.signal === null || failure.stderr.trim() !== "" ? "compressor" : undefined;
  return failure.signal === null ? "tar" : undefined;
}

function refuseIf(refusal: Refusal | undefined, error: (refusal: Refusal) => Error): void {
  if (refusal) throw error(refusal);
}

function backupRefusal(refusal: Refusal, where: string, consequence: string): BackupError {
  const fix = /symlink/.test(refusal.why) ? "make the link relative and inside the backed-up directory, or remove it" : "remove it, or leave it out of backups.files.paths";
  return new BackupError(`${where}: /${refusal.path} cannot be backed up: ${refusal.why}, so a restore would refuse the set; ${consequence}. Fix it on disk (${fix})`);
}

function restoreRefusal(refusal: Refusal, where: string, consequence: string): BackupError {
  return new BackupError(`${where} refused: the archive's entry ${JSON.stringify(refusal.path)}: ${refusal.why}; ${consequence}. This is not an archive gameops wrote: restore from another set`);
}

function sameEntry(a: ArchiveEntry, b: ArchiveEntry): boolean {
  return a.path === b.path && a.type === b.type && a.size === b.size && a.mode === b.mode && a.linkTarget === b.linkTarget;
}

/**
 * Passes a tar stream through, reading its headers as they go by: each entry goes to `onEntry`
 * (which throws to refuse it) and the end to `onEnd`. With `hold`, bytes go on only once every
 * header before them was handed to `onEntry`, and nothing after the end-of-archive marker goes
 * on at all: what reads the output never sees a header that was not checked.
 */
class ArchiveInspector extends Transform {
  readonly #reader = new TarReader();
  /** Bytes received and not passed on yet (hold only), starting at stream offset #heldFrom. */
  #held: Buffer = Buffer.alloc(0);
  #heldFrom = 0;
  #bytes = 0;

  constructor(
    private readonly options: {
      hold: boolean;
      onEntry: (entry: ArchiveEntry) => void;
      onEnd: () => void;
      onProgress?: (bytes: number) => void;
    },
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null, data?: Buffer) => void): void {
    try {
      this.#bytes += chunk.length;
      for (const entry of this.#reader.push(chunk)) this.options.onEntry(entry);
      this.options.onProgress?.(this.#bytes);
      if (!this.options.hold) return callback(null, chunk);
      this.#held = this.#held.length === 0 ? chunk : Buffer.concat([this.#held, chunk]);
      const release = this.#reader.released - this.#heldFrom;
      if (release > 0) this.push(this.#held.subarray(0, release));
      this.#held = this.#reader.ended ? Buffer.alloc(0) : this.#held.subarray(Math.max(release, 0));
      this.#heldFrom = this.#reader.ended ? this.#bytes : this.#heldFrom + Math.max(release, 0);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: (error?: Error | null) => void): void {
    try {
      this.#reader.end();
      this.options.onEnd();
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }
}

/** A compression or decompression stage: node's zlib in-process, or a zstd child. */
interface Stage {
  input: Writable;
  output: Readable;
  /** The children whose exit codes count (none for zlib). */
  children: RunningChild[];
}

function compressStage(compression: FilesCompression, zstd: string | undefined): Stage {
  if (compression === "gzip") {
    const gzip = createGzip();
    return { input: gzip, output: gzip, children: [] };
  }
  // -T0: every core; -q: no progress on stderr; reads stdin, writes stdout.
  return zstdStage(zstd!, ["-T0", "-q", "-c"]);
}

function decompressStage(compression: FilesCompression, zstd: string | undefined): Stage {
  if (compression === "gzip") {
    const gunzip = createGunzip();
    return { input: gunzip, output: gunzip, children: [] };
  }
  return zstdStage(zstd!, ["-d", "-q", "-c"]);
}

function zstdStage(path: string, args: string[]): Stage {
  const zstd = startChild(path, args, { stdin: "pipe", stdout: "pipe", label: "zstd" });
  return { input: zstd.stdin!, output: zstd.stdout!, children: [zstd] };
}
