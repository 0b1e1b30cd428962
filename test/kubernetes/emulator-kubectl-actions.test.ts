/**
 * The emulator paths behind the runbook `k8s` actions, driven by the real kubectl: rollout undo
 * (replica set revisions, kubectl's JSON patch), exec over WebSocket, and top for a
 * deployment's pods. As in emulator-kubectl.test.ts, kubectl only gets `--kubeconfig`.
 */
import { execFile } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deployment, node, pod, podMetrics, startKubernetesEmulator, type KubernetesEmulator } from "../k8s-emulator/index.js";

const kubectlPath = process.env.KUBECTL ?? "kubectl";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let emulator: KubernetesEmulator;

function kubectl(args: string[], input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      kubectlPath,
      [`--kubeconfig=${emulator.kubeconfigPath}`, `--cache-dir=${emulator.cacheDir}`, "--request-timeout=10s", ...args],
      { timeout: 30_000, env: { PATH: process.env.PATH, HOME: emulator.cacheDir } },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== "number") return reject(error);
        resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}

async function ok(args: string[], input?: string): Promise<string> {
  const run = await kubectl(args, input);
  if (run.code !== 0) throw new Error(`kubectl ${args.join(" ")} exited ${run.code}: ${run.stderr}`);
  return run.stdout;
}

const json = async (args: string[]) => JSON.parse(await ok([...args, "-o", "json"]));

const imageOf = async (name: string) => (await json(["get", "deployment", name])).spec.template.spec.containers[0].image as string;

