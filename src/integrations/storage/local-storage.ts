import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, open, readdir, rename, rm, rmdir, stat } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { MeasuringStream } from "./measuring-stream.js";
import { checkKey, partialSuffix, StorageError, type BackupStorage, type GetOptions, type PutOptions, type PutResult, type StoredObject } from "./storage.js";

/**
 * Backups in a local directory: the embedded default (under the data dir). The directory and
 * every folder in it are 0700 and every artifact 0600, since a dump holds player data and
 * password hashes.
 */
export class LocalStorage implements BackupStorage {
  readonly kind = "local";
  readonly label: string;
  private readonly root: string;

  constructor(directory: string) {
    this.root = resolve(directory);
    this.label = this.root;
  }

  async put(key: string, body: Readable, options: PutOptions = {}): Promise<PutResult> {
    const path = this.pathOf(key);
    const partial = path + partialSuffix;
    await this.makeDirectory(dirname(path));
    const meter = new MeasuringStream();
    try {
      await pipeline(body, meter, createWriteStream(partial, { mode: 0o600 }), options.signal ? { signal: options.signal } : {});
      // The bytes must be on disk before the rename makes them the artifact: after a crash the
      // key holds either the whole file or nothing, never a torn one.
      const handle = await open(partial, "r+");
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(partial, path);
    } catch (error) {
      await rm(partial, { force: true });
      throw this.failure(body.errored ?? error, "put", key, options.signal, body.errored !== null);
    }
    return meter.result();
  }

  async get(key: string, options: GetOptions = {}): Promise<Readable> {
    const path = this.pathOf(key);
    // Open before returning, so a missing key rejects here rather than on the first read.
    const handle = await open(path, "r").catch((error: unknown) => {
      throw this.failure(error, "get", key);
    });
    return createReadStream("", { fd: handle, ...(options.signal ? { signal: options.signal } : {}) });
  }

  async list(prefix: string): Promise<StoredObject[]> {
    const found: StoredObject[] = [];
    const walk = async (directory: string): Promise<void> => {
      const entries = await readdir(directory, { withFileTypes: true }).catch((error: unknown) => {
        // A store nothing was put into yet holds no backups.
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
        throw this.failure(error, "list", prefix);
      });
      for (const entry of entries) {
        const path = join(directory, entry.name);
        if (entry.isDirectory()) {
          await walk(path);
        } else if (entry.isFile() && !entry.name.endsWith(partialSuffix)) {
          const key = relative(this.root, path).split(sep).join("/");
          if (!key.startsWith(prefix)) continue;
          const info = await stat(path);
          found.push({ key, size: info.size, modifiedAt: info.mtime });
        }
      }
    };
    await walk(this.root);
    return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async remove(key: string): Promise<void> {
    const path = this.pathOf(key);
    await rm(path, { force: true }).catch((error: unknown) => {
      throw this.failure(error, "remove", key);
    });
    // Folders emptied by the removal go too, as an S3 prefix does: a pruned set leaves no trace.
    for (let folder = dirname(path); folder !== this.root && folder.startsWith(this.root + sep); folder = dirname(folder)) {
      if (!(await rmdir(folder).then(() => true, () => false))) break;
    }
  }

  async exists(key: string): Promise<boolean> {
    const info = await stat(this.pathOf(key)).catch(() => undefined);
    return info?.isFile() ?? false;
  }

  private pathOf(key: string): string {
    checkKey(key);
    const path = resolve(this.root, key);
    // checkKey already refuses ".." and absolute keys; this is the belt to its braces.
    if (!path.startsWith(this.root + sep)) throw new StorageError("bad-key", `backup key ${JSON.stringify(key)} refused: it resolves outside ${this.root}`, { key });
    return path;
  }

  private async makeDirectory(directory: string): Promise<void> {
    try {
      // The umask can only take bits away from group and others here, so new folders are 0700.
      await mkdir(directory, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw new StorageError("no-store", `backup directory ${this.root}: cannot create ${directory} (${(error as Error).message}); check the path and its permissions`, { cause: error });
    }
  }

  private failure(error: unknown, operation: string, key: string, signal?: AbortSignal, fromSource = false): StorageError {
    if (error instanceof StorageError) return error;
    const code = (error as NodeJS.ErrnoException)?.code;
    const where = `${operation} ${key} in ${this.root}`;
    const detail = (error as Error)?.message ?? String(error);
    if (signal?.aborted || (error as Error)?.name === "AbortError") return new StorageError("aborted", `${where}: cancelled; nothing was stored`, { key, cause: error });
    if (fromSource) return new StorageError("source", `${where}: the data stream failed (${detail}); nothing was stored`, { key, cause: error });
    if (code === "ENOENT" && operation !== "put") return new StorageError("not-found", `${where}: no such backup artifact`, { key, cause: error });
    if (code === "EACCES" || code === "EPERM") return new StorageError("unauthorized", `${where}: permission denied; the directory must be writable by the gameops user`, { key, cause: error });
    if (code === "ENOSPC" || code === "EDQUOT") return new StorageError("refused", `${where}: the disk is full; nothing was stored, free space or prune old sets`, { key, cause: error });
    return new StorageError("refused", `${where}: ${detail}`, { key, cause: error });
  }
}
