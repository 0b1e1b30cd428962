import { formatDuration } from "../config/duration.js";
import type { CheckProgress } from "../engine/health/run-checks.js";
import { paintStatus } from "./table.js";

const frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/**
 * Live progress on a terminal: one line per running check with its elapsed time, redrawn in
 * place; finished checks scroll up as result lines. Off a terminal it stays silent.
 */
export function checkProgress(stream: NodeJS.WriteStream): { onProgress(event: CheckProgress): void; stop(): void } {
  if (!stream.isTTY) return { onProgress() {}, stop() {} };
  const running = new Map<string, { started: number; timeoutMs: number }>();
  let drawn = 0;
  let frame = 0;
  const clear = () => {
    if (drawn > 0) stream.write(`\x1b[${drawn}A\x1b[0J`);
    drawn = 0;
  };
  const draw = () => {
    clear();
    const spinner = frames[frame++ % frames.length];
    for (const [name, r] of running) {
      stream.write(`${spinner} ${name.padEnd(11)} ${formatDuration(performance.now() - r.started)} (timeout ${formatDuration(r.timeoutMs)})\n`);
      drawn++;
    }
  };
  const interval = setInterval(draw, 80);
  return {
    onProgress(event) {
      if (event.type === "started") running.set(event.name, { started: performance.now(), timeoutMs: event.timeoutMs });
      else {
        clear();
        running.delete(event.result.name);
        if (event.result.status !== "skipped") {
          stream.write(`${paintStatus(event.result.status, true).padEnd(17)} ${event.result.name} ${formatDuration(event.result.durationMs)}\n`);
        }
        draw();
      }
    },
    stop() {
      clearInterval(interval);
      clear();
    },
  };
}
