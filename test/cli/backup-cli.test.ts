import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import mysql from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MysqlTarget } from "../../src/config/load.js";
import { Secret } from "../../src/config/secret.js";
import { fingerprint } from "../../src/integrations/mysql/dump.js";
import { gameSchemaSql } from "../backups/game-schema.js";
import { testServices } from "../services.js";
import { privateRedis } from "../support/servers.js";
import { runCli } from "./run-cli.js";

/**
 * The "done when", as a user types it: `gameops backup`, then `gameops backup verify
 * --deep`, then `gameops restore` round-trips the game database and Redis with identical
 * checksums — against the second MariaDB (a password) and a redis-server of this file's own.
 */

const service = testServices().mariadbBinlog;
const unique = `${process.pid}_${Date.now().toString(36)}`;
const game = `gameops_cli_${unique}`;
let admin: mysql.Connection;
let redis: Awaited<ReturnType<typeof privateRedis>>;
let dir: string;
let env: Record<string, string>;

const target = (database: string): MysqlTarget => ({
  host: service.host,
  port: service.port,
  user: service.user,
  password: new Secret(service.password),
  database,
  label: `mysql://${service.user}@${service.host}:${service.port}/${database}`,
});
const cli = (...args: string[]) => runCli(args, env, dir);
const runIdOf = (stdout: string) => /run (\S+) ·/.exec(stdout)![1]!;

beforeAll(async () => {
  admin = await mysql.createConnection({ host: service.host, port: service.port, user: service.user, password: service.password, multipleStatements: true });
  await admin.query(`CREATE DATABASE \`${game}\``);
  await admin.changeUser({ database: game });
  await admin.query(gameSchemaSql);
  redis = await privateRedis({ password: "cli-redis-secret" });
  const client = new Redis({ port: redis.port, password: "cli-redis-secret" });
  for (let i = 0; i < 200; i++) await client.set(`player:${i}`, String(i));
  client.disconnect();
  dir = mkdtempSync(join(tmpdir(), "gameops-backup-cli-"));
  env = {
    GAMEOPS_MYSQL_URL: `mysql://${service.user}@${service.host}:${service.port}/${game}`,
    GAMEOPS_MYSQL_PASSWORD: service.password,
    GAMEOPS_REDIS_URL: `redis://127.0.0.1:${redis.port}/0`,
    GAMEOPS_REDIS_PASSWORD: "cli-redis-secret",
  };
  expect((await cli("people", "add", "mina", "--name", "Mina Park", "--title", "lead")).code).toBe(0);
  expect((await cli("people", "add", "joon", "--name", "Joon Lee", "--title", "lead")).code).toBe(0);
}, 120_000);

