/**
 * The war room's rollouts through the API: an alert naming a Deployment opens an incident, its
 * recent rollouts come from the Kubernetes API emulator (released with the real kubectl, on the
 * emulator's clock so that some releases are older than the incident's window), and a rollback
 * started from the war room runs the rollback-deployment runbook, approved by a second person.
 */
import { execFile } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerRolloutRoutes } from "../../src/api/routes/rollout-routes.js";
import { ApiRoutes } from "../../src/api/route.js";
import { RunbookExecutor, type Approver } from "../../src/engine/runbooks/executor.js";
import { stepKinds } from "../../src/engine/runbooks/steps/index.js";
import { packageRoot } from "../../src/package-root.js";
import { loadCatalog } from "../../src/runbooks/catalog.js";
import type { Role } from "../../src/store/store.js";
import { deployment, node, startKubernetesEmulator, type KubernetesEmulator } from "../k8s-emulator/index.js";
import { alertmanagerPayload, eventually, intakeToken, startPagingServer, type PagingServer } from "../paging/paging-server.js";

const namespace = "live";
const hour = 3_600_000;
const image = (version: string) => `registry.example.com/game-server:${version}`;

interface War {
  server: PagingServer;
  executor: RunbookExecutor;
  errors: Error[];
  close(): Promise<void>;
}

/** The paging server of the incident tests, with the rollout routes and a runbook executor beside it. */
async function openWar(env: Record<string, string>): Promise<War> {
  const server = await startPagingServer(
    {
      routes: [{ match: { alertname: "KubeDeploymentReplicasMismatch" }, declare: "P2" }],
      defaultPolicy: "ops",
      policies: [{ id: "ops", levels: [{ after: "0s", notify: [{ schedule: "ops" }] }] }],
      schedules: [{ id: "ops", timeZone: "UTC", layers: [{ name: "weekly", people: ["mina"], start: "2026-01-05", handoff: { day: "monday", time: "10:00" } }] }],
    },
    env,
  );
  const errors: Error[] = [];
  const executor = new RunbookExecutor({ store: server.store, config: server.config, stepKinds, onError: (error) => errors.push(error) });
  const catalog = loadCatalog({ builtIn: join(packageRoot(), "src", "runbooks") });
  // Before the first request: Fastify takes no routes once it is ready.
  registerRolloutRoutes(new ApiRoutes(server.app, server.store), { store: server.store, config: server.config, incidents: server.incidents, executor, catalog: () => catalog });
  await server.store.people.upsertTeam({ id: "live-ops", name: "Live Ops" });
  for (const id of ["mina", "joon", "sora"]) await server.store.people.upsertPerson({ id, name: id, teamId: "live-ops", titles: [] });
  return {
    server,
    executor,
    errors,
    async close() {
      await executor.stop();
      await server.close();
      expect(errors).toEqual([]);
    },
  };
}

