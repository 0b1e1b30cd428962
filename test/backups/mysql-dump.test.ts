import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import mysql from "mysql2/promise";
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from "vitest";
import type { MysqlTarget } from "../../src/config/load.js";
import { Secret } from "../../src/config/secret.js";
import { BackupError } from "../../src/domain/backups/backup-error.js";
import { componentSchema } from "../../src/domain/backups/manifest.js";
import { MysqlError } from "../../src/integrations/mysql/connection.js";
import { dumpArguments, dumpDatabase, dumpFileName, fingerprint, parsePositions, restoreDump, type DumpCompression } from "../../src/integrations/mysql/dump.js";
import { LocalStorage } from "../../src/integrations/storage/local-storage.js";
import type { BackupStorage } from "../../src/integrations/storage/storage.js";
import { testServices } from "../services.js";
import { childProcesses } from "../support/child-processes.js";
import { gameSchemaSql } from "./game-schema.js";

// The second MariaDB: it writes a binlog (the shared one does not) and its user has a password
// (the shared one's root has none), which is what the defaults-file path must carry.
// A temp dir of this file's own (each test file runs in its own process): the defaults files the
// dump writes there can be counted without seeing those of other files' dumps running meanwhile.
const sharedTmp = tmpdir();
process.env.TMPDIR = mkdtempSync(join(sharedTmp, "gameops-mysql-dump-tmp-"));

const service = testServices().mariadbBinlog;
const unique = `${process.pid}_${Date.now().toString(36)}`;
const source = `gameops_dump_${unique}`;
const limitedUser = `gameops_dump_${unique}`.slice(0, 32);
const created: string[] = [];
let scratchCount = 0;

function targetOf(database: string | undefined, password = service.password, user = service.user): MysqlTarget {
  return {
    host: service.host,
    port: service.port,
    user,
    password: new Secret(password),
    ...(database !== undefined ? { database } : {}),
    label: `mysql://${user}@${service.host}:${service.port}/${database ?? ""}`,
  };
}

/** A database name for a restore, dropped in afterAll. */
function scratchName(): string {
  const name = `gameops_restore_${unique}_${++scratchCount}`;
  created.push(name);
  return name;
}

let admin: mysql.Connection;

async function adminQuery<T>(sql: string, params: unknown[] = []): Promise<T[]> {
  const [rows] = await admin.query(sql, params);
  return rows as T[];
}


beforeAll(async () => {
  admin = await mysql.createConnection({ host: service.host, port: service.port, user: service.user, password: service.password, multipleStatements: true });
  created.push(source);
  await adminQuery(`CREATE DATABASE \`${source}\``);
  await admin.changeUser({ database: source });
  await adminQuery(gameSchemaSql);
});

afterAll(async () => {
  rmSync(tmpdir(), { recursive: true, force: true });
  process.env.TMPDIR = sharedTmp;
  for (const database of created) await adminQuery(`DROP DATABASE IF EXISTS \`${database}\``);
  await adminQuery(`DROP USER IF EXISTS '${limitedUser}'@'${service.host}'`);
  await admin.end();
});

let directory: string;
let storage: LocalStorage;

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), "gameops-mysql-dump-test-"));
  storage = new LocalStorage(directory);
});

afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

function sha256OfFile(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    createReadStream(path)
      .on("data", (chunk) => hash.update(chunk))
      .on("end", () => resolve(hash.digest("hex")))
      .on("error", reject);
  });
}

/** Every file under the store, unfinished (.partial) ones included. */
function filesUnder(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}


/** The gameops-mysql-* defaults-file directories in the temp dir. */
function defaultsDirectories(): string[] {
  return readdirSync(tmpdir()).filter((name) => name.startsWith("gameops-mysql-") && !name.startsWith("gameops-mysql-dump-test-"));
}

async function dumpTo(key: string, compression: DumpCompression, extra: { signal?: AbortSignal; onProgress?: (bytes: number) => void; into?: BackupStorage } = {}) {
  return dumpDatabase({
    target: targetOf(source),
    storage: extra.into ?? storage,
    key,
    compression,
    signal: extra.signal ?? new AbortController().signal,
    ...(extra.onProgress ? { onProgress: extra.onProgress } : {}),
  });
}

