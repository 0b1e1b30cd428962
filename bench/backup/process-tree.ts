// Peak RSS and CPU of a process tree, polled from /proc: the bash pipelines' children and the
// bench's own process with its mariadb-dump/zstd/mariadb children are measured the same way.
import { readdir, readFile } from "node:fs/promises";

export interface TreeUsage {
  /** Highest sum of RSS over the tree at one sample. */
  peakRssBytes: number;
  /** CPU seconds (user + system) by program name, each process's last sample: up to one interval short per process. */
  cpuByProgram: Map<string, number>;
}

const pageBytes = 4096;
const ticksPerSecond = 100;

interface ProcessStat {
  program: string;
  cpuTicks: number;
  rssPages: number;
}

/**
 * Samples every `intervalMs` the tree under `rootPid` (itself included), walking
 * /proc/<pid>/task/<tid>/children rather than every process on the machine: the gameops side
 * runs in this process, and sampling must not take a visible share of its core.
 */
export function watchTree(rootPid: number, intervalMs = 500): { stop(): Promise<TreeUsage> } {
  let peakRssBytes = 0;
  const lastCpu = new Map<number, { program: string; ticks: number }>();
  const sample = async () => {
    let rss = 0;
    const queue = [rootPid];
    for (let pid = queue.pop(); pid !== undefined; pid = queue.pop()) {
      const stat = await processStat(pid);
      if (!stat) continue;
      rss += stat.rssPages * pageBytes;
      lastCpu.set(pid, { program: stat.program, ticks: stat.cpuTicks });
      queue.push(...(await childrenOf(pid)));
    }
    peakRssBytes = Math.max(peakRssBytes, rss);
  };
  // CPU a process had already used when watching began is not the step's.
  const baseline = new Map<number, number>();
  let sampling = sample().then(() => lastCpu.forEach((v, pid) => baseline.set(pid, v.ticks)));
  const timer = setInterval(() => {
    sampling = sampling.then(sample, () => undefined);
  }, intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await sampling.then(sample).catch(() => undefined);
      const cpuByProgram = new Map<string, number>();
      for (const [pid, { program, ticks }] of lastCpu) {
        const used = (ticks - (baseline.get(pid) ?? 0)) / ticksPerSecond;
        cpuByProgram.set(program, (cpuByProgram.get(program) ?? 0) + used);
      }
      return { peakRssBytes, cpuByProgram };
    },
  };
}

/** Children of every thread of `pid` (a child is listed under the thread that forked it). */
async function childrenOf(pid: number): Promise<number[]> {
  const threads = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
  const lists = await Promise.all(threads.map((t) => readFile(`/proc/${pid}/task/${t}/children`, "utf8").catch(() => "")));
  return lists.flatMap((text) => text.split(" ").filter((n) => n !== "").map(Number));
}

async function processStat(pid: number): Promise<ProcessStat | undefined> {
  const text = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  if (text === undefined) return undefined;
  // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ")".
  const close = text.lastIndexOf(")");
  const fields = text.slice(close + 2).split(" ");
  return {
    program: text.slice(text.indexOf("(") + 1, close),
    cpuTicks: Number(fields[11]) + Number(fields[12]),
    rssPages: Number(fields[21]),
  };
}
