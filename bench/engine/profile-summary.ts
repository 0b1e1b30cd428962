import { relative } from "node:path";
import { fileURLToPath } from "node:url";

/** The parts of a V8 `.cpuprofile` (what `node --cpu-prof` writes) that a summary needs. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileSummary {
  file: string;
  sampledMs: number;
  /** Self time by where the code lives: a package, a folder of gameops, node internals, GC, idle. */
  byPlace: { place: string; ms: number; share: number }[];
  /** Self time by function, the heaviest first. */
  byFunction: { name: string; place: string; ms: number; share: number }[];
}

/** Self time per place and per function: where the CPU went, and how long the process sat idle waiting for I/O. */
export function summarizeProfile(profile: CpuProfile, file: string, repoRoot: string, top = 15): ProfileSummary {
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const selfUs = new Map<number, number>();
  // timeDeltas[i] is the time before sample i: sample i lasted until the next one.
  for (let i = 0; i < samples.length; i++) {
    const next = deltas[i + 1] ?? 0;
    selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + next);
  }
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const places = new Map<string, number>();
  const functions = new Map<string, { name: string; place: string; us: number }>();
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id);
    if (!us) continue;
    const { url, functionName, lineNumber } = node.callFrame;
    // Native code (better-sqlite3's statements, a socket's writev) has no URL: it is named by the JavaScript that called it.
    const caller = url || functionName.startsWith("(") ? undefined : callerOf(node.id);
    const place = caller ? `native, called from ${placeOf(caller.callFrame.url, caller.callFrame.functionName, repoRoot)}` : placeOf(url, functionName, repoRoot);
    places.set(place, (places.get(place) ?? 0) + us);
    const where = url ? `${shortUrl(url, repoRoot)}${lineNumber > 0 ? `:${lineNumber + 1}` : ""}` : "";
    const from = caller ? ` (native) ← ${caller.callFrame.functionName || "(anonymous)"} ${shortUrl(caller.callFrame.url, repoRoot)}` : "";
    const name = `${functionName || "(anonymous)"}${where ? ` ${where}` : ""}${from}`;
    const entry = functions.get(name) ?? { name, place, us: 0 };
    entry.us += us;
    functions.set(name, entry);
  }
  function callerOf(id: number) {
    for (let at = parent.get(id); at !== undefined; at = parent.get(at)) {
      const node = byId.get(at);
      if (node?.callFrame.url) return node;
    }
    return undefined;
  }
  const share = (us: number) => (total > 0 ? us / total : 0);
  return {
    file,
    sampledMs: total / 1000,
    byPlace: [...places].sort((a, b) => b[1] - a[1]).map(([place, us]) => ({ place, ms: us / 1000, share: share(us) })),
    byFunction: [...functions.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ name: f.name, place: f.place, ms: f.us / 1000, share: share(f.us) })),
  };
}

function placeOf(url: string, functionName: string, repoRoot: string): string {
  if (!url) return functionName.startsWith("(") ? functionName : "(native / V8 builtins)";
  if (url.startsWith("node:")) return "node internals";
  const path = url.startsWith("file:") ? fileURLToPath(url) : url;
  const modules = path.lastIndexOf("/node_modules/");
  if (modules >= 0) {
    const [first, second] = path.slice(modules + "/node_modules/".length).split("/");
    return first?.startsWith("@") ? `${first}/${second}` : (first ?? "node_modules");
  }
  const inRepo = relative(repoRoot, path);
  if (!inRepo.startsWith("..")) {
    // gameops by folder: the store, the engine, the domain code.
    const parts = inRepo.split("/");
    return `gameops ${parts.slice(0, Math.min(parts.length - 1, 3)).join("/")}`;
  }
  return "other";
}

function shortUrl(url: string, repoRoot: string): string {
  const path = url.startsWith("file:") ? fileURLToPath(url) : url;
  const modules = path.lastIndexOf("/node_modules/");
  if (modules >= 0) return path.slice(modules + "/node_modules/".length);
  const inRepo = relative(repoRoot, path);
  return inRepo.startsWith("..") ? path : inRepo;
}
