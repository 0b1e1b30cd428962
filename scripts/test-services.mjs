#!/usr/bin/env node
// Makes sure every service the test suite needs answers, and writes where they are to
// /tmp/gameops-test-services/services.json (read by test/services.ts). `npm test` runs it
// before vitest; run it alone with `node scripts/test-services.mjs`.
//
// - The shared development servers (MariaDB :3306, Redis :6379, PostgreSQL :5432) are started
//   with DEVELOPERS.md's commands when they do not answer; never stopped or changed.
// - Missing Debian packages (prometheus, prometheus-alertmanager, chromium, zstd) are installed.
// - Our own instances run on loopback with state under /tmp/gameops-test-services/: Alertmanager
//   :19093, Prometheus :19090, and a second mariadbd :13306 with performance_schema and the
//   binary log on. They are detached and outlive this script; the next run finds them.
//
// Idempotent: a second run only probes and prints "already running". Safe to interrupt: a
// half-made MariaDB data directory is made again, a stale lock is taken over.
//
// These servers are shared by every test file and by the next run. A test that stops or
// breaks a server must start its own for that and stop only that one.

import { ensureAlertmanager } from "./lib/alertmanager.mjs";
import { ensurePackages } from "./lib/apt.mjs";
import { withLock } from "./lib/lock.mjs";
import { ensureMariadbBinlog } from "./lib/mariadb-binlog.mjs";
import { ensurePrometheus } from "./lib/prometheus.mjs";
import { ensureShared, sharedServers } from "./lib/shared.mjs";
import { SERVICES_FILE, STATE_DIR, stateDir, writeFileAtomic } from "./lib/state.mjs";

const packages = [
  { name: "prometheus", program: "/usr/bin/prometheus" },
  { name: "prometheus-alertmanager", program: "/usr/bin/prometheus-alertmanager" },
  { name: "chromium", program: "/usr/bin/chromium" },
  { name: "zstd", program: "/usr/bin/zstd" },
  // The Kubernetes emulation is kept honest by driving it with the real kubectl; any kubectl on
  // PATH will do, Debian's package when there is none. openssl makes the emulator's certificate.
  { name: "kubernetes-client", program: "kubectl" },
  { name: "openssl", program: "/usr/bin/openssl" },
];

const [mariadb, redis, postgres] = sharedServers;

async function main() {
  const failures = [];
  // Everything starts at once (a cold start is mostly waiting); settled at once so that an
  // early failure is not an unhandled rejection while we print in a fixed order.
  const settle = (promise) => promise.then((value) => ({ value }), (error) => ({ error }));
  const installed = settle(ensurePackages(packages));
  const packagesReady = installed.then(({ error }) => {
    if (error) throw new Error("not started: its Debian package is missing");
  });
  const tasks = {
    packages: installed,
    mariadb: settle(ensureShared(mariadb)),
    redis: settle(ensureShared(redis)),
    postgres: settle(ensureShared(postgres)),
    alertmanager: settle(packagesReady.then(ensureAlertmanager)),
    prometheus: settle(packagesReady.then(ensurePrometheus)),
    mariadbBinlog: settle(ensureMariadbBinlog()),
  };
  const report = async (label, task, describe) => {
    const { value, error } = await task;
    if (error) failures.push(`${label}: ${error instanceof Error ? error.message : String(error)}`);
    console.log(`${label.padEnd(26)} ${error ? "FAILED" : describe(value)}`);
    return value;
  };
  const status = (s) => s;
  // host:port rather than the MariaDB url, which carries its password.
  const at = (r) => `${r.service.host ? `${r.service.host}:${r.service.port}` : r.service.url} ${r.status}`;
  await report("packages", tasks.packages, status);
  await report(`MariaDB ${mariadb.host}:${mariadb.port}`, tasks.mariadb, status);
  await report(`Redis ${redis.host}:${redis.port}`, tasks.redis, status);
  await report(`PostgreSQL ${postgres.host}:${postgres.port}`, tasks.postgres, status);
  const alertmanager = await report("Alertmanager", tasks.alertmanager, at);
  const prometheus = await report("Prometheus", tasks.prometheus, at);
  const mariadbBinlog = await report("MariaDB (binlog)", tasks.mariadbBinlog, at);

  if (failures.length > 0) {
    console.error(`\ntest services not ready:\n${failures.map((f) => `- ${f}`).join("\n")}`);
    console.error(
      `\nOur own services keep config, data, log and pid file in ${STATE_DIR}/<service>/; to start one from scratch, kill the pid in its .pid file and remove its directory.`,
    );
    process.exitCode = 1;
    return;
  }
  const services = {
    stateDir: STATE_DIR,
    mariadb: { host: mariadb.host, port: mariadb.port, user: "root", database: "test", url: `mysql://root@${mariadb.host}:${mariadb.port}/test` },
    redis: { host: redis.host, port: redis.port, url: `redis://${redis.host}:${redis.port}` },
    postgres: { host: postgres.host, port: postgres.port, user: "postgres", database: "postgres", url: `postgres://postgres@${postgres.host}:${postgres.port}/postgres` },
    mariadbBinlog: mariadbBinlog.service,
    prometheus: prometheus.service,
    alertmanager: alertmanager.service,
    chromium: { path: "/usr/bin/chromium" },
  };
  // 0600: it holds the (loopback, test-only) password of the binlog MariaDB.
  writeFileAtomic(SERVICES_FILE, `${JSON.stringify(services, null, 2)}\n`, 0o600);
  console.log(`${"services file".padEnd(26)} ${SERVICES_FILE}`);
}

await withLock(stateDir(), 15 * 60_000, main);
