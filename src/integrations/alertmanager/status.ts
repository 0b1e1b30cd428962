import { z } from "zod";
import type { Endpoint } from "../http/endpoint.js";
import type { CallOptions } from "./alerts.js";
import { requestJson } from "./request.js";

// config.original is left out on purpose: it is the whole configuration, receivers included.
const statusBody = z.object({
  versionInfo: z.object({ version: z.string(), revision: z.string().optional() }),
  cluster: z.object({ status: z.string(), peers: z.array(z.unknown()).default([]) }),
  uptime: z.string(),
});

export interface AlertmanagerStatus {
  version: string;
  /** "ready", "settling", or "disabled" for a lone instance. */
  cluster: string;
  peers: number;
  /** API v2 calls it `uptime`, but it is the time the process started. */
  startedAt: string;
}

export async function status(endpoint: Endpoint, options: CallOptions = {}): Promise<AlertmanagerStatus> {
  const body = await requestJson(endpoint, { path: "api/v2/status", ...(options.signal ? { signal: options.signal } : {}) }, statusBody);
  return { version: body.versionInfo.version, cluster: body.cluster.status, peers: body.cluster.peers.length, startedAt: body.uptime };
}
