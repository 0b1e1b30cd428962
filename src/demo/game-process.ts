import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, openSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { packageRoot } from "../package-root.js";

export interface GameServerSpec {
  id: string;
  region: string;
  /** 0: any free port. */
  port: number;
  logFile: string;
  adminToken: string;
  maintenance?: { message?: string };
  seed?: number;
  /** How often a simulated player may join or leave; 0 turns the simulation off. */
  playerIntervalMs?: number;
  initialPlayers?: number;
}

export interface GameServerProcess {
  readonly id: string;
  readonly pid: number;
  readonly port: number;
  /** http://127.0.0.1:PORT */
  readonly url: string;
  readonly startedAt: Date;
  /** Resolves when the process has exited, with how. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly child: ChildProcess;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** How to run the game server: its bundle beside the CLI's, or its TypeScript source under tsx (tests, development). */
function command(): string[] {
  if (import.meta.url.endsWith(".ts")) {
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
    return [process.execPath, "--import", tsx, join(packageRoot(), "src/demo/game-server.ts")];
  }
  const bundle = join(packageRoot(), "dist/bundle/demo-game-server.js");
  if (!existsSync(bundle)) throw new Error(`the demo game server is not built (${bundle} is missing); run npm run build`);
  return [process.execPath, bundle];
}

/**
 * Starts one demo game server and resolves once it listens. The admin token goes on its stdin,
 * which stays open: when this process dies, even by SIGKILL, the pipe closes and the server
 * exits (`--supervised`), so no game server outlives the one that started it.
 */
export async function startGameServer(spec: GameServerSpec, options: { startTimeoutMs?: number } = {}): Promise<GameServerProcess> {
  const [program, ...prefix] = command();
  const args = [
    ...prefix,
    "--supervised",
    "--id", spec.id,
    "--region", spec.region,
    "--port", String(spec.port),
    "--log-file", spec.logFile,
    ...(spec.seed !== undefined ? ["--seed", String(spec.seed)] : []),
    ...(spec.playerIntervalMs !== undefined ? ["--player-interval", String(spec.playerIntervalMs)] : []),
    ...(spec.initialPlayers !== undefined ? ["--initial-players", String(spec.initialPlayers)] : []),
    ...(spec.maintenance ? ["--maintenance", ...(spec.maintenance.message ? ["--maintenance-message", spec.maintenance.message] : [])] : []),
  ];
  // gameops' own settings (passwords among them) are none of the game server's business.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("GAMEOPS_") && name !== "GAME_ADMIN_TOKEN"));
  const stderr = openSync(spec.logFile, "a");
  let child: ChildProcess;
  try {
    child = spawn(program!, args, { stdio: ["pipe", "pipe", stderr], env });
  } finally {
    closeSync(stderr);
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  // A write after the child died must not crash the supervisor.
  child.stdin!.on("error", () => {});
  child.stdin!.write(`${spec.adminToken}\n`);

  const timeoutMs = options.startTimeoutMs ?? 30_000;
  let listening: { port: number; pid: number };
  try {
    listening = await new Promise((resolve, reject) => {
      let text = "";
      const timer = setTimeout(() => reject(new Error(`game server ${spec.id} did not start listening within ${timeoutMs / 1000} s; see ${spec.logFile}`)), timeoutMs);
      const onData = (chunk: Buffer) => {
        text += chunk.toString("utf8");
        const newline = text.indexOf("\n");
        if (newline < 0) return;
        clearTimeout(timer);
        child.stdout!.off("data", onData);
        try {
          const line = JSON.parse(text.slice(0, newline)) as { listening: { port: number }; pid: number };
          resolve({ port: line.listening.port, pid: line.pid });
        } catch {
          reject(new Error(`game server ${spec.id} printed something else than its address: ${text.slice(0, newline).slice(0, 200)}`));
        }
      };
      child.stdout!.on("data", onData);
      child.once("error", (error) => {
        clearTimeout(timer);
        reject(new Error(`cannot start game server ${spec.id}: ${error.message}`));
      });
      void exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`game server ${spec.id} exited at start (${signal ?? `code ${code}`}); see ${spec.logFile}`));
      });
    });
  } catch (error) {
    child.kill("SIGKILL");
    await exited;
    throw error;
  }
  // Nothing more is read from stdout; keep it drained so the server never blocks on a full pipe.
  child.stdout!.resume();

  const stop = async (graceMs = 5000) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
  };
  return { id: spec.id, pid: listening.pid, port: listening.port, url: `http://127.0.0.1:${listening.port}`, startedAt: new Date(), exited, child, stop };
}
