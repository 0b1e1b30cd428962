import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import mysql from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig, type Config } from "../../src/config/load.js";
import { BackupError } from "../../src/domain/backups/backup-error.js";
import { parseManifest } from "../../src/domain/backups/manifest.js";
import { openBackupStorage } from "../../src/engine/backups/backup-storage.js";
import { pruneBackups } from "../../src/engine/backups/prune-backups.js";
import { applyRestore, planRestore } from "../../src/engine/backups/restore-backup.js";
import { manifestKey, takeBackup } from "../../src/engine/backups/take-backup.js";
import { CorruptSetError, verifyBackup } from "../../src/engine/backups/verify-backup.js";
import { run as backupsCheck } from "../../src/engine/health/backups-check.js";
import { fingerprint } from "../../src/integrations/mysql/dump.js";
import type { BackupStorage } from "../../src/integrations/storage/storage.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/store.js";
import { testServices } from "../services.js";
import { privateRedis } from "../support/servers.js";
import { gameSchemaSql } from "./game-schema.js";

/**
 * A backup set end to end against the real servers: the second MariaDB (binlog, a password) with
 * the game database, and a redis-server of this file's own. Taken with writers running, deep
 * verified, restored into a new database with identical checksums, corrupted by one byte, and
 * restored over the live data only with overwrite and after a safety set.
 */

const service = testServices().mariadbBinlog;
const unique = `${process.pid}_${Date.now().toString(36)}`;
const game = `gameops_sets_${unique}`;
let admin: mysql.Connection;
let redis: Awaited<ReturnType<typeof privateRedis>>;
let dataDir: string;
let config: Config;
let store: Store;
let storage: BackupStorage;
const signal = () => AbortSignal.timeout(300_000);
let clock = new Date("2026-11-26T03:00:00.000Z");
const now = () => clock;

function configWith(env: Record<string, string>): Config {
  return loadConfig({ cwd: dataDir, env: { GAMEOPS_DATA: dataDir, ...env } }).config;
}

async function databases(): Promise<string[]> {
  const [rows] = await admin.query(`SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?`, [`%${unique}%`]);
  return (rows as { name: string }[]).map((r) => r.name);
}

beforeAll(async () => {
  admin = await mysql.createConnection({ host: service.host, port: service.port, user: service.user, password: service.password, multipleStatements: true });
  await admin.query(`CREATE DATABASE \`${game}\``);
  await admin.changeUser({ database: game });
  await admin.query(gameSchemaSql);
  redis = await privateRedis({ password: "redis-secret" });
  const client = new Redis({ port: redis.port, password: "redis-secret" });
  for (let i = 0; i < 500; i++) await client.set(`player:${i}`, JSON.stringify({ level: i % 60 }));
  await client.select(2);
  for (let i = 0; i < 40; i++) await client.hset(`guild:${i}`, { name: `g${i}`, members: String(i) });
  client.disconnect();

  dataDir = mkdtempSync(join(tmpdir(), "gameops-sets-"));
  config = configWith({
    GAMEOPS_MYSQL_URL: `mysql://${service.user}:${encodeURIComponent(service.password)}@${service.host}:${service.port}/${game}`,
    GAMEOPS_REDIS_URL: `redis://:redis-secret@127.0.0.1:${redis.port}/0`,
  });
  store = await openStore({ dataDir });
  storage = await openBackupStorage(config);
}, 120_000);

