import { invalidValue, requiredValue, type FieldError } from "./status.js";
import { printers, type Printer } from "./tables.js";
import type { KubeObject } from "./store.js";

export interface Subresource {
  name: string;
  kind: string;
  verbs: string[];
  group?: string;
  version?: string;
}

export interface ResourceType {
  group: string;
  version: string;
  resource: string;
  kind: string;
  singular: string;
  namespaced: boolean;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  subresources: Subresource[];
  printer?: Printer;
  /** Extra field selectors beyond metadata.name / metadata.namespace. */
  fields: Record<string, (o: KubeObject) => string | undefined>;
  /** metadata.generation is bumped when `spec` changes (workload and autoscaling objects). */
  generation: boolean;
  /** Pods answer DELETE with the object; most resources with a Success Status. */
  deleteReturnsObject: boolean;
  validate?(object: KubeObject, old: KubeObject | undefined): FieldError[];
}

export const apiVersionOf = (t: { group: string; version: string }) => (t.group ? `${t.group}/${t.version}` : t.version);

const crud = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const configKey = /^[-._a-zA-Z0-9]+$/;

function validateName(o: KubeObject, label = false): FieldError[] {
  const name: unknown = o.metadata?.name;
  if (typeof name !== "string" || name === "") return [requiredValue("metadata.name", "name or generateName is required")];
  if (label) {
    if (name.length > 63 || !dns1123Label.test(name)) {
      return [
        invalidValue(
          "metadata.name",
          name,
          "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
        ),
      ];
    }
    return [];
  }
  if (name.length > 253 || !dns1123Subdomain.test(name)) {
    return [
      invalidValue(
        "metadata.name",
        name,
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      ),
    ];
  }
  return [];
}

function validateKeys(field: string, data: KubeObject): FieldError[] {
  return Object.keys(data ?? {})
    .filter((k) => !configKey.test(k))
    .map((k) =>
      invalidValue(
        `${field}[${k}]`,
        k,
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
      ),
    );
}

function validateImmutableData(o: KubeObject, old: KubeObject | undefined): FieldError[] {
  if (!old?.immutable) return [];
  const errors: FieldError[] = [];
  if (!o.immutable) errors.push({ field: "immutable", reason: "FieldValueForbidden", message: "Forbidden: field is immutable when `immutable` is set" });
  for (const field of ["data", "binaryData"]) {
    if (JSON.stringify(o[field] ?? {}) !== JSON.stringify(old[field] ?? {})) {
      errors.push({ field, reason: "FieldValueForbidden", message: "Forbidden: field is immutable when `immutable` is set" });
    }
  }
  return errors;
}

const nonNegative = (field: string, value: unknown): FieldError[] =>
  value !== undefined && (typeof value !== "number" || !Number.isInteger(value) || value < 0)
    ? [invalidValue(field, value, "must be greater than or equal to 0")]
    : [];

function validateWorkload(o: KubeObject, old: KubeObject | undefined): FieldError[] {
  const errors = [...validateName(o), ...nonNegative("spec.replicas", o.spec?.replicas)];
  const selector = o.spec?.selector?.matchLabels;
  const labels = o.spec?.template?.metadata?.labels ?? {};
  if (!o.spec?.selector) errors.push(requiredValue("spec.selector"));
  else if (selector && Object.entries<string>(selector).some(([k, v]) => labels[k] !== v)) {
    errors.push(invalidValue("spec.template.metadata.labels", labels, "`selector` does not match template `labels`"));
  }
  if (!o.spec?.template?.spec?.containers?.length) errors.push(requiredValue("spec.template.spec.containers"));
  if (old && JSON.stringify(old.spec?.selector) !== JSON.stringify(o.spec?.selector)) {
    errors.push(invalidValue("spec.selector", o.spec?.selector, "field is immutable"));
  }
  return errors;
}

const podFields: Record<string, (o: KubeObject) => string | undefined> = {
  "spec.nodeName": (o) => o.spec?.nodeName,
  "spec.restartPolicy": (o) => o.spec?.restartPolicy,
  "spec.schedulerName": (o) => o.spec?.schedulerName,
  "spec.serviceAccountName": (o) => o.spec?.serviceAccountName,
  "status.phase": (o) => o.status?.phase,
  "status.podIP": (o) => o.status?.podIP,
  "status.nominatedNodeName": (o) => o.status?.nominatedNodeName,
};

function type(partial: Partial<ResourceType> & Pick<ResourceType, "resource" | "kind" | "singular">): ResourceType {
  return {
    group: "",
    version: "v1",
    namespaced: true,
    verbs: crud,
    subresources: [],
    fields: {},
    generation: false,
    deleteReturnsObject: false,
    ...(printers[partial.resource] ? { printer: printers[partial.resource] } : {}),
    ...partial,
  };
}

