/**
 * The `kubernetes` backup component against the API emulator and a local backup directory:
 * ConfigMaps compressed, Secrets sealed, and a restore that is planned with server-side dry
 * runs before an apply that refuses a stale plan.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { BackupError } from "../../src/domain/backups/backup-error.js";
import { componentSchema, type Component } from "../../src/domain/backups/manifest.js";
import { openKubernetesCluster } from "../../src/integrations/kubernetes/client-node-cluster.js";
import type { KubernetesCluster } from "../../src/integrations/kubernetes/cluster.js";
import {
  applyKubernetesRestore,
  backupKubernetesObjects,
  planKubernetesRestore,
  readKubernetesObjects,
  type BackedUpObjects,
} from "../../src/integrations/kubernetes/objects-backup.js";
import { LocalStorage } from "../../src/integrations/storage/local-storage.js";
import { configMap, secret, startKubernetesEmulator, type KubernetesEmulator } from "../k8s-emulator/index.js";

const key = Buffer.alloc(32, 0x5a);
const wrongKey = Buffer.alloc(32, 0x5b);
const secretValues = ["s3cr3t-hunter2", "tok-9f8e7d6c", "sa-token-xyz", "H4sIAAAA-release"];
const secretKeyNames = ["db-password", "api-token"];

let emulator: KubernetesEmulator;
let cluster: KubernetesCluster;
let dir: string;
let storage: LocalStorage;
const signal = new AbortController().signal;

function seed(): void {
  emulator.apply(
    {
      ...configMap("settings", { "game.yaml": "maxPlayers: 64\nmap: dust\n", motd: "yes", mode: "0755", ratio: "1:20" }, { namespace: "game" }),
      metadata: { name: "settings", namespace: "game", labels: { app: "game" }, annotations: { "team.example/owner": "ops" } },
    },
    {
      ...configMap("lobby", { "lobby.json": '{"slots": 8}' }, { namespace: "game" }),
      metadata: {
        name: "lobby",
        namespace: "game",
        ownerReferences: [{ apiVersion: "apps/v1", kind: "Deployment", name: "lobby", uid: "0b7d3c2e-0000-4000-8000-000000000001", controller: true }],
        finalizers: ["example.com/keep"],
      },
    },
    configMap("rules", { "ban.list": "" }, { namespace: "game" }),
    configMap("kube-root-ca.crt", { "ca.crt": "-----BEGIN CERTIFICATE-----\n" }, { namespace: "game" }),
    secret("db", { "db-password": secretValues[0]!, "api-token": secretValues[1]! }, { namespace: "game" }),
    secret("default-token-x7k2p", { token: secretValues[2]! }, { namespace: "game", type: "kubernetes.io/service-account-token" }),
    secret("sh.helm.release.v1.game.v3", { release: secretValues[3]! }, { namespace: "game", type: "helm.sh/release.v1" }),
    configMap("other-namespace", { a: "b" }, { namespace: "tools" }),
  );
}

/** The namespace as stored, resourceVersions included: what a dry run must leave as it was. */
const state = (namespace: string) => ({ configMaps: emulator.list("configmaps", namespace), secrets: emulator.list("secrets", namespace) });

async function rejection(promise: Promise<unknown>): Promise<BackupError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BackupError);
  return error as BackupError;
}

async function backup(prefix: string, over: Partial<Parameters<typeof backupKubernetesObjects>[0]> = {}): Promise<Component> {
  return backupKubernetesObjects({ cluster, namespace: "game", storage, prefix, compression: "zstd", secretsKey: key, includeSecrets: true, signal, ...over });
}

beforeAll(async () => {
  emulator = await startKubernetesEmulator();
  cluster = openKubernetesCluster({ kubeconfig: emulator.kubeconfigPath }, { timeoutMs: 10_000 });
  dir = mkdtempSync(join(tmpdir(), "gameops-k8s-objects-test-"));
  storage = new LocalStorage(dir);
});

afterAll(async () => {
  await emulator?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  for (const namespace of ["game", "game-restore"]) {
    for (const c of emulator.list("configmaps", namespace)) emulator.remove("configmaps", namespace, c.metadata.name);
    for (const s of emulator.list("secrets", namespace)) emulator.remove("secrets", namespace, s.metadata.name);
  }
  seed();
});

