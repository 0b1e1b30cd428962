import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { testServices } from "../services.js";
import { closedPort } from "./servers.js";

export interface PrivateAlertmanager {
  url: string;
  stop(): Promise<void>;
}

const READY_WITHIN_MS = 20_000;

/**
 * An Alertmanager of the calling test alone, for cases that need an exact set of active alerts
 * (the shared one may hold alerts of other tests or of the bench at any time). Same Debian
 * binary as the shared one, loopback, clustering off, state in a temporary directory; the
 * test stops it in afterAll.
 */
export async function startPrivateAlertmanager(): Promise<PrivateAlertmanager> {
  const dir = mkdtempSync(join(tmpdir(), "gameops-alertmanager-"));
  writeFileSync(join(dir, "alertmanager.yml"), "route:\n  receiver: nowhere\nreceivers:\n  - name: nowhere\n");
  const port = await closedPort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    testServices().alertmanager.program,
    [
      `--config.file=${join(dir, "alertmanager.yml")}`,
      `--storage.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--cluster.listen-address=",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let log = "";
  child.stderr.on("data", (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + READY_WITHIN_MS;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`private Alertmanager exited (${child.exitCode}) while starting on ${url}:\n${log}`);
    }
    try {
      const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (response.ok) return { url, stop };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`private Alertmanager did not answer on ${url} within ${READY_WITHIN_MS / 1000}s:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
