import type { Redis } from "ioredis";
import type { RedisFacts } from "../../domain/checks/redis.js";

/** INFO's `key:value` lines, all sections merged. */
export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(":");
    if (i > 0 && !line.startsWith("#")) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

/**
 * Times up to `samples` PINGs, one after the other, and stops at `budgetMs` whatever the count:
 * the seed's `redis-cli --latency` samples forever.
 */
export async function sampleLatency(client: Redis, samples: number, budgetMs: number): Promise<{ samplesMs: number[]; cut: boolean }> {
  const out: number[] = [];
  const deadline = performance.now() + budgetMs;
  while (out.length < samples) {
    const left = deadline - performance.now();
    if (left <= 0) return { samplesMs: out, cut: true };
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const answered = await Promise.race([
      client.ping().then(() => true),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), left))),
    ]).finally(() => clearTimeout(timer));
    if (!answered) return { samplesMs: out, cut: true };
    out.push(performance.now() - started);
  }
  return { samplesMs: out, cut: false };
}

export async function readServerInfo(client: Redis, latency: { samples: number; budgetMs: number }): Promise<RedisFacts> {
  const info = parseInfo(await client.info());
  // The first round trip pays for lazy initialisation on both ends; it is not the server's latency.
  await client.ping();
  const { samplesMs, cut } = await sampleLatency(client, latency.samples, latency.budgetMs);
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
