import { join } from "node:path";
import { startGameServer, type GameServerProcess } from "../../src/demo/game-process.js";
import type { KubernetesEmulator } from "../k8s-emulator/index.js";

export interface PodRunnerOptions {
  namespace: string;
  /** Pods with these labels run a demo game server. */
  selector: Record<string, string>;
  /** The container port the game server's admin API is bound to, as the pod spec would say. */
  port: number;
  /** The ConfigMap the game server reads `maintenance_mode` from when it starts. */
  configMap: string;
  adminToken: string;
  logDir: string;
  initialPlayers: number;
}

/**
 * The emulator has no kubelet: this one runs a real demo game server for every pod of the fleet
 * (created by the emulated ReplicaSet) and binds the pod's port to it in the API server's proxy,
 * so the fleet's admin calls reach a real process. A deleted pod's process is stopped.
 */
export class PodRunner {
  readonly processes = new Map<string, GameServerProcess>();
  private readonly pending = new Set<Promise<void>>();
  private readonly unbinds = new Map<string, () => void>();
  private readonly unsubscribe: () => void;
  readonly errors: Error[] = [];

  constructor(
    private readonly emulator: KubernetesEmulator,
    private readonly options: PodRunnerOptions,
  ) {
    this.unsubscribe = emulator.proxy.onPods((event) => {
      const pod = event.object;
      if (!this.selects(pod)) return;
      if (event.type === "DELETED") this.track(this.stop(pod.metadata.name));
      else if (!this.processes.has(pod.metadata.name) && !this.unbinds.has(pod.metadata.name)) this.track(this.start(pod));
    });
    for (const pod of emulator.list("pods", options.namespace)) if (this.selects(pod)) this.track(this.start(pod));
  }

  // Pods as the emulator stores them: untyped JSON.
  private selects(pod: Record<string, any>): boolean {
    return pod.metadata.namespace === this.options.namespace && Object.entries(this.options.selector).every(([k, v]) => pod.metadata.labels?.[k] === v);
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch((error: Error) => void this.errors.push(error)).finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  private async start(pod: Record<string, any>): Promise<void> {
    const name: string = pod.metadata.name;
    // Reserve the name at once: the store reports a new pod as ADDED and then MODIFIED.
    this.unbinds.set(name, () => {});
    const cm = this.emulator.get("configmaps", this.options.namespace, this.options.configMap);
    const maintenance = cm?.data?.maintenance_mode === "true" ? { ...(cm.data.maintenance_message ? { message: cm.data.maintenance_message as string } : {}) } : undefined;
    const process = await startGameServer({
      id: name,
      region: pod.metadata.labels?.region ?? "eu-1",
      port: 0,
      logFile: join(this.options.logDir, `${name}.log`),
      adminToken: this.options.adminToken,
      playerIntervalMs: 0,
      initialPlayers: this.options.initialPlayers,
      ...(maintenance ? { maintenance } : {}),
    });
    if (!this.unbinds.has(name)) {
      // Deleted while it started.
      await process.stop();
      return;
    }
    this.processes.set(name, process);
    this.unbinds.set(name, this.emulator.proxy.bind(this.options.namespace, name, this.options.port, process.url));
  }

  private async stop(name: string): Promise<void> {
    this.unbinds.get(name)?.();
    this.unbinds.delete(name);
    const process = this.processes.get(name);
    this.processes.delete(name);
    await process?.stop();
  }

  /** Resolves once every pod seen so far has its process started (or stopped). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  async close(): Promise<void> {
    this.unsubscribe();
    await this.settled();
    await Promise.all([...this.processes.keys()].map((name) => this.stop(name)));
  }
}
