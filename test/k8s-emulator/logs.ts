import { badRequest, invalidValue, invalid, type FieldError } from "./status.js";
import type { KubeObject } from "./store.js";

export interface LogLine {
  time: Date;
  text: string;
}

/** What the kubelet has for one container: the current instance's log and the previous one's. */
interface ContainerLog {
  current: LogLine[];
  previous: LogLine[];
  followers: Set<(line: LogLine) => void>;
}

export interface LogQuery {
  container?: string;
  sinceSeconds?: number;
  sinceTime?: Date;
  tailLines?: number;
  limitBytes?: number;
  timestamps: boolean;
  previous: boolean;
  follow: boolean;
}

/** RFC3339Nano as the kubelet writes it (`2024-05-01T09:00:00.123000000Z`). */
const rfc3339Nano = (d: Date) => d.toISOString().replace(/\.(\d{3})Z$/, ".$1000000Z");

export class LogStore {
  private readonly logs = new Map<string, ContainerLog>();

  private entry(namespace: string, pod: string, container: string): ContainerLog {
    const key = `${namespace}/${pod}/${container}`;
    let e = this.logs.get(key);
    if (!e) this.logs.set(key, (e = { current: [], previous: [], followers: new Set() }));
    return e;
  }

  append(namespace: string, pod: string, container: string, lines: LogLine[], previous = false) {
    const e = this.entry(namespace, pod, container);
    (previous ? e.previous : e.current).push(...lines);
    if (!previous) for (const line of lines) for (const f of e.followers) f(line);
  }

  /** Validates a `pods/{name}/log` request the way the apiserver does, then picks the container. */
  static parseQuery(params: URLSearchParams, podName: string): LogQuery {
    const errors: FieldError[] = [];
    const int = (name: string) => {
      const raw = params.get(name);
      if (raw === null || raw === "") return undefined;
      if (!/^-?\d+$/.test(raw)) throw badRequest(`strconv.ParseInt: parsing ${JSON.stringify(raw)}: invalid syntax`);
      return Number(raw);
    };
    const bool = (name: string) => params.get(name) === "true" || params.get(name) === "1";
    const sinceSeconds = int("sinceSeconds");
    const tailLines = int("tailLines");
    const limitBytes = int("limitBytes");
    const sinceTimeRaw = params.get("sinceTime");
    const sinceTime = sinceTimeRaw ? new Date(sinceTimeRaw) : undefined;
    if (sinceTime && Number.isNaN(sinceTime.getTime())) throw badRequest(`parsing time ${JSON.stringify(sinceTimeRaw)} as "2006-01-02T15:04:05Z07:00": cannot parse`);
    if (sinceSeconds !== undefined && sinceSeconds < 1) errors.push(invalidValue("sinceSeconds", sinceSeconds, "must be greater than 0"));
    if (tailLines !== undefined && tailLines < 0) errors.push(invalidValue("tailLines", tailLines, "must be greater than or equal to 0"));
    if (limitBytes !== undefined && limitBytes < 1) errors.push(invalidValue("limitBytes", limitBytes, "must be greater than 0"));
    if (sinceSeconds !== undefined && sinceTime) errors.push({ field: "sinceSeconds", reason: "FieldValueForbidden", message: "Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified" });
    if (errors.length > 0) throw invalid({ group: "", resource: "pods", kind: "PodLogOptions" }, podName, errors);
    return {
      ...(params.get("container") ? { container: params.get("container")! } : {}),
      ...(sinceSeconds !== undefined ? { sinceSeconds } : {}),
      ...(sinceTime ? { sinceTime } : {}),
      ...(tailLines !== undefined ? { tailLines } : {}),
      ...(limitBytes !== undefined ? { limitBytes } : {}),
      timestamps: bool("timestamps"),
      previous: bool("previous"),
      follow: bool("follow"),
    };
  }

  /** The container whose log is asked for, or the apiserver's 400 when it cannot tell. */
  static pickContainer(pod: KubeObject, wanted: string | undefined): string {
    const names: string[] = (pod.spec?.containers ?? []).map((c: KubeObject) => c.name);
    const init: string[] = (pod.spec?.initContainers ?? []).map((c: KubeObject) => c.name);
    if (wanted) {
      if (![...names, ...init].includes(wanted)) {
        throw badRequest(`container ${wanted} is not valid for pod ${pod.metadata.name}`);
      }
      return wanted;
    }
    if (names.length === 1) return names[0]!;
    throw badRequest(
      `a container name must be specified for pod ${pod.metadata.name}, choose one of: [${names.join(" ")}]${init.length ? ` or one of the init containers: [${init.join(" ")}]` : ""}`,
    );
  }

  /** Log text for a query; a container that has not started gives the kubelet's 400. */
  read(pod: KubeObject, container: string, q: LogQuery, now: Date): { text: string; follow?: (push: (text: string) => void) => () => void } {
    const status = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])].find((s: KubeObject) => s.name === container);
    const waiting = status?.state?.waiting?.reason;
    if (!q.previous && (waiting === "ContainerCreating" || waiting === "PodInitializing" || (!status && pod.status?.phase === "Pending"))) {
      throw badRequest(`container "${container}" in pod "${pod.metadata.name}" is waiting to start: ${waiting ?? "ContainerCreating"}`);
    }
    const e = this.entry(pod.metadata.namespace, pod.metadata.name, container);
    if (q.previous && !status?.lastState?.terminated) {
      throw badRequest(`previous terminated container "${container}" in pod "${pod.metadata.name}" not found`);
    }
    const since = q.sinceTime ?? (q.sinceSeconds !== undefined ? new Date(now.getTime() - q.sinceSeconds * 1000) : undefined);
    const keep = (l: LogLine) => !since || l.time >= since;
    const format = (l: LogLine) => `${q.timestamps ? `${rfc3339Nano(l.time)} ` : ""}${l.text}\n`;
    let lines = (q.previous ? e.previous : e.current).filter(keep);
    if (q.tailLines !== undefined) lines = q.tailLines === 0 ? [] : lines.slice(-q.tailLines);
    let text = lines.map(format).join("");
    if (q.limitBytes !== undefined) text = Buffer.from(text).subarray(0, q.limitBytes).toString();
    if (!q.follow || q.previous) return { text };
    return {
      text,
      follow: (push) => {
        const listener = (line: LogLine) => push(format(line));
        e.followers.add(listener);
        return () => e.followers.delete(listener);
      },
    };
  }
}
