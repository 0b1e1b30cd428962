import { readFileSync } from "node:fs";

/** uid and gid of a system account such as `mysql` (created by Debian's mariadb-server), if it exists. */
export function systemUser(name) {
  for (const line of readFileSync("/etc/passwd", "utf8").split("\n")) {
    const [user, , uid, gid] = line.split(":");
    if (user === name) return { uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}
