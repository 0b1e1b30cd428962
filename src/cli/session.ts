import { userInfo } from "node:os";
import { loadConfig, type Config } from "../config/load.js";
import { demoFleetTarget } from "../demo/control-file.js";
import type { Store } from "../store/store.js";
import { remoteFromEnv, type RemoteApi } from "./remote.js";

export interface GlobalOptions {
  config?: string;
}

/** Loads the configuration once per command, printing its warnings (unknown variables, secrets in clear) to stderr. */
export function configFor(global: GlobalOptions, options: { discoverDemoFleet?: boolean } = {}): Config {
  const { config, warnings } = loadConfig({ cwd: process.cwd(), env: process.env, ...(global.config ? { path: global.config } : {}) });
  for (const w of warnings) process.stderr.write(`gameops: warning: ${w}\n`);
  // A demo fleet run by `gameops up --demo` on this data dir is this machine's fleet, unless one is configured.
  if (options.discoverDemoFleet !== false) config.targets.fleet ??= demoFleetTarget(config.dataDir);
  return config;
}

export async function openLocalStore(config: Config): Promise<Store> {
  const { openStore } = await import("../store/open-store.js");
  return openStore({ dataDir: config.dataDir, ...(config.store.url ? { url: config.store.url.reveal() } : {}) });
}

/** A command either talks to a running server (GAMEOPS_URL + GAMEOPS_TOKEN) or works on the local data dir. */
export type Target = { kind: "remote"; api: RemoteApi } | { kind: "local"; config: Config };

export function targetFor(global: GlobalOptions): Target {
  const api = remoteFromEnv(process.env);
  return api ? { kind: "remote", api } : { kind: "local", config: configFor(global) };
}

export async function withLocalStore<T>(config: Config, work: (store: Store) => Promise<T>): Promise<T> {
  const store = await openLocalStore(config);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Who a local command acts as in the audit log: the operating-system user at the terminal. */
export function localActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return "cli";
  }
}
