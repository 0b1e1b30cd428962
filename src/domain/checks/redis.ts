import type { Thresholds } from "../../config/schema.js";
import { grade, pct, percentile, round, worst, type Status, type Verdict } from "./verdict.js";

export interface RedisFacts {
  version: string;
  runId: string;
  uptimeSeconds: number;
  role: string;
  usedMemory: number;
  usedMemoryRss: number;
  maxMemory: number;
  maxMemoryPolicy: string;
  fragmentationRatio: number;
  connectedClients: number;
  blockedClients: number;
  rejectedConnections: number;
  evictedKeys: number;
  /** Round-trip times of PINGs in milliseconds. */
  latencySamplesMs: number[];
  /** True when the time budget ended the sample before the wanted count. */
  latencyCut: boolean;
}

export interface RedisBaseline {
  runId: string;
  rejectedConnections: number;
  evictedKeys: number;
}

/** Below this the fragmentation ratio is noise: a few MB of allocator overhead look like 5x. */
const fragmentationFloorBytes = 100 * 1024 * 1024;

export function judgeRedis(facts: RedisFacts, limits: Thresholds["redis"], baseline?: RedisBaseline): Verdict {
  const statuses: Status[] = [];
  const notes: string[] = [`v${facts.version} up ${formatUptime(facts.uptimeSeconds)}`];

  let memoryPct: number | null = null;
  if (facts.maxMemory > 0) {
    memoryPct = pct(facts.usedMemory, facts.maxMemory);
    statuses.push(grade(memoryPct, limits.memoryPct));
    notes.push(`memory ${bytes(facts.usedMemory)}/${bytes(facts.maxMemory)} (${round(memoryPct)} %)`);
  } else notes.push(`memory ${bytes(facts.usedMemory)} (no maxmemory)`);

  const fragmentationJudged = facts.usedMemory >= fragmentationFloorBytes;
  if (fragmentationJudged) {
    statuses.push(grade(facts.fragmentationRatio, limits.fragmentationRatio));
    notes.push(`fragmentation ${round(facts.fragmentationRatio, 2)}`);
  }

  const p50 = percentile(facts.latencySamplesMs, 50);
  const p99 = percentile(facts.latencySamplesMs, 99);
  const max = facts.latencySamplesMs.length ? Math.max(...facts.latencySamplesMs) : Number.NaN;
  if (facts.latencySamplesMs.length === 0) {
    statuses.push("critical");
    notes.push("no PING answered within the latency budget");
  } else {
    statuses.push(grade(p99, limits.latencyP99Ms));
    notes.push(`latency p99 ${round(p99, 2)} ms`);
  }

  // Counters since the previous run of the same server process; totals when there is none.
  const sameServer = baseline !== undefined && baseline.runId === facts.runId;
  const rejected = sameServer ? Math.max(0, facts.rejectedConnections - baseline.rejectedConnections) : facts.rejectedConnections;
  const evicted = sameServer ? Math.max(0, facts.evictedKeys - baseline.evictedKeys) : facts.evictedKeys;
  statuses.push(grade(rejected, limits.rejectedConnections), grade(evicted, limits.evictedKeys));
  notes.push(`${facts.connectedClients} clients`);
  if (rejected > 0) notes.push(`${rejected} rejected connections`);
  if (evicted > 0) notes.push(`${evicted} evicted keys`);

  return {
    status: worst(statuses),
    summary: notes.join(", "),
    details: {
      version: facts.version,
      runId: facts.runId,
      role: facts.role,
      uptimeSeconds: facts.uptimeSeconds,
      usedMemory: facts.usedMemory,
      usedMemoryRss: facts.usedMemoryRss,
      maxMemory: facts.maxMemory,
      maxMemoryPolicy: facts.maxMemoryPolicy,
      memoryPct: memoryPct === null ? null : round(memoryPct),
      fragmentationRatio: facts.fragmentationRatio,
      fragmentationJudged,
      connectedClients: facts.connectedClients,
      blockedClients: facts.blockedClients,
      rejectedConnections: facts.rejectedConnections,
      evictedKeys: facts.evictedKeys,
      countersSince: sameServer ? "previous run" : "server start",
      newRejectedConnections: rejected,
      newEvictedKeys: evicted,
      latency: {
        samples: facts.latencySamplesMs.length,
        cutByBudget: facts.latencyCut,
        p50Ms: Number.isNaN(p50) ? null : round(p50, 3),
        p99Ms: Number.isNaN(p99) ? null : round(p99, 3),
        maxMs: Number.isNaN(max) ? null : round(max, 3),
      },
    },
  };
}

export function redisBaseline(details: Record<string, unknown> | undefined): RedisBaseline | undefined {
  const { runId, rejectedConnections, evictedKeys } = details ?? {};
  return typeof runId === "string" && typeof rejectedConnections === "number" && typeof evictedKeys === "number"
    ? { runId, rejectedConnections, evictedKeys }
    : undefined;
}

export function bytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

function formatUptime(seconds: number): string {
  if (seconds >= 86_400) return `${Math.floor(seconds / 86_400)}d`;
  if (seconds >= 3600) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 60)}m`;
}
