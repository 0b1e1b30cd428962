import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parse, stringify } from "yaml";
import { closedPort } from "../alerts/servers.js";
import { testServices } from "../services.js";

export const shippedRules = resolve(import.meta.dirname, "../../rules/gameops.rules.yml");

/** A scrape target of the job game-server: up while it listens, down once closed. */
export interface GameTarget {
  address: string;
  stop(): Promise<void>;
}

export async function gameTarget(players = 25): Promise<GameTarget> {
  const server: Server = createServer((_request, response) => {
    response.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(`# TYPE players_online gauge\nplayers_online ${players}\n`);
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as { port: number };
  return {
    address: `127.0.0.1:${port}`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    },
  };
}

export interface AlertingStack {
  prometheusUrl: string;
  alertmanagerUrl: string;
  logs(): string;
  stop(): Promise<void>;
}

/**
 * Prometheus and Alertmanager from Debian (installed by scripts/test-services.mjs), private to
 * the calling test: Prometheus evaluates the shipped rules plus a `for: 10s` copy of ServerDown
 * and sends to this Alertmanager, whose only receiver is gameops's webhook with a bearer token
 * read from a file, as a real deployment would configure it.
 */
export async function startAlertingStack(options: { gameopsUrl: string; tokenFile: string; targets: string[] }): Promise<AlertingStack> {
  const dir = mkdtempSync(join(tmpdir(), "gameops-alerting-"));
  const [promPort, amPort] = [await closedPort(), await closedPort()];
  const children: ChildProcess[] = [];
  let log = "";

  const rules = parse(readFileSync(shippedRules, "utf8")) as { groups: { rules: { alert?: string; for?: string }[] }[] };
  const serverDown = rules.groups.flatMap((g) => g.rules).find((r) => r.alert === "ServerDown");
  if (!serverDown) throw new Error(`${shippedRules} has no ServerDown rule`);
  writeFileSync(join(dir, "fast.rules.yml"), stringify({ groups: [{ name: "test-fast", rules: [{ ...serverDown, for: "10s" }] }] }));
  writeFileSync(
    join(dir, "prometheus.yml"),
    stringify({
      global: { scrape_interval: "1s", evaluation_interval: "1s", external_labels: { gameops_url: options.gameopsUrl } },
      rule_files: [shippedRules, join(dir, "fast.rules.yml")],
      alerting: { alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${amPort}`] }] }] },
      scrape_configs: [{ job_name: "game-server", scrape_timeout: "500ms", static_configs: [{ targets: options.targets }] }],
    }),
  );
  writeFileSync(
    join(dir, "alertmanager.yml"),
    stringify({
      route: { receiver: "gameops", group_by: ["alertname", "instance"], group_wait: "1s", group_interval: "2s", repeat_interval: "1h" },
      receivers: [
        {
          name: "gameops",
          webhook_configs: [
            {
              url: `${options.gameopsUrl}/webhooks/alertmanager`,
              send_resolved: true,
              http_config: { authorization: { type: "Bearer", credentials_file: options.tokenFile } },
            },
          ],
        },
      ],
    }),
  );

  const start = (program: string, args: string[]) => {
    const child = spawn(program, args, { stdio: ["ignore", "ignore", "pipe"] });
    child.stderr!.on("data", (chunk: Buffer) => (log = (log + chunk.toString()).slice(-20_000)));
    children.push(child);
  };
  const services = testServices();
  start(services.alertmanager.program, [
    `--config.file=${join(dir, "alertmanager.yml")}`,
    `--storage.path=${join(dir, "am-data")}`,
    `--web.listen-address=127.0.0.1:${amPort}`,
    "--cluster.listen-address=",
  ]);
  start(services.prometheus.program, [
    `--config.file=${join(dir, "prometheus.yml")}`,
    `--storage.tsdb.path=${join(dir, "prom-data")}`,
    `--web.listen-address=127.0.0.1:${promPort}`,
  ]);

  const stop = async () => {
    await Promise.all(
      children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((done) => child.once("exit", done));
        child.kill("SIGTERM");
        await exited;
      }),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  const stack = { prometheusUrl: `http://127.0.0.1:${promPort}`, alertmanagerUrl: `http://127.0.0.1:${amPort}`, logs: () => log, stop };
  try {
    for (const url of [stack.alertmanagerUrl, stack.prometheusUrl]) await ready(url, children, () => log);
  } catch (error) {
    await stop();
    throw error;
  }
  return stack;
}

async function ready(url: string, children: ChildProcess[], log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const dead = children.find((c) => c.exitCode !== null);
    if (dead) throw new Error(`${dead.spawnfile} exited (${dead.exitCode}):\n${log()}`);
    try {
      const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} was not ready within 30 s:\n${log()}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}
