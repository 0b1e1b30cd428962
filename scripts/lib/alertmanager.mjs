import { join } from "node:path";
import { ensureDaemon } from "./daemon.mjs";
import { httpOk } from "./probe.mjs";
import { serviceDir } from "./state.mjs";

export const ALERTMANAGER_PORT = 19093;

// Routes everything to a receiver that sends nothing: tests read alerts back through the API.
const config = `# Written by gameops scripts/test-services.mjs; rewritten on every run.
route:
  receiver: nowhere
receivers:
  - name: nowhere
`;

/**
 * Our own Alertmanager on loopback. Clustering is off (`--cluster.listen-address=`): a lone
 * test instance must not gossip with anything on the network. Alerts live in memory only, so a
 * restart starts empty.
 */
export async function ensureAlertmanager() {
  const dir = serviceDir("alertmanager");
  const url = `http://127.0.0.1:${ALERTMANAGER_PORT}`;
  const configFile = join(dir, "alertmanager.yml");
  const program = "/usr/bin/prometheus-alertmanager";
  const status = await ensureDaemon({
    name: "alertmanager",
    dir,
    command: program,
    args: [
      `--config.file=${configFile}`,
      `--storage.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${ALERTMANAGER_PORT}`,
      "--cluster.listen-address=",
    ],
    files: { [configFile]: config },
    host: "127.0.0.1",
    port: ALERTMANAGER_PORT,
    answers: () => httpOk(`${url}/-/ready`),
  });
  return { status, service: { url, program, log: join(dir, "alertmanager.log") } };
}
