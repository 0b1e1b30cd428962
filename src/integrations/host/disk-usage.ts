import { readFile, statfs } from "node:fs/promises";
import type { MountProblem, MountUsage } from "../../domain/checks/disk.js";

/** File systems that hold data; the rest of /proc/mounts is kernel plumbing or memory. */
const dataFileSystems = new Set(["ext2", "ext3", "ext4", "xfs", "btrfs", "zfs", "f2fs", "jfs", "reiserfs", "vfat", "exfat", "ntfs", "ntfs3", "overlay", "nfs", "nfs4", "cifs", "fuse.sshfs"]);

/** Mount points of data file systems, one per device (bind mounts of the same device counted once). */
export async function localMounts(): Promise<string[]> {
  const text = await readFile("/proc/mounts", "utf8");
  const seen = new Set<string>();
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const [device, mountPoint, type] = line.split(" ");
    if (!device || !mountPoint || !type || !dataFileSystems.has(type)) continue;
    const key = type === "overlay" ? mountPoint : device;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(mountPoint.replace(/\\040/g, " "));
  }
  return out;
}

export async function mountUsage(paths: readonly string[]): Promise<{ mounts: MountUsage[]; problems: MountProblem[] }> {
  const mounts: MountUsage[] = [];
  const problems: MountProblem[] = [];
  await Promise.all(
    paths.map(async (path) => {
      try {
        const s = await statfs(path);
        mounts.push({
          path,
          totalBytes: s.blocks * s.bsize,
          usedBytes: (s.blocks - s.bfree) * s.bsize,
          availableBytes: s.bavail * s.bsize,
          inodesTotal: s.files,
          inodesFree: s.ffree,
        });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        problems.push({ path, error: code === "ENOENT" ? "no such path (not mounted?)" : code === "EACCES" ? "permission denied" : String(code ?? error) });
      }
    }),
  );
  mounts.sort((a, b) => paths.indexOf(a.path) - paths.indexOf(b.path));
  return { mounts, problems };
}
