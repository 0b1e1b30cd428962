/**
 * A local Kubernetes API server emulation for tests: the paths gameops and kubectl use, with real
 * object shapes, status codes, resourceVersions, patch types, watches and server-side tables.
 * See README.md beside this file for every path served and what is simplified.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import type { LogLine } from "./logs.js";
import { resourceKey, resourceTypes, typeOfObject, type ResourceType } from "./resources.js";
import { ApiServer, type Denial, type MetricsMode, type RecordedRequest } from "./server.js";
import type { EmulatedService, ServiceProxy } from "./service-proxy.js";
import { servingCertificate } from "./tls.js";

export * from "./builders.js";
export type { Denial, EmulatedService, LogLine, MetricsMode, RecordedRequest, ServiceProxy };

type KubeObject = Record<string, any>;

export interface PodLogSeed {
  namespace?: string;
  pod: string;
  /** Defaults to the pod's only container. */
  container?: string;
  lines: LogLine[];
  /** The log of the previous (crashed) instance, served for `previous=true`. */
  previous?: boolean;
}

export interface EmulatorOptions {
  /** Objects of any served kind (see builders), stored as given, status included. */
  objects?: KubeObject[];
  logs?: PodLogSeed[];
  /** metrics.k8s.io: served (default), absent (404, not in discovery), unavailable (503). */
  metrics?: MetricsMode;
  /** How long a deployment's simulated rollout takes; 300 ms by default. */
  rolloutDelayMs?: number;
  now?: () => Date;
  /** Namespace of the kubeconfig's context; "default" by default. */
  namespace?: string;
  /** The user the token belongs to, named in 403 messages. */
  user?: string;
}

export interface KubeconfigVariant {
  /** Server URL; defaults to the emulator's. */
  server?: string;
  token?: string;
  namespace?: string;
  contextName?: string;
}

export interface KubernetesEmulator {
  url: string;
  /** A kubeconfig (mode 0600) with the emulator's CA and a bearer token; context "emulator". */
  kubeconfigPath: string;
  contextName: string;
  namespace: string;
  /** For kubectl's `--cache-dir`, so discovery caches stay inside the emulator's temp dir. */
  cacheDir: string;
  /** Every request received, in order (method, path, query, content type, accept). */
  requests: RecordedRequest[];
  /** Create or replace objects (status included), as a controller or kubelet would write them. */
  apply(...objects: KubeObject[]): void;
  get(resource: string, namespace: string | undefined, name: string): KubeObject | undefined;
  list(resource: string, namespace?: string): KubeObject[];
  remove(resource: string, namespace: string | undefined, name: string): void;
  appendLogs(seed: PodLogSeed): void;
  setMetrics(mode: MetricsMode): void;
  /**
   * Answer 403 to a verb (or all verbs) on a resource, named as `kubectl api-resources -o name`
   * does (`nodes`, `deployments.apps`, `pods/log`, `nodes.metrics.k8s.io`); returns the undo.
   */
  deny(denial: Denial): () => void;
  /** Hold every request unanswered (an API server that accepts and hangs) until turned off. */
  stall(on: boolean): void;
  /** Another kubeconfig beside the first, e.g. a wrong token or a server that is down. */
  writeKubeconfig(name: string, variant: KubeconfigVariant): string;
  /** Resolves when no simulated rollout is in flight. */
  idle(): Promise<void>;
  /** Errors the simulated controllers hit (a test can assert there were none). */
  controllerErrors: Error[];
  /** The pods/services proxy: declare services, bind pod ports to real processes (service-proxy.ts). */
  proxy: ServiceProxy;
  close(): Promise<void>;
}

/** A resource by its plural (`pods`, `deployments`) or qualified name (`pods.metrics.k8s.io`). */
function typeNamed(name: string): ResourceType {
  const found =
    resourceTypes.find((t) => resourceKey(t) === name) ?? resourceTypes.find((t) => t.resource === name && t.group !== "metrics.k8s.io");
  if (!found) throw new Error(`the emulator serves no resource named ${name}`);
  return found;
}

export async function startKubernetesEmulator(options: EmulatorOptions = {}): Promise<KubernetesEmulator> {
  const token = randomBytes(24).toString("hex");
  const now = options.now ?? (() => new Date());
  const api = new ApiServer({ token, user: options.user ?? "gameops", now, rolloutDelayMs: options.rolloutDelayMs ?? 300 });
  api.metrics = options.metrics ?? "available";
  const certificate = servingCertificate();
  const server: Server = createServer({ cert: certificate.cert, key: certificate.key }, api.handle);
  server.on("upgrade", api.upgrade);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dir = mkdtempSync(join(tmpdir(), "k8s-emulator-"));
  const namespace = options.namespace ?? "default";

  const writeKubeconfig = (name: string, variant: KubeconfigVariant) => {
    const contextName = variant.contextName ?? "emulator";
    const path = join(dir, name);
    const config = {
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "emulator", cluster: { server: variant.server ?? url, "certificate-authority-data": Buffer.from(certificate.cert).toString("base64") } }],
      users: [{ name: "gameops", user: { token: variant.token ?? token } }],
      contexts: [{ name: contextName, context: { cluster: "emulator", user: "gameops", namespace: variant.namespace ?? namespace } }],
      "current-context": contextName,
      preferences: {},
    };
    writeFileSync(path, stringify(config), { mode: 0o600 });
    return path;
  };

  const apply = (...objects: KubeObject[]) =>
    api.controller.seed(() => {
      for (const object of objects) {
        const type = typeOfObject(object);
        const ns = type.namespaced ? (object.metadata?.namespace ?? "default") : undefined;
        if (ns) api.ensureNamespace(ns);
        const o = structuredClone(object);
        if (ns) o.metadata.namespace = ns;
        delete o.metadata.resourceVersion;
        if (api.store.get(type, ns, o.metadata.name)) api.store.update(type, o, { withStatus: true });
        else api.store.create(type, o);
      }
    });

  const appendLogs = (seed: PodLogSeed) => {
    const ns = seed.namespace ?? "default";
    const pod = api.store.get(typeNamed("pods"), ns, seed.pod);
    if (!pod) throw new Error(`appendLogs: no pod ${ns}/${seed.pod}; apply it first`);
    const container = seed.container ?? pod.spec.containers[0].name;
    api.logs.append(ns, seed.pod, container, seed.lines, seed.previous);
  };

  apply(...(options.objects ?? []));
  for (const seed of options.logs ?? []) appendLogs(seed);

  return {
    url,
    kubeconfigPath: writeKubeconfig("kubeconfig", {}),
    contextName: "emulator",
    namespace,
    cacheDir: join(dir, "kubectl-cache"),
    requests: api.requests,
    apply,
    get: (resource, ns, name) => api.store.get(typeNamed(resource), ns, name),
    list: (resource, ns) => api.store.list(typeNamed(resource), ns),
    remove: (resource, ns, name) => {
      api.store.delete(typeNamed(resource), ns, name);
    },
    appendLogs,
    setMetrics: (mode) => {
      api.metrics = mode;
    },
    deny: (denial) => {
      api.denials.push(denial);
      return () => {
        const index = api.denials.indexOf(denial);
        if (index >= 0) api.denials.splice(index, 1);
      };
    },
    stall: (on) => {
      api.stalled = on;
    },
    writeKubeconfig,
    idle: () => api.controller.idle(),
    controllerErrors: api.controller.errors,
    proxy: api.proxy,
    close: async () => {
      api.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