describe("backing up a namespace's ConfigMaps and Secrets", () => {
  it("writes compressed ConfigMaps and sealed Secrets, and a component the manifest accepts", async () => {
    const component = await backup("set-a");
    expect(componentSchema.parse(component)).toEqual(component);
    expect(component).toMatchObject({ name: "kubernetes", tool: { name: "kube-apiserver", version: "v1.32.4" } });
    expect(component.artifacts.map((a) => [a.name, a.compression, a.encrypted])).toEqual([
      ["configmaps.yaml.zst", "zstd", undefined],
      ["secrets.yaml.enc", "none", true],
    ]);
    for (const artifact of component.artifacts) {
      expect(await storage.exists(`set-a/${artifact.name}`)).toBe(true);
      expect(readFileSync(join(dir, "set-a", artifact.name)).length).toBe(artifact.size);
    }

    const sealed = readFileSync(join(dir, "set-a", "secrets.yaml.enc"));
    expect(sealed.subarray(0, 8).toString("ascii")).toBe("GOPSBOX1");
    for (const clear of [...secretValues, ...secretKeyNames, "db"]) {
      expect(sealed.includes(Buffer.from(clear))).toBe(false);
      expect(sealed.includes(Buffer.from(Buffer.from(clear).toString("base64")))).toBe(false);
    }

    // Read back with the zstd program, as an operator would: plain YAML without server-set fields.
    const text = execFileSync("zstd", ["-d", "-q", "-c", join(dir, "set-a", "configmaps.yaml.zst")]).toString("utf8");
    const docs = parseAllDocuments(text).map((d) => d.toJS());
    expect(docs.map((d) => d.metadata.name)).toEqual(["lobby", "rules", "settings"]);
    expect(docs[2]).toEqual({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "settings", namespace: "game", labels: { app: "game" }, annotations: { "team.example/owner": "ops" } },
      data: { "game.yaml": "maxPlayers: 64\nmap: dust\n", motd: "yes", mode: "0755", ratio: "1:20" },
    });
    expect(docs[0].metadata).toEqual({ name: "lobby", namespace: "game" });
    // Quoted for YAML 1.1 readers (kubectl): `yes` unquoted would come back as a bool.
    expect(text).toContain('motd: "yes"');
  });

  it("reads back what it wrote: values intact, cluster-made Secrets and the root CA left out", async () => {
    const component = await backup("set-b");
    const objects = await readKubernetesObjects({ storage, prefix: "set-b", component, secretsKey: key, signal });
    expect(objects.configMaps.map((c) => c.metadata.name)).toEqual(["lobby", "rules", "settings"]);
    expect(objects.configMaps[1]!.data).toEqual({ "ban.list": "" });
    expect(objects.configMaps[2]!.data).toEqual({ "game.yaml": "maxPlayers: 64\nmap: dust\n", motd: "yes", mode: "0755", ratio: "1:20" });
    expect(objects.secrets).toEqual([
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "db", namespace: "game" },
        type: "Opaque",
        data: { "db-password": Buffer.from(secretValues[0]!).toString("base64"), "api-token": Buffer.from(secretValues[1]!).toString("base64") },
      },
    ]);
  });

  it("with gzip and without Secrets: one artifact, no Secrets read", async () => {
    const component = await backup("set-c", { compression: "gzip", includeSecrets: false, secretsKey: undefined });
    expect(component.artifacts.map((a) => a.name)).toEqual(["configmaps.yaml.gz"]);
    const objects = await readKubernetesObjects({ storage, prefix: "set-c", component, signal });
    expect(objects.configMaps).toHaveLength(3);
    expect(objects.secrets).toEqual([]);
    expect(emulator.requests.some((r) => r.path.endsWith("/secrets") && r.query.limit !== undefined && r.method === "GET")).toBe(true);
  });

  it("refuses Secrets without a key, naming the setting and how to make one, before writing anything", async () => {
    const error = await rejection(backup("set-d", { secretsKey: undefined }));
    expect(error.message).toBe(
      'kubernetes backup of namespace "game": Secrets are only stored encrypted and backups.kubernetes.secretsKeyFile is not set; make one with `openssl rand -base64 32 > key; chmod 600 key`, then set backups.kubernetes.secretsKeyFile to its path, or set backups.kubernetes.secrets: false',
    );
    expect(await storage.list("set-d/")).toEqual([]);
  });

  it("cannot read the Secrets with the wrong key or without one", async () => {
    const component = await backup("set-e");
    const wrong = await rejection(readKubernetesObjects({ storage, prefix: "set-e", component, secretsKey: wrongKey, signal }));
    expect(wrong.message).toMatch(/^cannot decrypt set-e\/secrets\.yaml\.enc: wrong key or corrupted/);
    const none = await rejection(readKubernetesObjects({ storage, prefix: "set-e", component, signal }));
    expect(none.message).toContain("backups.kubernetes.secretsKeyFile");
  });

  it("refuses an artifact whose bytes do not match the manifest", async () => {
    const component = await backup("set-f");
    const tampered = { ...component, artifacts: component.artifacts.map((a) => ({ ...a, sha256: "0".repeat(64) })) };
    const error = await rejection(readKubernetesObjects({ storage, prefix: "set-f", component: tampered, secretsKey: key, signal }));
    expect(error.message).toMatch(/^set-f\/configmaps\.yaml\.zst: the stored bytes do not match the manifest/);
  });
});

