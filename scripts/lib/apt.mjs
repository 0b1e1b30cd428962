import { existsSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runOrFail } from "./command.mjs";

const POLICY = "/usr/sbin/policy-rc.d";

/**
 * Installs the Debian packages whose program is missing; returns a line saying which it installed.
 *
 * Debian's postinst scripts start the packaged services (Prometheus on *:9090, …) through
 * invoke-rc.d; we start our own instances on loopback instead, so during the install a
 * policy-rc.d answering 101 ("action forbidden") keeps them from starting — with or without
 * systemd. An existing policy-rc.d is the administrator's and is left alone.
 */
export async function ensurePackages(packages) {
  const missing = packages.filter((p) => !present(p.program));
  const already = packages.filter((p) => !missing.includes(p)).map((p) => p.name);
  if (missing.length === 0) return `already installed: ${already.join(" ")}`;
  const names = missing.map((p) => p.name);
  if (process.getuid?.() !== 0) {
    throw new Error(`missing Debian packages: ${names.join(" ")}; install them as root: apt-get install -y --no-install-recommends ${names.join(" ")}`);
  }
  console.log(`installing ${names.join(" ")} with apt-get…`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const ownPolicy = !existsSync(POLICY);
  if (ownPolicy) writeFileSync(POLICY, "#!/bin/sh\n# Written by gameops scripts/test-services.mjs during apt-get install; removed after.\nexit 101\n", { mode: 0o755 });
  try {
    // A fresh image has empty package lists, and stale lists point at removed .deb files.
    await runOrFail("apt-get update", "apt-get", ["update"], { env, timeoutMs: 300_000 });
    await runOrFail(`apt-get install ${names.join(" ")}`, "apt-get", ["install", "-y", "--no-install-recommends", ...names], { env, timeoutMs: 900_000 });
  } finally {
    if (ownPolicy) unlinkSync(POLICY);
  }
  const stillMissing = missing.filter((p) => !present(p.program));
  if (stillMissing.length > 0) {
    throw new Error(`apt-get installed ${names.join(" ")} but ${stillMissing.map((p) => p.program).join(", ")} is still missing`);
  }
  return `installed: ${names.join(" ")}${already.length > 0 ? `; already installed: ${already.join(" ")}` : ""}`;
}

/** An absolute program path exists, or a bare name is found on PATH. */
function present(program) {
  if (program.includes("/")) return existsSync(program);
  return (process.env.PATH ?? "").split(":").some((dir) => dir !== "" && existsSync(join(dir, program)));
}
