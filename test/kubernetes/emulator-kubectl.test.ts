/**
 * Keeps the Kubernetes API emulation honest: the real kubectl drives every path gameops uses and
 * must see what it would see against a cluster. kubectl only ever gets `--kubeconfig` (the token
 * stays in the file, never on argv).
 */
import { execFile } from "node:child_process";
import { request } from "node:https";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  configMap,
  deployment,
  horizontalPodAutoscaler,
  node,
  nodeMetrics,
  pod,
  podMetrics,
  secret,
  startKubernetesEmulator,
  type KubernetesEmulator,
} from "../k8s-emulator/index.js";

const kubectlPath = process.env.KUBECTL ?? "kubectl";
const hour = 3_600_000;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let emulator: KubernetesEmulator;

function kubectl(args: string[], kubeconfig = emulator.kubeconfigPath): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(
      kubectlPath,
      [`--kubeconfig=${kubeconfig}`, `--cache-dir=${emulator.cacheDir}`, "--request-timeout=10s", ...args],
      { timeout: 30_000, env: { PATH: process.env.PATH, HOME: emulator.cacheDir } },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== "number") return reject(error);
        resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
  });
}

async function ok(args: string[]): Promise<string> {
  const run = await kubectl(args);
  if (run.code !== 0) throw new Error(`kubectl ${args.join(" ")} exited ${run.code}: ${run.stderr}`);
  return run.stdout;
}

const json = async (args: string[]) => JSON.parse(await ok([...args, "-o", "json"]));

/** `kubectl get` table output as rows of cells, header first. */
const rows = (text: string) =>
  text
    .trim()
    .split("\n")
    .map((line) => line.trim().split(/\s{2,}/));

beforeAll(async () => {
  const now = Date.now();
  emulator = await startKubernetesEmulator({
    rolloutDelayMs: 200,
    objects: [
      node("node-a", { cpu: "4", memory: "16Gi", roles: ["control-plane"], internalIP: "172.18.0.2" }),
      node("node-b", { cpu: "8", memory: "32Gi", internalIP: "172.18.0.3" }),
      deployment("game", { replicas: 2, containers: [{ name: "game-server", image: "registry.example.com/game:1.4.2" }] }),
      pod("worker-0", {
        labels: { app: "worker" },
        node: "node-a",
        containers: [{ name: "worker", restarts: 3, lastTerminatedAt: new Date(now - hour) }],
      }),
      pod("worker-1", {
        labels: { app: "worker" },
        node: "node-b",
        containers: [{ name: "worker", state: "waiting", reason: "CrashLoopBackOff", ready: false, restarts: 12, lastTerminatedAt: new Date(now - 2 * hour - 10_000) }],
      }),
      pod("lobby-0", { labels: { app: "lobby" }, node: "node-b", containers: [{ name: "lobby" }, { name: "envoy" }] }),
      configMap("game-config", { "max-players": "100", motd: "welcome" }),
      secret("db-credentials", { username: "game", password: "s3cret" }),
      horizontalPodAutoscaler("game", { target: "game", min: 2, max: 10, cpuTargetPct: 70, cpuCurrentPct: 45 }),
      nodeMetrics("node-a", { cpu: "1650m", memory: "10Gi" }),
      nodeMetrics("node-b", { cpu: "2000000000n", memory: "8388608Ki" }),
      podMetrics("worker-0", { containers: [{ name: "worker", cpu: "250m", memory: "512Mi" }] }),
      podMetrics("lobby-0", { containers: [{ name: "lobby", cpu: "100m", memory: "128Mi" }, { name: "envoy", cpu: "5m", memory: "32Mi" }] }),
    ],
    logs: [
      {
        pod: "worker-0",
        lines: [
          { time: new Date(now - 2 * hour), text: "INFO worker started" },
          { time: new Date(now - 30 * 60_000), text: "ERROR match 17 lost its host" },
          { time: new Date(now - 60_000), text: "INFO match 18 created" },
        ],
      },
      { pod: "lobby-0", container: "lobby", lines: [{ time: new Date(now - 60_000), text: "lobby listening on :7777" }] },
      { pod: "lobby-0", container: "envoy", lines: [{ time: new Date(now - 60_000), text: "envoy ready" }] },
    ],
  });
  const version = await kubectl(["version", "--client"]).catch((error: Error) => {
    throw new Error(`kubectl is needed for these tests (${error.message}); install it (Debian: kubernetes-client) or set KUBECTL`);
  });
  expect(version.code).toBe(0);
});