beforeAll(async () => {
  emulator = await startKubernetesEmulator({
    rolloutDelayMs: 100,
    objects: [
      node("node-a", { cpu: "4", memory: "16Gi" }),
      deployment("game", { replicas: 2, containers: [{ name: "game-server", image: "registry.example.com/game:1.0.0" }] }),
      pod("lobby-0", { labels: { app: "lobby" }, node: "node-a", containers: [{ name: "lobby" }, { name: "envoy" }] }),
      pod("pending-0", { labels: { app: "pending" }, containers: [{ name: "main" }] }),
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

describe("kubectl rollout undo", () => {
  it("goes back to the previous revision's template through kubectl's JSON patch, and the controller reuses that replica set", async () => {
    expect((await json(["get", "deployment", "game"])).metadata.annotations["deployment.kubernetes.io/revision"]).toBe("1");
    await ok(["set", "image", "deployment/game", "game-server=registry.example.com/game:1.1.0"]);
    await ok(["rollout", "status", "deployment/game", "--timeout=30s"]);
    await ok(["set", "image", "deployment/game", "game-server=registry.example.com/game:1.2.0"]);
    await ok(["rollout", "status", "deployment/game", "--timeout=30s"]);
    expect((await json(["get", "deployment", "game"])).metadata.annotations["deployment.kubernetes.io/revision"]).toBe("3");
    const before = (await json(["get", "replicasets", "-l", "app=game"])).items.map((rs: any) => rs.metadata.name);
    expect(before).toHaveLength(3);

    expect(await ok(["rollout", "undo", "deployment/game"])).toContain("deployment.apps/game rolled back");
    const patch = emulator.requests.filter((r) => r.method === "PATCH" && r.path === "/apis/apps/v1/namespaces/default/deployments/game").at(-1);
    expect(patch?.contentType).toBe("application/json-patch+json");
    expect(emulator.requests.some((r) => r.path === "/apis/apps/v1/namespaces/default/replicasets" && r.query.labelSelector === "app=game")).toBe(true);
    await ok(["rollout", "status", "deployment/game", "--timeout=30s"]);

    expect(await imageOf("game")).toBe("registry.example.com/game:1.1.0");
    const deploy = await json(["get", "deployment", "game"]);
    expect(deploy.metadata.annotations["deployment.kubernetes.io/revision"]).toBe("4");
    const sets = (await json(["get", "replicasets", "-l", "app=game"])).items;
    expect(sets.map((rs: any) => rs.metadata.name).sort()).toEqual([...before].sort());
    const restored = sets.find((rs: any) => rs.spec.template.spec.containers[0].image.endsWith(":1.1.0"));
    expect(restored.metadata.annotations).toMatchObject({ "deployment.kubernetes.io/revision": "4", "deployment.kubernetes.io/revision-history": "2" });
    expect(restored.spec.replicas).toBe(2);
    expect(sets.filter((rs: any) => rs !== restored).map((rs: any) => rs.spec.replicas)).toEqual([0, 0]);
    expect(await ok(["rollout", "history", "deployment/game"])).toMatch(/1\s+<none>\n3\s+<none>\n4\s+<none>/);
    expect(emulator.controllerErrors).toEqual([]);
  });

  it("goes to a given revision, skips one that is already running, and names one that does not exist", async () => {
    expect(await ok(["rollout", "undo", "deployment/game", "--to-revision=1"])).toContain("deployment.apps/game rolled back");
    await ok(["rollout", "status", "deployment/game", "--timeout=30s"]);
    expect(await imageOf("game")).toBe("registry.example.com/game:1.0.0");
    expect((await json(["get", "deployment", "game"])).metadata.annotations["deployment.kubernetes.io/revision"]).toBe("5");

    expect(await ok(["rollout", "undo", "deployment/game", "--to-revision=5"])).toContain("skipped rollback (current template already matches revision 5)");
    const missing = await kubectl(["rollout", "undo", "deployment/game", "--to-revision=42"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("unable to find specified revision 42 in history");
  });
});

describe("kubectl exec over WebSocket", () => {
  it("runs a command in the named container and streams stdout and stderr", async () => {
    const run = await kubectl(["exec", "lobby-0", "-c", "lobby", "--", "sh", "-c", 'echo "on $HOSTNAME"; echo oops >&2']);
    expect(run).toMatchObject({ code: 0, stdout: "on lobby-0\n", stderr: "oops\n" });
    const upgrade = emulator.requests.filter((r) => r.path === "/api/v1/namespaces/default/pods/lobby-0/exec").at(-1);
    expect(upgrade?.method).toBe("GET");
    // `requests` keeps the last of a repeated parameter: the command's last word.
    expect(upgrade?.query).toMatchObject({ container: "lobby", command: 'echo "on $HOSTNAME"; echo oops >&2', stdout: "true", stderr: "true" });
  });

  it("passes stdin through with -i and ends it", async () => {
    expect(await ok(["exec", "-i", "lobby-0", "-c", "envoy", "--", "wc", "-l"], "one\ntwo\nthree\n")).toMatch(/^\s*3\n$/);
  });

  it("exits with the command's exit code", async () => {
    const run = await kubectl(["exec", "lobby-0", "-c", "lobby", "--", "sh", "-c", "exit 7"]);
    expect(run.code).toBe(7);
    expect(run.stderr).toContain("command terminated with exit code 7");
  });

  it("reports a missing executable as the container runtime does", async () => {
    const run = await kubectl(["exec", "lobby-0", "-c", "lobby", "--", "no-such-program"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('exec: "no-such-program": executable file not found in $PATH');
  });

  it("refuses a container the pod does not have and a pod that is not scheduled", async () => {
    const container = await kubectl(["exec", "lobby-0", "-c", "nginx", "--", "true"]);
    expect(container.code).toBe(1);
    expect(container.stderr).toContain("container nginx is not valid for pod lobby-0");
    const pending = await kubectl(["exec", "pending-0", "--", "true"]);
    expect(pending.code).toBe(1);
    expect(pending.stderr).toContain("pod pending-0 does not have a host assigned");
  });
});

describe("kubectl top for a deployment's pods", () => {
  it("shows the usage of the pods the controller made", async () => {
    const pods: string[] = (await json(["get", "pods", "-l", "app=game"])).items.map((p: any) => p.metadata.name);
    expect(pods).toHaveLength(2);
    emulator.apply(...pods.map((name, i) => podMetrics(name, { containers: [{ name: "game-server", cpu: `${(i + 1) * 300}m`, memory: `${(i + 1) * 256}Mi` }] })));
    const rows = (await ok(["top", "pods", "-l", "app=game", "--sort-by=cpu"]))
      .trim()
      .split("\n")
      .map((line) => line.trim().split(/\s{2,}/));
    expect(rows).toEqual([
      ["NAME", "CPU(cores)", "MEMORY(bytes)"],
      [pods[1], "600m", "512Mi"],
      [pods[0], "300m", "256Mi"],
    ]);
  });
});
