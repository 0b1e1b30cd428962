import { judgeDisk } from "../../domain/checks/disk.js";
import type { Verdict } from "../../domain/checks/verdict.js";
import { localMounts, mountUsage } from "../../integrations/host/disk-usage.js";
import type { CheckContext } from "./check.js";

export async function run(context: CheckContext): Promise<Verdict> {
  const configured = context.config.targets.disks;
  const paths = configured ?? (await localMounts());
  const { mounts, problems } = await mountUsage(paths);
  const verdict = judgeDisk(mounts, problems, context.config.thresholds.disk);
  return { ...verdict, details: { ...verdict.details, paths: configured ? "configured" : "all local file systems" } };
}
