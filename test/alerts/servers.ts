import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer, type Socket } from "node:net";

/**
 * Stand-ins for the failures a real Alertmanager or Prometheus rarely shows on demand: a port
 * nobody listens on, a server that never answers, an HTTP server answering what a test says.
 * Each test closes what it opened.
 */

/** A loopback port that was free a moment ago: connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface SilentServer {
  url: string;
  close(): Promise<void>;
}

/** Accepts connections and never says a word: a hung process, a black-holed proxy. */
export async function silentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export interface Seen {
  url: string;
  authorization: string | undefined;
}

export interface ScriptedServer {
  url: string;
  /** Requests received, in order. */
  seen: Seen[];
  close(): Promise<void>;
}

/** An HTTP server answering every request with `answer`; it records what it was asked. */
export async function scriptedServer(answer: (request: IncomingMessage, response: ServerResponse) => void): Promise<ScriptedServer> {
  const seen: Seen[] = [];
  const server = createHttpServer((request, response) => {
    seen.push({ url: request.url ?? "", authorization: request.headers.authorization });
    answer(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
