import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describe as describeStep, execute, isReadOnlyCommand } from "../../../src/engine/runbooks/steps/redis.js";
import { closedPort } from "../../support/servers.js";
import { envConfig, failureOf, stepContext, unique } from "./support.js";

const config = envConfig({ GAMEOPS_REDIS_URL: "redis://127.0.0.1:6379" });
const prefix = `gameops:test:redis-step:${unique()}:`;
let admin: Redis;

const run = (...command: string[]) => execute({ target: "redis", command }, stepContext(config));

beforeAll(() => {
  admin = new Redis({ host: "127.0.0.1", port: 6379, lazyConnect: true });
});

afterAll(async () => {
  const keys = await admin.keys(`${prefix}*`);
  if (keys.length > 0) await admin.del(...keys);
  admin.disconnect();
});

describe("redis step against Redis", () => {
  it("sends one command with its arguments as given and returns the reply", async () => {
    const value = `he said "hi"; FLUSHALL\r\nSET x y`;
    expect((await run("SET", `${prefix}motd`, value)).outputs).toEqual({ reply: "OK" });
    expect((await run("get", `${prefix}motd`)).outputs).toEqual({ reply: value });
    expect(await admin.get(`${prefix}motd`)).toBe(value);

    await run("HSET", `${prefix}player:1`, "name", "mina", "level", "12");
    expect((await run("HGETALL", `${prefix}player:1`)).outputs).toEqual({ reply: ["name", "mina", "level", "12"] });
    expect((await run("INCRBY", `${prefix}counter`, "5")).outputs).toEqual({ reply: 5 });
    expect((await run("GET", `${prefix}missing`)).outputs).toEqual({ reply: null });
  });

  it("logs a text reply line by line", async () => {
    const context = stepContext(config);
    await execute({ target: "redis", command: ["INFO", "server"] }, context);
    expect(context.lines[0]).toBe("# Server");
    expect(context.lines).toContainEqual(expect.stringMatching(/^redis_version:\d+\.\d+/));
  });

  it("keeps the first 1000 elements of a long reply", async () => {
    await admin.rpush(`${prefix}queue`, ...Array.from({ length: 1500 }, (_, i) => `job-${i}`));
    const result = await run("LRANGE", `${prefix}queue`, "0", "-1");
    expect(result.outputs.truncated).toBe(true);
    expect(result.outputs.reply).toHaveLength(1000);
    expect((result.outputs.reply as string[])[999]).toBe("job-999");
  });

  it("fails on a reply error without retrying it", async () => {
    await admin.set(`${prefix}text`, "not a number");
    const failure = await failureOf(run("INCR", `${prefix}text`));
    expect(failure.message).toBe("redis INCR: ERR value is not an integer or out of range");
    expect(failure.options.retryable).toBe(false);
  });

  it("refuses commands that wipe, stop or reconfigure the server, whatever their case", async () => {
    const flush = await failureOf(run("flushall"));
    expect(flush.message).toBe(
      "FLUSHALL is refused in a runbook step: it deletes every key of every database. Use a dedicated runbook for it (backup, checks and an approval first), not a redis step",
    );
    expect(flush.options.retryable).toBe(false);
    expect((await failureOf(run("FLUSHDB", "ASYNC"))).message).toMatch(/^FLUSHDB is refused in a runbook step: it deletes every key of the database\. /);
    expect((await failureOf(run("shutdown", "nosave"))).message).toMatch(/^SHUTDOWN is refused in a runbook step: it stops the server\. /);
    expect((await failureOf(run("DEBUG", "SLEEP", "0"))).message).toMatch(/^DEBUG is refused in a runbook step: it can crash, stall or corrupt the server\. /);
    expect((await failureOf(run("config", "set", "maxmemory", "1"))).message).toMatch(/^CONFIG SET is refused in a runbook step: it changes the running server's configuration\. /);
    expect((await failureOf(run("REPLICAOF", "10.0.0.1", "6379"))).message).toMatch(/^REPLICAOF is refused in a runbook step: it makes the server a replica/);
    expect((await failureOf(run("SUBSCRIBE", "news"))).message).toBe("SUBSCRIBE streams replies without end; a redis step sends one command and reads one reply");
    expect(await admin.get(`${prefix}motd`)).not.toBeNull();
    // CONFIG GET is only a read.
    expect((await run("CONFIG", "GET", "maxmemory")).outputs.reply).toEqual(["maxmemory", expect.any(String)]);
  });

  it("says when Redis is not there, as a retryable failure", async () => {
    const port = await closedPort();
    const failure = await failureOf(execute({ target: "redis", command: ["PING"] }, stepContext(envConfig({ GAMEOPS_REDIS_URL: `redis://127.0.0.1:${port}` }))));
    expect(failure.message).toBe(`connection refused at 127.0.0.1:${port}: is Redis running and listening there?`);
    expect(failure.options.retryable).toBe(true);
  });

  it("refuses a target that is not configured", async () => {
    expect((await failureOf(execute({ target: "cache", command: ["PING"] }, stepContext(config)))).message).toBe(
      'redis target "cache" is not a configured Redis target; the only one is "redis"',
    );
    expect((await failureOf(execute({ target: "redis", command: ["PING"] }, stepContext(envConfig())))).message).toBe(
      "redis target redis is not configured: set GAMEOPS_REDIS_URL or targets.redis.url",
    );
  });
});

describe("redis step: describe", () => {
  it("marks writes as destructive and reads as not, by command and subcommand", () => {
    for (const command of [["GET", "k"], ["hgetall", "k"], ["INFO", "memory"], ["SCAN", "0"], ["CONFIG", "GET", "maxmemory"], ["CLIENT", "LIST"], ["SLOWLOG", "GET", "10"], ["MEMORY", "USAGE", "k"]]) {
      expect(isReadOnlyCommand(command), command.join(" ")).toBe(true);
    }
    for (const command of [["SET", "k", "v"], ["DEL", "k"], ["EXPIRE", "k", "10"], ["CLIENT", "KILL", "ID", "7"], ["SLOWLOG", "RESET"], ["CONFIG", "REWRITE"], ["EVAL", "return 1", "0"]]) {
      expect(isReadOnlyCommand(command), command.join(" ")).toBe(false);
    }
  });

  it("shows the command and the target, and a refusal before the run", () => {
    expect(describeStep({ target: "redis", command: ["DEL", "session:42"] }, config)).toEqual({
      summary: "redis DEL session:42 on redis://127.0.0.1:6379/0",
      detail: { command: ["DEL", "session:42"] },
      target: "redis://127.0.0.1:6379/0",
      destructive: true,
    });
    expect(describeStep({ target: "redis", command: ["FLUSHALL"] }, config).summary).toBe("redis FLUSHALL on redis://127.0.0.1:6379/0 (refused: FLUSHALL is refused in a runbook step)");
  });
});
