/** A V8 `.cpuprofile`, as far as reading where the time went needs it. */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

export interface HotFunction {
  function: string;
  /** file:line (1-based), or "" for V8's own frames. */
  location: string;
  /** Share of all samples spent in the function itself (self time). */
  selfPercent: number;
}

/** Not code of the program: time the thread slept, or spent in V8 itself. */
const notCode = new Set(["(idle)", "(program)", "(garbage collector)", "(root)"]);

/** The functions with the most self time, busiest first: what a person reads first in a flame graph. */
export function hottestFunctions(profile: Record<string, unknown>, top = 5): HotFunction[] {
  const nodes = new Map<number, ProfileNode>();
  for (const node of (profile.nodes ?? []) as ProfileNode[]) nodes.set(node.id, node);
  const samples = (profile.samples ?? []) as number[];
  if (samples.length === 0) return [];
  const counts = new Map<string, { function: string; location: string; samples: number }>();
  for (const id of samples) {
    const frame = nodes.get(id)?.callFrame;
    if (!frame || notCode.has(frame.functionName)) continue;
    const name = frame.functionName || "(anonymous)";
    const location = frame.url ? `${frame.url.replace(/^file:\/\//, "")}:${frame.lineNumber + 1}` : "";
    const key = `${name}@${location}`;
    const entry = counts.get(key) ?? { function: name, location, samples: 0 };
    entry.samples++;
    counts.set(key, entry);
  }
  return [...counts.values()]
    .sort((a, b) => b.samples - a.samples)
    .slice(0, top)
    .map((e) => ({ function: e.function, location: e.location, selfPercent: Math.round((e.samples / samples.length) * 1000) / 10 }));
}
