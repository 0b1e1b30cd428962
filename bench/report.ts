import { readdirSync, readFileSync } from "node:fs";
import { statfs } from "node:fs/promises";
import { join, resolve } from "node:path";
import { summarizeProfile, type CpuProfile, type ProfileSummary } from "./engine/profile-summary.js";

/** What the benchmarks print beside their figures, shared. */

const repoRoot = resolve(import.meta.dirname, "..");

/** A tmpfs would make SQLite's commits free and the figure a flattering one: say what the file sits on. */
export async function fileSystemOf(path: string): Promise<string> {
  const kinds: Record<number, string> = { 0xef53: "ext4", 0x01021994: "tmpfs (memory: nothing reaches a disk)", 0x58465342: "xfs", 0x9123683e: "btrfs", 0x794c7630: "overlayfs" };
  const { type } = await statfs(path);
  return kinds[type] ?? `file system type 0x${type.toString(16)}`;
}

/** Columns aligned: the first and last to the left, the figures between to the right. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (cells: string[]) =>
    `  ${cells
      .map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join("   ")
      .trimEnd()}`;
  return [line(header), ...rows.map(line)];
}

/** The hottest functions of the .cpuprofile a `--cpu-prof` server left in `dir`, if it left one. */
export function readProfile(dir: string): ProfileSummary | undefined {
  const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
  if (!file) return undefined;
  const path = join(dir, file);
  return summarizeProfile(JSON.parse(readFileSync(path, "utf8")) as CpuProfile, path, repoRoot, 20);
}
