import type { GameLog } from "./game-log.js";

export interface Session {
  id: string;
  player: string;
  joinedAt: string;
}

export interface Broadcast {
  id: number;
  at: string;
  message: string;
  /** Players online when it was sent. */
  delivered: number;
}

export type JoinRefusal = "maintenance" | "not-accepting" | "full";

export interface GameOptions {
  server: string;
  region: string;
  maxPlayers: number;
  /** Start in maintenance mode (a Kubernetes pod reads it from the ConfigMap at start). */
  maintenance?: { message: string };
  log: GameLog;
  now?: () => Date;
}

const keptBroadcasts = 100;
export const defaultMaintenanceMessage = "The game is under maintenance. Please come back later.";

/**
 * The game's state as its operators see it: who is online, whether new sessions are let in,
 * maintenance mode and the messages broadcast to players. No I/O but the log.
 */
export class Game {
  readonly sessions = new Map<string, Session>();
  readonly broadcasts: Broadcast[] = [];
  sessionsTotal = 0;
  refusedTotal = 0;
  kickedTotal = 0;
  errorsTotal = 0;
  private accepting = true;
  private maintenanceOn: { message: string; since: string } | undefined;
  private sessionCounter = 0;
  private broadcastCounter = 0;
  private readonly now: () => Date;

  constructor(private readonly options: GameOptions) {
    this.now = options.now ?? (() => new Date());
    if (options.maintenance) this.maintenanceOn = { message: options.maintenance.message, since: this.now().toISOString() };
  }

  get server(): string {
    return this.options.server;
  }

  get maintenance(): { message: string; since: string } | undefined {
    return this.maintenanceOn;
  }

  /** Whether a player trying to join now gets in: accepting, and not in maintenance. */
  get acceptingSessions(): boolean {
    return this.accepting && this.maintenanceOn === undefined;
  }

  get acceptingFlag(): boolean {
    return this.accepting;
  }

  join(player: string): { session: Session } | { refused: JoinRefusal } {
    const refused: JoinRefusal | undefined =
      this.maintenanceOn ? "maintenance" : !this.accepting ? "not-accepting" : this.sessions.size >= this.options.maxPlayers ? "full" : undefined;
    if (refused) {
      this.refusedTotal++;
      this.options.log.write("INFO", `session refused for ${player}: ${refusalText[refused]}`);
      return { refused };
    }
    const session = { id: `${this.options.server}-s${++this.sessionCounter}`, player, joinedAt: this.now().toISOString() };
    this.sessions.set(session.id, session);
    this.sessionsTotal++;
    this.options.log.write("INFO", `${player} joined (session ${session.id}, ${this.sessions.size} online)`);
    return { session };
  }

  leave(sessionId: string): boolean {
    const session = this.sessions.get(sessionId);
    if (!session) return false;
    this.sessions.delete(sessionId);
    this.options.log.write("INFO", `${session.player} left (session ${session.id}, ${this.sessions.size} online)`);
    return true;
  }

  /** Maintenance on kicks everyone with the message; off lets players in again (if accepting). */
  setMaintenance(on: boolean, message = defaultMaintenanceMessage): void {
    if (on) {
      this.maintenanceOn = { message, since: this.now().toISOString() };
      this.options.log.write("INFO", `maintenance mode on: "${message}"`);
      for (const session of [...this.sessions.values()]) {
        this.sessions.delete(session.id);
        this.kickedTotal++;
        this.options.log.write("INFO", `kicked ${session.player} (session ${session.id}): "${message}"`);
      }
    } else if (this.maintenanceOn) {
      this.maintenanceOn = undefined;
      this.options.log.write("INFO", "maintenance mode off");
    }
  }

  setAccepting(on: boolean): void {
    if (on !== this.accepting) this.options.log.write("INFO", on ? "accepting new sessions" : "not accepting new sessions");
    this.accepting = on;
  }

  broadcast(message: string): Broadcast {
    const sent = { id: ++this.broadcastCounter, at: this.now().toISOString(), message, delivered: this.sessions.size };
    this.broadcasts.push(sent);
    if (this.broadcasts.length > keptBroadcasts) this.broadcasts.shift();
    this.options.log.write("INFO", `broadcast to ${sent.delivered} players: "${message}"`);
    return sent;
  }

  error(message: string): void {
    this.errorsTotal++;
    this.options.log.write("ERROR", message);
  }
}

const refusalText: Record<JoinRefusal, string> = {
  maintenance: "the server is in maintenance",
  "not-accepting": "the server is not accepting new sessions",
  full: "the server is full",
};

/** mulberry32: a tiny seeded generator, so a seed replays the same joins and leaves. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A stable number from a server id, the default seed: each server differs, every run repeats. */
export function seedOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}

/**
 * Simulated players: on each turn one may join and one may leave, decided by the seeded
 * generator, so the same seed gives the same sequence of decisions (not the same times).
 */
export class PlayerSimulation {
  private readonly random: () => number;
  private playerCounter = 0;

  constructor(
    private readonly game: Game,
    seed: number,
  ) {
    this.random = seededRandom(seed);
  }

  join(): void {
    this.game.join(`player-${String(++this.playerCounter).padStart(4, "0")}`);
  }

  turn(): void {
    if (this.random() < 0.5) this.join();
    const leave = this.random();
    if (leave < 0.3 && this.game.sessions.size > 0) {
      const ids = [...this.game.sessions.keys()];
      this.game.leave(ids[Math.floor(this.random() * ids.length)]!);
    }
  }
}
