import mysql from "mysql2/promise";
import { describe, expect, it } from "vitest";
import { alertmanagerClient } from "../../src/integrations/alertmanager/client.js";
import { prometheusClient } from "../../src/integrations/prometheus/client.js";
import { testServices } from "../services.js";

// What scripts/test-services.mjs promises beyond the shared servers. Read-only: these
// servers are shared by every test file.
const services = testServices();

describe("test services", () => {
  it("runs a second MariaDB with performance_schema and the binary log on, reachable by TCP user", async () => {
    const { host, port, user, password, database } = services.mariadbBinlog;
    const connection = await mysql.createConnection({ host, port, user, password, database });
    try {
      const [rows] = await connection.query("SELECT @@performance_schema AS ps, @@log_bin AS binlog, @@binlog_format AS format, @@server_id AS id");
      expect(rows).toEqual([{ ps: 1, binlog: 1, format: "ROW", id: 2 }]);
      const [status] = await connection.query("SHOW MASTER STATUS");
      expect((status as { File: string }[])[0]?.File).toMatch(/^mariadb-bin\.\d+$/);
      const [digests] = await connection.query("SELECT COUNT(*) AS n FROM performance_schema.events_statements_summary_by_digest");
      expect((digests as { n: number }[])[0]!.n).toBeGreaterThan(0);
    } finally {
      await connection.end();
    }
  });

  it("runs a Prometheus that answers a query", async () => {
    const prometheus = prometheusClient({ url: services.prometheus.url });
    expect(await prometheus.query("vector(1)")).toMatchObject({ type: "vector", samples: [{ metric: {}, value: 1 }] });
  });

  it("runs an Alertmanager with API v2, clustering off", async () => {
    const status = await alertmanagerClient({ url: services.alertmanager.url }).status();
    expect(status.version).toMatch(/^0\.\d+\.\d+/);
    expect(status.cluster).toBe("disabled");
  });
});
