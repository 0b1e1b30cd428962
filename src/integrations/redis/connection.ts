import { Redis } from "ioredis";
import type { RedisTarget } from "../../config/load.js";

export class RedisError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "RedisError";
  }
}

/**
 * One connection that never reconnects or queues behind our back: a health probe must see the
 * failure, not wait for a retry strategy. Aborting `signal` disconnects.
 */
export async function connectRedis(target: RedisTarget, options: { timeoutMs: number; signal: AbortSignal }): Promise<Redis> {
  const client = new Redis({
    host: target.host,
    port: target.port,
    db: target.db,
    ...(target.username ? { username: target.username } : {}),
    ...(target.password ? { password: target.password.reveal() } : {}),
    ...(target.tls ? { tls: {} } : {}),
    lazyConnect: true,
    connectTimeout: options.timeoutMs,
    commandTimeout: options.timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    reconnectOnError: () => false,
    // ioredis keeps the process alive this long after a failed connect before destroying the socket.
    disconnectTimeout: 100,
  });
  let lastError: unknown;
  client.on("error", (error) => {
    lastError = error;
  });
  const onAbort = () => client.disconnect();
  options.signal.addEventListener("abort", onAbort, { once: true });
  client.once("end", () => options.signal.removeEventListener("abort", onAbort));
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw describeRedisError(lastError ?? error, target);
  }
  return client;
}

export function describeRedisError(error: unknown, target: RedisTarget): RedisError {
  const e = error as { code?: string; message?: string };
  const where = `${target.host}:${target.port}`;
  const message = e.message ?? String(error);
  if (e.code === "ECONNREFUSED") return new RedisError(`connection refused at ${where}: is Redis running and listening there?`, true, { cause: error });
  if (e.code === "ETIMEDOUT" || /timed? ?out/i.test(message)) return new RedisError(`no answer from ${where} (timeout)`, true, { cause: error });
  if (e.code === "ENOTFOUND" || e.code === "EAI_AGAIN") return new RedisError(`cannot resolve host ${target.host}`, e.code === "EAI_AGAIN", { cause: error });
  if (/WRONGPASS|NOAUTH|invalid password|invalid username-password/i.test(message)) {
    return new RedisError(`authentication failed at ${where}: check the password (GAMEOPS_REDIS_PASSWORD_FILE)`, false, { cause: error });
  }
  return new RedisError(`${where}: ${message.split("\n")[0]}`, true, { cause: error });
}