afterAll(async () => {
  await emulator?.close();
});

describe("discovery", () => {
  it("tells kubectl the server version and every served resource", async () => {
    const version = await json(["version"]);
    expect(version.serverVersion.gitVersion).toBe("v1.32.4");
    const names = (await ok(["api-resources", "-o", "name"])).trim().split("\n");
    expect(names).toEqual(
      expect.arrayContaining([
        "pods",
        "nodes",
        "configmaps",
        "secrets",
        "events",
        "namespaces",
        "deployments.apps",
        "replicasets.apps",
        "horizontalpodautoscalers.autoscaling",
        "nodes.metrics.k8s.io",
        "pods.metrics.k8s.io",
      ]),
    );
  });

  it("answers an aggregated-discovery request with the legacy form, which kubectl accepted", async () => {
    const aggregated = emulator.requests.find((r) => r.path === "/api" && r.accept?.includes("as=APIGroupDiscoveryList"));
    expect(aggregated?.accept).toContain("application/json");
    const kubeconfig = parse(readFileSync(emulator.kubeconfigPath, "utf8"));
    const ca = Buffer.from(kubeconfig.clusters[0].cluster["certificate-authority-data"], "base64");
    const answer = await new Promise<{ type: string | undefined; body: any }>((resolve, reject) => {
      const req = request(
        `${emulator.url}/apis`,
        { ca, headers: { authorization: `Bearer ${kubeconfig.users[0].user.token}`, accept: aggregated!.accept! } },
        (res) => {
          let body = "";
          res.on("data", (c) => (body += c));
          res.on("end", () => resolve({ type: res.headers["content-type"], body: JSON.parse(body) }));
        },
      );
      req.on("error", reject);
      req.end();
    });
    expect(answer.type).toBe("application/json");
    expect(answer.body.kind).toBe("APIGroupList");
    expect(answer.body.groups.map((g: any) => g.name)).toEqual(["apps", "autoscaling", "metrics.k8s.io"]);
  });
});

