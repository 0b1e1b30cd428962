/**
 * The demo fleet: a few demo game servers on loopback, started by `gameops up --demo` so that
 * every runbook can act on a real fleet on one machine. The supervisor spawns them, restarts one
 * on request (a new process, a new pid, the same port), scales, and stops them all when it
 * closes or its process ends — a game server never outlives it (see game-process.ts).
 *
 * Another process (the CLI running a runbook while `gameops up --demo` serves) reaches the fleet
 * through the supervisor's control endpoint, written with its token to
 * `<dataDir>/demo-fleet/fleet.json` (mode 0600); `demoFleetTarget(dataDir)` reads it back.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { FleetTarget } from "../config/load.js";
import { Secret } from "../config/secret.js";
import { controlFileName } from "./control-file.js";
import { startControlServer, UnknownServerError } from "./fleet-control.js";
import { startGameServer, type GameServerProcess } from "./game-process.js";

export interface DemoFleetOptions {
  /** How many game servers; 3 by default. */
  size?: number;
  /** gameops' data directory: logs and the control file go to `<dataDir>/demo-fleet/`. */
  dataDir: string;
  /** Game servers on basePort, basePort+1, …; free ports when absent. */
  basePort?: number;
  region?: string;
  /** Simulated players: a join/leave turn every N ms (1000; 0 turns it off), and how many at start (5). */
  playerIntervalMs?: number;
  initialPlayers?: number;
}

export interface DemoServer {
  id: string;
  region: string;
  /** http://127.0.0.1:PORT: /healthz, /metrics, /admin/… */
  url: string;
  port: number;
  state: "up" | "down";
  pid?: number;
  startedAt?: string;
  restarts: number;
  logFile: string;
  /** How the last process ended, when it is down. */
  exit?: string;
}

export interface DemoFleet {
  /** The supervisor's control endpoint. */
  readonly url: string;
  /** What gameops' config needs: `config.targets.fleet = fleet.target`. */
  readonly target: FleetTarget;
  /** A log source for the logs check: `config.targets.logs.push(fleet.logSource)`. */
  readonly logSource: { name: string; files: string[] };
  servers(): DemoServer[];
  restart(id: string): Promise<DemoServer>;
  scale(size: number): Promise<DemoServer[]>;
  /** The switch servers start with; the fleet integration sets it with each server's. */
  setMaintenance(on: boolean, message?: string): void;
  maintenance(): { on: boolean; message?: string };
  close(): Promise<void>;
}

export const maxDemoFleetSize = 16;

interface Member {
  id: string;
  port: number;
  process?: GameServerProcess;
  restarts: number;
  exit?: string;
}

class Supervisor {
  private readonly members = new Map<string, Member>();
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private desiredMaintenance: { on: boolean; message?: string } = { on: false };
  private nextNumber = 1;

  constructor(
    private readonly options: Required<Pick<DemoFleetOptions, "dataDir" | "region">> & DemoFleetOptions,
    private readonly token: string,
    readonly dir: string,
  ) {}

  /** One change at a time: a restart racing a scale would fight over ports and ids. */
  serialize<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  list(): DemoServer[] {
    return [...this.members.values()].map((m) => this.describe(m));
  }

  describe(m: Member): DemoServer {
    const up = m.process !== undefined && m.process.child.exitCode === null && m.process.child.signalCode === null;
    return {
      id: m.id,
      region: this.options.region,
      url: `http://127.0.0.1:${m.port}`,
      port: m.port,
      state: up ? "up" : "down",
      ...(up ? { pid: m.process!.pid, startedAt: m.process!.startedAt.toISOString() } : {}),
      restarts: m.restarts,
      logFile: this.logFile(m.id),
      ...(!up && m.exit ? { exit: m.exit } : {}),
    };
  }

  private logFile(id: string): string {
    return join(this.dir, `${id}.log`);
  }

  async add(): Promise<Member> {
    const id = `game-${this.nextNumber++}`;
    const member: Member = { id, port: this.options.basePort === undefined ? 0 : this.options.basePort + this.members.size, restarts: 0 };
    this.members.set(id, member);
    try {
      await this.spawn(member);
    } catch (error) {
      this.members.delete(id);
      this.nextNumber--;
      throw error;
    }
    return member;
  }

