import { readdirSync, readFileSync } from "node:fs";

/** This process's children, as `ps` would show them to any local user: pid, argv and environment. */
export function childProcesses(): { pid: number; argv: string[]; environ: string }[] {
  const found: { pid: number; argv: string[]; environ: string }[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // pid (comm) state ppid …: comm may hold spaces, so read after the last ")".
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid !== process.pid) continue;
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").filter((a) => a.length > 0);
      found.push({ pid: Number(entry), argv, environ: readFileSync(`/proc/${entry}/environ`, "utf8") });
    } catch {
      // it exited while we looked
    }
  }
  return found;
}
