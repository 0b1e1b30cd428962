import { createWriteStream, type WriteStream } from "node:fs";

export type LogLevel = "INFO" | "WARN" | "ERROR";

/**
 * The game's own log: one line per event, `2026-05-01T09:00:00.123Z ERROR [game-1] …`, the shape
 * gameops' logs check and the troubleshooting runbooks read. To a file with `--log-file`,
 * otherwise to stdout.
 */
export class GameLog {
  private readonly stream: WriteStream | undefined;

  constructor(
    private readonly server: string,
    path: string | undefined,
  ) {
    this.stream = path ? createWriteStream(path, { flags: "a" }) : undefined;
    this.stream?.on("error", (error) => process.stderr.write(`game-server: cannot write the log ${path}: ${error.message}\n`));
  }

  write(level: LogLevel, message: string): void {
    const line = `${new Date().toISOString()} ${level.padEnd(5)} [${this.server}] ${message}\n`;
    if (this.stream) this.stream.write(line);
    else process.stdout.write(line);
  }

  /** Resolves once every line is on disk. */
  close(): Promise<void> {
    const stream = this.stream;
    if (!stream) return Promise.resolve();
    return new Promise((resolve) => stream.end(() => resolve()));
  }
}