async function tokenOf(war: War, personId: string, role: Role): Promise<{ token: string; approver: Approver }> {
  const { token } = await war.server.store.tokens.create({ personId, role, label: `${personId}'s laptop` });
  return { token, approver: { personId, role } };
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("the war room's rollouts", () => {
  let emulator: KubernetesEmulator;
  let war: War;
  /** How far the emulator's clock is behind: releases made "days ago". */
  let behind = 0;

  const kubectl = async (args: string[]) =>
    (await promisify(execFile)("kubectl", ["--kubeconfig", emulator.kubeconfigPath, "--cache-dir", emulator.cacheDir, "--namespace", namespace, ...args], { timeout: 60_000 })).stdout;
  const release = async (version: string) => {
    await kubectl(["set", "image", "deployment/game-server", `game-server=${image(version)}`]);
    await kubectl(["annotate", "deployment/game-server", `kubernetes.io/change-cause=release ${version}`, "--overwrite"]);
    await kubectl(["rollout", "status", "deployment/game-server", "--timeout=60s"]);
    await emulator.idle();
  };
  const rollouts = async (ref: number | string, token?: string) => war.server.request("GET", `/api/incidents/${ref}/rollouts`, undefined, token);

  beforeAll(async () => {
    behind = 3 * 24 * hour;
    emulator = await startKubernetesEmulator({
      rolloutDelayMs: 100,
      now: () => new Date(Date.now() - behind),
      objects: [
        node("node-a", { cpu: "8", memory: "32Gi" }),
        deployment("game-server", { namespace, replicas: 2, labels: { app: "game-server" }, containers: [{ name: "game-server", image: image("1.0.0") }] }),
        deployment("lobby", { namespace, replicas: 1 }),
      ],
    });
    await release("1.1.0");
    behind = 2 * hour;
    await release("1.2.0");
    behind = 0;
    war = await openWar({ GAMEOPS_KUBECONFIG: emulator.kubeconfigPath, GAMEOPS_K8S_NAMESPACE: namespace });
  });

  afterAll(async () => {
    await war?.close();
    await emulator?.close();
  });

  let incident: number;

  it("lists the rollouts of the deployment an alert names: those in the incident's window, and what rolling them back returns to", async () => {
    const alert = alertmanagerPayload("KubeDeploymentReplicasMismatch", [{ fingerprint: "game-server-replicas", labels: { namespace, deployment: "game-server" } }]);
    const page = (await war.server.request("POST", "/webhooks/alertmanager", alert, intakeToken)).json.page as number;
    const incidentId = await eventually(async () => (await war.server.request("GET", `/api/pages/${page}`)).json.page.incidentId as string | undefined, "the incident to be declared");
    incident = (await war.server.request("GET", `/api/incidents/${incidentId}`)).json.incident.number;

    const { status, json } = await rollouts(`INC-${incident}`);
    expect(status).toBe(200);
    expect(json.problem).toBeUndefined();
    expect(json.deployments).toHaveLength(1);
    const [game] = json.deployments;
    expect(game).toMatchObject({ namespace, name: "game-server" });
    // Revision 1 (three days old) is left out; 2 (as old) is what a rollback returns to.
    expect(game.revisions.map((r: any) => [r.revision, r.images, r.changeCause, r.replicas, r.current])).toEqual([
      [3, [image("1.2.0")], "release 1.2.0", 2, true],
      [2, [image("1.1.0")], "release 1.1.0", 0, false],
    ]);
    const age = (r: { createdAt: string }) => Date.now() - Date.parse(r.createdAt);
    expect(age(game.revisions[0])).toBeLessThan(24 * hour);
    expect(age(game.revisions[1])).toBeGreaterThan(24 * hour);
  });

  it("starts the rollback runbook for it, on the incident's timeline, and a second person's approval rolls it back", { timeout: 120_000 }, async () => {
    const mina = await tokenOf(war, "mina", "operator");
    const joon = await tokenOf(war, "joon", "operator");
    const started = await war.server.request("POST", `/api/incidents/${incident}/rollouts/rollback`, { namespace, deployment: "game-server" }, mina.token);
    expect(started.status).toBe(202);
    const runId = started.json.id as string;

    const events = (await war.server.request("GET", `/api/incidents/${incident}`)).json.events;
    expect(events.at(-1)).toMatchObject({ type: "incident.runbook_run", actor: "mina", data: { run: runId, runbook: "rollback-deployment", deployment: "live/game-server" } });
    expect(events.at(-1).data).not.toHaveProperty("revision");

    const waiting = await eventually(async () => {
      const detail = await war.executor.getRun(runId);
      return detail?.run.status === "waiting_approval" ? detail : undefined;
    }, "the rollback to wait for its approval");
    expect(waiting.run).toMatchObject({ runbook: "rollback-deployment", startedBy: "mina", through: "api", params: { namespace, deployment: "game-server", revision: 0, incident: `INC-${incident}` } });
    expect(waiting.approvals[0]!.prompt).toMatch(new RegExp(`^Roll deployment live/game-server back to its previous revision\\? .* Incident: INC-${incident}\\.$`));

    await war.executor.approve(runId, "confirm", joon.approver, "approve", "api");
    const done = await war.executor.runUntilBlocked(runId);
    expect(done.status).toBe("succeeded");
    expect(emulator.get("deployments", namespace, "game-server")!.spec.template.spec.containers[0].image).toBe(image("1.1.0"));

    // The restored revision is the current one now, under its new number; 1.2.0 is still in the window.
    const [game] = (await rollouts(incident)).json.deployments;
    expect(game.revisions.map((r: any) => [r.revision, r.images[0], r.current])).toEqual([
      [4, image("1.1.0"), true],
      [3, image("1.2.0"), false],
      [1, image("1.0.0"), false],
    ]);
  });

  it("rolls back to a named revision", { timeout: 120_000 }, async () => {
    const mina = await tokenOf(war, "mina", "operator");
    const sora = await tokenOf(war, "sora", "operator");
    const started = await war.server.request("POST", `/api/incidents/${incident}/rollouts/rollback`, { namespace, deployment: "game-server", revision: 3 }, mina.token);
    expect(started.status).toBe(202);
    const runId = started.json.id as string;
    expect((await war.server.request("GET", `/api/incidents/${incident}`)).json.events.at(-1).data).toEqual({ run: runId, runbook: "rollback-deployment", deployment: "live/game-server", revision: 3 });
    await eventually(async () => (await war.executor.getRun(runId))?.run.status === "waiting_approval", "the rollback to wait for its approval");
    await war.executor.approve(runId, "confirm", sora.approver, "approve", "api");
    expect((await war.executor.runUntilBlocked(runId)).status).toBe("succeeded");
    expect(emulator.get("deployments", namespace, "game-server")!.spec.template.spec.containers[0].image).toBe(image("1.2.0"));
  });

  it("refuses a deployment the incident is not about, a viewer, an unknown incident and a bad revision", async () => {
    const viewer = await tokenOf(war, "sora", "viewer");
    const operator = await tokenOf(war, "mina", "operator");
    const lobby = await war.server.request("POST", `/api/incidents/${incident}/rollouts/rollback`, { namespace, deployment: "lobby" }, operator.token);
    expect(lobby.status).toBe(400);
    expect(lobby.json.message).toBe(
      `deployment: live/lobby is not one of INC-${incident}'s deployments (live/game-server); GET /api/incidents/${incident}/rollouts lists them, and the runbook rollback-deployment rolls back any other`,
    );
    expect((await war.server.request("POST", `/api/incidents/${incident}/rollouts/rollback`, { namespace, deployment: "game-server" }, viewer.token)).status).toBe(403);
    expect((await rollouts(incident, viewer.token)).status).toBe(200);
    expect((await rollouts(999)).status).toBe(404);
    const zero = await war.server.request("POST", `/api/incidents/${incident}/rollouts/rollback`, { namespace, deployment: "game-server", revision: 0 }, operator.token);
    expect(zero.json.message).toBe("revision: must be a revision number from the rollouts list");
  });

  it("says so when the incident names no deployment", async () => {
    const { incident: quiet } = await war.server.incidents.declare({ title: "Chat is slow", severity: "P3", by: "mina", source: "api" });
    const { status, json } = await rollouts(quiet.number);
    expect(status).toBe(200);
    expect(json).toEqual({
      deployments: [],
      problem: "no deployment to look at: the incident's labels and alerts name none (labels namespace and deployment), and targets.fleet is not a Kubernetes fleet",
    });
  });

  it("answers with the problem, never a 500, when Kubernetes is not configured or cannot be reached", { timeout: 60_000 }, async () => {
    const port = await closedPort();
    const wars = [await openWar({}), await openWar({ GAMEOPS_KUBECONFIG: emulator.writeKubeconfig("down", { server: `https://127.0.0.1:${port}` }), GAMEOPS_K8S_NAMESPACE: namespace })];
    try {
      const answers = [];
      for (const other of wars) {
        const { incident: declared } = await other.server.incidents.declare({ title: "Players stuck in queue", severity: "P2", by: "mina", source: "api", labels: { namespace, deployment: "game-server" } });
        const { status, json } = await other.server.request("GET", `/api/incidents/${declared.number}/rollouts`);
        expect(status).toBe(200);
        expect(json.deployments).toEqual([{ namespace, name: "game-server", revisions: [] }]);
        answers.push(json.problem);
        if (other === wars[0]) {
          const refused = await other.server.request("POST", `/api/incidents/${declared.number}/rollouts/rollback`, { namespace, deployment: "game-server" });
          expect(refused.status).toBe(409);
          expect(refused.json.message).toBe('runbook "rollback-deployment" needs the kubernetes target: set GAMEOPS_KUBECONFIG and GAMEOPS_K8S_NAMESPACE or targets.kubernetes');
        }
      }
      expect(answers).toEqual([
        "kubernetes is not configured: set GAMEOPS_KUBECONFIG and GAMEOPS_K8S_NAMESPACE or targets.kubernetes",
        `the rollouts could not be read: reading the rollout history of deployment live/game-server: cannot reach the Kubernetes API at https://127.0.0.1:${port}: connection refused (ECONNREFUSED)`,
      ]);
    } finally {
      for (const other of wars) await other.close();
    }
  });
});
