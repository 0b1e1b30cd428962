import { STATUS_CODES, type IncomingMessage, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { DeploymentController } from "./controller.js";
import { execProtocols, execRequest, runExec } from "./exec.js";
import { LogStore } from "./logs.js";
import { jsonPatch, mergePatch, strategicMergePatch } from "./patch.js";
import { decodeProtobufObject, isProtobuf } from "./protobuf.js";
import { apiVersionOf, findType, groupVersions, resourceKey, resourceTypes, type ResourceType } from "./resources.js";
import { parseFieldSelector, parseLabelSelector } from "./selectors.js";
import {
  ApiError,
  badRequest,
  conflict,
  forbidden,
  invalid,
  invalidValue,
  methodNotAllowed,
  noSuchResource,
  notAcceptable,
  notFound,
  serviceUnavailable,
  unauthorized,
  unsupportedPatch,
} from "./status.js";
import { ServiceProxy } from "./service-proxy.js";
import { ObjectStore, timestamp, type KubeObject, type StoredEvent } from "./store.js";
import { table } from "./tables.js";
import { WebSocketConnection } from "./websocket.js";

/** How metrics.k8s.io answers: served, not installed (404, not in discovery), or installed but down (503). */
export type MetricsMode = "available" | "absent" | "unavailable";

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType?: string;
  accept?: string;
  userAgent?: string;
}

export interface Denial {
  verb?: string;
  resource: string;
  namespace?: string;
}

export interface ApiServerOptions {
  token: string;
  user: string;
  now: () => Date;
  rolloutDelayMs: number;
}

const versionInfo = {
  major: "1",
  minor: "32",
  gitVersion: "v1.32.4",
  gitCommit: "59526cd4867447956156ae3a602fcbac10a2c335",
  gitTreeState: "clean",
  buildDate: "2025-04-22T16:02:27Z",
  goVersion: "go1.23.6",
  compiler: "gc",
  platform: "linux/amd64",
};

const publicPaths = new Set(["/version", "/healthz", "/livez", "/readyz"]);
const namespaceType = findType("", "v1", "namespaces")!;
const podType = findType("", "v1", "pods")!;
const nodeType = findType("", "v1", "nodes")!;

/** The request handler: routing, authentication, content negotiation and every verb. */
export class ApiServer {
  readonly store: ObjectStore;
  readonly logs = new LogStore();
  readonly controller: DeploymentController;
  readonly requests: RecordedRequest[] = [];
  readonly denials: Denial[] = [];
  /** pods/{name}/proxy and services/{name}/proxy, forwarding to processes the test binds. */
  readonly proxy: ServiceProxy;
  metrics: MetricsMode = "available";
  /** While true every request is held unanswered, like an API server that accepts and then hangs. */
  stalled = false;
  private readonly openResponses = new Set<ServerResponse>();
  /** Upgraded connections (exec) and the commands they run, ended by close(). */
  private readonly openSockets = new Set<Duplex>();
  private readonly runningExecs = new Set<() => void>();

  constructor(private readonly options: ApiServerOptions) {
    this.store = new ObjectStore(options.now);
    this.controller = new DeploymentController(this.store, options.rolloutDelayMs, options.now);
    this.proxy = new ServiceProxy(this.store);
    for (const name of ["default", "kube-system", "kube-public", "kube-node-lease"]) this.ensureNamespace(name);
  }

  ensureNamespace(name: string) {
    if (!this.store.get(namespaceType, undefined, name)) {
      this.store.create(namespaceType, {
        metadata: { name, labels: { "kubernetes.io/metadata.name": name } },
        spec: { finalizers: ["kubernetes"] },
        status: { phase: "Active" },
      });
    }
  }

  /** Ends watches, log follows and held requests so the HTTP server can close. */
  close() {
    this.controller.close();
    this.proxy.close();
    for (const res of this.openResponses) res.destroy();
    this.openResponses.clear();
    for (const kill of this.runningExecs) kill();
    this.runningExecs.clear();
    for (const socket of this.openSockets) socket.destroy();
    this.openSockets.clear();
  }

  handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://emulator");
    this.record(req, url);
    if (this.stalled) {
      this.openResponses.add(res);
      res.on("close", () => this.openResponses.delete(res));
      return;
    }
    readBody(req)
      .then((body) => this.route(req, res, url, body))
      .catch((error: unknown) => {
        if (res.headersSent) {
          res.destroy();
          return;
        }
        if (error instanceof ApiError) return send(res, error.code, error.toStatus());
        const message = error instanceof Error ? error.message : String(error);
        send(res, 500, new ApiError(500, "InternalError", `Internal error occurred: ${message}`).toStatus());
      });
  };

  private record(req: IncomingMessage, url: URL) {
    this.requests.push({
      method: req.method ?? "GET",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      ...(req.headers["content-type"] ? { contentType: req.headers["content-type"] } : {}),
      ...(req.headers.accept ? { accept: req.headers.accept } : {}),
      ...(req.headers["user-agent"] ? { userAgent: req.headers["user-agent"] } : {}),
    });
  }

  /**
   * Connection upgrades: `pods/{name}/exec` over WebSocket, the way kubectl (1.30+) and
   * client-node's Exec reach the kubelet through the API server. Refusals are the Status the
   * API server sends before upgrading; SPDY upgrades are refused the same way (kubectl then
   * reports the WebSocket attempt's error).
   */
  upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? "/", "http://emulator");
    this.record(req, url);
    socket.on("error", () => socket.destroy());
    this.openSockets.add(socket);
    socket.on("close", () => this.openSockets.delete(socket));
    if (this.stalled) return;
    try {
      if (req.headers.authorization !== `Bearer ${this.options.token}`) throw unauthorized();
      const m = url.pathname.match(/^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/exec$/);
      if (!m) throw badRequest("the server only upgrades connections for pods/{name}/exec");
      const [namespace, name] = [decodeURIComponent(m[1]!), decodeURIComponent(m[2]!)];
      const denied = this.denials.find((d) => d.resource === "pods/exec" && (d.verb === undefined || d.verb === "create") && (d.namespace === undefined || d.namespace === namespace));
      if (denied) {
        throw new ApiError(403, "Forbidden", `pods "${name}" is forbidden: User "${this.options.user}" cannot create resource "pods/exec" in API group "" in the namespace "${namespace}"`, { name, kind: "pods" });
      }
      const request = execRequest(this.store.mustGet(podType, namespace, name), url.searchParams);
      const ws = WebSocketConnection.accept(req, socket, head, execProtocols);
      if ("refused" in ws) throw badRequest(ws.refused);
      const kill = runExec(ws, request);
      this.runningExecs.add(kill);
      ws.onClose(() => this.runningExecs.delete(kill));
    } catch (error) {
      const status = error instanceof ApiError ? error : new ApiError(500, "InternalError", `Internal error occurred: ${(error as Error).message}`);
      const body = JSON.stringify(status.toStatus());
      socket.end(`HTTP/1.1 ${status.code} ${STATUS_CODES[status.code]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-cache, private\r\n\r\n${body}`);
    }
  };

  private async route(req: IncomingMessage, res: ServerResponse, url: URL, raw: Buffer) {
    const contentType = req.headers["content-type"] ?? "";
    const body = raw.toString("utf8");
    const decodeObject = () => (isProtobuf(contentType) ? decodeProtobufObject(raw) : parseJson(body));
    const path = url.pathname.replace(/\/+$/, "") || "/";
    if (!publicPaths.has(path) && req.headers.authorization !== `Bearer ${this.options.token}`) throw unauthorized();
    if (ServiceProxy.handles(path)) return this.proxy.forward(req, res, url, raw);
    // An empty OpenAPI v2 document (zero bytes is a valid protobuf Document): kubectl needs one to
    // validate `create -f`/`apply -f`, and finding no schema for a kind it skips client-side checks.
    if (path === "/openapi/v2") {
      res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": 0 });
      return res.end();
    }
    if (path.startsWith("/openapi/")) return sendText(res, 404, "404 page not found");
    const accept = req.headers.accept ?? "";
    if (accept && !/application\/json|\*\/\*|application\/\*/.test(accept)) throw notAcceptable();

    if (path === "/version") return send(res, 200, versionInfo);
    if (publicPaths.has(path)) return sendText(res, 200, "ok");
    if (path === "/api") {
      const address = `${req.socket.localAddress}:${req.socket.localPort}`;
      return send(res, 200, { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: address }] });
    }
    if (path === "/apis") return send(res, 200, { kind: "APIGroupList", apiVersion: "v1", groups: this.groups() });
    if (path === "/api/v1") return send(res, 200, this.resourceList("", "v1"));

    let m = path.match(/^\/apis\/([^/]+)(?:\/([^/]+))?(\/.*)?$/);
    const core = path.match(/^\/api\/v1(\/.*)$/);
    if (!m && !core) return sendText(res, 404, "404 page not found");
    const group = core ? "" : m![1]!;
    const version = core ? "v1" : m![2];
    const rest = core ? core[1]! : m![3];
    if (group === "metrics.k8s.io" && this.metrics !== "available") {
      if (this.metrics === "absent") return sendText(res, 404, "404 page not found");
      throw serviceUnavailable(group, rest?.split("/").pop() ?? "");
    }
    if (!groupVersions().some((gv) => gv.group === group && (version === undefined || gv.version === version))) {
      return sendText(res, 404, "404 page not found");
    }
    if (version === undefined) {
      const g = this.groups().find((x) => x.name === group)!;
      return send(res, 200, { kind: "APIGroup", apiVersion: "v1", ...g });
    }
    if (rest === undefined) return send(res, 200, this.resourceList(group, version));

    const segments = rest.split("/").filter(Boolean).map(decodeURIComponent);
    let namespace: string | undefined;
    if (segments[0] === "namespaces" && segments.length >= 3) {
      namespace = segments[1];
      segments.splice(0, 2);
    }
    const [resource, name, sub, ...extra] = segments;
    const type = findType(group, version, resource!);
    if (!type || extra.length > 0 || (namespace !== undefined && !type.namespaced)) throw noSuchResource();
    if (sub !== undefined && !type.subresources.some((s) => s.name === sub)) throw noSuchResource();
    if (!type.namespaced && name === undefined) namespace = undefined;
    if (type.namespaced && name !== undefined && namespace === undefined) throw noSuchResource();

    const method = req.method ?? "GET";
    const params = url.searchParams;
    const watching = params.get("watch") === "true" || params.get("watch") === "1";
    const verb =
      method === "GET" ? (name === undefined ? (watching ? "watch" : "list") : "get")
      : method === "POST" && name === undefined ? "create"
      : method === "PUT" && name !== undefined ? "update"
      : method === "PATCH" && name !== undefined ? "patch"
      : method === "DELETE" ? (name === undefined ? "deletecollection" : "delete")
      : undefined;
    const allowed = sub ? type.subresources.find((s) => s.name === sub)!.verbs : type.verbs;
    if (!verb || !allowed.includes(verb)) throw methodNotAllowed();
    const denied = this.denials.find((d) => d.resource === (sub ? `${resourceKey(type)}/${sub}` : resourceKey(type)) && (d.verb === undefined || d.verb === verb) && (d.namespace === undefined || d.namespace === namespace));
    if (denied) throw forbidden(type, this.options.user, verb, namespace, name);
    const wantsTable = /as=Table/.test(accept) && type.printer !== undefined;
    const dryRun = params.getAll("dryRun").includes("All");

    if (type.group === "metrics.k8s.io") return this.metricsRead(res, type, namespace, name, params);
    if (sub === "log") return this.podLog(res, namespace!, name!, params);
    if (sub === "exec") throw badRequest("Upgrade request required");
    if (sub === "scale") return this.scale(res, type, namespace!, name!, verb, verb === "update" ? decodeObject() : body, contentType, dryRun);

    switch (verb) {
      case "list":
        return this.list(res, type, namespace, params, wantsTable);
      case "watch":
        return this.watch(req, res, type, namespace, params, wantsTable);
      case "get": {
        const o = this.store.mustGet(type, namespace, name!);
        return wantsTable ? sendTable(res, table(type.printer!, [o], {}, params.get("includeObject") ?? "Metadata", this.options.now())) : send(res, 200, o);
      }
      case "create": {
        const o = decodeObject();
        checkTypeMeta(type, o);
        if (type.namespaced) {
          if (o.metadata?.namespace && o.metadata.namespace !== namespace) {
            throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
          }
          o.metadata = { ...o.metadata, namespace };
          if (!this.store.get(namespaceType, undefined, namespace!)) throw notFound(namespaceType, namespace!);
        }
        const created = this.store.create(type, prepareForCreate(type, normalize(type, o)), { dryRun });
        if (type === namespaceType && !dryRun) {
          this.store.update(namespaceType, { ...created, status: { phase: "Active" } }, { withStatus: true });
        }
        return send(res, 201, dryRun ? created : this.store.mustGet(type, namespace, created.metadata.name));
      }
      case "update": {
        const o = decodeObject();
        checkTypeMeta(type, o);
        if (o.metadata?.name !== name) throw badRequest(`the name of the object (${o.metadata?.name}) does not match the name on the URL (${name})`);
        if (type.namespaced && o.metadata.namespace && o.metadata.namespace !== namespace) {
          throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
        }
        o.metadata.namespace = namespace;
        return send(res, 200, this.store.update(type, normalize(type, o), { dryRun }));
      }
      case "patch": {
        const current = this.store.mustGet(type, namespace, name!);
        const patched = applyPatch(current, body, contentType);
        if (patched?.metadata?.name !== name) throw badRequest(`the name of the object (${patched?.metadata?.name}) does not match the name on the URL (${name})`);
        return send(res, 200, this.store.update(type, normalize(type, patched), { dryRun }));
      }
      case "delete": {
        // kubectl and client-node send DeleteOptions as JSON; a protobuf one is read as defaults.
        const options = body && !isProtobuf(contentType) ? parseJson(body) : {};
        const current = this.store.mustGet(type, namespace, name!);
        const pre = options.preconditions ?? {};
        if ((pre.uid && pre.uid !== current.metadata.uid) || (pre.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion)) {
          throw conflict(type, name!);
        }
        const deleted = this.store.delete(type, namespace, name!, { dryRun });
        if (type.deleteReturnsObject) return send(res, 200, deleted);
        return send(res, 200, {
          kind: "Status",
          apiVersion: "v1",
          metadata: {},
          status: "Success",
          details: { name, ...(type.group ? { group: type.group } : {}), kind: type.resource, uid: current.metadata.uid },
        });
      }
      case "deletecollection": {
        const selected = this.select(type, namespace, params);
        for (const o of selected) this.store.delete(type, o.metadata.namespace, o.metadata.name, { dryRun });
        return send(res, 200, { kind: `${type.kind}List`, apiVersion: apiVersionOf(type), metadata: { resourceVersion: String(this.store.currentRevision) }, items: selected.map(stripTypeMeta) });
      }
    }
  }

  private groups() {
    const byGroup = new Map<string, string[]>();
    for (const gv of groupVersions()) {
      if (gv.group === "" || (gv.group === "metrics.k8s.io" && this.metrics === "absent")) continue;
      byGroup.set(gv.group, [...(byGroup.get(gv.group) ?? []), gv.version]);
    }
    return [...byGroup].map(([name, versions]) => ({
      name,
      versions: versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
      preferredVersion: { groupVersion: `${name}/${versions[0]}`, version: versions[0] },
    }));
  }

  private resourceList(group: string, version: string) {
    const resources = resourceTypes
      .filter((t) => t.group === group && t.version === version)
      .flatMap((t) => [
        {
          name: t.resource,
          singularName: t.singular,
          namespaced: t.namespaced,
          kind: t.kind,
          verbs: t.verbs,
          ...(t.shortNames ? { shortNames: t.shortNames } : {}),
          ...(t.categories ? { categories: t.categories } : {}),
        },
        ...t.subresources.map((s) => ({
          name: `${t.resource}/${s.name}`,
          singularName: "",
          namespaced: t.namespaced,
          ...(s.group !== undefined ? { group: s.group, version: s.version } : {}),
          kind: s.kind,
          verbs: s.verbs,
        })),
      ]);
    return { kind: "APIResourceList", ...(group ? { apiVersion: "v1" } : {}), groupVersion: group ? `${group}/${version}` : version, resources };
  }

  private select(type: ResourceType, namespace: string | undefined, params: URLSearchParams): KubeObject[] {
    const labels = parseLabelSelector(params.get("labelSelector"));
    const fields = parseFieldSelector(params.get("fieldSelector"), {
      "metadata.name": (o) => o.metadata?.name,
      ...(type.namespaced ? { "metadata.namespace": (o: KubeObject) => o.metadata?.namespace } : {}),
      ...type.fields,
    });
    return this.store.list(type, namespace).filter((o) => labels(o.metadata.labels) && fields(o));
  }

  private list(res: ServerResponse, type: ResourceType, namespace: string | undefined, params: URLSearchParams, wantsTable: boolean) {
    let items = this.select(type, namespace, params);
    const listMeta: KubeObject = { resourceVersion: String(this.store.currentRevision) };
    const limit = Number(params.get("limit") ?? 0);
    const token = params.get("continue");
    let start = 0;
    if (token) {
      try {
        start = JSON.parse(Buffer.from(token, "base64").toString()).start;
      } catch {
        throw badRequest("continue key is not valid: illegal base64 data at input byte 0");
      }
    }
    if (limit > 0 && start + limit < items.length) {
      listMeta.continue = Buffer.from(JSON.stringify({ start: start + limit })).toString("base64");
      listMeta.remainingItemCount = items.length - start - limit;
    }
    items = limit > 0 ? items.slice(start, start + limit) : items.slice(start);
    if (wantsTable) return sendTable(res, table(type.printer!, items, listMeta, params.get("includeObject") ?? "Metadata", this.options.now()));
    return send(res, 200, { kind: `${type.kind}List`, apiVersion: apiVersionOf(type), metadata: listMeta, items: items.map(stripTypeMeta) });
  }

  private watch(req: IncomingMessage, res: ServerResponse, type: ResourceType, namespace: string | undefined, params: URLSearchParams, wantsTable: boolean) {
    const labels = parseLabelSelector(params.get("labelSelector"));
    const fields = parseFieldSelector(params.get("fieldSelector"), {
      "metadata.name": (o) => o.metadata?.name,
      ...(type.namespaced ? { "metadata.namespace": (o: KubeObject) => o.metadata?.namespace } : {}),
      ...type.fields,
    });
    const matches = (o: KubeObject | undefined) =>
      o !== undefined && (namespace === undefined || o.metadata.namespace === namespace) && labels(o.metadata.labels) && fields(o);
    const includeObject = params.get("includeObject") ?? "Metadata";
    let first = true;
    const present = (o: KubeObject) => {
      if (!wantsTable) return o;
      const t = table(type.printer!, [o], { resourceVersion: o.metadata.resourceVersion }, includeObject, this.options.now(), first);
      first = false;
      return t;
    };
    res.writeHead(200, {
      "Content-Type": wantsTable ? "application/json;as=Table;v=v1;g=meta.k8s.io" : "application/json",
      "Transfer-Encoding": "chunked",
      "Cache-Control": "no-cache, private",
    });
    res.flushHeaders();
    const sendEvent = (kind: string, o: KubeObject) => res.write(`${JSON.stringify({ type: kind, object: present(o) })}\n`);
    const onEvent = (e: StoredEvent) => {
      if (e.resource !== resourceKey(type)) return;
      const now = e.type !== "DELETED" && matches(e.object);
      const before = matches(e.previous);
      if (e.type === "DELETED") {
        if (before) sendEvent("DELETED", e.object);
      } else if (now && before) sendEvent("MODIFIED", e.object);
      else if (now) sendEvent("ADDED", e.object);
      else if (before) sendEvent("DELETED", e.object);
    };
    const rv = params.get("resourceVersion");
    const initial = params.get("sendInitialEvents") === "true";
    if (!rv || rv === "0" || initial) {
      for (const o of this.store.list(type, namespace)) if (matches(o)) sendEvent("ADDED", o);
      if (initial) {
        res.write(
          `${JSON.stringify({ type: "BOOKMARK", object: { kind: type.kind, apiVersion: apiVersionOf(type), metadata: { resourceVersion: String(this.store.currentRevision), annotations: { "k8s.io/initial-events-end": "true" } } } })}\n`,
        );
      }
    } else {
      for (const e of this.store.since(Number(rv), resourceKey(type))) onEvent(e);
    }
    const unsubscribe = this.store.subscribe(onEvent);
    const timeout = params.get("timeoutSeconds");
    const timer = timeout ? setTimeout(() => res.end(), Number(timeout) * 1000) : undefined;
    this.openResponses.add(res);
    const done = () => {
      unsubscribe();
      clearTimeout(timer);
      this.openResponses.delete(res);
    };
    res.on("close", done);
    req.on("close", done);
  }

  private podLog(res: ServerResponse, namespace: string, name: string, params: URLSearchParams) {
    const pod = this.store.mustGet(podType, namespace, name);
    const query = LogStore.parseQuery(params, name);
    const container = LogStore.pickContainer(pod, query.container);
    const { text, follow } = this.logs.read(pod, container, query, this.options.now());
    if (!follow) return sendText(res, 200, text);
    res.writeHead(200, { "Content-Type": "text/plain", "Transfer-Encoding": "chunked" });
    res.write(text);
    const stop = follow((line) => res.write(line));
    this.openResponses.add(res);
    res.on("close", () => {
      stop();
      this.openResponses.delete(res);
    });
  }

  /** `{deployments,replicasets}/{name}/scale`: an autoscaling/v1 Scale view of spec.replicas. */
  private scale(res: ServerResponse, type: ResourceType, namespace: string, name: string, verb: string, body: string | KubeObject, contentType: string, dryRun: boolean) {
    const current = this.store.mustGet(type, namespace, name);
    const view = scaleOf(current);
    if (verb === "get") return send(res, 200, view);
    const wanted = verb === "update" ? body : applyPatch(view, body, contentType);
    if (verb === "update") checkTypeMeta({ group: "autoscaling", version: "v1", kind: "Scale" }, wanted);
    const replicas = wanted?.spec?.replicas;
    const scaleName = { group: "autoscaling", resource: "scale", kind: "Scale" };
    if (typeof replicas !== "number" || !Number.isInteger(replicas) || replicas < 0) {
      throw invalid(scaleName, name, [invalidValue("spec.replicas", replicas, "must be greater than or equal to 0")]);
    }
    const rv = wanted.metadata?.resourceVersion;
    if (rv && rv !== current.metadata.resourceVersion) throw conflict(type, name);
    const updated = this.store.update(type, { ...current, spec: { ...current.spec, replicas } }, { dryRun });
    return send(res, 200, scaleOf(updated));
  }

  private metricsRead(res: ServerResponse, type: ResourceType, namespace: string | undefined, name: string | undefined, params: URLSearchParams) {
    const now = timestamp(this.options.now());
    // metrics-server answers for objects that exist, with their current labels, stamped "now".
    const source = type.resource === "pods" ? podType : nodeType;
    const present = (m: KubeObject, o: KubeObject) => ({
      ...m,
      metadata: { name: m.metadata.name, ...(m.metadata.namespace ? { namespace: m.metadata.namespace } : {}), creationTimestamp: now, labels: o.metadata.labels ?? {} },
      timestamp: now,
    });
    if (name !== undefined) {
      const o = this.store.get(source, namespace, name);
      const m = this.store.get(type, namespace, name);
      if (!o || !m) throw notFound(type, name);
      return send(res, 200, present(m, o));
    }
    const items = this.select(source, namespace, params).flatMap((o) => {
      const m = this.store.get(type, o.metadata.namespace, o.metadata.name);
      return m ? [stripTypeMeta(present(m, o))] : [];
    });
    return send(res, 200, { kind: `${type.kind}List`, apiVersion: apiVersionOf(type), metadata: {}, items });
  }
}

