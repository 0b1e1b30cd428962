// The gameops side of the bench: what `gameops backup`'s mysql component and `gameops restore`
// run, called in this process. Each operation is one function, so that once the engine's wiring
// lands it can be swapped for the CLI (`gameops backup` / `gameops restore`) without touching
// the rest of the bench.
import { performance } from "node:perf_hooks";
import type { MysqlTarget } from "../../src/config/load.js";
import type { Fingerprint } from "../../src/domain/backups/manifest.js";
import { dumpDatabase, fingerprint, restoreDump } from "../../src/integrations/mysql/dump.js";
import type { LocalStorage } from "../../src/integrations/storage/local-storage.js";
import { connectMysql } from "../../src/integrations/mysql/connection.js";
import { watchTree } from "./process-tree.js";
import type { Timed } from "./peer-pipelines.js";

export interface GameopsBackup {
  /** Compressed bytes stored. */
  size: number;
  sha256: string;
  /** Uncompressed dump bytes, as the dump tool wrote them. */
  dumpBytes: number;
}

/** `gameops backup`'s mysql component: mariadb-dump → zstd -T0 → LocalStorage at `key`. */
export async function gameopsBackup(target: MysqlTarget, storage: LocalStorage, key: string): Promise<Timed<GameopsBackup>> {
  let dumpBytes = 0;
  return timed(async () => {
    const component = await dumpDatabase({ target, storage, key, compression: "zstd", signal: new AbortController().signal, onProgress: (bytes) => (dumpBytes = bytes) });
    const artifact = component.artifacts[0]!;
    return { size: artifact.size, sha256: artifact.sha256, dumpBytes };
  });
}

/** `gameops restore` of the mysql component into a new database. */
export async function gameopsRestore(target: MysqlTarget, storage: LocalStorage, key: string, database: string): Promise<Timed> {
  return timed(() => restoreDump({ target, storage, key, compression: "zstd", database, signal: new AbortController().signal }));
}

/** A deep verify: restore into a scratch database, fingerprint it, drop it. */
export async function gameopsDeepVerify(target: MysqlTarget, storage: LocalStorage, key: string, scratch: string): Promise<Timed<Fingerprint>> {
  return timed(async () => {
    await restoreDump({ target, storage, key, compression: "zstd", database: scratch, signal: new AbortController().signal });
    try {
      return await fingerprint({ target, database: scratch });
    } finally {
      await dropDatabase(target, scratch);
    }
  });
}

export async function dropDatabase(target: MysqlTarget, database: string): Promise<void> {
  const { database: _ignored, ...server } = target;
  const session = await connectMysql(server, { timeoutMs: 600_000, signal: new AbortController().signal });
  try {
    await session.query(`DROP DATABASE IF EXISTS \`${database}\``);
  } finally {
    await session.close();
  }
}

async function timed<T>(operation: () => Promise<T>): Promise<Timed<T>> {
  const started = performance.now();
  const watch = watchTree(process.pid);
  try {
    const result = await operation();
    return { seconds: (performance.now() - started) / 1000, usage: await watch.stop(), result };
  } catch (error) {
    await watch.stop();
    throw error;
  }
}
