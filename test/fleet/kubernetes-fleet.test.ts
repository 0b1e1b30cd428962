/**
 * The `kubernetes` fleet against the API emulation: Deployment scale and rollout restart, the
 * maintenance_mode ConfigMap, and the pods' admin API through the API server's proxy — answered
 * by real demo game servers, one per pod (./pod-runner.ts plays the kubelet).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig, type Config } from "../../src/config/load.js";
import { Secret } from "../../src/config/secret.js";
import { FleetError } from "../../src/integrations/fleet/errors.js";
import type { GameFleet } from "../../src/integrations/fleet/fleet.js";
import { KubernetesFleet } from "../../src/integrations/fleet/kubernetes-fleet.js";
import { openFleet } from "../../src/integrations/fleet/open-fleet.js";
import { configMap, deployment, node, startKubernetesEmulator, type KubernetesEmulator } from "../k8s-emulator/index.js";
import { PodRunner } from "./pod-runner.js";
import { adminToken, alive, eventually, tempDir } from "./support.js";

const namespace = "game";
let emulator: KubernetesEmulator;
let runner: PodRunner;
let config: Config;
let fleet: GameFleet;

async function rejection(promise: Promise<unknown>): Promise<FleetError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FleetError);
  return error as FleetError;
}

const podNames = () => emulator.list("pods", namespace).map((p) => p.metadata.name as string).sort();

beforeAll(async () => {
  emulator = await startKubernetesEmulator({
    rolloutDelayMs: 100,
    objects: [
      node("node-a"),
      deployment("game-server", { namespace, replicas: 2, labels: { app: "game-server", region: "eu-1" } }),
      configMap("game-server-config", { maintenance_mode: "false" }, { namespace }),
    ],
  });
  emulator.proxy.addService({ namespace, name: "game-server", selector: { app: "game-server" }, ports: [{ name: "admin", port: 8080 }] });
  runner = new PodRunner(emulator, { namespace, selector: { app: "game-server" }, port: 8080, configMap: "game-server-config", adminToken, logDir: tempDir("k8s-pods"), initialPlayers: 2 });
  await runner.settled();

  const dir = tempDir("k8s-fleet-config");
  writeFileSync(join(dir, "gameops.yaml"), "targets:\n  fleet:\n    kind: kubernetes\n    deployment: game-server\n    configMap: game-server-config\n    service: game-server\n    adminPort: 8080\n");
  ({ config } = loadConfig({ cwd: dir, env: { GAMEOPS_KUBECONFIG: emulator.kubeconfigPath, GAMEOPS_K8S_NAMESPACE: namespace, GAMEOPS_FLEET_TOKEN: adminToken } }));
  fleet = await openFleet(config);
});

afterAll(async () => {
  await runner?.close();
  await emulator?.close();
});

describe("the kubernetes fleet", () => {
  it("is what the config names", () => {
    expect(fleet).toBeInstanceOf(KubernetesFleet);
    expect(fleet.label).toBe("deployment/game-server in namespace game");
    expect(String((config.targets.fleet as { token: unknown }).token)).toBe("<secret>");
  });

  it("reports the deployment, the maintenance switch, each pod's game server and the service", async () => {
    const status = await fleet.status();
    expect(status).toMatchObject({ kind: "kubernetes", desired: 2, players: 4, maintenance: { on: false }, service: { name: "game-server", reachable: true } });
    expect(status.servers.map((s) => s.server).sort()).toEqual(podNames());
    for (const s of status.servers) {
      expect(s.up).toBe(true);
      if (s.up) expect(s.status).toMatchObject({ server: s.server, region: "eu-1", pid: runner.processes.get(s.server)!.pid, players: 2 });
    }
  });

  it("lists sessions through the API server's proxy, with the admin token in X-Admin-Token", async () => {
    const sessions = await fleet.sessions();
    expect(sessions.count).toBe(4);
    expect(sessions.servers.map((s) => s.server).sort()).toEqual(podNames());
    const proxied = emulator.requests.filter((r) => r.path.endsWith(":8080/proxy/admin/sessions"));
    expect(proxied.map((r) => r.path).sort()).toEqual(podNames().map((p) => `/api/v1/namespaces/game/pods/${p}:8080/proxy/admin/sessions`));
    expect((await fleet.sessions({ scope: { region: "eu-1" } })).count).toBe(4);
  });

  it("turns maintenance on in the ConfigMap and on each pod; a pod started later starts in maintenance", async () => {
    const changed = await fleet.setMaintenance(true, "Back at 10:00 UTC");
    expect(changed.map((s) => s.up && [s.status.maintenance.on, s.status.players])).toEqual([
      [true, 0],
      [true, 0],
    ]);
    expect(emulator.get("configmaps", namespace, "game-server-config")!.data).toEqual({ maintenance_mode: "true", maintenance_message: "Back at 10:00 UTC" });
    expect(emulator.requests.some((r) => r.method === "PATCH" && r.path === "/api/v1/namespaces/game/configmaps/game-server-config" && r.contentType === "application/merge-patch+json")).toBe(true);
    expect((await fleet.sessions()).count).toBe(0);

    const scaled = await fleet.scale(3);
    expect(scaled).toMatchObject({ from: 2, to: 3 });
    await runner.settled();
    const status = await fleet.status();
    expect(status.maintenance).toEqual({ on: true, message: "Back at 10:00 UTC" });
    expect(status.servers.map((s) => s.up && s.status.maintenance)).toEqual([
      expect.objectContaining({ on: true, message: "Back at 10:00 UTC" }),
      expect.objectContaining({ on: true, message: "Back at 10:00 UTC" }),
      expect.objectContaining({ on: true, message: "Back at 10:00 UTC" }),
    ]);

    await fleet.setMaintenance(false);
    expect(emulator.get("configmaps", namespace, "game-server-config")!.data).toEqual({ maintenance_mode: "false" });
    expect((await fleet.status()).servers.every((s) => s.up && !s.status.maintenance.on)).toBe(true);
  });

  it("scales the Deployment through its scale subresource", async () => {
    const scaled = await fleet.scale(2);
    expect(scaled).toMatchObject({ from: 3, to: 2 });
    expect(scaled.servers).toHaveLength(2);
    expect(emulator.get("deployments", namespace, "game-server")!.spec.replicas).toBe(2);
    expect(emulator.requests.some((r) => r.method === "PATCH" && r.path === "/apis/apps/v1/namespaces/game/deployments/game-server/scale" && r.contentType === "application/merge-patch+json")).toBe(true);
    await runner.settled();
    expect(runner.processes.size).toBe(2);
  });

  it("restarts the fleet with a rollout restart: new pods, new processes", async () => {
    await runner.settled();
    const before = podNames();
    const oldPids = before.map((p) => runner.processes.get(p)!.pid);
    const restarted = await fleet.restart(undefined);
    expect(restarted.before.map((m) => m.server).sort()).toEqual(before);
    expect(restarted.after).toHaveLength(2);
    for (const m of restarted.after) expect(before).not.toContain(m.server);
    const template = emulator.get("deployments", namespace, "game-server")!.spec.template;
    expect(template.metadata.annotations["kubectl.kubernetes.io/restartedAt"]).toMatch(/^\d{4}-\d\d-\d\dT/);
    await runner.settled();
    const status = await fleet.status();
    expect(status.servers.map((s) => s.server).sort()).toEqual(restarted.after.map((m) => m.server).sort());
    for (const s of status.servers) expect(oldPids).not.toContain(s.up ? s.status.pid : undefined);
    await eventually(() => (oldPids.some(alive) ? undefined : true), "the old pods' processes to be gone");
  });

  it("restarts one pod by deleting it: its ReplicaSet starts another", async () => {
    await runner.settled();
    const [victim, other] = podNames();
    const restarted = await fleet.restart(victim);
    expect(restarted.before.map((m) => m.server)).toEqual([victim]);
    expect(restarted.after).toHaveLength(1);
    expect([victim, other]).not.toContain(restarted.after[0]!.server);
    expect(podNames()).toContain(other);
    expect(podNames()).not.toContain(victim);
  });

  it("profiles a pod's game server through the proxy", async () => {
    await runner.settled();
    const [pod] = podNames();
    await fleet.inject(pod!, "cpu-burn", 3000);
    const { profile } = await fleet.profile(pod!, 800);
    expect(Array.isArray(profile.nodes)).toBe(true);
    await fleet.inject(pod!, "none", 0);
  });

  it("says what the API server said when a pod or the service cannot be reached", async () => {
    await runner.settled();
    const [pod] = podNames();
    const process = runner.processes.get(pod!)!;
    // The process dies but the pod stays Running: the API server cannot dial it.
    await process.stop();
    const status = await fleet.status({ scope: { server: pod! } });
    expect(status.servers[0]).toMatchObject({ up: false });
    expect(status.servers[0]!.up === false && status.servers[0]!.problem).toMatch(
      new RegExp(`^reading the status of ${pod}: error trying to reach service: dial tcp 10\\.244\\.\\d+\\.\\d+:8080: connect: connection refused$`),
    );
    const error = await rejection(fleet.sessions({ scope: { server: pod! } }));
    expect(error).toMatchObject({ failure: "unavailable", retryable: true });

    const unknown = await rejection(fleet.inject("game-server-nope", "cpu-burn", 1000));
    expect(unknown.message).toBe(`no server "game-server-nope" in deployment/game-server in namespace game; it has ${podNames().join(", ")}`);

    await fleet.scale(0);
    const empty = await fleet.status();
    expect(empty.service).toEqual({ name: "game-server", reachable: false, problem: 'no endpoints available for service "game-server"' });
  });

  it("refuses a wrong admin token with the fix", async () => {
    await fleet.scale(1);
    await runner.settled();
    const target = config.targets.fleet as Extract<NonNullable<Config["targets"]["fleet"]>, { kind: "kubernetes" }>;
    const wrong = new KubernetesFleet({ ...target, token: new Secret("wrong") }, { kubeconfig: emulator.kubeconfigPath, namespace });
    const error = await rejection(wrong.sessions());
    expect(error).toMatchObject({ failure: "unauthorized", retryable: false });
    expect(error.message).toMatch(/^listing the sessions of game-server-\w+-\w+: the admin token was refused; set GAMEOPS_FLEET_TOKEN or targets\.fleet\.tokenFile to the fleet's admin token$/);
    expect(runner.errors).toEqual([]);
    expect(emulator.controllerErrors).toEqual([]);
  });
});
