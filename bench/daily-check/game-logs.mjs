// Writes the game-server log files both sides of the bench read. Seeded, so every run writes
// the same lines; timestamps are placed inside the last 23 hours of `now`, so the serial
// script's `grep -c ERROR` (no time filter) and gameops' 24 h window count the same lines.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** name, lines, and how the server stamps its lines: local wall clock (no zone) or ISO UTC. */
const servers = [
  { name: "lobby", lines: 6_000, stamp: "iso" },
  { name: "match-01", lines: 9_000, stamp: "wall" },
  { name: "match-02", lines: 9_000, stamp: "wall" },
  { name: "chat", lines: 4_000, stamp: "wall" },
];

const infos = [
  (r) => `[session] player ${r.int(100000, 999999)} logged in from ${r.ip()}:${r.int(1024, 65535)}`,
  (r) => `[match] room ${r.int(1, 5000)} started with ${r.int(2, 10)} players, map ${r.pick(["harbor", "desert", "citadel", "tundra"])}`,
  (r) => `[match] room ${r.int(1, 5000)} ended after ${r.int(60, 1800)}s, winner team ${r.int(1, 2)}`,
  (r) => `[shop] player ${r.int(100000, 999999)} bought item ${r.int(1000, 9999)} for ${r.int(10, 5000)} gems`,
  (r) => `[net] tick ${r.int(1, 1_000_000)} took ${r.int(1, 16)}ms, ${r.int(0, 400)} packets in`,
  (r) => `[chat] channel ${r.pick(["global", "guild", "party"])} message ${r.uuid()} delivered to ${r.int(1, 200)} players`,
];

const warnings = [
  (r) => `[net] player ${r.int(100000, 999999)} rtt ${r.int(150, 900)}ms above 150ms`,
  (r) => `[match] room ${r.int(1, 5000)} waited ${r.int(30, 120)}s for players, starting with bots`,
];

const errors = [
  (r) => `[db] failed to save match result ${r.uuid()} after 3 retries: Deadlock found when trying to get lock`,
  (r) => `[session] redis timeout after 500ms on GET session:${r.int(100000, 999999)}`,
  (r) => `[shop] receipt validation failed for player ${r.int(100000, 999999)}: 503 from store API`,
  (r) => `[net] client ${r.ip()}:${r.int(1024, 65535)} sent malformed packet opcode 0x${r.int(0, 255).toString(16)}`,
];

const stackTrace = ["\tat GameServer.MatchRepository.save (MatchRepository.java:211)", "\tat GameServer.MatchService.finish (MatchService.java:87)", "\tat java.base/java.lang.Thread.run (Thread.java:1583)"];

/** Writes one `<name>.log` per server into `dir`; returns the ERROR lines written per file. */
export async function writeGameLogs(dir, now = Date.now()) {
  await mkdir(dir, { recursive: true });
  const counts = {};
  for (const [index, server] of servers.entries()) {
    const r = random(index + 1);
    const from = now - 23 * 3_600_000;
    const step = (23 * 3_600_000 - 60_000) / server.lines;
    const out = [];
    let errorLines = 0;
    for (let i = 0; i < server.lines; i++) {
      const at = new Date(from + i * step + r.int(0, Math.floor(step)));
      const roll = r.next();
      // About 2 % ERROR, 5 % WARN; a database error is followed by its stack trace (undated lines).
      const [level, templates] = roll < 0.02 ? ["ERROR", errors] : roll < 0.07 ? ["WARN", warnings] : ["INFO", infos];
      const template = r.pick(templates);
      out.push(`${stamp(at, server.stamp)} ${level.padEnd(5)} ${server.name} ${template(r)}`);
      if (level === "ERROR") {
        errorLines++;
        if (template === errors[0]) out.push(...stackTrace);
      }
    }
    await writeFile(join(dir, `${server.name}.log`), `${out.join("\n")}\n`);
    counts[`${server.name}.log`] = errorLines;
  }
  return counts;
}

function stamp(date, kind) {
  const iso = date.toISOString();
  return kind === "iso" ? iso : iso.replace("T", " ").replace("Z", "");
}

/** mulberry32: a tiny seeded generator, so that the files are the same on every run. */
function random(seed) {
  let a = seed * 0x9e3779b9;
  const next = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (min, max) => min + Math.floor(next() * (max - min + 1));
  const hex = (n) => Array.from({ length: n }, () => int(0, 15).toString(16)).join("");
  return {
    next,
    int,
    pick: (list) => list[Math.floor(next() * list.length)],
    ip: () => `10.${int(0, 9)}.${int(0, 255)}.${int(1, 254)}`,
    uuid: () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`,
  };
}
