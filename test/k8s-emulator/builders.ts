/**
 * Builders of realistic objects for seeding the emulator: the shapes a real cluster returns
 * (kubelet-written pod status, node capacity/allocatable, metrics-server output), with only the
 * fields a test cares about as parameters.
 */
import { createHash } from "node:crypto";
import { timestamp, type KubeObject } from "./store.js";

const containerId = (seed: string) => `containerd://${createHash("sha256").update(seed).digest("hex")}`;
const imageId = (image: string) => `docker.io/library/${image.split(":")[0]}@sha256:${createHash("sha256").update(image).digest("hex")}`;

export interface NodeOptions {
  cpu?: string;
  memory?: string;
  /** Allocatable is capacity less system reservations; defaults to 95 % of memory, cpu minus 100m. */
  allocatableCpu?: string;
  allocatableMemory?: string;
  ready?: boolean;
  unschedulable?: boolean;
  roles?: string[];
  labels?: Record<string, string>;
  internalIP?: string;
  createdAt?: Date;
}

export function node(name: string, o: NodeOptions = {}): KubeObject {
  const created = o.createdAt ?? new Date(Date.now() - 30 * 86_400_000);
  const cpu = o.cpu ?? "4";
  const memory = o.memory ?? "16Gi";
  const transition = timestamp(created);
  const condition = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    lastHeartbeatTime: timestamp(new Date()),
    lastTransitionTime: transition,
    reason,
    message,
  });
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      creationTimestamp: timestamp(created),
      labels: {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        ...Object.fromEntries((o.roles ?? []).map((r) => [`node-role.kubernetes.io/${r}`, ""])),
        ...o.labels,
      },
      annotations: { "node.alpha.kubernetes.io/ttl": "0", "volumes.kubernetes.io/controller-managed-attach-detach": "true" },
    },
    spec: { podCIDR: "10.244.0.0/24", podCIDRs: ["10.244.0.0/24"], ...(o.unschedulable ? { unschedulable: true, taints: [{ key: "node.kubernetes.io/unschedulable", effect: "NoSchedule", timeAdded: timestamp(new Date()) }] } : {}) },
    status: {
      capacity: { cpu, "ephemeral-storage": "102626232Ki", "hugepages-2Mi": "0", memory, pods: "110" },
      allocatable: {
        cpu: o.allocatableCpu ?? cpu,
        "ephemeral-storage": "94580335255",
        "hugepages-2Mi": "0",
        memory: o.allocatableMemory ?? memory,
        pods: "110",
      },
      conditions: [
        condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
        condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        o.ready === false
          ? condition("Ready", "Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status.")
          : condition("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
      ],
      addresses: [
        { type: "InternalIP", address: o.internalIP ?? "172.18.0.2" },
        { type: "Hostname", address: name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: createHash("md5").update(name).digest("hex"),
        systemUUID: createHash("md5").update(`uuid-${name}`).digest("hex"),
        bootID: createHash("md5").update(`boot-${name}`).digest("hex"),
        kernelVersion: "6.1.0-18-amd64",
        osImage: "Debian GNU/Linux 12 (bookworm)",
        containerRuntimeVersion: "containerd://1.7.24",
        kubeletVersion: "v1.32.4",
        kubeProxyVersion: "v1.32.4",
        operatingSystem: "linux",
        architecture: "amd64",
      },
    },
  };
}

export interface ContainerOptions {
  name: string;
  image?: string;
  /** running (default), waiting or terminated, as in `status.containerStatuses[].state`. */
  state?: "running" | "waiting" | "terminated";
  /** waiting or terminated reason: CrashLoopBackOff, ImagePullBackOff, ContainerCreating, Completed, Error, OOMKilled… */
  reason?: string;
  exitCode?: number;
  ready?: boolean;
  restarts?: number;
  /** When the previous instance ended (`lastState.terminated.finishedAt`); needs `restarts` > 0. */
  lastTerminatedAt?: Date;
  lastTerminatedReason?: string;
  requests?: { cpu?: string; memory?: string };
  limits?: { cpu?: string; memory?: string };
}