/** Every resource the emulator serves, in discovery order. */
export const resourceTypes: ResourceType[] = [
  type({
    resource: "namespaces",
    kind: "Namespace",
    singular: "namespace",
    namespaced: false,
    verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
    shortNames: ["ns"],
    fields: { "status.phase": (o) => o.status?.phase },
    validate: (o) => validateName(o, true),
  }),
  type({
    resource: "nodes",
    kind: "Node",
    singular: "node",
    namespaced: false,
    shortNames: ["no"],
    fields: { "spec.unschedulable": (o) => String(Boolean(o.spec?.unschedulable)) },
    validate: (o) => validateName(o),
  }),
  type({
    resource: "pods",
    kind: "Pod",
    singular: "pod",
    shortNames: ["po"],
    categories: ["all"],
    subresources: [
      { name: "exec", kind: "PodExecOptions", verbs: ["create", "get"] },
      { name: "log", kind: "Pod", verbs: ["get"] },
    ],
    fields: podFields,
    deleteReturnsObject: true,
    validate: (o) => {
      const errors = validateName(o);
      if (!o.spec?.containers?.length) errors.push(requiredValue("spec.containers"));
      return errors;
    },
  }),
  type({
    resource: "events",
    kind: "Event",
    singular: "event",
    shortNames: ["ev"],
    fields: {
      "involvedObject.kind": (o) => o.involvedObject?.kind,
      "involvedObject.namespace": (o) => o.involvedObject?.namespace,
      "involvedObject.name": (o) => o.involvedObject?.name,
      "involvedObject.uid": (o) => o.involvedObject?.uid,
      "involvedObject.apiVersion": (o) => o.involvedObject?.apiVersion,
      "involvedObject.resourceVersion": (o) => o.involvedObject?.resourceVersion,
      "involvedObject.fieldPath": (o) => o.involvedObject?.fieldPath,
      reason: (o) => o.reason,
      reportingComponent: (o) => o.reportingComponent,
      source: (o) => o.source?.component,
      type: (o) => o.type,
    },
    validate: (o) => validateName(o),
  }),
  type({
    resource: "configmaps",
    kind: "ConfigMap",
    singular: "configmap",
    shortNames: ["cm"],
    validate: (o, old) => [
      ...validateName(o),
      ...validateKeys("data", o.data),
      ...validateKeys("binaryData", o.binaryData),
      ...validateImmutableData(o, old),
    ],
  }),
  type({
    resource: "secrets",
    kind: "Secret",
    singular: "secret",
    fields: { type: (o) => o.type },
    validate: (o, old) => {
      const errors = [...validateName(o), ...validateKeys("data", o.data), ...validateImmutableData(o, old)];
      if (old && old.type !== o.type) errors.push(invalidValue("type", o.type, "field is immutable"));
      for (const [k, v] of Object.entries(o.data ?? {})) {
        if (typeof v !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) errors.push(invalidValue(`data[${k}]`, "<secret contents redacted>", "must be base64-encoded"));
      }
      return errors;
    },
  }),
  type({
    group: "apps",
    resource: "deployments",
    kind: "Deployment",
    singular: "deployment",
    shortNames: ["deploy"],
    categories: ["all"],
    generation: true,
    subresources: [{ name: "scale", kind: "Scale", group: "autoscaling", version: "v1", verbs: ["get", "patch", "update"] }],
    validate: validateWorkload,
  }),
  type({
    group: "apps",
    resource: "replicasets",
    kind: "ReplicaSet",
    singular: "replicaset",
    shortNames: ["rs"],
    categories: ["all"],
    generation: true,
    fields: { "status.replicas": (o) => String(o.status?.replicas ?? 0) },
    subresources: [{ name: "scale", kind: "Scale", group: "autoscaling", version: "v1", verbs: ["get", "patch", "update"] }],
    validate: validateWorkload,
  }),
  type({
    group: "autoscaling",
    version: "v2",
    resource: "horizontalpodautoscalers",
    kind: "HorizontalPodAutoscaler",
    singular: "horizontalpodautoscaler",
    shortNames: ["hpa"],
    categories: ["all"],
    generation: true,
    validate: (o) => {
      const errors = validateName(o);
      if (!o.spec?.scaleTargetRef?.name) errors.push(requiredValue("spec.scaleTargetRef.name"));
      const min = o.spec?.minReplicas ?? 1;
      if (typeof o.spec?.maxReplicas !== "number" || o.spec.maxReplicas < min) {
        errors.push(invalidValue("spec.maxReplicas", o.spec?.maxReplicas, "must be greater than or equal to `minReplicas`"));
      }
      return errors;
    },
  }),
  type({
    group: "metrics.k8s.io",
    version: "v1beta1",
    resource: "nodes",
    kind: "NodeMetrics",
    singular: "",
    namespaced: false,
    verbs: ["get", "list"],
  }),
  type({
    group: "metrics.k8s.io",
    version: "v1beta1",
    resource: "pods",
    kind: "PodMetrics",
    singular: "",
    verbs: ["get", "list"],
  }),
];

export const resourceKey = (t: { group: string; resource: string }) => (t.group ? `${t.resource}.${t.group}` : t.resource);

export function findType(group: string, version: string, resource: string): ResourceType | undefined {
  return resourceTypes.find((t) => t.group === group && t.version === version && t.resource === resource);
}

/** The type of an object given to the seed helpers, by its apiVersion and kind. */
export function typeOfObject(object: KubeObject): ResourceType {
  const found = resourceTypes.find((t) => apiVersionOf(t) === object?.apiVersion && t.kind === object?.kind);
  if (!found) throw new Error(`the emulator does not serve ${object?.apiVersion} ${object?.kind}`);
  return found;
}

export const groupVersions = (): { group: string; version: string }[] => {
  const seen = new Map<string, { group: string; version: string }>();
  for (const t of resourceTypes) seen.set(apiVersionOf(t), { group: t.group, version: t.version });
  return [...seen.values()];
};
