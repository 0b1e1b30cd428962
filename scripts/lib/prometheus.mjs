import { join } from "node:path";
import { ensureDaemon } from "./daemon.mjs";
import { httpOk } from "./probe.mjs";
import { serviceDir } from "./state.mjs";

export const PROMETHEUS_PORT = 19090;

// Scrapes only itself. Deliberately not wired to our Alertmanager: the alerts tests rely on an
// Alertmanager that holds only the alerts tests post.
const config = `# Written by gameops scripts/test-services.mjs; rewritten on every run.
global:
  scrape_interval: 5s
  evaluation_interval: 5s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ["127.0.0.1:${PROMETHEUS_PORT}"]
`;

export async function ensurePrometheus() {
  const dir = serviceDir("prometheus");
  const url = `http://127.0.0.1:${PROMETHEUS_PORT}`;
  const configFile = join(dir, "prometheus.yml");
  const program = "/usr/bin/prometheus";
  const status = await ensureDaemon({
    name: "prometheus",
    dir,
    command: program,
    args: [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      "--storage.tsdb.retention.time=1d",
      `--web.listen-address=127.0.0.1:${PROMETHEUS_PORT}`,
    ],
    files: { [configFile]: config },
    host: "127.0.0.1",
    port: PROMETHEUS_PORT,
    answers: () => httpOk(`${url}/-/ready`),
  });
  return { status, service: { url, program, log: join(dir, "prometheus.log") } };
}
