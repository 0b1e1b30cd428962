import { chownSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import { runCommand, lastLines } from "./command.mjs";
import { systemUser } from "./system-user.mjs";
import { mysqlAnswers, postgresAnswers, redisAnswers, waitUntil } from "./probe.mjs";

/**
 * The shared development servers: their start commands are the ones DEVELOPERS.md gives, run
 * as written. We start them when stopped, never stop or reconfigure them.
 */
export const sharedServers = [
  {
    name: "MariaDB",
    host: "127.0.0.1",
    port: 3306,
    answers: () => mysqlAnswers("127.0.0.1", 3306),
    start: "start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd",
    log: "/var/log/mysql/error.log",
    prepare: prepareMariadb,
  },
  {
    name: "Redis",
    host: "127.0.0.1",
    port: 6379,
    answers: () => redisAnswers("127.0.0.1", 6379),
    start: 'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log',
    log: "/var/log/redis/ci.log",
  },
  {
    name: "PostgreSQL",
    host: "127.0.0.1",
    port: 5432,
    answers: () => postgresAnswers("127.0.0.1", 5432),
    start: "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    log: postgresLog(),
  },
];

export async function ensureShared(server, timeoutMs = 60_000) {
  if (await server.answers()) return "already running";
  server.prepare?.();
  const started = await runCommand("/bin/sh", ["-c", server.start], { timeoutMs });
  if (started.code !== 0) {
    throw new Error(`\`${server.start}\` failed (exit ${started.code ?? started.signal}):\n${lastLines(started.output)}\n  see ${server.log}`);
  }
  if (!(await waitUntil(server.answers, { timeoutMs }))) {
    throw new Error(`started, but it does not answer on ${server.host}:${server.port} after ${Math.round(timeoutMs / 1000)}s; see ${server.log}`);
  }
  return "started";
}

/** /run is a tmpfs: after a reboot mariadbd has nowhere to put its socket and pid file. */
function prepareMariadb() {
  if (existsSync("/run/mysqld")) return;
  mkdirSync("/run/mysqld", { recursive: true });
  const owner = systemUser("mysql");
  if (owner) chownSync("/run/mysqld", owner.uid, owner.gid);
}

function postgresLog() {
  try {
    const version = readdirSync("/etc/postgresql")[0];
    return `/var/log/postgresql/postgresql-${version}-main.log`;
  } catch {
    return "/var/log/postgresql/";
  }
}