export interface PodOptions {
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  node?: string;
  containers?: ContainerOptions[];
  /** Defaults from the containers: Running, or Succeeded/Failed when all terminated. */
  phase?: "Pending" | "Running" | "Succeeded" | "Failed" | "Unknown";
  /** Defaults to every container ready. */
  ready?: boolean;
  createdAt?: Date;
  podIP?: string;
  hostIP?: string;
  ownerReferences?: KubeObject[];
  /** `status.reason`, e.g. Evicted. */
  reason?: string;
  deleting?: boolean;
}

export function containerSpec(c: ContainerOptions): KubeObject {
  const resources: KubeObject = {};
  if (c.requests) resources.requests = c.requests;
  if (c.limits) resources.limits = c.limits;
  return {
    name: c.name,
    image: c.image ?? `registry.example.com/${c.name}:1.0.0`,
    imagePullPolicy: "IfNotPresent",
    resources,
    terminationMessagePath: "/dev/termination-log",
    terminationMessagePolicy: "File",
  };
}

function containerStatus(c: ContainerOptions, podName: string, started: Date, index: number): KubeObject {
  const state = c.state ?? "running";
  const image = c.image ?? `registry.example.com/${c.name}:1.0.0`;
  const ready = c.ready ?? state === "running";
  const restarts = c.restarts ?? 0;
  const lastEnded = c.lastTerminatedAt ?? (restarts > 0 ? new Date(Date.now() - 60_000) : undefined);
  const status: KubeObject = {
    name: c.name,
    ready,
    restartCount: restarts,
    image,
    imageID: imageId(image),
    started: state === "running",
    state:
      state === "running"
        ? { running: { startedAt: timestamp(lastEnded && lastEnded > started ? lastEnded : started) } }
        : state === "waiting"
          ? { waiting: { reason: c.reason ?? "ContainerCreating", ...(c.reason === "CrashLoopBackOff" ? { message: `back-off 5m0s restarting failed container=${c.name} pod=${podName}` } : {}) } }
          : { terminated: { exitCode: c.exitCode ?? 0, reason: c.reason ?? ((c.exitCode ?? 0) === 0 ? "Completed" : "Error"), startedAt: timestamp(started), finishedAt: timestamp(new Date()), containerID: containerId(`${podName}/${c.name}/t`) } },
    lastState: {},
  };
  if (state !== "waiting" || restarts > 0) status.containerID = containerId(`${podName}/${c.name}/${restarts}/${index}`);
  if (restarts > 0 && lastEnded) {
    status.lastState = {
      terminated: {
        exitCode: c.lastTerminatedReason === "OOMKilled" ? 137 : 1,
        reason: c.lastTerminatedReason ?? "Error",
        startedAt: timestamp(new Date(lastEnded.getTime() - 30_000)),
        finishedAt: timestamp(lastEnded),
        containerID: containerId(`${podName}/${c.name}/${restarts - 1}`),
      },
    };
  }
  return status;
}

