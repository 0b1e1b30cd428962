/**
 * Server-side printing (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`), with the columns
 * and cell formats of k8s.io/kubernetes/pkg/printers/internalversion for the resources served.
 */
import type { KubeObject } from "./store.js";

export interface Column {
  name: string;
  type: "string" | "integer" | "number" | "boolean" | "date";
  format?: string;
  description: string;
  priority?: number;
}

export interface Printer {
  columns: Column[];
  cells(object: KubeObject, now: Date): unknown[];
}

const col = (name: string, type: Column["type"], description: string, priority = 0, format = ""): Column => ({
  name,
  type,
  format,
  description,
  priority,
});

const nameColumn = col("Name", "string", "Name must be unique within a namespace.", 0, "name");
const ageColumn = col("Age", "string", "CreationTimestamp is a timestamp representing the server time when this object was created.");

/** k8s.io/apimachinery/pkg/util/duration.HumanDuration */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const years = Math.floor(hours / 24 / 365);
  if (hours < 24 * 365 * 8) return Math.floor(hours / 24) % 365 === 0 ? `${years}y` : `${years}y${Math.floor(hours / 24) % 365}d`;
  return `${years}y`;
}

const age = (o: KubeObject, now: Date) => {
  const created = o.metadata?.creationTimestamp;
  return created ? humanDuration(now.getTime() - Date.parse(created)) : "<unknown>";
};

const orNone = (v: unknown) => (v === undefined || v === null || v === "" ? "<none>" : v);

function selectorText(selector: KubeObject): string {
  if (!selector) return "<none>";
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of selector.matchExpressions ?? []) {
    const op = String(e.operator).toLowerCase();
    if (op === "exists") parts.push(e.key);
    else if (op === "doesnotexist") parts.push(`!${e.key}`);
    else parts.push(`${e.key} ${op} (${(e.values ?? []).join(",")})`);
  }
  return parts.length > 0 ? parts.join(",") : "<none>";
}

const containerNames = (spec: KubeObject) => (spec?.containers ?? []).map((c: KubeObject) => c.name).join(",");
const containerImages = (spec: KubeObject) => (spec?.containers ?? []).map((c: KubeObject) => c.image).join(",");

/** printPod: the STATUS column's reason logic, READY n/m, RESTARTS "n (age ago)". */
function podCells(pod: KubeObject, now: Date): unknown[] {
  const statuses: KubeObject[] = pod.status?.containerStatuses ?? [];
  const total = pod.spec?.containers?.length ?? 0;
  let ready = 0;
  let restarts = 0;
  let lastRestart: number | undefined;
  let reason: string = pod.status?.reason || pod.status?.phase || "Unknown";

  let initializing = false;
  const initStatuses: KubeObject[] = pod.status?.initContainerStatuses ?? [];
  initStatuses.forEach((c, i) => {
    restarts += c.restartCount ?? 0;
    if (c.state?.terminated?.exitCode === 0) return;
    if (c.state?.running && c.started) return;
    initializing = true;
    if (c.state?.terminated) reason = c.state.terminated.reason ? `Init:${c.state.terminated.reason}` : `Init:ExitCode:${c.state.terminated.exitCode}`;
    else if (c.state?.waiting?.reason && c.state.waiting.reason !== "PodInitializing") reason = `Init:${c.state.waiting.reason}`;
    else reason = `Init:${i}/${initStatuses.length}`;
  });

  if (!initializing) {
    let hasRunning = false;
    for (const c of [...statuses].reverse()) {
      restarts += c.restartCount ?? 0;
      const finished = c.lastState?.terminated?.finishedAt;
      if (finished && (lastRestart === undefined || Date.parse(finished) > lastRestart)) lastRestart = Date.parse(finished);
      if (c.state?.waiting?.reason) reason = c.state.waiting.reason;
      else if (c.state?.terminated?.reason) reason = c.state.terminated.reason;
      else if (c.state?.terminated) reason = c.state.terminated.signal ? `Signal:${c.state.terminated.signal}` : `ExitCode:${c.state.terminated.exitCode}`;
      else if (c.ready && c.state?.running) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === "Completed" && hasRunning) {
      const podReady = (pod.status?.conditions ?? []).some((c: KubeObject) => c.type === "Ready" && c.status === "True");
      reason = podReady ? "Running" : "NotReady";
    }
  }
  if (pod.metadata?.deletionTimestamp) reason = pod.status?.reason === "NodeLost" ? "Unknown" : "Terminating";

  const restartText = lastRestart === undefined ? String(restarts) : `${restarts} (${humanDuration(now.getTime() - lastRestart)} ago)`;
  return [
    pod.metadata.name,
    `${ready}/${total}`,
    reason,
    restartText,
    age(pod, now),
    orNone(pod.status?.podIP),
    orNone(pod.spec?.nodeName),
    orNone(pod.status?.nominatedNodeName),
    pod.spec?.readinessGates?.length
      ? `${(pod.status?.conditions ?? []).filter((c: KubeObject) => pod.spec.readinessGates.some((g: KubeObject) => g.conditionType === c.type) && c.status === "True").length}/${pod.spec.readinessGates.length}`
      : "<none>",
  ];
}

