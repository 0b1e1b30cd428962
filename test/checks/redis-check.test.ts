import { describe, expect, it } from "vitest";
import { runChecks } from "../../src/engine/health/run-checks.js";
import { blackHole, closedPort, privateRedis } from "../support/servers.js";
import { envConfig, redisUrl } from "./support.js";

// Scheduler jitter on a busy two-core machine is not Redis' latency: these tests judge it loosely
// (the latency grading itself is unit-tested in src/domain/checks).
const run = async (env: Record<string, string>, patch?: Parameters<typeof envConfig>[1]) =>
  (
    await runChecks(
      envConfig(env, (c) => {
        c.thresholds.redis.latencyP99Ms = { warning: 1000, critical: 2000 };
        patch?.(c);
      }),
      { only: ["redis"] },
    )
  ).checks[0]!;

describe("redis check against the real Redis", () => {
  it("is ok on a healthy server with a bounded latency sample", async () => {
    const result = await run({ GAMEOPS_REDIS_URL: redisUrl });
    expect(result.status).toBe("ok");
    expect(result.summary).toMatch(/^v\d+\.\d+\.\d+ up \d+[mhd], memory .+, latency p99 [\d.]+ ms, \d+ clients/);
    const latency = result.details.latency as { samples: number; p50Ms: number; p99Ms: number; maxMs: number; cutByBudget: boolean };
    expect(latency.samples).toBe(100);
    expect(latency.cutByBudget).toBe(false);
    expect(latency.p50Ms).toBeLessThanOrEqual(latency.p99Ms);
    expect(latency.p99Ms).toBeLessThanOrEqual(latency.maxMs);
    expect(result.details).toMatchObject({ target: "redis://127.0.0.1:6379/0", countersSince: "server start" });
  });

  it("stops sampling at the budget instead of running forever", async () => {
    const result = await run({ GAMEOPS_REDIS_URL: redisUrl }, (c) => {
      c.thresholds.redis.latencySamples = 10_000;
      c.thresholds.redis.latencyBudget = 150;
    });
    const latency = result.details.latency as { samples: number; cutByBudget: boolean };
    expect(latency.cutByBudget).toBe(true);
    expect(latency.samples).toBeGreaterThan(0);
    expect(latency.samples).toBeLessThan(10_000);
  });

  it("is critical with a clear message on a closed port", async () => {
    const port = await closedPort();
    const result = await run({ GAMEOPS_REDIS_URL: `redis://127.0.0.1:${port}` });
    expect(result.status).toBe("critical");
    expect(result.summary).toBe(`connection refused at 127.0.0.1:${port}: is Redis running and listening there?`);
  });

  it("is critical once its own server has been stopped", async () => {
    const server = await privateRedis();
    const url = `redis://127.0.0.1:${server.port}`;
    expect((await run({ GAMEOPS_REDIS_URL: url })).status).toBe("ok");
    await server.stop();
    const result = await run({ GAMEOPS_REDIS_URL: url });
    expect(result.status).toBe("critical");
    expect(result.summary).toBe(`connection refused at 127.0.0.1:${server.port}: is Redis running and listening there?`);
  });

  it("says authentication failed for a wrong password, and never prints it", async () => {
    const server = await privateRedis({ password: "right-horse-battery" });
    try {
      const wrong = "Wr0ng-redis-pass";
      const result = await run({ GAMEOPS_REDIS_URL: `redis://:${wrong}@127.0.0.1:${server.port}` });
      expect(result.status).toBe("critical");
      expect(result.summary).toBe(`authentication failed at 127.0.0.1:${server.port}: check the password (GAMEOPS_REDIS_PASSWORD_FILE)`);
      expect(JSON.stringify(result)).not.toContain(wrong);
      const right = await run({ GAMEOPS_REDIS_URL: `redis://:right-horse-battery@127.0.0.1:${server.port}` });
      expect(right.status).toBe("ok");
    } finally {
      await server.stop();
    }
  });

  it("gives up on a server that never answers at its own timeout", async () => {
    const hole = await blackHole();
    try {
      const result = await run({ GAMEOPS_REDIS_URL: `redis://127.0.0.1:${hole.port}` }, (c) => {
        c.checks.timeouts.redis = 300;
      });
      expect(result.status).toBe("critical");
      expect(result.summary).toMatch(/^(no answer within 300ms \(timeout\)|no answer from 127\.0\.0\.1:\d+ \(timeout\))$/);
    } finally {
      await hole.close();
    }
  });

  it("grades memory against maxmemory", async () => {
    const server = await privateRedis();
    try {
      const { Redis } = await import("ioredis");
      const client = new Redis({ port: server.port, host: "127.0.0.1" });
      const used = Number(/used_memory:(\d+)/.exec(await client.info("memory"))![1]);
      // maxmemory just above what is used: over 95 % used is critical.
      await client.config("SET", "maxmemory", String(Math.ceil(used / 0.97)));
      client.disconnect();
      const result = await run({ GAMEOPS_REDIS_URL: `redis://127.0.0.1:${server.port}` });
      expect(result.status).toBe("critical");
      expect(result.summary).toMatch(/memory .+\/.+ \(9\d(\.\d)? %\)/);
    } finally {
      await server.stop();
    }
  });
});