describe("restoring from a set", () => {
  let objects: BackedUpObjects;

  beforeEach(async () => {
    const component = await backup("set-r");
    objects = await readKubernetesObjects({ storage, prefix: "set-r", component, secretsKey: key, signal });
    // The namespace drifts after the backup: a value edited, a key added, an object deleted.
    const settings = emulator.get("configmaps", "game", "settings")!;
    emulator.apply({ ...settings, data: { ...settings.data, motd: "no", extra: "1" } });
    emulator.remove("configmaps", "game", "lobby");
    const db = emulator.get("secrets", "game", "db")!;
    emulator.apply({ ...db, data: { "db-password": Buffer.from("changed-value-77").toString("base64"), "api-token": db.data["api-token"] } });
  });

  it("plans creates, updates and unchanged objects by dry run, showing keys and never a secret value", async () => {
    const before = state("game");
    const requestsBefore = emulator.requests.length;
    const plan = await planKubernetesRestore({ cluster, namespace: "game", objects, signal });
    expect(plan).toEqual({
      namespace: "game",
      changes: [
        { kind: "ConfigMap", name: "lobby", action: "create", diff: ["+ lobby.json"] },
        { kind: "ConfigMap", name: "rules", action: "unchanged", diff: [], liveResourceVersion: before.configMaps.find((c) => c.metadata.name === "rules")!.metadata.resourceVersion },
        { kind: "ConfigMap", name: "settings", action: "update", diff: ["- extra", "~ motd"], liveResourceVersion: before.configMaps.find((c) => c.metadata.name === "settings")!.metadata.resourceVersion },
        { kind: "Secret", name: "db", action: "update", diff: ["~ db-password"], liveResourceVersion: before.secrets.find((s) => s.metadata.name === "db")!.metadata.resourceVersion },
      ],
    });
    const shown = JSON.stringify(plan);
    for (const value of [...secretValues, "changed-value-77"]) {
      expect(shown).not.toContain(value);
      expect(shown).not.toContain(Buffer.from(value).toString("base64"));
    }
    // Dry run: the emulator stored nothing, and every write the plan sent was a dry run.
    expect(state("game")).toEqual(before);
    const writes = emulator.requests.slice(requestsBefore).filter((r) => r.method !== "GET");
    expect(writes.map((r) => [r.method, r.path, r.query.dryRun])).toEqual([
      ["POST", "/api/v1/namespaces/game/configmaps", "All"],
      ["PUT", "/api/v1/namespaces/game/configmaps/settings", "All"],
      ["PUT", "/api/v1/namespaces/game/secrets/db", "All"],
    ]);
  });

  it("applies the approved plan: the namespace is as backed up, and a new plan finds nothing to do", async () => {
    const plan = await planKubernetesRestore({ cluster, namespace: "game", objects, signal });
    expect(await applyKubernetesRestore(plan, { cluster, objects, signal })).toEqual({ applied: ["ConfigMap/lobby", "ConfigMap/settings", "Secret/db"] });
    expect(emulator.get("configmaps", "game", "settings")!.data).toEqual({ "game.yaml": "maxPlayers: 64\nmap: dust\n", motd: "yes", mode: "0755", ratio: "1:20" });
    expect(emulator.get("configmaps", "game", "lobby")!.data).toEqual({ "lobby.json": '{"slots": 8}' });
    expect(Buffer.from(emulator.get("secrets", "game", "db")!.data["db-password"], "base64").toString()).toBe(secretValues[0]);
    // Cluster-made objects were neither backed up nor touched.
    expect(emulator.get("secrets", "game", "default-token-x7k2p")).toBeDefined();
    const again = await planKubernetesRestore({ cluster, namespace: "game", objects, signal });
    expect(again.changes.map((c) => c.action)).toEqual(["unchanged", "unchanged", "unchanged", "unchanged"]);
  });

  it("refuses a plan made stale by a change after it, applying nothing", async () => {
    const plan = await planKubernetesRestore({ cluster, namespace: "game", objects, signal });
    const settings = emulator.get("configmaps", "game", "settings")!;
    emulator.apply({ ...settings, data: { ...settings.data, motd: "hotfix" } });
    const after = state("game");
    const error = await rejection(applyKubernetesRestore(plan, { cluster, objects, signal }));
    expect(error.message).toMatch(
      /^restore into namespace "game" refused: the plan is stale, ConfigMap\/settings \(resourceVersion \d+ → \d+\) changed since it was made; nothing was applied; plan again and review the new diff$/,
    );
    expect(state("game")).toEqual(after);
  });

  it("refuses a plan when an object it would create appeared since", async () => {
    const plan = await planKubernetesRestore({ cluster, namespace: "game", objects, signal });
    emulator.apply(configMap("lobby", { "lobby.json": "{}" }, { namespace: "game" }));
    const error = await rejection(applyKubernetesRestore(plan, { cluster, objects, signal }));
    expect(error.message).toMatch(/ConfigMap\/lobby \(resourceVersion absent → \d+\)/);
  });

  it("refuses objects other than the planned ones", async () => {
    const plan = await planKubernetesRestore({ cluster, namespace: "game", objects, signal });
    const error = await rejection(applyKubernetesRestore(plan, { cluster, objects: { configMaps: objects.configMaps, secrets: [] }, signal }));
    expect(error.message).toBe('restore into namespace "game" refused: the objects are not the ones planned (planned but not given: Secret/db); plan again from the same set');
  });

  it("says to delete an immutable object the restore would change", async () => {
    emulator.remove("configmaps", "game", "rules");
    emulator.apply(configMap("rules", { "ban.list": "griefer-1\n" }, { namespace: "game", immutable: true }));
    const error = await rejection(planKubernetesRestore({ cluster, namespace: "game", objects, signal }));
    expect(error.message).toMatch(/^planning the restore into namespace "game": ConfigMap rules: the server refuses to change it in place \(.*immutable.*\); delete it first \(kubectl delete configmap rules -n game\) and plan again$/);
  });

  it("restores into another namespace, and says to create a namespace that does not exist", async () => {
    const missing = await rejection(planKubernetesRestore({ cluster, namespace: "nowhere", objects, signal }));
    expect(missing.message).toBe('planning the restore into namespace "nowhere": ConfigMap lobby: the namespace does not exist; create it first (kubectl create namespace nowhere)');

    emulator.apply(configMap("marker", {}, { namespace: "game-restore" }));
    const plan = await planKubernetesRestore({ cluster, namespace: "game-restore", objects, signal });
    expect(plan.changes.map((c) => [c.name, c.action])).toEqual([
      ["lobby", "create"],
      ["rules", "create"],
      ["settings", "create"],
      ["db", "create"],
    ]);
    await applyKubernetesRestore(plan, { cluster, objects, signal });
    const restored = emulator.get("configmaps", "game-restore", "settings")!;
    expect(restored.metadata).toMatchObject({ namespace: "game-restore", labels: { app: "game" } });
    expect(restored.data.motd).toBe("yes");
    expect(emulator.get("secrets", "game-restore", "db")!.type).toBe("Opaque");
    // The source namespace is left as it was.
    expect(emulator.get("configmaps", "game", "settings")!.data.motd).toBe("no");
  });
});