/** Pod `status` as the kubelet writes it for the given containers. */
export function podStatus(name: string, containers: ContainerOptions[], o: Omit<PodOptions, "containers"> & { started: Date }): KubeObject {
  const statuses = containers.map((c, i) => containerStatus(c, name, o.started, i));
  const allTerminated = containers.every((c) => c.state === "terminated");
  const phase =
    o.phase ??
    (allTerminated ? (containers.every((c) => (c.exitCode ?? 0) === 0) ? "Succeeded" : "Failed") : containers.some((c) => c.state === "waiting" && (c.reason ?? "ContainerCreating") === "ContainerCreating") && statuses.every((s: KubeObject) => !s.state.running) ? "Pending" : "Running");
  const containersReady = o.ready ?? statuses.every((s: KubeObject) => s.ready);
  const t = timestamp(o.started);
  const notReady = statuses.filter((s: KubeObject) => !s.ready).map((s: KubeObject) => s.name);
  const cond = (type: string, ok: boolean, reason?: string) => ({
    type,
    status: ok ? "True" : "False",
    lastProbeTime: null,
    lastTransitionTime: t,
    ...(ok ? {} : { reason, message: `containers with unready status: [${notReady.join(" ")}]` }),
  });
  const done = phase === "Succeeded" || phase === "Failed";
  return {
    phase,
    ...(o.reason ? { reason: o.reason } : {}),
    conditions: [
      { type: "PodReadyToStartContainers", status: "True", lastProbeTime: null, lastTransitionTime: t },
      { type: "Initialized", status: "True", lastProbeTime: null, lastTransitionTime: t },
      done ? { ...cond("Ready", false, "PodCompleted"), message: undefined } : cond("Ready", containersReady, "ContainersNotReady"),
      done ? { ...cond("ContainersReady", false, "PodCompleted"), message: undefined } : cond("ContainersReady", containersReady, "ContainersNotReady"),
      { type: "PodScheduled", status: "True", lastProbeTime: null, lastTransitionTime: t },
    ],
    hostIP: o.hostIP ?? "172.18.0.2",
    hostIPs: [{ ip: o.hostIP ?? "172.18.0.2" }],
    podIP: o.podIP ?? "10.244.0.10",
    podIPs: [{ ip: o.podIP ?? "10.244.0.10" }],
    startTime: t,
    containerStatuses: statuses,
    qosClass: containers.every((c) => c.limits?.cpu && c.limits?.memory && JSON.stringify(c.limits) === JSON.stringify(c.requests ?? c.limits))
      ? "Guaranteed"
      : containers.some((c) => c.requests || c.limits)
        ? "Burstable"
        : "BestEffort",
  };
}

export function pod(name: string, o: PodOptions = {}): KubeObject {
  const created = o.createdAt ?? new Date(Date.now() - 2 * 86_400_000);
  const containers = o.containers ?? [{ name: "game-server" }];
  const status = podStatus(name, containers, { ...o, started: created });
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: o.namespace ?? "default",
      creationTimestamp: timestamp(created),
      labels: o.labels ?? {},
      ...(o.annotations ? { annotations: o.annotations } : {}),
      ...(o.ownerReferences ? { ownerReferences: o.ownerReferences } : {}),
      ...(o.deleting ? { deletionTimestamp: timestamp(new Date()), deletionGracePeriodSeconds: 30 } : {}),
    },
    spec: {
      containers: containers.map(containerSpec),
      restartPolicy: status.phase === "Succeeded" ? "Never" : "Always",
      terminationGracePeriodSeconds: 30,
      dnsPolicy: "ClusterFirst",
      serviceAccountName: "default",
      serviceAccount: "default",
      ...(o.node ? { nodeName: o.node } : {}),
      securityContext: {},
      schedulerName: "default-scheduler",
      tolerations: [
        { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
        { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
      ],
      priority: 0,
      enableServiceLinks: true,
      preemptionPolicy: "PreemptLowerPriority",
    },
    status,
  };
}

export interface DeploymentOptions {
  namespace?: string;
  replicas?: number;
  /** Selector and template labels; defaults to `app: <name>`. */
  labels?: Record<string, string>;
  containers?: ContainerOptions[];
  createdAt?: Date;
}

export function deployment(name: string, o: DeploymentOptions = {}): KubeObject {
  const labels = o.labels ?? { app: name };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name,
      namespace: o.namespace ?? "default",
      labels,
      ...(o.createdAt ? { creationTimestamp: timestamp(o.createdAt) } : {}),
    },
    spec: {
      replicas: o.replicas ?? 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: (o.containers ?? [{ name, image: `registry.example.com/${name}:1.0.0` }]).map(containerSpec),
          restartPolicy: "Always",
          terminationGracePeriodSeconds: 30,
          dnsPolicy: "ClusterFirst",
          securityContext: {},
          schedulerName: "default-scheduler",
        },
      },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "25%", maxSurge: "25%" } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    },
  };
}