function scaleOf(o: KubeObject): KubeObject {
  const selector = Object.entries<string>(o.spec?.selector?.matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
  return {
    kind: "Scale",
    apiVersion: "autoscaling/v1",
    metadata: {
      name: o.metadata.name,
      namespace: o.metadata.namespace,
      uid: o.metadata.uid,
      resourceVersion: o.metadata.resourceVersion,
      creationTimestamp: o.metadata.creationTimestamp,
    },
    spec: { replicas: o.spec?.replicas ?? 0 },
    status: { replicas: o.status?.replicas ?? 0, selector },
  };
}

function applyPatch(current: KubeObject, body: string, contentType: string): KubeObject {
  const media = contentType.split(";")[0]!.trim();
  let patch: KubeObject;
  try {
    patch = JSON.parse(body);
  } catch (error) {
    throw badRequest(`error decoding patch: ${(error as Error).message}`);
  }
  switch (media) {
    case "application/json-patch+json":
      return jsonPatch(current, patch);
    case "application/merge-patch+json":
      return mergePatch(current, patch);
    case "application/strategic-merge-patch+json":
      return strategicMergePatch(current, patch);
    default:
      throw unsupportedPatch();
  }
}

/**
 * What the registry strategies do on create: a new pod is Pending until a kubelet runs it (none
 * does here), a new workload has no status until its controller writes one.
 */
function prepareForCreate(type: ResourceType, o: KubeObject): KubeObject {
  if (type.kind === "Pod") o.status = { phase: "Pending", qosClass: "BestEffort" };
  else if (type.generation) delete o.status;
  return o;
}

/** Secrets: `stringData` is write-only, folded into base64 `data` as the real server does. */
function normalize(type: ResourceType, o: KubeObject): KubeObject {
  if (type.kind === "Secret") {
    o.type ??= "Opaque";
    if (o.stringData) {
      o.data = { ...o.data };
      for (const [k, v] of Object.entries<string>(o.stringData)) o.data[k] = Buffer.from(v).toString("base64");
      delete o.stringData;
    }
  }
  return o;
}

function checkTypeMeta(type: { group: string; version: string; kind: string }, o: KubeObject) {
  if (typeof o !== "object" || o === null || Array.isArray(o)) throw badRequest("Object 'Kind' is missing in the request body");
  const expected = apiVersionOf(type);
  if (o.apiVersion !== undefined && o.apiVersion !== expected) {
    throw badRequest(`the API version in the data (${o.apiVersion}) does not match the expected API version (${expected})`);
  }
  if (o.kind !== undefined && o.kind !== type.kind) throw badRequest(`the kind in the data (${o.kind}) does not match the expected kind (${type.kind})`);
}

function parseJson(body: string): KubeObject {
  try {
    return JSON.parse(body);
  } catch (error) {
    throw badRequest(`the body of the request could not be decoded: ${(error as Error).message}`);
  }
}

const stripTypeMeta = ({ kind: _k, apiVersion: _a, ...rest }: KubeObject) => rest;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, code: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(code, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), "Cache-Control": "no-cache, private" });
  res.end(text);
}

function sendTable(res: ServerResponse, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(200, { "Content-Type": "application/json;as=Table;v=v1;g=meta.k8s.io", "Content-Length": Buffer.byteLength(text), "Cache-Control": "no-cache, private" });
  res.end(text);
}

function sendText(res: ServerResponse, code: number, text: string) {
  res.writeHead(code, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": Buffer.byteLength(text), "X-Content-Type-Options": "nosniff" });
  res.end(text);
}