/**
 * Storage that does not read an artifact until `open()` (or a cancel): the compressed dump backs
 * up through the pipes, so a dump of this small database is surely still running when its first
 * progress arrives, on a slow machine too.
 */
function gated(inner: BackupStorage): { storage: BackupStorage; open(): void } {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const storage: BackupStorage = {
    kind: inner.kind,
    label: inner.label,
    put: async (key, body, options) => {
      await new Promise<void>((resolve) => {
        void gate.then(resolve);
        if (options?.signal?.aborted) resolve();
        options?.signal?.addEventListener("abort", () => resolve(), { once: true });
      });
      return inner.put(key, body, options);
    },
    get: (key, options) => inner.get(key, options),
    list: (prefix) => inner.list(prefix),
    remove: (key) => inner.remove(key),
    exists: (key) => inner.exists(key),
  };
  return { storage, open };
}

async function restoreTo(key: string, compression: DumpCompression, database = scratchName()): Promise<string> {
  await restoreDump({ target: targetOf(undefined), storage, key, compression, database, signal: new AbortController().signal });
  return database;
}

describe("dumpDatabase and restoreDump against a MariaDB with a binlog", () => {
  for (const compression of ["zstd", "gzip"] as const) {
    it(`dumps through ${compression} into storage with the stored bytes' sha256, and a restore has the source's fingerprint`, async () => {
      const key = `set-${compression}/${dumpFileName(compression)}`;
      const progress: number[] = [];
      const into = gated(storage);
      const component = await dumpTo(key, compression, {
        into: into.storage,
        onProgress: (bytes) => {
          progress.push(bytes);
          into.open();
        },
      });

      expect(componentSchema.parse(component)).toEqual(component);
      expect(component.name).toBe("mysql");
      expect(component.tool).toEqual({ name: "mariadb-dump", version: expect.stringMatching(/^\d+\.\d+\.\d+-MariaDB/) });
      expect(component.source).toEqual({ binlogFile: expect.stringMatching(/^mariadb-bin\.\d+$/), binlogPosition: expect.any(Number), gtid: expect.stringMatching(/^\d+-\d+-\d+/) });
      const [artifact] = component.artifacts;
      expect(artifact).toMatchObject({ name: key.split("/")[1], compression });

      // The manifest's numbers are those of the file as stored, re-read from disk.
      const path = join(directory, key);
      expect(statSync(path).size).toBe(artifact!.size);
      expect(await sha256OfFile(path)).toBe(artifact!.sha256);
      const magic = readFileSync(path).subarray(0, 4).toString("hex");
      expect(magic.startsWith(compression === "zstd" ? "28b52ffd" : "1f8b")).toBe(true);
      expect(filesUnder(directory)).toEqual([path]);

      // Progress counts uncompressed bytes, rising, up to about the dump's size (the compressor
      // also reads a few KB of its own at start).
      expect(progress.length).toBeGreaterThan(0);
      expect(progress).toEqual([...progress].sort((a, b) => a - b));
      const sqlBytes = execFileSync(compression, ["-dc", path], { maxBuffer: 64 * 1024 * 1024 }).length;
      expect(progress.at(-1)).toBeGreaterThan(0);
      expect(progress.at(-1)).toBeLessThanOrEqual(sqlBytes + 64 * 1024);
      expect(sqlBytes).toBeGreaterThan(artifact!.size);

      const restored = await restoreTo(key, compression);
      const expected = await fingerprint({ target: targetOf(source), database: source });
      expect(expected.tables.map((t) => t.name)).toEqual(["characters", "game_logs", "items", "player_sessions", "players", "temporary_data", "transactions"]);
      expect(expected.tables.find((t) => t.name === "game_logs")!.rows).toBe(9000);
      expect(await fingerprint({ target: targetOf(source), database: restored })).toEqual(expected);

      // Routines, triggers, events and partitions came along.
      const [objects] = await admin.query(
        `SELECT (SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?) AS routines,
                (SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?) AS triggers,
                (SELECT COUNT(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?) AS events,
                (SELECT COUNT(*) FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'game_logs') AS partitions`,
        [restored, restored, restored, restored],
      );
      expect((objects as Record<string, number>[])[0]).toEqual({ routines: 1, triggers: 1, events: 1, partitions: 4 });
      expect(defaultsDirectories()).toEqual([]);
    });
  }

  it("under writers, the dump is one snapshot: two restores agree, and the live source has moved past it", async () => {
    const key = "set-writers/dump.sql.zst";
    const writers = await Promise.all([0, 1].map(() => mysql.createConnection({ host: service.host, port: service.port, user: service.user, password: service.password, database: source })));
    let writing = true;
    // Each writer commits a transaction row and its game_logs row together: a consistent
    // snapshot holds both or neither.
    const write = async (connection: mysql.Connection) => {
      await connection.query("START TRANSACTION");
      const [result] = await connection.query("INSERT INTO transactions (player_id, amount, currency, note, created_at) VALUES (1 + FLOOR(RAND() * 1000), 1, 'GLD', 'writer', NOW(6))");
      await connection.query("INSERT INTO game_logs (logged_at, player_id, event, payload) VALUES ('2026-03-15', 1, 'writer', ?)", [String((result as mysql.ResultSetHeader).insertId)]);
      await connection.query("COMMIT");
    };
    const loops = writers.map(async (connection) => {
      while (writing) await write(connection);
    });
    const rowsBefore = (await adminQuery<{ n: number }>(`SELECT COUNT(*) AS n FROM \`${source}\`.game_logs`))[0]!.n;

    // Once table data flows the snapshot is taken: this write is surely after it.
    let afterSnapshot: Promise<void> | undefined;
    const into = gated(storage);
    const component = await dumpTo(key, "zstd", {
      into: into.storage,
      onProgress: (bytes) => {
        if (bytes > 256 * 1024) afterSnapshot ??= write(writers[0]!).catch(() => undefined).finally(into.open);
      },
    }).finally(() => (writing = false));
    await Promise.all(loops);
    await afterSnapshot;
    await Promise.all(writers.map((w) => w.end()));
    expect(afterSnapshot).toBeDefined();

    const first = await restoreTo(key, "zstd");
    const second = await restoreTo(key, "zstd");
    const restoredPrint = await fingerprint({ target: targetOf(source), database: first });
    expect(await fingerprint({ target: targetOf(source), database: second })).toEqual(restoredPrint);

    const rows = (print: typeof restoredPrint, table: string) => print.tables.find((t) => t.name === table)!.rows;
    const live = await fingerprint({ target: targetOf(source), database: source });
    expect(rows(live, "game_logs")).toBeGreaterThan(rows(restoredPrint, "game_logs"));
    expect(rows(restoredPrint, "game_logs")).toBeGreaterThanOrEqual(rowsBefore);
    const [pairs] = await admin.query(
      `SELECT (SELECT COUNT(*) FROM \`${first}\`.transactions WHERE note = 'writer') AS transactions,
              (SELECT COUNT(*) FROM \`${first}\`.game_logs WHERE event = 'writer') AS logs`,
    );
    const { transactions, logs } = (pairs as { transactions: number; logs: number }[])[0]!;
    expect(logs).toBe(transactions);
    expect(component.source?.binlogPosition).toBeGreaterThan(0);
  });

  it("a dump cancelled midway throws, stores nothing, and leaves no process or defaults file behind", async () => {
    const controller = new AbortController();
    const dumping = dumpTo("set-killed/dump.sql.zst", "zstd", {
      into: gated(storage).storage,
      signal: controller.signal,
      onProgress: (bytes) => {
        if (bytes > 128 * 1024) controller.abort();
      },
    });
    await expect(dumping).rejects.toThrow(MysqlError);
    await expect(dumping).rejects.toThrow(/cancelled; nothing was stored/);
    expect(controller.signal.aborted).toBe(true);
    expect(filesUnder(directory)).toEqual([]);
    expect(await storage.list("")).toEqual([]);
    expect(childProcesses().filter((c) => /mariadb-dump|mysqldump|zstd|tee|wc|head|tail/.test(c.argv[0] ?? ""))).toEqual([]);
    expect(defaultsDirectories()).toEqual([]);
  });

  it("a dump tool that fails after writing table data fails the component (pipefail) and stores nothing", async () => {
    // Without the EVENT privilege mariadb-dump writes every table, then fails at SHOW EVENTS with exit code 2.
    await adminQuery(`CREATE USER '${limitedUser}'@'${service.host}' IDENTIFIED BY 'limited-pw-${unique}'`);
    await adminQuery(`GRANT SELECT, SHOW VIEW, TRIGGER ON \`${source}\`.* TO '${limitedUser}'@'${service.host}'`);
    await adminQuery(`GRANT RELOAD, BINLOG MONITOR ON *.* TO '${limitedUser}'@'${service.host}'`);
    let dumped = 0;
    const into = gated(storage);
    const dumping = dumpDatabase({
      target: targetOf(source, `limited-pw-${unique}`, limitedUser),
      storage: into.storage,
      key: "set-pipefail/dump.sql.zst",
      compression: "zstd",
      signal: new AbortController().signal,
      onProgress: (bytes) => {
        dumped = bytes;
        if (bytes > 1024 * 1024) into.open();
      },
    });
    await expect(dumping).rejects.toThrow(/mysql dump of .* failed: mariadb-dump exited with code 2: .*show events.*Access denied.*; nothing was stored at set-pipefail\/dump.sql.zst/);
    expect(dumped).toBeGreaterThan(1024 * 1024);
    expect(filesUnder(directory)).toEqual([]);
  });

  it("never shows the password to ps: argv and environment of the tools hold none, the defaults file is 0600 and removed after", async () => {
    expect(dumpArguments("/tmp/x/client.cnf", source, ["--master-data=2"]).join(" ")).not.toContain(service.password);
    const seen: { argv: string[]; environ: string; defaultsMode?: number }[] = [];
    // Looks at our children when storage is handed the body, before reading a byte: the tools are
    // running and, with nothing read, blocked on full pipes.
    const watching: BackupStorage = {
      kind: storage.kind,
      label: storage.label,
      put: (key: string, body: Readable) => {
        for (const child of childProcesses()) {
          const defaults = child.argv.find((a) => a.startsWith("--defaults-extra-file="))?.split("=")[1];
          seen.push({ argv: child.argv, environ: child.environ, ...(defaults ? { defaultsMode: statSync(defaults).mode & 0o777 } : {}) });
        }
        return storage.put(key, body);
      },
      get: (key) => storage.get(key),
      list: (prefix) => storage.list(prefix),
      remove: (key) => storage.remove(key),
      exists: (key) => storage.exists(key),
    };
    await dumpTo("set-ps/dump.sql.zst", "zstd", { into: watching });

    const tool = seen.find((s) => /mariadb-dump$/.test(s.argv[0] ?? ""));
    expect(tool?.argv.slice(1)).toEqual(expect.arrayContaining(["--single-transaction", "--routines", "--triggers", "--events", "--master-data=2", source]));
    expect(tool?.defaultsMode).toBe(0o600);
    expect(seen.some((s) => /zstd$/.test(s.argv[0] ?? ""))).toBe(true);
    for (const child of seen) {
      expect(child.argv.join(" ")).not.toContain(service.password);
      expect(child.environ).not.toContain(service.password);
      expect(child.environ).not.toContain("MYSQL_PWD");
    }
    expect(defaultsDirectories()).toEqual([]);
  });

  it("carries a password with quotes, backslashes, '#' and spaces through the defaults file", async () => {
    const odd = `p"a\\s's #w=o;rd ${unique}`;
    const user = `${limitedUser.slice(0, 28)}_odd`;
    await admin.query(`CREATE USER ?@? IDENTIFIED BY ?`, [user, service.host, odd]);
    try {
      await admin.query(`GRANT ALL ON \`${source}\`.* TO ?@?`, [user, service.host]);
      await admin.query(`GRANT RELOAD, BINLOG MONITOR ON *.* TO ?@?`, [user, service.host]);
      // SHOW CREATE PROCEDURE of a routine someone else defined reads mysql.proc.
      await admin.query(`GRANT SELECT ON mysql.proc TO ?@?`, [user, service.host]);
      const component = await dumpDatabase({ target: targetOf(source, odd, user), storage, key: "set-odd/dump.sql.zst", compression: "zstd", signal: new AbortController().signal });
      expect(component.artifacts[0]!.size).toBeGreaterThan(0);
    } finally {
      await admin.query(`DROP USER ?@?`, [user, service.host]);
    }
  });

  it("reads MySQL 8's CHANGE REPLICATION SOURCE and MariaDB's trailing GTID", () => {
    expect(parsePositions("-- CHANGE REPLICATION SOURCE TO SOURCE_LOG_FILE='binlog.000042', SOURCE_LOG_POS=157;\n", "")).toEqual({ binlogFile: "binlog.000042", binlogPosition: 157 });
    expect(parsePositions("-- CHANGE MASTER TO MASTER_USE_GTID=slave_pos;\n", "-- SET GLOBAL gtid_slave_pos='0-2-40';\n")).toEqual({ gtid: "0-2-40" });
    expect(parsePositions("-- MariaDB dump\n", "")).toBeUndefined();
  });

  it("a wrong password fails naming the target, never the secret, and stores nothing", async () => {
    const wrong = `wrong-${unique}`;
    const dumping = dumpDatabase({ target: targetOf(source, wrong), storage, key: "set-denied/dump.sql.zst", compression: "zstd", signal: new AbortController().signal });
    const error = (await dumping.catch((e: unknown) => e)) as MysqlError;
    expect(error).toBeInstanceOf(MysqlError);
    expect(error.message).toContain(`mysql dump of mysql://${service.user}@${service.host}:${service.port}/${source}`);
    expect(error.message).toMatch(/access denied.*check the user and password/);
    expect(error.message).not.toContain(wrong);
    expect(error.retryable).toBe(false);
    expect(filesUnder(directory)).toEqual([]);
  });

  it("restore refuses an existing database and leaves it untouched", async () => {
    const key = "set-refuse/dump.sql.zst";
    await dumpTo(key, "zstd");
    const before = await fingerprint({ target: targetOf(source), database: source });
    await expect(restoreDump({ target: targetOf(undefined), storage, key, compression: "zstd", database: source, signal: new AbortController().signal })).rejects.toThrow(BackupError);
    await expect(restoreDump({ target: targetOf(undefined), storage, key, compression: "zstd", database: source, signal: new AbortController().signal })).rejects.toThrow(
      /already exists; restore only writes into a new database/,
    );
    await expect(restoreDump({ target: targetOf(undefined), storage, key, compression: "zstd", database: "bad-name;", signal: new AbortController().signal })).rejects.toThrow(
      /letters, digits and '_'/,
    );
    expect(await fingerprint({ target: targetOf(source), database: source })).toEqual(before);
  });

  it("a restore that fails midway drops the database it created", async () => {
    // A dump cut in half: the client has loaded the first tables when zstd finds the end missing.
    const key = "set-cut/dump.sql.zst";
    await dumpTo(key, "zstd");
    const whole = readFileSync(join(directory, key));
    await storage.put("set-cut/truncated.sql.zst", Readable.from([whole.subarray(0, Math.floor(whole.length / 2))]));
    const database = scratchName();
    await expect(
      restoreDump({ target: targetOf(undefined), storage, key: "set-cut/truncated.sql.zst", compression: "zstd", database, signal: new AbortController().signal }),
    ).rejects.toThrow(/restore of set-cut\/truncated.sql.zst into the new database .* failed: zstd exited with code 1: .*premature end.*; the new database .* is dropped/);
    expect(await adminQuery(`SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?`, [database])).toEqual([]);
  });
});
