/**
 * A deployment's rollout history through the client-node adapter, against the emulator driven by
 * the real kubectl: two releases (each with its change-cause), a rollback, and what `kubectl
 * rollout history` says about the same replica sets.
 */
import { execFile } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KubernetesError, type KubernetesCluster } from "../../src/integrations/kubernetes/cluster.js";
import { openKubernetesCluster } from "../../src/integrations/kubernetes/client-node-cluster.js";
import { deployment, node, startKubernetesEmulator, type KubernetesEmulator } from "../k8s-emulator/index.js";

const namespace = "live";
const image = (version: string) => `registry.example.com/game-server:${version}`;
let emulator: KubernetesEmulator;
let cluster: KubernetesCluster;

function kubectl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.env.KUBECTL ?? "kubectl",
      [`--kubeconfig=${emulator.kubeconfigPath}`, `--cache-dir=${emulator.cacheDir}`, "--request-timeout=10s", `--namespace=${namespace}`, ...args],
      { timeout: 30_000, env: { PATH: process.env.PATH, HOME: emulator.cacheDir } },
      (error, stdout, stderr) => (error ? reject(new Error(`kubectl ${args.join(" ")}: ${stderr || error.message}`)) : resolve(stdout)),
    );
  });
}

/** A release as a team makes one: the new image, then why (kubectl's --record is gone). */
async function release(version: string, cause: string) {
  await kubectl(["set", "image", "deployment/game-server", `game-server=${image(version)}`]);
  await kubectl(["annotate", "deployment/game-server", `kubernetes.io/change-cause=${cause}`, "--overwrite"]);
  await kubectl(["rollout", "status", "deployment/game-server", "--timeout=30s"]);
  await emulator.idle();
}

/** `kubectl rollout history` as [revision, change-cause] rows. */
async function kubectlHistory(): Promise<string[][]> {
  const lines = (await kubectl(["rollout", "history", "deployment/game-server"])).trim().split("\n");
  expect(lines[0]).toBe("deployment.apps/game-server ");
  expect(lines[1]).toMatch(/^REVISION\s+CHANGE-CAUSE$/);
  return lines.slice(2).map((line) => {
    const [, revision, cause] = /^(\d+)\s+(.*)$/.exec(line.trim())!;
    return [revision!, cause!];
  });
}

const creationTimes = async () =>
  new Map<string, string>(
    (JSON.parse(await kubectl(["get", "replicasets", "-l", "app=game-server", "-o", "json"])).items as any[]).map((rs) => [
      rs.metadata.annotations["deployment.kubernetes.io/revision"],
      rs.metadata.creationTimestamp,
    ]),
  );

beforeAll(async () => {
  const launched = deployment("game-server", { namespace, replicas: 2, labels: { app: "game-server" }, containers: [{ name: "game-server", image: image("1.0.0") }] });
  launched.metadata.annotations = { "kubernetes.io/change-cause": "launch" };
  emulator = await startKubernetesEmulator({
    rolloutDelayMs: 100,
    objects: [
      node("node-a", { cpu: "8", memory: "32Gi" }),
      launched,
      deployment("lobby", { namespace, replicas: 1 }),
      // Matches the game servers' selector but belongs to no deployment: history leaves it out.
      {
        apiVersion: "apps/v1",
        kind: "ReplicaSet",
        metadata: { name: "game-server-by-hand", namespace, labels: { app: "game-server" }, annotations: { "deployment.kubernetes.io/revision": "9" } },
        spec: { replicas: 0, selector: { matchLabels: { app: "game-server", copy: "by-hand" } }, template: { metadata: { labels: { app: "game-server", copy: "by-hand" } }, spec: { containers: [{ name: "game-server", image: image("0.9.0") }] } } },
      },
    ],
  });
  cluster = openKubernetesCluster({ kubeconfig: emulator.kubeconfigPath }, { timeoutMs: 10_000 });
});

afterAll(async () => {
  await emulator?.close();
});

describe("rolloutHistory", () => {
  it("lists a deployment that was never rolled out as its one current revision", async () => {
    const [only, ...rest] = await cluster.rolloutHistory(namespace, "lobby");
    expect(rest).toEqual([]);
    expect(only).toEqual({ revision: 1, createdAt: expect.any(Date), images: ["registry.example.com/lobby:1.0.0"], replicas: 1, current: true });
  });

  it("lists the revisions of a deployment rolled out twice, newest first, as kubectl does", async () => {
    await release("1.1.0", "1.1.0: matchmaking v7");
    await release("1.2.0", "1.2.0: new shop");

    const history = await cluster.rolloutHistory(namespace, "game-server");
    expect(history.map(({ createdAt: _, ...r }) => r)).toEqual([
      { revision: 3, images: [image("1.2.0")], changeCause: "1.2.0: new shop", replicas: 2, current: true },
      { revision: 2, images: [image("1.1.0")], changeCause: "1.1.0: matchmaking v7", replicas: 0, current: false },
      { revision: 1, images: [image("1.0.0")], changeCause: "launch", replicas: 0, current: false },
    ]);
    const created = await creationTimes();
    for (const r of history) expect(r.createdAt).toEqual(new Date(created.get(String(r.revision))!));
    expect(await kubectlHistory()).toEqual(history.map((r) => [String(r.revision), r.changeCause]).reverse());
  });

  it("after a rollback, shows the restored replica set under a new number with its own change-cause and first creation time", async () => {
    const before = await cluster.rolloutHistory(namespace, "game-server");
    // 0 is the previous revision, as kubectl's --to-revision=0.
    expect(await cluster.undoRollout(namespace, "game-server", 0)).toEqual({ from: 3, to: 2, skipped: false });
    await kubectl(["rollout", "status", "deployment/game-server", "--timeout=30s"]);
    await emulator.idle();

    const history = await cluster.rolloutHistory(namespace, "game-server");
    expect(history.map((r) => [r.revision, r.images[0], r.changeCause, r.replicas, r.current])).toEqual([
      [4, image("1.1.0"), "1.1.0: matchmaking v7", 2, true],
      [3, image("1.2.0"), "1.2.0: new shop", 0, false],
      [1, image("1.0.0"), "launch", 0, false],
    ]);
    expect(history[0]!.createdAt).toEqual(before.find((r) => r.revision === 2)!.createdAt);
    expect(await kubectlHistory()).toEqual([
      ["1", "launch"],
      ["3", "1.2.0: new shop"],
      ["4", "1.1.0: matchmaking v7"],
    ]);
    expect(emulator.controllerErrors).toEqual([]);
  });

  it("names a deployment that does not exist", async () => {
    const error = await cluster.rolloutHistory(namespace, "matchmaker").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubernetesError);
    expect(error).toMatchObject({ kind: "not-found", retryable: false, message: `reading the rollout history of deployment ${namespace}/matchmaker: deployments.apps "matchmaker" not found` });
  });
});
