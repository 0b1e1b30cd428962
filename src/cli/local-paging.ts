import { join } from "node:path";
import type { Config } from "../config/load.js";
import { loadLinkKey } from "../engine/paging/action-links.js";
import { Paging, PagingError } from "../engine/paging/paging.js";
import type { Store } from "../store/store.js";
import { localIdentity } from "./foreground-run.js";
import { runningServerUrl, serverUrl } from "./server-address.js";
import { withLocalStore } from "./session.js";

/**
 * The paging commands without a server (GAMEOPS_URL unset): the same `Paging` facade the API
 * uses, on this data dir's store, signing links with this data dir's key, so that a link the CLI
 * puts in a notification works on the server that runs here.
 */
export interface LocalPaging {
  paging: Paging;
  store: Store;
  config: Config;
  /** Who acts: the person GAMEOPS_PERSON names, else the operating-system user. */
  actor(): Promise<string>;
  /** The URL of `gameops up` running on this data dir, if one is. */
  server: string | undefined;
}

export async function withLocalPaging<T>(config: Config, work: (local: LocalPaging) => Promise<T>): Promise<T> {
  return withLocalStore(config, async (store) => {
    const paging = new Paging({
      store,
      config,
      publicUrl: () => config.paging.publicUrl ?? serverUrl(config),
      linkKey: loadLinkKey(join(config.dataDir, "link-signing.key")),
    });
    return work({ paging, store, config, actor: async () => (await localIdentity(store, undefined)).id, server: runningServerUrl(config) });
  });
}

/** A paging request that cannot be done as asked (no such page, person or schedule; a resolved page): exit 1 with the reason. */
export async function orRefusal(work: () => Promise<number>): Promise<number> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof PagingError)) throw error;
    process.stderr.write(`gameops: ${error.message}\n`);
    return 1;
  }
}