export function configMap(name: string, data: Record<string, string>, o: { namespace?: string; immutable?: boolean } = {}): KubeObject {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, namespace: o.namespace ?? "default" },
    data,
    ...(o.immutable ? { immutable: true } : {}),
  };
}

/** Values are plain text here and stored base64-encoded, as `stringData` is by the real server. */
export function secret(name: string, values: Record<string, string>, o: { namespace?: string; type?: string } = {}): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace: o.namespace ?? "default" },
    type: o.type ?? "Opaque",
    data: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Buffer.from(v).toString("base64")])),
  };
}

export interface HpaOptions {
  namespace?: string;
  target: string;
  min?: number;
  max: number;
  cpuTargetPct: number;
  cpuCurrentPct?: number;
  currentReplicas?: number;
}

export function horizontalPodAutoscaler(name: string, o: HpaOptions): KubeObject {
  const replicas = o.currentReplicas ?? o.min ?? 1;
  return {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: { name, namespace: o.namespace ?? "default" },
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: o.target },
      minReplicas: o.min ?? 1,
      maxReplicas: o.max,
      metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: o.cpuTargetPct } } }],
    },
    status: {
      currentReplicas: replicas,
      desiredReplicas: replicas,
      ...(o.cpuCurrentPct === undefined
        ? {}
        : { currentMetrics: [{ type: "Resource", resource: { name: "cpu", current: { averageValue: "100m", averageUtilization: o.cpuCurrentPct } } }] }),
      conditions: [
        { type: "AbleToScale", status: "True", lastTransitionTime: timestamp(new Date()), reason: "ReadyForNewScale", message: "recommended size matches current size" },
        {
          type: "ScalingActive",
          status: o.cpuCurrentPct === undefined ? "False" : "True",
          lastTransitionTime: timestamp(new Date()),
          reason: o.cpuCurrentPct === undefined ? "FailedGetResourceMetric" : "ValidMetricFound",
          message: o.cpuCurrentPct === undefined ? "the HPA was unable to compute the replica count" : "the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)",
        },
      ],
    },
  };
}

/** metrics-server's NodeMetrics: cpu in nanocores ("123456789n"), memory in Ki. */
export function nodeMetrics(name: string, usage: { cpu: string; memory: string }): KubeObject {
  return {
    apiVersion: "metrics.k8s.io/v1beta1",
    kind: "NodeMetrics",
    metadata: { name, labels: { "kubernetes.io/hostname": name } },
    window: "20.041s",
    usage,
  };
}

export function podMetrics(name: string, o: { namespace?: string; labels?: Record<string, string>; containers: { name: string; cpu: string; memory: string }[] }): KubeObject {
  return {
    apiVersion: "metrics.k8s.io/v1beta1",
    kind: "PodMetrics",
    metadata: { name, namespace: o.namespace ?? "default", labels: o.labels ?? {} },
    window: "18.32s",
    containers: o.containers.map((c) => ({ name: c.name, usage: { cpu: c.cpu, memory: c.memory } })),
  };
}

/** A core/v1 Event about an object, as the kubelet or a controller records it. */
export function event(
  about: KubeObject,
  o: { reason: string; message: string; type?: "Normal" | "Warning"; count?: number; at?: Date; component?: string },
): KubeObject {
  const at = timestamp(o.at ?? new Date());
  return {
    apiVersion: "v1",
    kind: "Event",
    metadata: { name: `${about.metadata.name}.${createHash("sha1").update(o.reason + o.message).digest("hex").slice(0, 16)}`, namespace: about.metadata.namespace ?? "default" },
    involvedObject: {
      kind: about.kind,
      namespace: about.metadata.namespace,
      name: about.metadata.name,
      uid: about.metadata.uid,
      apiVersion: about.apiVersion,
    },
    reason: o.reason,
    message: o.message,
    source: { component: o.component ?? "kubelet" },
    firstTimestamp: at,
    lastTimestamp: at,
    count: o.count ?? 1,
    type: o.type ?? "Normal",
    eventTime: null,
    reportingComponent: o.component ?? "kubelet",
    reportingInstance: "",
  };
}