afterAll(async () => {
  const [rows] = await admin.query(`SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?`, [`%${unique}%`]);
  for (const { name } of rows as { name: string }[]) await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await admin.end();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("gameops backup, backup verify --deep, restore", () => {
  let set: string;

  it("backup takes a set: exit 0, the set written but not good until verified; the check says so", async () => {
    const taken = await cli("backup");
    expect(taken.stderr).toBe("");
    expect(taken.code).toBe(0);
    expect(taken.stdout).toMatch(/backup set \S+: mysql, redis/);
    const [listed] = JSON.parse((await cli("backup", "list", "--json")).stdout) as { id: string; status: string; components: string[] }[];
    expect(listed).toMatchObject({ status: "written", components: ["mysql", "redis"] });
    set = listed!.id;
    expect(taken.stdout).not.toContain(service.password);
    const check = await cli("check", "--only", "backups");
    expect(check.code).toBe(2);
    expect(check.stdout).toMatch(new RegExp(`no verified backup set: the newest, ${set}, is written`));
  }, 120_000);

  it("backup verify --deep restores it into scratch servers and records its fingerprint", async () => {
    const verified = await cli("backup", "verify", "--deep");
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain("mysql: restored: 7 tables");
    expect(verified.stdout).toContain("redis: restored: 200 keys");
    expect(verified.stdout).toContain(`backup set ${set} verified; its fingerprint is recorded`);
    const shown = await cli("backup", "show", set);
    expect(shown.stdout).toMatch(/fingerprint \(from the first deep verify's restore\):\n {4}characters: 2000 rows, checksum \d+/);
    expect((await cli("check", "--only", "backups")).code).toBe(0);
  }, 120_000);

  it("restore latest goes into a new database with identical checksums, and needs no approval", async () => {
    const restored = await cli("restore", "latest", "--yes");
    expect(restored.stderr).toBe("");
    expect(restored.code).toBe(0);
    const database = `${game}_restore_${set.replace("-", "_")}`;
    expect(restored.stdout).toContain(`mysql → new database ${database}`);
    expect(restored.stdout).toContain("replaces no live data");
    expect(restored.stdout).toContain("identical to the set's fingerprint");
    expect(await fingerprint({ target: target(database), database })).toEqual(await fingerprint({ target: target(game), database: game }));
    // Redis into a scratch server of its own, left running for people to read; stopped here.
    const scratch = /redis: 200 keys on a scratch redis-server at (redis:\/\/\S+) \(password in (\S+)\); it keeps running until: REDISCLI_AUTH=/.exec(restored.stdout);
    expect(scratch, restored.stdout).not.toBeNull();
    const client = new Redis(scratch![1]!, { password: readFileSync(scratch![2]!, "utf8").trim(), retryStrategy: () => null });
    client.on("error", () => undefined);
    expect(await client.dbsize()).toBe(200);
    await client.call("SHUTDOWN", "NOSAVE").catch(() => undefined);
    client.disconnect();
  }, 120_000);

  it("restore --overwrite waits for a second person's approval, takes a safety set, then replaces the live data", async () => {
    const conn = await mysql.createConnection({ host: service.host, port: service.port, user: service.user, password: service.password, database: game });
    const before = await fingerprint({ target: target(game), database: game });
    await conn.query("DELETE FROM transactions WHERE id <= 500");
    await conn.end();
    const started = await cli("restore", set, "--overwrite", "--no-maintenance", "--yes", "--as", "mina");
    expect(started.code).toBe(4);
    expect(started.stdout).toContain("REPLACES LIVE DATA");
    const id = runIdOf(started.stdout);
    // The live database is untouched while the approval waits.
    expect((await fingerprint({ target: target(game), database: game })).tables.find((t) => t.name === "transactions")!.rows).toBe(2500);
    expect((await cli("run", "approve", id, "--as", "mina")).code).toBe(1);
    expect((await cli("run", "approve", id, "--as", "joon")).code).toBe(0);
    const resumed = await cli("run", "resume", id, "--as", "joon");
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/safety set \S+ taken of what the restore replaces/);
    expect(await fingerprint({ target: target(game), database: game })).toEqual(before);
    const sets = JSON.parse((await cli("backup", "list", "--json")).stdout) as { startedBy: string }[];
    expect(sets.some((s) => s.startedBy.includes(`safety set before restoring ${set}`))).toBe(true);
  }, 180_000);

  it("bad input is a usage error naming the fix", async () => {
    expect(await cli("backup", "--components", "mysql,postgres")).toMatchObject({
      code: 2,
      stderr: 'gameops: --components: unknown "postgres"; choose from mysql, redis, kubernetes, files\n',
    });
    expect(await cli("backup", "show", "nope")).toMatchObject({ code: 2, stderr: "gameops: no backup set nope; `gameops backup list` shows them\n" });
    const missing = await cli("restore", "20200101T000000Z-0000", "--yes");
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain("no backup set 20200101T000000Z-0000 in");
  }, 120_000);

  it("backup prune --dry-run keeps every verified set under the minimum and removes nothing", async () => {
    const pruned = JSON.parse((await cli("backup", "prune", "--dry-run", "--json")).stdout) as { plan: { keep: { id: string }[]; remove: unknown[] }; removed: unknown[] };
    expect(pruned.removed).toEqual([]);
    expect(pruned.plan.keep.map((k) => k.id)).toContain(set);
  }, 60_000);
});
