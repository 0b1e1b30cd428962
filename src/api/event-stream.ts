import type { FastifyReply } from "fastify";

/** Comments every so often keep proxies from closing a quiet stream while a slow check runs. */
const heartbeatMs = 15_000;

/**
 * A server-sent event stream on a hijacked reply. The set of open streams is kept so that
 * closing the server ends them instead of waiting for their runs.
 */
export class EventStream {
  readonly #reply: FastifyReply;
  readonly #open: Set<EventStream>;
  readonly #heartbeat: NodeJS.Timeout;
  readonly #onEnd: (() => void)[] = [];
  #ended = false;

  constructor(reply: FastifyReply, open: Set<EventStream>) {
    this.#reply = reply;
    this.#open = open;
    reply.hijack();
    reply.raw.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store, no-transform",
      "x-accel-buffering": "no",
      "x-content-type-options": "nosniff",
    });
    this.#heartbeat = setInterval(() => reply.raw.write(": keep-alive\n\n"), heartbeatMs);
    this.#heartbeat.unref();
    open.add(this);
    reply.raw.on("close", () => this.end());
  }

  /** `id` lets a client that reconnects resume after it (the Last-Event-ID header). */
  send(event: string, data: unknown, id?: string | number): void {
    if (this.#ended) return;
    this.#reply.raw.write(`${id === undefined ? "" : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  /** Runs when the stream ends, whichever side ends it. */
  onEnd(callback: () => void): void {
    if (this.#ended) callback();
    else this.#onEnd.push(callback);
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    clearInterval(this.#heartbeat);
    this.#open.delete(this);
    for (const callback of this.#onEnd) callback();
    this.#reply.raw.end();
  }
}
