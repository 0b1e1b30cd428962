import type { Game } from "./game.js";

/** Upper bounds in seconds; a tick is due every 50 ms, so anything past 0.05 is a late tick. */
const tickBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

export class Histogram {
  readonly counts = new Array<number>(tickBuckets.length).fill(0);
  sum = 0;
  count = 0;

  observe(seconds: number): void {
    this.sum += seconds;
    this.count++;
    for (let i = 0; i < tickBuckets.length; i++) if (seconds <= tickBuckets[i]!) this.counts[i]!++;
  }
}

/**
 * CPU used by the whole process (every thread) over the last few seconds, from samples taken on
 * each tick: what `top` would show, reported by the server itself so that a runbook finds the hot
 * one on a laptop and in a pod alike.
 */
export class CpuWindow {
  private readonly samples: { at: number; cpuMicros: number }[] = [];

  constructor(private readonly windowMs = 5000) {}

  sample(at = performance.now()): void {
    const usage = process.cpuUsage();
    this.samples.push({ at, cpuMicros: usage.user + usage.system });
    while (this.samples.length > 2 && this.samples[1]!.at < at - this.windowMs) this.samples.shift();
  }

  /** Percent of one core; 0 until two samples exist. */
  percent(): number {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last || last.at <= first.at) return 0;
    return Math.round(((last.cpuMicros - first.cpuMicros) / 1000 / (last.at - first.at)) * 1000) / 10;
  }
}

export interface MetricsInput {
  game: Game;
  ticks: Histogram;
  version: string;
  region: string;
  startedAt: Date;
}

const escapeLabel = (value: string) => value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');

/** The Prometheus text exposition format (version 0.0.4). */
export function renderMetrics({ game, ticks, version, region, startedAt }: MetricsInput): string {
  const out: string[] = [];
  const metric = (name: string, type: "gauge" | "counter", help: string, value: number, labels = "") => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name}${labels} ${value}`);
  };
  const cpu = process.cpuUsage();
  const memory = process.memoryUsage();
  metric("game_server_info", "gauge", "Which game server this is.", 1, `{server="${escapeLabel(game.server)}",region="${escapeLabel(region)}",version="${escapeLabel(version)}"}`);
  metric("players_online", "gauge", "Players connected now.", game.sessions.size);
  metric("game_sessions_total", "counter", "Sessions started since the process started.", game.sessionsTotal);
  metric("game_sessions_refused_total", "counter", "Players refused: maintenance, not accepting sessions, or full.", game.refusedTotal);
  metric("game_sessions_kicked_total", "counter", "Players kicked when maintenance mode was turned on.", game.kickedTotal);
  metric("game_errors_total", "counter", "Errors logged by the game.", game.errorsTotal);
  metric("game_broadcasts_total", "counter", "Messages broadcast to players.", game.broadcasts.length === 0 ? 0 : game.broadcasts.at(-1)!.id);
  metric("maintenance_mode", "gauge", "1 while the server is in maintenance mode.", game.maintenance ? 1 : 0);
  metric("accepting_sessions", "gauge", "1 while new players may join.", game.acceptingSessions ? 1 : 0);
  out.push("# HELP game_tick_duration_seconds Time one game tick took.", "# TYPE game_tick_duration_seconds histogram");
  tickBuckets.forEach((le, i) => out.push(`game_tick_duration_seconds_bucket{le="${le}"} ${ticks.counts[i]}`));
  out.push(`game_tick_duration_seconds_bucket{le="+Inf"} ${ticks.count}`, `game_tick_duration_seconds_sum ${ticks.sum}`, `game_tick_duration_seconds_count ${ticks.count}`);
  metric("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", (cpu.user + cpu.system) / 1e6);
  metric("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", memory.rss);
  metric("process_heap_bytes", "gauge", "V8 heap in use in bytes.", memory.heapUsed);
  metric("process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch in seconds.", startedAt.getTime() / 1000);
  return `${out.join("\n")}\n`;
}
