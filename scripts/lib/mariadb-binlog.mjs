import { randomBytes } from "node:crypto";
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runOrFail } from "./command.mjs";
import { ensureDaemon } from "./daemon.mjs";
import { mysqlAnswers } from "./probe.mjs";
import { serviceDir } from "./state.mjs";
import { systemUser } from "./system-user.mjs";

export const MARIADB_BINLOG_PORT = 13306;
const TEST_USER = "gameops";

/**
 * A second mariadbd with what the shared one lacks: performance_schema and the binary log.
 * Own data directory, socket and port; `--no-defaults` so /etc/mysql/my.cnf (port 3306, the
 * shared socket) never leaks in. root logs in through the unix socket only; tests use a TCP
 * user whose password is generated once and kept in the state directory.
 */
export async function ensureMariadbBinlog() {
  const owner = systemUser("mysql");
  for (const program of ["/usr/sbin/mariadbd", "/usr/bin/mariadb-install-db", "/usr/bin/mariadb"]) {
    if (!existsSync(program)) throw new Error(`${program} is missing; install mariadb-server and mariadb-client`);
  }
  if (!owner) throw new Error("there is no `mysql` system user to run mariadbd as; install mariadb-server");

  const dir = serviceDir("mariadb-binlog");
  const runDir = join(dir, "run");
  const dataDir = join(dir, "data");
  const socket = join(runDir, "mariadbd.sock");
  mkdirSync(runDir, { recursive: true });
  chownSync(runDir, owner.uid, owner.gid);

  // The marker is written only after mariadb-install-db succeeded: a data directory left
  // half-made by a killed run is wiped and made again.
  const initialised = join(dir, "initialised");
  if (!existsSync(initialised) || !existsSync(join(dataDir, "mysql"))) {
    rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(dataDir);
    chownSync(dataDir, owner.uid, owner.gid);
    await runOrFail(
      `mariadb-install-db --datadir=${dataDir}`,
      "/usr/bin/mariadb-install-db",
      ["--no-defaults", `--datadir=${dataDir}`, "--user=mysql", "--skip-test-db", "--auth-root-authentication-method=socket"],
      { timeoutMs: 120_000 },
    );
    writeFileSync(initialised, `${new Date().toISOString()}\n`);
  }

  const status = await ensureDaemon({
    name: "mariadb-binlog",
    dir,
    command: "/usr/sbin/mariadbd",
    args: [
      "--no-defaults",
      "--user=mysql",
      `--datadir=${dataDir}`,
      `--socket=${socket}`,
      `--pid-file=${join(runDir, "mariadbd.pid")}`,
      `--port=${MARIADB_BINLOG_PORT}`,
      "--bind-address=127.0.0.1",
      "--skip-name-resolve",
      "--character-set-server=utf8mb4",
      "--collation-server=utf8mb4_general_ci",
      "--performance-schema=ON",
      "--log-bin=mariadb-bin",
      "--server-id=2",
      "--binlog-format=ROW",
      "--expire-logs-days=1",
      "--innodb-buffer-pool-size=64M",
    ],
    host: "127.0.0.1",
    port: MARIADB_BINLOG_PORT,
    answers: () => mysqlAnswers("127.0.0.1", MARIADB_BINLOG_PORT),
    timeoutMs: 90_000,
  });

  const password = testPassword(join(dir, "password"));
  // Every run, so a user dropped or changed by a test is back; SQL on stdin keeps the password out of argv.
  await runOrFail(
    `creating user ${TEST_USER} through ${socket}`,
    "/usr/bin/mariadb",
    ["--no-defaults", `--socket=${socket}`, "--user=root", "--batch"],
    {
      timeoutMs: 30_000,
      input: [
        "CREATE DATABASE IF NOT EXISTS test;",
        `CREATE USER IF NOT EXISTS '${TEST_USER}'@'127.0.0.1' IDENTIFIED BY '${password}';`,
        `ALTER USER '${TEST_USER}'@'127.0.0.1' IDENTIFIED BY '${password}';`,
        `GRANT ALL PRIVILEGES ON *.* TO '${TEST_USER}'@'127.0.0.1' WITH GRANT OPTION;`,
        "",
      ].join("\n"),
    },
  );

  return {
    status,
    service: {
      host: "127.0.0.1",
      port: MARIADB_BINLOG_PORT,
      user: TEST_USER,
      password,
      database: "test",
      url: `mysql://${TEST_USER}:${password}@127.0.0.1:${MARIADB_BINLOG_PORT}/test`,
      socket,
      log: join(dir, "mariadb-binlog.log"),
    },
  };
}

/** Hex only, so it needs no quoting in SQL or URLs. */
function testPassword(path) {
  if (existsSync(path)) return readFileSync(path, "utf8").trim();
  const password = randomBytes(12).toString("hex");
  writeFileSync(path, `${password}\n`, { mode: 0o600 });
  return password;
}
