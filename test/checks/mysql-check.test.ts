import mysql from "mysql2/promise";
import { afterAll, describe, expect, it } from "vitest";
import { runChecks } from "../../src/engine/health/run-checks.js";
import { blackHole, closedPort } from "../support/servers.js";
import { envConfig, mysqlUrl } from "./support.js";

const run = async (env: Record<string, string>, patch?: Parameters<typeof envConfig>[1], previous?: Awaited<ReturnType<typeof runChecks>>["checks"][number]) => {
  const report = await runChecks(envConfig(env, patch), { only: ["mysql"], ...(previous ? { previous: async () => previous } : {}) });
  return report.checks[0]!;
};

describe("mysql check against the real MariaDB", () => {
  const extra: mysql.Connection[] = [];
  afterAll(async () => {
    for (const c of extra) await c.end();
  });

  it("is ok on a healthy server and reports what the seed's procedure reads", async () => {
    const result = await run({ GAMEOPS_MYSQL_URL: mysqlUrl });
    expect(result.status).toBe("ok");
    expect(result.summary).toMatch(/^\d+\/\d+ connections \(\d+(\.\d)? %\), \d+ active quer(y|ies)/);
    expect(result.details).toMatchObject({ target: "mysql://root@127.0.0.1:3306/test", replica: null });
    expect(result.details.maxConnections).toBeGreaterThan(0);
    expect(result.details.uptimeSeconds).toBeGreaterThan(0);
    expect(result.details.version).toMatch(/MariaDB/);
  });

  it("lists a running statement but not idle Sleep connections", async () => {
    const idle = await mysql.createConnection({ host: "127.0.0.1", user: "root", database: "test" });
    const busy = await mysql.createConnection({ host: "127.0.0.1", user: "root", database: "test" });
    extra.push(idle, busy);
    const sleeping = busy.query("SELECT SLEEP(5) AS marker_gameops_test");
    try {
      const result = await run({ GAMEOPS_MYSQL_URL: mysqlUrl }, (c) => {
        c.thresholds.mysql.longestQuerySeconds = { warning: 0, critical: 3600 };
      });
      const queries = result.details.activeQueries as { info: string | null; command: string }[];
      expect(queries.some((q) => q.info?.includes("marker_gameops_test"))).toBe(true);
      expect(queries.every((q) => q.command !== "Sleep")).toBe(true);
      expect(result.status).toBe("warning");
      expect(result.summary).toMatch(/longest \d+s/);
    } finally {
      const [[row]] = (await idle.query("SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE '%marker_gameops_test%' AND INFO NOT LIKE '%PROCESSLIST%'")) as unknown as [{ ID: number }[]];
      if (row) await idle.query(`KILL QUERY ${row.ID}`);
      await sleeping.catch(() => {});
    }
  });

  it("counts Slow_queries since the previous run, not since the server started", async () => {
    const first = await run({ GAMEOPS_MYSQL_URL: mysqlUrl });
    expect(first.details.newSlowQueries).toBeNull();
    const session = await mysql.createConnection({ host: "127.0.0.1", user: "root", database: "test" });
    extra.push(session);
    await session.query("SET SESSION long_query_time = 0");
    await session.query("SELECT 1");
    await session.query("SELECT 2");
    const second = await run({ GAMEOPS_MYSQL_URL: mysqlUrl }, undefined, first);
    expect(second.details.newSlowQueries).toBeGreaterThanOrEqual(2);
    expect(second.status).toBe("warning");
    expect(second.summary).toMatch(/\d+ new slow quer/);
  });

  it("says access denied for a wrong password, and never prints the password", async () => {
    const password = "Wr0ng-Pa55-gameops";
    const result = await run({ GAMEOPS_MYSQL_URL: `mysql://root:${password}@127.0.0.1:3306/test` });
    expect(result.status).toBe("critical");
    expect(result.summary).toBe("access denied for root at 127.0.0.1:3306: check the user and password (GAMEOPS_MYSQL_PASSWORD_FILE)");
    expect(JSON.stringify(result)).not.toContain(password);
  });

  it("is critical with a clear message when nothing listens", async () => {
    const port = await closedPort();
    const result = await run({ GAMEOPS_MYSQL_URL: `mysql://root@127.0.0.1:${port}/test` });
    expect(result.status).toBe("critical");
    expect(result.summary).toBe(`connection refused at 127.0.0.1:${port}: is MySQL running and listening there?`);
  });

  it("gives up on a server that never answers at its own timeout", async () => {
    const hole = await blackHole();
    try {
      const report = await runChecks(
        envConfig({ GAMEOPS_MYSQL_URL: `mysql://root@127.0.0.1:${hole.port}/test`, GAMEOPS_REDIS_URL: "redis://127.0.0.1:6379" }, (c) => {
          c.checks.timeouts.mysql = 400;
          c.thresholds.redis.latencyP99Ms = { warning: 1000, critical: 2000 };
        }),
        { only: ["mysql", "redis"] },
      );
      const [mysqlResult, redisResult] = report.checks;
      expect(mysqlResult!.status).toBe("critical");
      expect(mysqlResult!.summary).toMatch(/^(no answer within 400ms \(timeout\)|no answer from 127\.0\.0\.1:\d+ \(timeout\))$/);
      // The hanging target does not take the healthy one down with it.
      expect(redisResult!.status).toBe("ok");
    } finally {
      await hole.close();
    }
  });
});
