import { judgeRedis, redisBaseline } from "../../domain/checks/redis.js";
import type { Verdict } from "../../domain/checks/verdict.js";
import { connectRedis, describeRedisError, RedisError } from "../../integrations/redis/connection.js";
import { readServerInfo } from "../../integrations/redis/server-info.js";
import { CheckFailure, type CheckContext } from "./check.js";

export async function run(context: CheckContext): Promise<Verdict> {
  const target = context.config.targets.redis!;
  const limits = context.config.thresholds.redis;
  try {
    const client = await connectRedis(target, { timeoutMs: context.timeoutMs, signal: context.signal });
    try {
      // The latency sample must leave room for INFO inside the check's own timeout.
      const budgetMs = Math.min(limits.latencyBudget, Math.max(100, context.timeoutMs / 2));
      const facts = await readServerInfo(client, target, { samples: limits.latencySamples, budgetMs, signal: context.signal }).catch((error) => {
        throw describeRedisError(error, target);
      });
      const verdict = judgeRedis(facts, limits, redisBaseline(context.previous?.details));
      return { ...verdict, details: { target: target.label, ...verdict.details } };
    } finally {
      client.disconnect();
    }
  } catch (error) {
    if (error instanceof RedisError) throw new CheckFailure("critical", error.message, { target: target.label }, { cause: error });
    throw error;
  }
}