function nodeCells(node: KubeObject, now: Date): unknown[] {
  const readyCondition = (node.status?.conditions ?? []).find((c: KubeObject) => c.type === "Ready");
  const states = [readyCondition?.status === "True" ? "Ready" : readyCondition ? "NotReady" : "Unknown"];
  if (node.spec?.unschedulable) states.push("SchedulingDisabled");
  const roles = new Set<string>();
  for (const [key, value] of Object.entries<string>(node.metadata?.labels ?? {})) {
    if (key.startsWith("node-role.kubernetes.io/")) roles.add(key.slice("node-role.kubernetes.io/".length));
    else if (key === "kubernetes.io/role" && value) roles.add(value);
  }
  const address = (type: string) => (node.status?.addresses ?? []).find((a: KubeObject) => a.type === type)?.address;
  const info = node.status?.nodeInfo ?? {};
  return [
    node.metadata.name,
    states.join(","),
    roles.size > 0 ? [...roles].sort().join(",") : "<none>",
    age(node, now),
    info.kubeletVersion ?? "",
    orNone(address("InternalIP")),
    orNone(address("ExternalIP")),
    info.osImage ?? "<unknown>",
    info.kernelVersion ?? "<unknown>",
    info.containerRuntimeVersion ?? "<unknown>",
  ];
}

function hpaTargets(hpa: KubeObject): string {
  const metrics: KubeObject[] = hpa.spec?.metrics ?? [];
  if (metrics.length === 0) return "<none>";
  const current: KubeObject[] = hpa.status?.currentMetrics ?? [];
  return metrics
    .map((m, i) => {
      if (m.type !== "Resource") return `${m.type}: <unknown>`;
      const now = current[i]?.resource?.current;
      const target = m.resource.target;
      if (target.type === "Utilization") {
        return `${m.resource.name}: ${now?.averageUtilization ?? "<unknown>"}${now?.averageUtilization === undefined ? "" : "%"}/${target.averageUtilization}%`;
      }
      return `${m.resource.name}: ${now?.averageValue ?? "<unknown>"}/${target.averageValue ?? target.value}`;
    })
    .join(", ");
}

