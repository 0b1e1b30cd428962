// The local webhook receiver the server's `webhook` channel posts to: it checks each signature
// as a real receiver must, and notes when the first notification about each alert group arrived.
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { wallNow } from "./gameops-server.js";

interface NoticeLike {
  kind?: string;
  labels?: Record<string, string>;
  items?: NoticeLike[];
}

export interface NotificationReceiver {
  url: string;
  /** alertname → wall-clock ms of the first notification that named it (alone or inside a digest). */
  firstSeen: Map<string, number>;
  stats: { posts: number; digests: number; badSignatures: number };
  close(): Promise<void>;
}

export async function startReceiver(secret: string): Promise<NotificationReceiver> {
  const firstSeen = new Map<string, number>();
  const stats = { posts: 0, digests: 0, badSignatures: 0 };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const at = wallNow();
      const raw = Buffer.concat(chunks);
      stats.posts++;
      if (!signed(secret, request.headers["x-gameops-timestamp"], request.headers["x-gameops-signature"], raw)) {
        stats.badSignatures++;
        response.writeHead(401).end();
        return;
      }
      const body = JSON.parse(raw.toString("utf8")) as { notice?: NoticeLike };
      const notice = body.notice ?? {};
      if (notice.kind === "digest") stats.digests++;
      for (const item of notice.kind === "digest" ? (notice.items ?? []) : [notice]) {
        const name = item.labels?.alertname;
        if (name && !firstSeen.has(name)) firstSeen.set(name, at);
      }
      response.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/gameops`,
    firstSeen,
    stats,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The check webhook-channel.ts asks of a receiver: HMAC-SHA256 over "<timestamp>.<raw body>", compared in constant time. */
function signed(secret: string, timestamp: string | string[] | undefined, signature: string | string[] | undefined, raw: Buffer): boolean {
  if (typeof timestamp !== "string" || typeof signature !== "string") return false;
  const expected = Buffer.from(`sha256=${createHmac("sha256", secret).update(`${timestamp}.`).update(raw).digest("hex")}`);
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
