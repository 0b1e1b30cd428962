import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/open-store.js";
import type { CheckRunRecord } from "../../src/store/store.js";
import { runCli } from "./run-cli.js";
import { eventually, startUp, stop, stopAll, type Up } from "./up-process.js";

afterEach(stopAll);

async function api<T>(up: Up, token: string, path: string): Promise<T> {
  const response = await fetch(`${up.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

describe("gameops up", () => {
  it("serves the API, runs a first check, and the CLI drives it remotely", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "gameops-up-"));
    const up = await startUp(cwd, { GAMEOPS_REDIS_URL: "redis://127.0.0.1:6379" });
    expect(up.adminToken).toMatch(/^gmo_[A-Za-z0-9_-]{43}$/);
    expect(await (await fetch(`${up.url}/healthz`)).json()).toEqual({ status: "ok", store: "sqlite" });
    expect((await fetch(`${up.url}/api/checks/latest`)).status).toBe(401);

    const runs = await eventually(async () => {
      const { runs: list } = await api<{ runs: CheckRunRecord[] }>(up, up.adminToken!, "/api/checks/runs?limit=5");
      return list.length > 0 ? list : undefined;
    });
    expect(runs[0]!.trigger).toBe("startup");
    expect(runs[0]!.checks.find((c) => c.name === "redis")!.status).not.toBe("skipped");

    const remote = { GAMEOPS_URL: up.url, GAMEOPS_TOKEN: up.adminToken! };
    expect((await runCli(["team", "add", "live-ops", "--name", "Live Ops"], remote)).code).toBe(0);
    expect((await runCli(["people", "add", "mina", "--name", "Mina Park", "--team", "live-ops", "--title", "lead"], remote)).code).toBe(0);
    const created = await runCli(["token", "create", "--person", "mina", "--role", "responder", "--json"], remote);
    expect(created.code).toBe(0);
    const minaToken = JSON.parse(created.stdout).token as string;

    const checked = await runCli(["check", "--only", "redis,disk", "--json"], { GAMEOPS_URL: up.url, GAMEOPS_TOKEN: minaToken });
    const report = JSON.parse(checked.stdout);
    expect(checked.code).toBe({ ok: 0, warning: 1, critical: 2, unknown: 3 }[report.status as string]);
    expect(report.checks.map((c: { name: string }) => c.name)).toEqual(["redis", "disk"]);
    const stored = await api<CheckRunRecord>(up, up.adminToken!, `/api/checks/runs/${report.runId}`);
    expect(stored).toMatchObject({ trigger: "cli", requestedBy: "mina" });

    const denied = await runCli(["token", "create", "--person", "mina", "--role", "admin"], { GAMEOPS_URL: up.url, GAMEOPS_TOKEN: minaToken });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/^gameops: POST \/api\/tokens: 403 /);
    expect(up.output()).not.toContain(minaToken);

    expect(await stop(up.child)).toBe(0);
  });

  it("runs a daily check missed while it was down once at start, and prints the admin token only the first time", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "gameops-missed-"));
    const first = await startUp(cwd, { GAMEOPS_DISK_PATHS: "/" });
    const token = first.adminToken!;
    await eventually(async () => ((await api<{ runs: CheckRunRecord[] }>(first, token, "/api/checks/runs")).runs.length > 0 ? true : undefined));
    expect(await stop(first.child)).toBe(0);

    // Down over a 09:00: the timer's time passed while nothing ran.
    const store = await openStore({ dataDir: join(cwd, ".gameops") });
    await store.timers.schedule({ kind: "daily-check", key: "daily-check", dueAt: new Date(Date.now() - 2 * 86_400_000), payload: {} });
    await store.close();

    const second = await startUp(cwd, { GAMEOPS_DISK_PATHS: "/" });
    expect(second.adminToken).toBeUndefined();
    const scheduled = await eventually(async () => {
      const { runs } = await api<{ runs: CheckRunRecord[] }>(second, token, "/api/checks/runs");
      const found = runs.filter((r) => r.trigger === "schedule");
      return found.length > 0 ? found : undefined;
    });
    expect(scheduled).toHaveLength(1);
    expect(await stop(second.child)).toBe(0);

    const after = await openStore({ dataDir: join(cwd, ".gameops") });
    const timer = await after.timers.findByKey("daily-check");
    await after.close();
    expect(timer!.dueAt.getTime()).toBeGreaterThan(Date.now());
  });

  it("refuses a port in use with a clear message", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "gameops-port-"));
    const up = await startUp(cwd);
    const port = new URL(up.url).port;
    const again = await runCli(["up", "--port", port], {}, cwd);
    expect(again.code).toBe(2);
    expect(again.stderr).toBe(`gameops: port ${port} on 127.0.0.1 is in use; pick another with --port or server.port\n`);
  });
});
