// The few facts worth a glance on a check's card, picked from its structured details. A
// check whose details are not known here still shows its plain numbers and words.

import { formatBytes, formatSeconds } from "./format.js";

const num = (value) => typeof value === "number" && Number.isFinite(value);
const pct = (value) => (num(value) ? `${value.toFixed(1)} %` : undefined);

const pickers = {
  mysql(d) {
    return [
      ["Connections", num(d.threadsConnected) && num(d.maxConnections) ? `${d.threadsConnected} / ${d.maxConnections} (${pct(d.connectionsPct)})` : undefined],
      ["Active queries", Array.isArray(d.activeQueries) ? String(d.activeQueries.length) : undefined],
      ["Longest query", d.longestQuery && num(d.longestQuery.timeSeconds) ? `${d.longestQuery.timeSeconds} s` : d.longestQuery === null ? "none" : undefined],
      ["New slow queries", num(d.newSlowQueries) ? String(d.newSlowQueries) : num(d.slowQueries) ? `${d.slowQueries} since start` : undefined],
      ["Replica lag", d.replica ? (num(d.replica.secondsBehind) ? `${d.replica.secondsBehind} s` : "unknown") : undefined],
      ["Uptime", num(d.uptimeSeconds) ? formatSeconds(d.uptimeSeconds) : undefined],
    ];
  },
  redis(d) {
    const latency = d.latency ?? {};
    return [
      ["Memory", num(d.usedMemory) ? (num(d.maxMemory) && d.maxMemory > 0 ? `${formatBytes(d.usedMemory)} / ${formatBytes(d.maxMemory)}` : `${formatBytes(d.usedMemory)} (no limit)`) : undefined],
      ["Latency p50 / p99", num(latency.p50Ms) && num(latency.p99Ms) ? `${latency.p50Ms.toFixed(2)} / ${latency.p99Ms.toFixed(2)} ms` : undefined],
      ["Clients", num(d.connectedClients) ? String(d.connectedClients) : undefined],
      ["Fragmentation", num(d.fragmentationRatio) ? d.fragmentationRatio.toFixed(2) : undefined],
      ["Version", typeof d.version === "string" ? d.version : undefined],
    ];
  },
  disk(d) {
    return (Array.isArray(d.mounts) ? d.mounts : []).slice(0, 5).map((m) => [`Mount ${m.path}`, `${pct(m.usedPct) ?? "?"} used${num(m.inodesPct) ? `, inodes ${pct(m.inodesPct)}` : ""}`]);
  },
  logs(d) {
    return (Array.isArray(d.sources) ? d.sources : []).slice(0, 5).map((source) => [source.name, num(source.errors) ? `${source.errors} ${d.pattern ?? "error"} lines` : "?"]);
  },
};

function generic(details) {
  return Object.entries(details)
    .filter(([key, value]) => key !== "target" && (num(value) || typeof value === "boolean" || (typeof value === "string" && value.length <= 40)))
    .slice(0, 5)
    .map(([key, value]) => [key.replace(/([a-z])([A-Z])/g, "$1 $2").replace(/^./, (c) => c.toUpperCase()).replace(/ ([A-Z])/g, (_, c) => ` ${c.toLowerCase()}`), String(value)]);
}

/** [[label, value], …] for a card; empty when there is nothing worth showing. */
export function keyDetails(name, details) {
  if (!details || typeof details !== "object") return [];
  let rows = [];
  try {
    rows = (pickers[name] ?? generic)(details).filter(([, value]) => value !== undefined && value !== false);
  } catch {
    rows = [];
  }
  return rows.length > 0 ? rows : generic(details);
}

/** Where the check looked, when it says so. */
export function targetOf(details) {
  return typeof details?.target === "string" ? details.target : undefined;
}
