import { Session } from "node:inspector/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { getHeapSnapshot } from "node:v8";
import type { Readable } from "node:stream";

/**
 * A CPU profile of this process's main thread, taken with the inspector in-process (what
 * `--cpu-prof` writes, without a restart): the `.cpuprofile` JSON that Chrome DevTools and
 * speedscope open. Resolves early with what was sampled if the signal aborts.
 */
export async function cpuProfile(durationMs: number, signal?: AbortSignal): Promise<object> {
  const session = new Session();
  session.connect();
  try {
    await session.post("Profiler.enable");
    // 1 ms, as --cpu-prof-interval defaults to: fine enough for a few seconds of a hot loop.
    await session.post("Profiler.setSamplingInterval", { interval: 1000 });
    await session.post("Profiler.start");
    await sleep(durationMs, undefined, signal ? { signal } : {}).catch(() => undefined);
    const { profile } = await session.post("Profiler.stop");
    return profile;
  } finally {
    session.disconnect();
  }
}

/** A V8 heap snapshot (`.heapsnapshot` JSON) as a stream: it can be hundreds of megabytes. */
export function heapSnapshot(): Readable {
  return getHeapSnapshot();
}
