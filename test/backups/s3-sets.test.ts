import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mysql from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig, type Config } from "../../src/config/load.js";
import { openBackupStorage } from "../../src/engine/backups/backup-storage.js";
import { applyRestore, planRestore } from "../../src/engine/backups/restore-backup.js";
import { takeBackup } from "../../src/engine/backups/take-backup.js";
import { verifyBackup } from "../../src/engine/backups/verify-backup.js";
import { fingerprint } from "../../src/integrations/mysql/dump.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/store.js";
import { testServices } from "../services.js";
import { privateS3, s3rverCredentials } from "../storage/s3-server.js";
import { gameSchemaSql } from "./game-schema.js";

/**
 * A backup set through S3 storage, configured as a user would (a bucket on an S3-compatible
 * endpoint, the key pair in files), against s3rver: taken, deep-verified and restored with the
 * source's checksums; and a set written in the GLACIER class, which verify and restore refuse
 * until it is thawed, instead of failing half-way as the seed's `aws s3 sync` does.
 */

const { mariadb } = testServices();
const game = `gameops_s3_${process.pid}_${Date.now().toString(36)}`;
let admin: mysql.Connection;
let s3: Awaited<ReturnType<typeof privateS3>>;
let dir: string;
let store: Store;
const signal = () => AbortSignal.timeout(120_000);
const now = () => new Date();

function configWith(storage: string): Config {
  writeFileSync(
    join(dir, "gameops.yaml"),
    `backups:\n  storage: { kind: s3, bucket: game-backups, prefix: prod/eu, endpoint: "${s3.endpoint}", forcePathStyle: true, region: us-east-1, checksums: when-required, accessKeyIdFile: s3.id, secretAccessKeyFile: s3.secret${storage} }\n`,
  );
  return loadConfig({ cwd: dir, env: { GAMEOPS_DATA: join(dir, "data"), GAMEOPS_MYSQL_URL: `mysql://${mariadb.user}@${mariadb.host}:${mariadb.port}/${game}` } }).config;
}

beforeAll(async () => {
  admin = await mysql.createConnection({ host: mariadb.host, port: mariadb.port, user: mariadb.user, ...(mariadb.password ? { password: mariadb.password } : {}), multipleStatements: true });
  await admin.query(`CREATE DATABASE \`${game}\``);
  await admin.changeUser({ database: game });
  await admin.query(gameSchemaSql);
  s3 = await privateS3("game-backups");
  dir = mkdtempSync(join(tmpdir(), "gameops-s3-sets-"));
  writeFileSync(join(dir, "s3.id"), `${s3rverCredentials.accessKeyId}\n`, { mode: 0o600 });
  writeFileSync(join(dir, "s3.secret"), `${s3rverCredentials.secretAccessKey}\n`, { mode: 0o600 });
  store = await openStore({ dataDir: join(dir, "data") });
}, 120_000);

afterAll(async () => {
  const [rows] = await admin.query("SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?", [`${game}%`]);
  for (const { name } of rows as { name: string }[]) await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await admin.end();
  await store?.close();
  await s3?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("backup sets in S3", () => {
  it("are taken, deep-verified and restored with the source's checksums", async () => {
    const config = configWith("");
    const storage = await openBackupStorage(config);
    expect(storage.label).toBe("s3://game-backups/prod/eu/");
    const manifest = await takeBackup({ config, store, storage, startedBy: "test", signal: signal(), now });
    expect(manifest.storage).toEqual({ kind: "s3" });
    expect((await storage.list(`${manifest.id}/`)).map((o) => o.key)).toEqual([`${manifest.id}/dump.sql.zst`, `${manifest.id}/manifest.json`]);
    const verified = await verifyBackup({ config, store, storage, id: manifest.id, deep: true, signal: signal(), now });
    expect(verified.fingerprintRecorded).toBe(true);
    const request = { id: manifest.id, overwrite: false };
    const plan = await planRestore({ config, storage, request, signal: signal() });
    const outcome = await applyRestore({ config, store, storage, request, approvedDigest: plan.digest, startedBy: "test", signal: signal(), now });
    expect(outcome.mysql?.fingerprintMatches).toBe(true);
    const target = config.targets.mysql!;
    expect(await fingerprint({ target, database: outcome.mysql!.database })).toEqual(await fingerprint({ target, database: game }));
  }, 180_000);

  it("a set in GLACIER is flagged: verify and restore refuse it with how to thaw, before reading anything", async () => {
    const config = configWith(", storageClass: GLACIER");
    const storage = await openBackupStorage(config);
    const manifest = await takeBackup({ config, store, storage, startedBy: "test", signal: signal(), now });
    expect(manifest.storage).toEqual({ kind: "s3", storageClass: "GLACIER" });
    await expect(verifyBackup({ config, store, storage, id: manifest.id, deep: true, signal: signal(), now })).rejects.toThrow(
      new RegExp(`backup set ${manifest.id} is in GLACIER: restore \\(thaw\\) its objects in S3 first`),
    );
    await expect(planRestore({ config, storage, request: { id: manifest.id, overwrite: false }, signal: signal() })).rejects.toThrow(/is in GLACIER: restore \(thaw\) its objects/);
    expect((await store.backups.get(manifest.id))?.status).toBe("written");
  }, 180_000);

  it("a key file that cannot be read is named with the fix", async () => {
    writeFileSync(join(dir, "gameops.yaml"), `backups:\n  storage: { kind: s3, bucket: game-backups, accessKeyIdFile: missing.id, secretAccessKeyFile: s3.secret }\n`);
    const config = loadConfig({ cwd: dir, env: {} }).config;
    await expect(openBackupStorage(config)).rejects.toThrow(/^backups\.storage\.accessKeyIdFile: cannot read .*missing\.id \(ENOENT\); point it at a readable file holding only the key$/);
  });
});