afterAll(async () => {
  for (const name of await databases()) await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await admin.end();
  await redis?.stop();
  await store?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function writer(stop: AbortSignal): Promise<number> {
  const conn = await mysql.createConnection({ host: service.host, port: service.port, user: service.user, password: service.password, database: game });
  let n = 0;
  try {
    while (!stop.aborted) {
      // Two tables in one transaction: a consistent snapshot has both rows or neither.
      await conn.beginTransaction();
      await conn.query("INSERT INTO transactions (player_id, amount, currency, note, created_at) VALUES (1, 1, 'GLD', 'writer', NOW(6))");
      await conn.query("INSERT INTO player_sessions (player_id, started_at) VALUES (1, NOW())");
      await conn.commit();
      n++;
    }
  } finally {
    await conn.end();
  }
  return n;
}

describe("a backup set of the game database and Redis", () => {
  let id: string;

  it("is taken with writers running: both components at once, the manifest beside them, written but not yet good", async () => {
    const stop = new AbortController();
    const writing = writer(stop.signal);
    const events: string[] = [];
    try {
      const manifest = await takeBackup({ config, store, storage, startedBy: "test", signal: signal(), now, onProgress: (e) => events.push(e.kind === "component" ? `${e.component}:${e.state}` : e.kind) });
      id = manifest.id;
      expect(manifest.components.map((c) => c.name)).toEqual(["mysql", "redis"]);
      expect(manifest.status).toBe("written");
      expect(manifest.components[0]!.source?.binlogFile).toBeTruthy();
    } finally {
      stop.abort();
    }
    expect(await writing).toBeGreaterThan(0);
    expect(events).toContain("mysql:done");
    expect(events).toContain("redis:done");
    const record = await store.backups.get(id);
    expect(record?.status).toBe("written");
    const stored = parseManifest(JSON.parse(readFileSync(join(dataDir, "backups", manifestKey(id)), "utf8")), "test");
    expect(stored.id).toBe(id);
    // Neither password is anywhere in the set.
    for (const file of readdirSync(join(dataDir, "backups", id))) {
      const bytes = readFileSync(join(dataDir, "backups", id, file));
      expect(bytes.includes(Buffer.from(service.password)), file).toBe(false);
      expect(bytes.includes(Buffer.from("redis-secret")), file).toBe(false);
    }
    expect((await backupsCheck({ config, signal: signal(), timeoutMs: 5000, now })).status).toBe("critical");
  }, 300_000);

  it("a deep verify restores it into scratch servers, records the fingerprint, leaves nothing behind; a second one matches", async () => {
    const first = await verifyBackup({ config, store, storage, id, deep: true, signal: signal(), now });
    expect(first.fingerprintRecorded).toBe(true);
    expect(first.fingerprint!.tables.map((t) => t.name)).toEqual(["characters", "game_logs", "items", "player_sessions", "players", "temporary_data", "transactions"]);
    expect(first.fingerprint!.redisKeys).toBe(540);
    // The snapshot is consistent: the writer's two inserts are both in it or both not.
    const rows = Object.fromEntries(first.fingerprint!.tables.map((t) => [t.name, t.rows]));
    expect(rows.transactions! - 3000).toBe(rows.player_sessions! - 3000);
    expect((await store.backups.get(id))?.status).toBe("verified");
    expect((await databases()).filter((d) => d.startsWith("gameops_verify_"))).toEqual([]);

    const second = await verifyBackup({ config, store, storage, id, deep: true, signal: signal(), now });
    expect(second.fingerprintRecorded).toBe(false);
    expect(second.fingerprint).toEqual(first.fingerprint);
    expect((await backupsCheck({ config, signal: signal(), timeoutMs: 5000, now })).status).toBe("ok");
  }, 300_000);

  it("restores into a new database <db>_restore_<set> with checksums identical to the live database's (no writers)", async () => {
    // A set taken while nothing writes: the restore must equal the live database exactly.
    const quiet = await takeBackup({ config, store, storage, startedBy: "test", signal: signal(), now });
    await verifyBackup({ config, store, storage, id: quiet.id, deep: true, signal: signal(), now });
    const live = await fingerprint({ target: config.targets.mysql!, database: game });
    const request = { id: quiet.id, overwrite: false };
    const plan = await planRestore({ config, storage, request, signal: signal() });
    expect(plan.replaces).toEqual([]);
    expect(plan.mysql?.database).toBe(`${game}_restore_${quiet.id.replace("-", "_")}`);
    const read: number[] = [];
    const outcome = await applyRestore({
      config,
      store,
      storage,
      request,
      approvedDigest: plan.digest,
      startedBy: "test",
      signal: signal(),
      now,
      onProgress: (event) => event.kind === "restoring" && read.push(event.bytes),
    });
    expect(outcome.mysql?.fingerprintMatches).toBe(true);
    expect(outcome.safetySet).toBeUndefined();
    // Progress: the dump's stored bytes, rising to all of them.
    expect(read).toEqual([...read].sort((a, b) => a - b));
    expect(read.at(-1)).toBe(quiet.components.find((c) => c.name === "mysql")!.artifacts[0]!.size);
    const restored = await fingerprint({ target: config.targets.mysql!, database: plan.mysql!.database });
    expect(restored).toEqual(live);
    // Redis without overwrite: a scratch redis-server of its own with the set's keys, the password in a 0600 file.
    expect(outcome.redis!.where).toMatch(/^redis:\/\/127\.0\.0\.1:\d+\/0$/);
    expect(outcome.redis!.keys).toBe(540);
    expect(statSync(outcome.redis!.passwordFile!).mode & 0o777).toBe(0o600);
    const scratch = new Redis(outcome.redis!.where, { password: readFileSync(outcome.redis!.passwordFile!, "utf8").trim(), retryStrategy: () => null });
    scratch.on("error", () => undefined);
    expect(await scratch.dbsize()).toBe(500);
    await scratch.call("SHUTDOWN", "NOSAVE").catch(() => undefined);
    scratch.disconnect();
    // A second restore into the same folder is refused, not mixed into the first.
    const again = await applyRestore({ config, store, storage, request: { ...request, components: ["redis"] }, approvedDigest: (await planRestore({ config, storage, request: { ...request, components: ["redis"] }, signal: signal() })).digest, startedBy: "test", signal: signal(), now }).catch((e: unknown) => e);
    expect((again as Error).message).toMatch(/dump\.rdb exists already; name another folder with --to/);
  }, 300_000);

  it("refuses to restore into an existing database without --overwrite, naming the fix", async () => {
    const request = { id, overwrite: false, targetDb: game };
    const plan = await planRestore({ config, storage, request, signal: signal() });
    const error = await applyRestore({ config, store, storage, request, approvedDigest: plan.digest, startedBy: "test", signal: signal(), now }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackupError);
    expect((error as Error).message).toMatch(/already exists; restore only writes into a new database/);
  }, 120_000);

  it("refuses a plan that is not the approved one", async () => {
    const request = { id, overwrite: false, components: ["redis"] };
    const error = await applyRestore({ config, store, storage, request, approvedDigest: "0000000000000000", startedBy: "test", signal: signal(), now }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/changed since the plan was approved/);
  }, 120_000);

  it("overwrites the live database and Redis only with overwrite, after a safety set of what it replaces", async () => {
    const conn = await mysql.createConnection({ host: service.host, port: service.port, user: service.user, password: service.password, database: game });
    await conn.query("DELETE FROM items WHERE id <= 100");
    // A table made after the backup: the restore leaves it alone, and says so.
    await conn.query("CREATE TABLE season_pass (id INT PRIMARY KEY)");
    await conn.end();
    const client = new Redis({ port: redis.port, password: "redis-secret" });
    await client.set("after-backup", "1");
    const request = { id, overwrite: true };
    const plan = await planRestore({ config, storage, request, signal: signal() });
    expect(plan.replaces.join("\n")).toMatch(new RegExp(`MySQL database ${game}`));
    expect(plan.replaces.join("\n")).toMatch(/Redis/);
    const outcome = await applyRestore({ config, store, storage, request, approvedDigest: plan.digest, startedBy: "test", signal: signal(), now });
    expect(outcome.safetySet).toBeTruthy();
    expect((await store.backups.get(outcome.safetySet!))?.components).toEqual(["mysql", "redis"]);
    expect(outcome.mysql?.fingerprintMatches).toBe(true);
    expect(outcome.mysql?.extraTables).toEqual(["season_pass"]);
    expect(outcome.redis?.keys).toBe(540);
    expect(await client.exists("after-backup")).toBe(0);
    client.disconnect();
    // The safety set holds what was replaced: the deleted items are missing there.
    const safety = parseManifest((await store.backups.get(outcome.safetySet!))!.manifest, "safety");
    expect(safety.components.map((c) => c.name)).toEqual(["mysql", "redis"]);
  }, 300_000);

  it("one corrupted byte: verify fails naming the artifact and marks the set failed; restore refuses it", async () => {
    const victim = await takeBackup({ config, store, storage, components: ["mysql"], startedBy: "test", signal: signal(), now });
    await verifyBackup({ config, store, storage, id: victim.id, deep: false, signal: signal(), now });
    const file = join(dataDir, "backups", victim.id, "dump.sql.zst");
    const bytes = readFileSync(file);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = bytes[middle]! ^ 0x01;
    writeFileSync(file, bytes);
    const error = await verifyBackup({ config, store, storage, id: victim.id, deep: true, signal: signal(), now }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptSetError);
    expect((error as CorruptSetError).artifact).toBe("mysql/dump.sql.zst");
    expect((error as Error).message).toMatch(/artifact mysql\/dump\.sql\.zst is corrupted/);
    expect((await store.backups.get(victim.id))?.status).toBe("failed");
    const refused = await planRestore({ config, storage, request: { id: victim.id, overwrite: false }, signal: signal() }).catch((e: unknown) => e);
    expect((refused as Error).message).toMatch(/failed its verification/);
  }, 300_000);

  it("any component failing fails the whole set and leaves nothing of it", async () => {
    const broken = configWith({
      GAMEOPS_MYSQL_URL: `mysql://${service.user}:${encodeURIComponent(service.password)}@${service.host}:${service.port}/${game}`,
      GAMEOPS_REDIS_URL: "redis://127.0.0.1:1/0",
    });
    const before = new Set(readdirSync(join(dataDir, "backups")));
    const error = await takeBackup({ config: broken, store, storage, startedBy: "test", signal: signal(), now }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackupError);
    expect((error as Error).message).toMatch(/failed, nothing of it is kept: redis:/);
    const [failed] = await store.backups.list({ limit: 1 });
    expect(failed?.status).toBe("failed");
    expect(readdirSync(join(dataDir, "backups")).filter((d) => !before.has(d))).toEqual([]);
  }, 120_000);

  it("a cancelled backup leaves no set marked good and no artifact", async () => {
    const cancel = new AbortController();
    const taking = takeBackup({ config, store, storage, startedBy: "test", signal: cancel.signal, now, onProgress: (e) => e.kind === "set" && cancel.abort() });
    await expect(taking).rejects.toThrow(/cancelled/);
    const [newest] = await store.backups.list({ limit: 1 });
    expect(newest?.status).toBe("failed");
    expect(existsSync(join(dataDir, "backups", newest!.id))).toBe(false);
  }, 120_000);

  it("the backups check goes critical when the newest verified set is older than maxAge", async () => {
    clock = new Date(clock.getTime() + 27 * 3_600_000);
    const verdict = await backupsCheck({ config, signal: signal(), timeoutMs: 5000, now });
    expect(verdict.status).toBe("critical");
    expect(verdict.summary).toMatch(/no verified backup set younger than 1d2h/);
  });

  it("prune --dry-run lists what would go and changes nothing; the newest verified set always stays", async () => {
    const before = await store.backups.list({ limit: 100 });
    const { plan, removed } = await pruneBackups({ config, store, storage, dryRun: true, by: "test", now });
    expect(removed).toEqual([]);
    expect(await store.backups.list({ limit: 100 })).toEqual(before);
    const newestVerified = before.find((s) => s.status === "verified")!;
    expect(plan.keep.map((k) => k.id)).toContain(newestVerified.id);
  });
});
