import type { Redis } from "ioredis";
import type { Config, RedisTarget } from "../../../config/load.js";
import type { StepSpec } from "../../../domain/runbooks/schema.js";
import { connectRedis, describeRedisError, RedisError } from "../../../integrations/redis/connection.js";
import { StepFailure, type RenderedAction, type StepContext, type StepResult } from "../step-kind.js";

type RedisSpec = StepSpec<"redis">;

/** The module is the StepKind (loaded lazily by ./index.ts). */
export const kind = "redis";

/** Connect and command bound; the step's timeout (its signal) is the one that matters. */
const backstopMs = 60_000;
/** Elements of a list reply kept in the outputs, and characters of a string reply. */
const maxElements = 1000;
const maxChars = 65_536;
/** Lines of a text reply (INFO) shown in the live log. */
const maxLoggedLines = 200;

/**
 * Commands a step never sends: they wipe or stop the server, or turn it into a replica (which
 * drops its data). Doing that safely takes a backup, a check and an approval: a runbook of its own.
 */
const refused: Record<string, string> = {
  FLUSHALL: "deletes every key of every database",
  FLUSHDB: "deletes every key of the database",
  SHUTDOWN: "stops the server",
  DEBUG: "can crash, stall or corrupt the server",
  "CONFIG SET": "changes the running server's configuration",
  REPLICAOF: "makes the server a replica, replacing its data with the primary's",
  SLAVEOF: "makes the server a replica, replacing its data with the primary's",
};

/** Commands that never answer once (they stream): a step waits for one reply. */
const streaming = new Set(["SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "MONITOR", "SYNC", "PSYNC"]);

/** Commands that only read; with a subcommand where the command alone says nothing. */
const readOnly = new Set(
  (
    "GET MGET STRLEN GETRANGE EXISTS TYPE TTL PTTL EXPIRETIME PEXPIRETIME DUMP SCAN KEYS RANDOMKEY DBSIZE " +
    "HGET HMGET HGETALL HKEYS HVALS HLEN HEXISTS HSTRLEN HSCAN HRANDFIELD " +
    "LRANGE LLEN LINDEX LPOS SCARD SMEMBERS SISMEMBER SMISMEMBER SSCAN SRANDMEMBER SINTER SUNION SDIFF " +
    "ZCARD ZCOUNT ZLEXCOUNT ZRANGE ZRANGEBYSCORE ZRANGEBYLEX ZREVRANGE ZREVRANGEBYSCORE ZREVRANGEBYLEX ZSCORE ZMSCORE ZRANK ZREVRANK ZSCAN " +
    "XLEN XRANGE XREVRANGE XREAD XPENDING XINFO GETBIT BITCOUNT BITPOS PFCOUNT GEOPOS GEODIST GEOHASH GEOSEARCH " +
    "INFO PING ECHO TIME LASTSAVE ROLE LOLWUT OBJECT COMMAND " +
    "CONFIG|GET CLIENT|LIST CLIENT|INFO CLIENT|GETNAME CLIENT|ID SLOWLOG|GET SLOWLOG|LEN MEMORY|USAGE MEMORY|STATS MEMORY|DOCTOR " +
    "LATENCY|LATEST LATENCY|HISTORY LATENCY|DOCTOR CLUSTER|INFO CLUSTER|NODES CLUSTER|SLOTS CLUSTER|SHARDS"
  ).split(" "),
);

const nameOf = (command: string[]) => command[0]!.toUpperCase();
const withSubcommand = (command: string[]) => (command[1] === undefined ? nameOf(command) : `${nameOf(command)} ${command[1].toUpperCase()}`);

export function isReadOnlyCommand(command: string[]): boolean {
  return readOnly.has(nameOf(command)) || (command[1] !== undefined && readOnly.has(`${nameOf(command)}|${command[1].toUpperCase()}`));
}

function targetOf(spec: RedisSpec, config: Config): RedisTarget {
  if (spec.target !== "redis") throw new StepFailure(`redis target "${spec.target}" is not a configured Redis target; the only one is "redis"`, { retryable: false });
  const target = config.targets.redis;
  if (!target) throw new StepFailure("redis target redis is not configured: set GAMEOPS_REDIS_URL or targets.redis.url", { retryable: false });
  return target;
}

function refusal(command: string[]): string | undefined {
  const name = nameOf(command);
  const reason = refused[name] ?? refused[withSubcommand(command)];
  if (reason) {
    const what = refused[name] ? name : withSubcommand(command);
    return `${what} is refused in a runbook step: it ${reason}. Use a dedicated runbook for it (backup, checks and an approval first), not a redis step`;
  }
  if (streaming.has(name)) return `${name} streams replies without end; a redis step sends one command and reads one reply`;
  return undefined;
}

export function describe(spec: RedisSpec, config: Config): RenderedAction {
  const target = spec.target === "redis" ? config.targets.redis?.label : undefined;
  const refusedWhy = refusal(spec.command);
  return {
    summary: `redis ${spec.command.join(" ")} on ${target ?? spec.target}${refusedWhy ? ` (refused: ${refusedWhy.split(":")[0]})` : ""}`,
    detail: { command: spec.command },
    target: target ?? spec.target,
    destructive: !isReadOnlyCommand(spec.command),
  };
}

/** A reply as JSON, bounded: long lists and strings are cut (and say so). */
function bounded(reply: unknown, cut: { truncated: boolean }): unknown {
  if (Buffer.isBuffer(reply)) return bounded(reply.toString("utf8"), cut);
  if (typeof reply === "string" && reply.length > maxChars) {
    cut.truncated = true;
    return reply.slice(0, maxChars);
  }
  if (Array.isArray(reply)) {
    if (reply.length > maxElements) cut.truncated = true;
    return reply.slice(0, maxElements).map((r) => bounded(r, cut));
  }
  if (reply instanceof Error) return { error: reply.message };
  return reply;
}

export async function execute(spec: RedisSpec, context: StepContext): Promise<StepResult> {
  const target = targetOf(spec, context.config);
  const refusedWhy = refusal(spec.command);
  if (refusedWhy) throw new StepFailure(refusedWhy, { retryable: false });
  context.signal.throwIfAborted();
  let client: Redis;
  try {
    client = await connectRedis(target, { timeoutMs: backstopMs, signal: context.signal });
  } catch (error) {
    throw new StepFailure((error as Error).message, { retryable: error instanceof RedisError && error.retryable, cause: error });
  }
  const [name, ...args] = spec.command;
  let reply: unknown;
  try {
    reply = await client.call(name!, ...args);
  } catch (error) {
    if (context.signal.aborted) throw new StepFailure(`redis ${nameOf(spec.command)} was stopped: the step was aborted`, { retryable: false, cause: error });
    // A reply error (ERR, WRONGTYPE, NOSCRIPT…) is the command's fault; a lost connection may pass.
    const replyError = (error as { name?: string }).name === "ReplyError";
    const message = replyError ? `redis ${nameOf(spec.command)}: ${(error as Error).message}` : describeRedisError(error, target).message;
    throw new StepFailure(message, { retryable: !replyError, cause: error });
  } finally {
    client.disconnect();
  }
  const cut = { truncated: false };
  const outputs: Record<string, unknown> = { reply: bounded(reply, cut) };
  if (cut.truncated) outputs.truncated = true;
  if (typeof reply === "string" || typeof reply === "number") for (const line of String(reply).split(/\r?\n/).slice(0, maxLoggedLines)) context.log(line);
  else if (Array.isArray(reply)) context.log(`${reply.length} element${reply.length === 1 ? "" : "s"}`);
  else if (reply === null) context.log("(nil)");
  return { outputs };
}
