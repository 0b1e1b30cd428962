import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ensureDaemon } from "./daemon.mjs";
import { httpOk } from "./probe.mjs";
import { serviceDir } from "./state.mjs";

export const PROMETHEUS_PORT = 19090;

/** The external label the shipped rules build their runbook links from; no gameops answers there. */
const GAMEOPS_URL = "http://127.0.0.1:7070";

/** The repository's rule files (rules/*.yml; their tests in rules/tests/ are promtool's). */
const rulesDir = join(import.meta.dirname, "..", "..", "rules");

/**
 * The shipped rules, copied into the service's folder: their content is then part of the
 * daemon's fingerprint, so a changed rule restarts Prometheus with it (a rule_files path into the
 * repository would keep the old rules loaded), and clones with the same rules share one
 * Prometheus instead of restarting it for each other.
 */
function shippedRules(dir) {
  mkdirSync(dir, { recursive: true });
  const files = {};
  for (const entry of readdirSync(rulesDir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.isFile() && /\.ya?ml$/.test(entry.name)) files[join(dir, entry.name)] = readFileSync(join(rulesDir, entry.name), "utf8");
  }
  // A rule file removed from the repository must not stay loaded from an old copy.
  for (const name of readdirSync(dir)) if (!(join(dir, name) in files)) rmSync(join(dir, name), { recursive: true, force: true });
  return files;
}

// Scrapes only itself, and evaluates gameops' shipped rules (test/rules/ reads their state from
// /api/v1/rules). Deliberately not wired to our Alertmanager: the alerts tests rely on an
// Alertmanager that holds only the alerts tests post — so the always-firing Watchdog, and
// GameServerAbsent (no game server is scraped here), fire in this Prometheus and go nowhere.
const config = `# Written by gameops scripts/test-services.mjs; rewritten on every run.
global:
  scrape_interval: 5s
  evaluation_interval: 5s
  external_labels:
    gameops_url: ${GAMEOPS_URL}
rule_files:
  - rules/*.yml
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
    files: { [configFile]: config, ...shippedRules(join(dir, "rules")) },
    host: "127.0.0.1",
    port: PROMETHEUS_PORT,
    answers: () => httpOk(`${url}/-/ready`),
  });
  return { status, service: { url, program, log: join(dir, "prometheus.log") } };
}
