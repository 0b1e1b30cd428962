import { createServer, type IncomingHttpHeaders } from "node:http";

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** Exactly the bytes sent, as a receiver must sign them. */
  body: string;
}

export interface HttpReceiver {
  url: string;
  received: Received[];
  close(): Promise<void>;
}

/**
 * A local HTTP peer standing in for a webhook receiver or Slack: it answers the requests with
 * `answers` in turn (the last one from then on) and records each request with its raw body.
 */
export async function httpReceiver(...answers: Answer[]): Promise<HttpReceiver> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      received.push({ method: request.method ?? "", url: request.url ?? "", headers: request.headers, body: Buffer.concat(chunks).toString("utf8") });
      const answer = answers[Math.min(received.length, answers.length) - 1] ?? { status: 200 };
      response.writeHead(answer.status, { "content-type": "text/plain", ...answer.headers }).end(answer.body ?? "");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
