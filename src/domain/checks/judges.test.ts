import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { configSchema } from "../../config/schema.js";
import { judgeDisk } from "./disk.js";
import { lineTime, messageShape } from "./logs.js";
import { judgeMysql, type MysqlFacts } from "./mysql.js";
import { judgeRedis, type RedisFacts } from "./redis.js";
import { exitCode, overall, percentile, worst, type Status } from "./verdict.js";

const limits = configSchema.parse({}).thresholds;

describe("verdicts", () => {
  it("worst() never ranks a verdict below one of its inputs", () => {
    const statuses = fc.constantFrom<Status>("ok", "warning", "critical", "unknown");
    fc.assert(
      fc.property(fc.array(statuses), (list) => {
        const w = worst(list);
        const order = ["ok", "warning", "unknown", "critical"];
        return list.every((s) => order.indexOf(w) >= order.indexOf(s));
      }),
    );
  });

  it("maps to Nagios exit codes and treats an empty run as unknown", () => {
    expect([exitCode("ok"), exitCode("warning"), exitCode("critical"), exitCode("unknown")]).toEqual([0, 1, 2, 3]);
    expect(overall([{ name: "mysql", status: "skipped", summary: "", durationMs: 0, details: {} }])).toBe("unknown");
  });

  it("percentile stays within the sample", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 1 }), fc.integer({ min: 1, max: 100 }), (sample, p) => {
        const v = percentile(sample, p);
        return v >= Math.min(...sample) && v <= Math.max(...sample);
      }),
    );
    expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
  });
});

const mysqlFacts = (over: Partial<MysqlFacts> = {}): MysqlFacts => ({
  version: "10.11",
  uptimeSeconds: 1000,
  threadsConnected: 10,
  threadsRunning: 1,
  maxConnections: 100,
  maxUsedConnections: 20,
  slowQueries: 50,
  activeQueries: [],
  ...over,
});

describe("mysql judge", () => {
  it("grades connections against max_connections", () => {
    expect(judgeMysql(mysqlFacts({ threadsConnected: 85 }), limits.mysql).status).toBe("warning");
    expect(judgeMysql(mysqlFacts({ threadsConnected: 96 }), limits.mysql).status).toBe("critical");
  });

  it("counts every slow query as new after a restart", () => {
    const v = judgeMysql(mysqlFacts({ uptimeSeconds: 10, slowQueries: 3 }), limits.mysql, { slowQueries: 50, uptimeSeconds: 5000 });
    expect(v.details).toMatchObject({ newSlowQueries: 3, serverRestarted: true });
  });

  it("is critical when replication stopped and grades lag otherwise", () => {
    const stopped = judgeMysql(mysqlFacts({ replica: { ioRunning: true, sqlRunning: false, secondsBehind: null, lastError: "dup key" } }), limits.mysql);
    expect(stopped.status).toBe("critical");
    expect(stopped.summary).toContain("replication stopped (io on, sql off)");
    const lagging = judgeMysql(mysqlFacts({ replica: { ioRunning: true, sqlRunning: true, secondsBehind: 45, lastError: null } }), limits.mysql);
    expect(lagging.status).toBe("warning");
    expect(lagging.summary).toContain("replica lag 45s");
  });
});

const redisFacts = (over: Partial<RedisFacts> = {}): RedisFacts => ({
  version: "7.0.15",
  runId: "a",
  uptimeSeconds: 7200,
  role: "master",
  usedMemory: 1e6,
  usedMemoryRss: 2e6,
  maxMemory: 0,
  maxMemoryPolicy: "noeviction",
  fragmentationRatio: 5,
  connectedClients: 3,
  blockedClients: 0,
  rejectedConnections: 10,
  evictedKeys: 0,
  latencySamplesMs: [0.1, 0.2, 0.1],
  latencyCut: false,
  ...over,
});

describe("redis judge", () => {
  it("ignores fragmentation on a small data set, where the ratio is noise", () => {
    expect(judgeRedis(redisFacts({ rejectedConnections: 0 }), limits.redis).status).toBe("ok");
    expect(judgeRedis(redisFacts({ rejectedConnections: 0, usedMemory: 200 * 1024 * 1024 }), limits.redis).status).toBe("critical");
  });

  it("counts rejected connections since the previous run of the same server", () => {
    expect(judgeRedis(redisFacts(), limits.redis, { runId: "a", rejectedConnections: 10, evictedKeys: 0 }).status).toBe("ok");
    // Another run id: the server restarted, the counters started again.
    expect(judgeRedis(redisFacts(), limits.redis, { runId: "b", rejectedConnections: 10, evictedKeys: 0 }).status).toBe("warning");
  });

  it("is critical when no PING answered", () => {
    const v = judgeRedis(redisFacts({ latencySamplesMs: [], rejectedConnections: 0 }), limits.redis);
    expect(v.status).toBe("critical");
    expect(v.summary).toContain("no PING answered within the latency budget");
  });
});

describe("disk judge", () => {
  it("flags inodes even when bytes are fine", () => {
    const v = judgeDisk(
      [{ path: "/var", totalBytes: 100, usedBytes: 10, availableBytes: 90, inodesTotal: 1000, inodesFree: 50 }],
      [],
      limits.disk,
    );
    expect(v.status).toBe("critical");
    expect(v.summary).toBe("/var 10 % used, inodes 95 %");
  });

  it("is unknown with nothing to look at", () => {
    expect(judgeDisk([], [], limits.disk).status).toBe("unknown");
  });
});

describe("log lines", () => {
  it("reads zone-less times in the team's zone, across a DST change", () => {
    expect(lineTime("2026-07-01 12:00:00 ERROR x", "Europe/Berlin")).toBe(Date.UTC(2026, 6, 1, 10));
    expect(lineTime("2026-12-01 12:00:00 ERROR x", "Europe/Berlin")).toBe(Date.UTC(2026, 11, 1, 11));
    expect(lineTime("[2026-12-01T12:00:00.250+09:00] ERROR", "UTC")).toBe(Date.UTC(2026, 11, 1, 3, 0, 0, 250));
    expect(lineTime("no time here", "UTC")).toBeUndefined();
  });

  it("folds ids and numbers into one message shape", () => {
    expect(messageShape('2026-11-26T08:10:00Z ERROR user "bob" 550e8400-e29b-41d4-a716-446655440000 at 0xdeadbeef took 12.5ms')).toBe(
      'ERROR user "…" <uuid> at <hex> took <n>ms',
    );
  });
});
