import { request, type IncomingMessage, type ServerResponse, type ClientRequest } from "node:http";
import { findType } from "./resources.js";
import { ApiError, notFound } from "./status.js";
import type { KubeObject, ObjectStore, StoredEvent } from "./store.js";

/**
 * The API server's proxy subresources, forwarding to real processes that tests run for pods:
 *
 *   /api/v1/namespaces/{ns}/pods/[scheme:]{name}[:port]/proxy/{path}
 *   /api/v1/namespaces/{ns}/services/[scheme:]{name}[:port]/proxy/{path}
 *
 * Pods have fake IPs, so a test binds each pod port to a loopback address (`bind`), typically
 * from a small "kubelet" of its own that follows pods (`onPods`). The emulator serves no
 * Service objects; a test declares them here (`addService`): name, selector and ports.
 *
 * As the real API server does: the client's Authorization header is kept by the API server and
 * not forwarded; a service picks one Running and Ready pod (round robin here, random there);
 * failures are metav1.Status objects — 404 for a missing pod or service, 503
 * `no endpoints available for service "…"`, 503 `error trying to reach service: dial tcp …`,
 * 400 `address not allowed` for a pod without an IP.
 */
export interface EmulatedService {
  namespace?: string;
  name: string;
  selector: Record<string, string>;
  ports: { name?: string; port: number; targetPort?: number }[];
}

const podType = findType("", "v1", "pods")!;
const serviceName = { group: "", resource: "services", kind: "Service" };
const proxyPath = /^\/api\/v1\/namespaces\/([^/]+)\/(pods|services)\/([^/]+)\/proxy(\/.*)?$/;
const hopByHop = new Set(["connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "host", "authorization", "content-length"]);

const isReady = (p: KubeObject) => p.status?.phase === "Running" && (p.status?.conditions ?? []).some((c: KubeObject) => c.type === "Ready" && c.status === "True");

export class ServiceProxy {
  private readonly services = new Map<string, EmulatedService>();
  private readonly backends = new Map<string, string>();
  private readonly inFlight = new Set<ClientRequest>();
  private turn = 0;

  constructor(private readonly store: ObjectStore) {}

  static handles(path: string): boolean {
    return proxyPath.test(path);
  }

  addService(service: EmulatedService): void {
    this.services.set(`${service.namespace ?? "default"}/${service.name}`, service);
  }

  /** Where a pod's port really is: `http://127.0.0.1:PORT`. Returns the undo. */
  bind(namespace: string, pod: string, port: number, url: string): () => void {
    const key = `${namespace}/${pod}:${port}`;
    this.backends.set(key, url.replace(/\/$/, ""));
    return () => {
      if (this.backends.get(key) === url.replace(/\/$/, "")) this.backends.delete(key);
    };
  }

  /** Every change to a pod, from now on: what a kubelet would follow. Returns the unsubscribe. */
  onPods(listener: (event: StoredEvent) => void): () => void {
    return this.store.subscribe((event) => {
      if (event.resource === "pods") listener(event);
    });
  }

  close(): void {
    for (const r of this.inFlight) r.destroy();
    this.inFlight.clear();
  }

  async forward(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer): Promise<void> {
    const m = url.pathname.match(proxyPath)!;
    const namespace = decodeURIComponent(m[1]!);
    const kind = m[2] as "pods" | "services";
    const [scheme, name, port] = parseTarget(decodeURIComponent(m[3]!));
    if (scheme === "https") throw new ApiError(503, "ServiceUnavailable", "error trying to reach service: the emulator proxies http only");
    const rest = `${m[4] ?? "/"}${url.search}`;

    let pod: KubeObject;
    let targetPort: number;
    if (kind === "pods") {
      pod = this.store.mustGet(podType, namespace, name);
      targetPort = port === undefined ? Number(pod.spec?.containers?.[0]?.ports?.[0]?.containerPort ?? 80) : Number(port);
      if (!pod.status?.podIP) throw new ApiError(400, "BadRequest", "address not allowed");
    } else {
      const service = this.services.get(`${namespace}/${name}`);
      if (!service) throw notFound(serviceName, name);
      const servicePort = port === undefined ? service.ports[0] : service.ports.find((p) => p.name === port || String(p.port) === port);
      if (!servicePort) throw new ApiError(503, "ServiceUnavailable", `no endpoints available for service "${name}"`);
      const endpoints = this.store
        .list(podType, namespace)
        .filter((p) => !p.metadata.deletionTimestamp && isReady(p) && p.status?.podIP && Object.entries(service.selector).every(([k, v]) => p.metadata.labels?.[k] === v));
      if (endpoints.length === 0) throw new ApiError(503, "ServiceUnavailable", `no endpoints available for service "${name}"`);
      pod = endpoints[this.turn++ % endpoints.length]!;
      targetPort = servicePort.targetPort ?? servicePort.port;
    }
    const dial = `dial tcp ${pod.status?.podIP}:${targetPort}: connect: connection refused`;
    const backend = this.backends.get(`${namespace}/${pod.metadata.name}:${targetPort}`);
    if (!backend) throw new ApiError(503, "ServiceUnavailable", `error trying to reach service: ${dial}`);

    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !hopByHop.has(k.toLowerCase())));
    await new Promise<void>((resolve, reject) => {
      const upstream = request(`${backend}${rest}`, { method: req.method ?? "GET", headers: { ...headers, ...(body.length > 0 ? { "content-length": String(body.length) } : {}) } });
      this.inFlight.add(upstream);
      upstream.once("response", (answer) => {
        const passed = Object.fromEntries(Object.entries(answer.headers).filter(([k]) => !hopByHop.has(k.toLowerCase())));
        res.writeHead(answer.statusCode ?? 502, passed as Record<string, string | string[]>);
        answer.pipe(res);
        answer.once("end", () => resolve());
        answer.once("error", () => resolve());
        res.once("close", () => {
          answer.destroy();
          resolve();
        });
      });
      upstream.once("error", (error) => {
        reject(res.headersSent ? error : new ApiError(503, "ServiceUnavailable", `error trying to reach service: ${(error as NodeJS.ErrnoException).code === "ECONNREFUSED" ? dial : error.message}`));
      });
      upstream.once("close", () => this.inFlight.delete(upstream));
      upstream.end(body);
    });
  }
}

/** `name`, `name:port`, `scheme:name:port` (scheme http or https). */
function parseTarget(text: string): [string, string, string | undefined] {
  const parts = text.split(":");
  if (parts.length === 3) return [parts[0]!, parts[1]!, parts[2]];
  if (parts.length === 2) return ["http", parts[0]!, parts[1]];
  return ["http", text, undefined];
}
