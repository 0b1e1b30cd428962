import type { Redis } from "ioredis";
import type { RedisTarget } from "../../config/load.js";
import type { RedisFacts } from "../../domain/checks/redis.js";
import { sampleLatency } from "./latency-probe.js";

/** INFO's `key:value` lines, all sections merged. */
export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(":");
    if (i > 0 && !line.startsWith("#")) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

export async function readServerInfo(client: Redis, target: RedisTarget, latency: { samples: number; budgetMs: number; signal: AbortSignal }): Promise<RedisFacts> {
  const [text, { samplesMs, cut }] = await Promise.all([client.info(), sampleLatency(target, latency)]);
  const info = parseInfo(text);
  const num = (key: string) => Number(info[key] ?? 0);
  return {
    version: info.redis_version ?? "unknown",
    runId: info.run_id ?? "",
    uptimeSeconds: num("uptime_in_seconds"),
    role: info.role ?? "unknown",
    usedMemory: num("used_memory"),
    usedMemoryRss: num("used_memory_rss"),
    maxMemory: num("maxmemory"),
    maxMemoryPolicy: info.maxmemory_policy ?? "unknown",
    fragmentationRatio: num("mem_fragmentation_ratio"),
    connectedClients: num("connected_clients"),
    blockedClients: num("blocked_clients"),
    rejectedConnections: num("rejected_connections"),
    evictedKeys: num("evicted_keys"),
    latencySamplesMs: samplesMs,
    latencyCut: cut,
  };
}