const podColumns = [
  nameColumn,
  col("Ready", "string", "The aggregate readiness state of this pod for accepting traffic."),
  col("Status", "string", "The aggregate status of the containers in this pod."),
  col("Restarts", "string", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
  ageColumn,
  col("IP", "string", "IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.", 1),
  col("Node", "string", "NodeName is a request to schedule this pod onto a specific node.", 1),
  col("Nominated Node", "string", "nominatedNodeName is set only when this pod preempts other pods on the node.", 1),
  col("Readiness Gates", "string", "If specified, all readiness gates will be evaluated for pod readiness.", 1),
];

export const printers: Record<string, Printer> = {
  pods: { columns: podColumns, cells: podCells },
  nodes: {
    columns: [
      nameColumn,
      col("Status", "string", "The status of the node"),
      col("Roles", "string", "The roles of the node"),
      ageColumn,
      col("Version", "string", "Kubelet Version reported by the node."),
      col("Internal-IP", "string", "List of addresses reachable to the node. Queried from cloud provider, if available.", 1),
      col("External-IP", "string", "List of addresses reachable to the node. Queried from cloud provider, if available.", 1),
      col("OS-Image", "string", "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).", 1),
      col("Kernel-Version", "string", "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1),
      col("Container-Runtime", "string", "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).", 1),
    ],
    cells: nodeCells,
  },
  namespaces: {
    columns: [nameColumn, col("Status", "string", "The status of the namespace"), ageColumn],
    cells: (ns, now) => [ns.metadata.name, ns.status?.phase ?? "Active", age(ns, now)],
  },
  events: {
    columns: [
      col("Last Seen", "string", "Time when this Event was last observed."),
      col("Type", "string", "Type of this event (Normal, Warning), new types could be added in the future."),
      col("Reason", "string", "This should be a short, machine understandable string that gives the reason for this event being generated."),
      col("Object", "string", "The object this Event is about."),
      col("Message", "string", "A human-readable description of the status of this operation."),
      col("Source", "string", "The component reporting this event.", 1),
      col("Count", "string", "The number of times this event has occurred.", 1),
      col("Name", "string", nameColumn.description, 1, "name"),
    ],
    cells: (e, now) => {
      const last = e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp;
      return [
        last ? humanDuration(now.getTime() - Date.parse(last)) : "<unknown>",
        e.type ?? "",
        e.reason ?? "",
        `${String(e.involvedObject?.kind ?? "").toLowerCase()}/${e.involvedObject?.name ?? ""}`,
        String(e.message ?? "").trim(),
        e.source?.component ?? e.reportingComponent ?? "",
        String(e.count ?? 1),
        e.metadata.name,
      ];
    },
  },
  configmaps: {
    columns: [nameColumn, col("Data", "string", "Data contains the configuration data."), ageColumn],
    cells: (cm, now) => [cm.metadata.name, Object.keys(cm.data ?? {}).length + Object.keys(cm.binaryData ?? {}).length, age(cm, now)],
  },
  secrets: {
    columns: [nameColumn, col("Type", "string", "The type of the secret"), col("Data", "string", "The number of entries in the secret"), ageColumn],
    cells: (s, now) => [s.metadata.name, s.type ?? "Opaque", Object.keys(s.data ?? {}).length, age(s, now)],
  },
  deployments: {
    columns: [
      nameColumn,
      col("Ready", "string", "Number of the pod with ready state"),
      col("Up-to-date", "string", "Total number of non-terminated pods targeted by this deployment that have the desired template spec."),
      col("Available", "string", "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."),
      ageColumn,
      col("Containers", "string", "Names of each container in the template.", 1),
      col("Images", "string", "Images referenced by each container in the template.", 1),
      col("Selector", "string", "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.", 1),
    ],
    cells: (d, now) => [
      d.metadata.name,
      `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`,
      d.status?.updatedReplicas ?? 0,
      d.status?.availableReplicas ?? 0,
      age(d, now),
      containerNames(d.spec?.template?.spec),
      containerImages(d.spec?.template?.spec),
      selectorText(d.spec?.selector),
    ],
  },
  replicasets: {
    columns: [
      nameColumn,
      col("Desired", "integer", "Replicas is the number of desired replicas."),
      col("Current", "integer", "Replicas is the most recently observed number of replicas."),
      col("Ready", "integer", "The number of ready replicas for this replica set."),
      ageColumn,
      col("Containers", "string", "Names of each container in the template.", 1),
      col("Images", "string", "Images referenced by each container in the template.", 1),
      col("Selector", "string", "Selector is a label query over pods that should match the replica count.", 1),
    ],
    cells: (rs, now) => [
      rs.metadata.name,
      rs.spec?.replicas ?? 0,
      rs.status?.replicas ?? 0,
      rs.status?.readyReplicas ?? 0,
      age(rs, now),
      containerNames(rs.spec?.template?.spec),
      containerImages(rs.spec?.template?.spec),
      selectorText(rs.spec?.selector),
    ],
  },
  horizontalpodautoscalers: {
    columns: [
      nameColumn,
      col("Reference", "string", "Reference to target resource"),
      col("Targets", "string", "Current and target utilization"),
      col("MinPods", "string", "Minimum number of pods"),
      col("MaxPods", "string", "Maximum number of pods"),
      col("Replicas", "string", "Current number of replicas"),
      ageColumn,
    ],
    cells: (h, now) => [
      h.metadata.name,
      `${h.spec?.scaleTargetRef?.kind}/${h.spec?.scaleTargetRef?.name}`,
      hpaTargets(h),
      h.spec?.minReplicas ?? "<unset>",
      h.spec?.maxReplicas,
      h.status?.currentReplicas ?? 0,
      age(h, now),
    ],
  },
};

/** A Table of the given objects; `includeObject` as the request asked (Metadata by default). */
export function table(printer: Printer, objects: KubeObject[], listMeta: KubeObject, includeObject: string, now: Date, withColumns = true): KubeObject {
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata: listMeta,
    columnDefinitions: withColumns ? printer.columns : [],
    rows: objects.map((o) => ({
      cells: printer.cells(o, now),
      ...(includeObject === "None"
        ? {}
        : {
            object:
              includeObject === "Object"
                ? o
                : { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: o.metadata },
          }),
    })),
  };
}
