import { loadConfig, type Config } from "../../src/config/load.js";
import { tmpdir } from "node:os";

/** A config from environment variables only, as a user without a file would have it. */
export function envConfig(env: Record<string, string>, patch?: (config: Config) => void): Config {
  const { config } = loadConfig({ cwd: tmpdir(), env });
  patch?.(config);
  return config;
}

export const mysqlUrl = "mysql://root@127.0.0.1:3306/test";
export const redisUrl = "redis://127.0.0.1:6379";