describe("kubectl get", () => {
  it("prints pods as the server's table, with status reasons and restart ages", async () => {
    const table = rows(await ok(["get", "pods", "-l", "app in (worker,lobby)"]));
    expect(table[0]).toEqual(["NAME", "READY", "STATUS", "RESTARTS", "AGE"]);
    expect(table.slice(1)).toEqual([
      ["lobby-0", "2/2", "Running", "0", "2d"],
      ["worker-0", "1/1", "Running", "3 (60m ago)", "2d"],
      ["worker-1", "0/1", "CrashLoopBackOff", "12 (120m ago)", "2d"],
    ]);
    const wide = rows(await ok(["get", "pods", "worker-0", "-o", "wide"]));
    expect(wide[0]).toEqual(["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE", "READINESS GATES"]);
    expect(wide[1]?.[6]).toBe("node-a");
    expect(emulator.requests.some((r) => r.path === "/api/v1/namespaces/default/pods" && r.accept?.includes("as=Table"))).toBe(true);
  });

  it("gets pods as JSON, filtered by label selector", async () => {
    const list = await json(["get", "pods", "-l", "app=worker"]);
    expect(list.items.map((p: any) => p.metadata.name)).toEqual(["worker-0", "worker-1"]);
    const crashing = list.items[1];
    expect(crashing.status.containerStatuses[0].state.waiting.reason).toBe("CrashLoopBackOff");
    expect(crashing.status.conditions.find((c: any) => c.type === "Ready").status).toBe("False");
    expect(Number(crashing.metadata.resourceVersion)).toBeGreaterThan(0);
  });

  it("gets nodes as a table and as JSON", async () => {
    expect(rows(await ok(["get", "nodes"]))).toEqual([
      ["NAME", "STATUS", "ROLES", "AGE", "VERSION"],
      ["node-a", "Ready", "control-plane", "30d", "v1.32.4"],
      ["node-b", "Ready", "<none>", "30d", "v1.32.4"],
    ]);
    const nodes = await json(["get", "nodes"]);
    expect(nodes.items[1].status.allocatable).toMatchObject({ cpu: "8", memory: "32Gi" });
  });

  it("gets deployments, replica sets, config maps, secrets and autoscalers", async () => {
    const game = rows(await ok(["get", "deployment", "game"]));
    expect(game[1]?.slice(0, 4)).toEqual(["game", "2/2", "2", "2"]);
    const deploy = await json(["get", "deployment", "game"]);
    expect(deploy.status).toMatchObject({ observedGeneration: 1, replicas: 2, readyReplicas: 2, availableReplicas: 2 });
    const rs = await json(["get", "replicasets", "-l", "app=game"]);
    expect(rs.items).toHaveLength(1);
    expect(rs.items[0].metadata.ownerReferences[0]).toMatchObject({ kind: "Deployment", name: "game", uid: deploy.metadata.uid });

    expect(rows(await ok(["get", "configmap", "game-config"]))[1]?.slice(0, 2)).toEqual(["game-config", "2"]);
    expect((await json(["get", "configmap", "game-config"])).data).toEqual({ "max-players": "100", motd: "welcome" });

    expect(rows(await ok(["get", "secret", "db-credentials"]))[1]?.slice(0, 3)).toEqual(["db-credentials", "Opaque", "2"]);
    const creds = await json(["get", "secret", "db-credentials"]);
    expect(Buffer.from(creds.data.password, "base64").toString()).toBe("s3cret");

    expect(rows(await ok(["get", "hpa"]))).toEqual([
      ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"],
      expect.arrayContaining(["game", "Deployment/game", "cpu: 45%/70%", "2", "10", "2"]),
    ]);
    expect((await json(["get", "hpa", "game"])).apiVersion).toBe("autoscaling/v2");
  });

  it("says NotFound, Forbidden and Unauthorized as a real API server does", async () => {
    const missing = await kubectl(["get", "configmap", "nope"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Error from server (NotFound): configmaps "nope" not found');

    const allow = emulator.deny({ verb: "list", resource: "secrets" });
    const denied = await kubectl(["get", "secrets"]);
    allow();
    expect(denied.stderr).toContain(
      'Error from server (Forbidden): secrets is forbidden: User "gameops" cannot list resource "secrets" in API group "" in the namespace "default"',
    );

    const wrongToken = emulator.writeKubeconfig("wrong-token", { token: "not-the-token" });
    const unauthorized = await kubectl(["get", "pods"], wrongToken);
    expect(unauthorized.stderr).toContain("You must be logged in to the server (Unauthorized)");
  });
});

describe("kubectl top", () => {
  it("shows node usage against allocatable", async () => {
    expect(rows(await ok(["top", "nodes"]))).toEqual([
      ["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"],
      ["node-a", "1650m", "41%", "10240Mi", "62%"],
      ["node-b", "2000m", "25%", "8192Mi", "25%"],
    ]);
  });

  it("shows pod usage, by label and per container", async () => {
    expect(rows(await ok(["top", "pods", "-l", "app=worker"]))).toEqual([
      ["NAME", "CPU(cores)", "MEMORY(bytes)"],
      ["worker-0", "250m", "512Mi"],
    ]);
    const containers = rows(await ok(["top", "pod", "lobby-0", "--containers"]));
    expect(containers.slice(1)).toEqual([
      ["lobby-0", "envoy", "5m", "32Mi"],
      ["lobby-0", "lobby", "100m", "128Mi"],
    ]);
  });

  it("reports a missing metrics API the way kubectl does for a cluster without metrics-server", async () => {
    emulator.setMetrics("absent");
    try {
      const run = await kubectl(["top", "nodes"]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain("Metrics API not available");
    } finally {
      emulator.setMetrics("available");
    }
  });
});

describe("kubectl logs", () => {
  it("reads a pod's log, bounded by --since and --tail, with timestamps", async () => {
    expect(await ok(["logs", "worker-0"])).toBe("INFO worker started\nERROR match 17 lost its host\nINFO match 18 created\n");
    expect(await ok(["logs", "worker-0", "--since=1h"])).toBe("ERROR match 17 lost its host\nINFO match 18 created\n");
    expect(await ok(["logs", "worker-0", "--tail=1"])).toBe("INFO match 18 created\n");
    expect(await ok(["logs", "worker-0", "--since=5m", "--timestamps"])).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z INFO match 18 created\n$/);
    const request = emulator.requests.filter((r) => r.path === "/api/v1/namespaces/default/pods/worker-0/log").at(-1);
    expect(request?.query).toMatchObject({ sinceSeconds: "300", timestamps: "true", container: "worker" });
  });

  it("picks a container with -c and rejects one the pod does not have", async () => {
    expect(await ok(["logs", "lobby-0", "-c", "envoy"])).toBe("envoy ready\n");
    const bad = await kubectl(["logs", "lobby-0", "-c", "nginx"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("container nginx is not valid for pod lobby-0");
  });
});

describe("kubectl scale and rollout", () => {
  it("scales a deployment through its scale subresource and the rollout completes", async () => {
    await ok(["scale", "deployment", "game", "--replicas=3"]);
    const patch = emulator.requests.find((r) => r.method === "PATCH" && r.path === "/apis/apps/v1/namespaces/default/deployments/game/scale");
    expect(patch?.contentType).toBe("application/merge-patch+json");
    expect(await ok(["rollout", "status", "deployment/game", "--timeout=30s"])).toContain('deployment "game" successfully rolled out');
    const deploy = await json(["get", "deployment", "game"]);
    expect(deploy.spec.replicas).toBe(3);
    expect(deploy.metadata.generation).toBe(2);
    expect(deploy.status).toMatchObject({ observedGeneration: 2, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 });
    expect((await json(["get", "pods", "-l", "app=game"])).items).toHaveLength(3);
  });

  it("restarts a deployment: new replica set, new pods, and rollout status waits for them", async () => {
    const before = await json(["get", "pods", "-l", "app=game"]);
    expect(await ok(["rollout", "restart", "deployment/game"])).toContain("deployment.apps/game restarted");
    const patch = emulator.requests.filter((r) => r.method === "PATCH" && r.path === "/apis/apps/v1/namespaces/default/deployments/game").at(-1);
    expect(patch?.contentType).toBe("application/strategic-merge-patch+json");
    const status = await ok(["rollout", "status", "deployment/game", "--timeout=30s"]);
    expect(status).toContain('deployment "game" successfully rolled out');
    expect(emulator.requests.some((r) => r.path === "/apis/apps/v1/namespaces/default/deployments" && r.query.watch === "true")).toBe(true);

    const deploy = await json(["get", "deployment", "game"]);
    expect(Date.parse(deploy.spec.template.metadata.annotations["kubectl.kubernetes.io/restartedAt"])).not.toBeNaN();
    expect(deploy.metadata.generation).toBe(3);
    const after = await json(["get", "pods", "-l", "app=game"]);
    expect(after.items).toHaveLength(3);
    const oldNames = before.items.map((p: any) => p.metadata.name);
    expect(after.items.every((p: any) => !oldNames.includes(p.metadata.name))).toBe(true);
    const history = await ok(["rollout", "history", "deployment/game"]);
    expect(history).toMatch(/1\s+<none>\n2\s+<none>/);
    expect(emulator.controllerErrors).toEqual([]);
  });

  it("replaces a deleted pod of the deployment, and deleting the deployment removes its pods", async () => {
    const [victim] = (await json(["get", "pods", "-l", "app=game"])).items;
    expect(await ok(["delete", "pod", victim.metadata.name])).toContain(`pod "${victim.metadata.name}" deleted`);
    await emulator.idle();
    const replaced = (await json(["get", "pods", "-l", "app=game"])).items.map((p: any) => p.metadata.name);
    expect(replaced).toHaveLength(3);
    expect(replaced).not.toContain(victim.metadata.name);

    expect(await ok(["delete", "deployment", "game"])).toContain('deployment.apps "game" deleted');
    expect((await json(["get", "replicasets,pods", "-l", "app=game"])).items).toEqual([]);
    expect(emulator.controllerErrors).toEqual([]);
  });
});

describe("kubectl create, patch and delete of config maps and secrets", () => {
  it("creates, patches with all three patch types, and deletes a config map", async () => {
    expect(await ok(["create", "configmap", "motd", "--from-literal=text=hello"])).toContain("configmap/motd created");
    const created = await json(["get", "configmap", "motd"]);

    await ok(["patch", "configmap", "motd", "-p", '{"data":{"banner":"maintenance at 04:00"}}']);
    await ok(["patch", "configmap", "motd", "--type=merge", "-p", '{"data":{"text":null}}']);
    await ok(["patch", "configmap", "motd", "--type=json", "-p", '[{"op":"add","path":"/data/lang","value":"ko"}]']);
    const patched = await json(["get", "configmap", "motd"]);
    expect(patched.data).toEqual({ banner: "maintenance at 04:00", lang: "ko" });
    expect(Number(patched.metadata.resourceVersion)).toBeGreaterThan(Number(created.metadata.resourceVersion));
    expect(patched.metadata.uid).toBe(created.metadata.uid);
    const types = emulator.requests.filter((r) => r.method === "PATCH" && r.path.endsWith("/configmaps/motd")).map((r) => r.contentType);
    expect(types).toEqual(["application/strategic-merge-patch+json", "application/merge-patch+json", "application/json-patch+json"]);

    expect(await ok(["delete", "configmap", "motd"])).toContain('configmap "motd" deleted');
    expect((await kubectl(["get", "configmap", "motd"])).stderr).toContain('configmaps "motd" not found');
  });

  it("refuses a duplicate, an invalid name and a JSON patch that cannot apply", async () => {
    const duplicate = await kubectl(["create", "configmap", "game-config", "--from-literal=a=b"]);
    expect(duplicate.stderr).toContain('configmaps "game-config" already exists');
    const badName = await kubectl(["create", "configmap", "Game_Config", "--from-literal=a=b"]);
    expect(badName.stderr).toContain('ConfigMap "Game_Config" is invalid: metadata.name: Invalid value: "Game_Config": a lowercase RFC 1123 subdomain');
    const badPatch = await kubectl(["patch", "configmap", "game-config", "--type=json", "-p", '[{"op":"remove","path":"/data/nope"}]']);
    expect(badPatch.code).toBe(1);
    expect(badPatch.stderr).toContain("Unable to remove nonexistent key: nope");
  });

  it("creates and updates a config map from a manifest with create -f and apply -f", async () => {
    const manifest = join(emulator.cacheDir, "..", "limits.yaml");
    const write = (value: string) =>
      writeFileSync(manifest, `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: match-limits\ndata:\n  max-players: "${value}"\n`);
    write("64");
    expect(await ok(["create", "-f", manifest, "--save-config"])).toContain("configmap/match-limits created");
    write("128");
    expect(await ok(["apply", "-f", manifest])).toContain("configmap/match-limits configured");
    expect((await json(["get", "configmap", "match-limits"])).data).toEqual({ "max-players": "128" });
  });

  it("creates a secret (kubectl sends it as protobuf) and stores it base64-encoded", async () => {
    await ok(["create", "secret", "generic", "api-token", "--from-literal=token=abc123"]);
    const create = emulator.requests.find((r) => r.method === "POST" && r.path === "/api/v1/namespaces/default/secrets");
    expect(create?.contentType).toBe("application/vnd.kubernetes.protobuf");
    const stored = await json(["get", "secret", "api-token"]);
    expect(stored).toMatchObject({ type: "Opaque", data: { token: Buffer.from("abc123").toString("base64") } });
  });
});