  private async spawn(member: Member): Promise<void> {
    if (this.closed) throw new Error("the demo fleet is closed");
    const process = await startGameServer({
      id: member.id,
      region: this.options.region,
      port: member.port,
      logFile: this.logFile(member.id),
      adminToken: this.token,
      ...(this.desiredMaintenance.on ? { maintenance: { ...(this.desiredMaintenance.message ? { message: this.desiredMaintenance.message } : {}) } } : {}),
      ...(this.options.playerIntervalMs !== undefined ? { playerIntervalMs: this.options.playerIntervalMs } : {}),
      ...(this.options.initialPlayers !== undefined ? { initialPlayers: this.options.initialPlayers } : {}),
    });
    // A restart keeps the port, so a Prometheus scrape config and bookmarks stay right.
    member.port = process.port;
    member.process = process;
    delete member.exit;
    void process.exited.then(({ code, signal }) => {
      if (member.process === process) member.exit = signal ? `killed by ${signal}` : `exited with code ${code}`;
    });
  }

  restart(id: string): Promise<DemoServer> {
    return this.serialize(async () => {
      const member = this.members.get(id);
      if (!member) throw new UnknownServerError(id, [...this.members.keys()]);
      await member.process?.stop();
      member.restarts++;
      await this.spawn(member);
      return this.describe(member);
    });
  }

  scale(size: number): Promise<DemoServer[]> {
    if (!Number.isInteger(size) || size < 0 || size > maxDemoFleetSize) {
      return Promise.reject(new RangeError(`the demo fleet's size must be a whole number from 0 to ${maxDemoFleetSize}, not ${size}`));
    }
    return this.serialize(async () => {
      while (this.members.size < size) await this.add();
      while (this.members.size > size) {
        const last = [...this.members.values()].at(-1)!;
        await last.process?.stop();
        this.members.delete(last.id);
        this.nextNumber--;
      }
      return this.list();
    });
  }

  setMaintenance(on: boolean, message?: string): void {
    this.desiredMaintenance = { on, ...(on && message ? { message } : {}) };
  }

  maintenance(): { on: boolean; message?: string } {
    return { ...this.desiredMaintenance };
  }

  /** At once, without waiting: for signal and exit handlers, where nothing asynchronous runs. */
  killAll(): void {
    for (const m of this.members.values()) m.process?.child.kill("SIGTERM");
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
    await Promise.all([...this.members.values()].map((m) => m.process?.stop()));
  }
}

/** Starts the demo fleet and resolves once every server listens. */
export async function startDemoFleet(options: DemoFleetOptions): Promise<DemoFleet> {
  const size = options.size ?? 3;
  if (!Number.isInteger(size) || size < 1 || size > maxDemoFleetSize) {
    throw new RangeError(`the demo fleet's size must be a whole number from 1 to ${maxDemoFleetSize}, not ${size}`);
  }
  const dir = join(options.dataDir, "demo-fleet");
  mkdirSync(dir, { recursive: true });
  const token = randomBytes(24).toString("base64url");
  const supervisor = new Supervisor({ ...options, region: options.region ?? "demo" }, token, dir);

  // Children die with us: on SIGTERM/SIGINT (then the default action, unless someone else,
  // like `gameops up`, handles the signal) and on exit. SIGKILL is covered by the children's stdin.
  const onSignal = (signal: NodeJS.Signals) => {
    supervisor.killAll();
    if (process.listenerCount(signal) === 1) {
      removeHandlers();
      process.kill(process.pid, signal);
    }
  };
  const onExit = () => supervisor.killAll();
  const removeHandlers = () => {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
    process.off("exit", onExit);
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  process.on("exit", onExit);

  let control: Awaited<ReturnType<typeof startControlServer>> | undefined;
  try {
    await supervisor.serialize(async () => {
      // One by one: on two cores, starting them together only makes each start slower.
      for (let i = 0; i < size; i++) await supervisor.add();
    });
    control = await startControlServer(supervisor, token);
  } catch (error) {
    await supervisor.close();
    removeHandlers();
    throw error;
  }
  const controlFile = join(dir, controlFileName);
  writeFileSync(controlFile, `${JSON.stringify({ url: control.url, token, pid: process.pid })}\n`, { mode: 0o600 });

  let closing: Promise<void> | undefined;
  return {
    url: control.url,
    target: { kind: "local", url: control.url, token: new Secret(token) },
    logSource: { name: "demo-fleet", files: [join(dir, "*.log")] },
    servers: () => supervisor.list(),
    restart: (id) => supervisor.restart(id),
    scale: (n) => supervisor.scale(n),
    setMaintenance: (on, message) => supervisor.setMaintenance(on, message),
    maintenance: () => supervisor.maintenance(),
    close: () =>
      (closing ??= (async () => {
        rmSync(controlFile, { force: true });
        await control.close();
        await supervisor.close();
        removeHandlers();
      })()),
  };
}

export { demoFleetTarget } from "./control-file.js";
