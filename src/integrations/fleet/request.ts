import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest, type RequestOptions } from "node:https";
import { formatDuration } from "../../config/duration.js";
import { FleetError } from "./errors.js";

export interface FleetRequest {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  url: URL;
  headers?: Record<string, string>;
  body?: string;
  /** What is being done, safe to print (never a token): "reading the status of game-1". */
  what: string;
  /** Bound of the whole call, body included; on top of the caller's signal. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** TLS and credentials for https (a kubeconfig's CA, client certificate, bearer token). */
  tls?: RequestOptions;
}

export interface FleetAnswer {
  status: number;
  headers: IncomingMessage["headers"];
}

/**
 * One HTTP call over node:http(s), which takes a kubeconfig's CA and client certificate as they
 * come (fetch would need undici's own agent), bounded by its timeout and the caller's signal.
 * Any HTTP answer resolves; no answer rejects with a classified FleetError.
 */
export async function fetchText(request: FleetRequest): Promise<FleetAnswer & { text: string }> {
  const { answer, body, done } = await open(request);
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of body as AsyncIterable<Buffer>) chunks.push(chunk);
    return { ...answer, text: Buffer.concat(chunks).toString("utf8") };
  } catch (error) {
    throw done.failure(error);
  } finally {
    done.finish();
  }
}

/**
 * The answer's body as a stream, for what can be hundreds of megabytes (a heap snapshot). The
 * timeout keeps running until the body has been read; reading it to the end (or breaking out)
 * releases the call.
 */
export async function fetchStream(request: FleetRequest): Promise<FleetAnswer & { body: AsyncIterable<Uint8Array> }> {
  const { answer, body, done } = await open(request);
  async function* read(): AsyncGenerator<Uint8Array> {
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) yield chunk;
    } catch (error) {
      throw done.failure(error);
    } finally {
      done.finish();
      body.destroy();
    }
  }
  return { ...answer, body: read() };
}

async function open(request: FleetRequest): Promise<{ answer: FleetAnswer; body: IncomingMessage; done: { finish(): void; failure(error: unknown): FleetError } }> {
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), request.timeoutMs);
  const signal = request.signal ? AbortSignal.any([request.signal, timeout.signal]) : timeout.signal;
  const failure = (error: unknown): FleetError => {
    if (error instanceof FleetError) return error;
    if (timeout.signal.aborted) return new FleetError("timeout", `${request.what}: no answer within ${formatDuration(request.timeoutMs)}`, { cause: error });
    if (request.signal?.aborted) {
      const deadline = (request.signal.reason as { name?: string } | undefined)?.name === "TimeoutError";
      return deadline
        ? new FleetError("timeout", `${request.what}: no answer before the deadline`, { cause: error })
        : new FleetError("aborted", `${request.what}: cancelled`, { cause: error });
    }
    const [kind, reason] = networkFailure(error);
    return new FleetError(kind, `${request.what}: ${reason}`, { cause: error });
  };
  const finish = () => clearTimeout(timer);

  const send = request.url.protocol === "https:" ? httpsRequest : httpRequest;
  const body = request.body === undefined ? undefined : Buffer.from(request.body);
  try {
    signal.throwIfAborted();
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = send(request.url, {
        ...request.tls,
        method: request.method,
        headers: { ...request.tls?.headers, ...request.headers, ...(body ? { "Content-Length": String(body.length) } : {}) },
        signal,
      });
      req.once("response", resolve);
      req.once("error", reject);
      req.end(body);
    });
    return { answer: { status: response.statusCode ?? 0, headers: response.headers }, body: response, done: { finish, failure } };
  } catch (error) {
    finish();
    throw failure(error);
  }
}

function networkFailure(error: unknown): ["unreachable" | "config", string] {
  const code = (error as { code?: unknown })?.code;
  const message = error instanceof Error ? error.message : String(error);
  switch (code) {
    case "ECONNREFUSED":
      return ["unreachable", "connection refused"];
    case "ECONNRESET":
    case "EPIPE":
      return ["unreachable", "connection closed by the server"];
    case "ENOTFOUND":
      return ["unreachable", "host not found (DNS)"];
    case "EAI_AGAIN":
      return ["unreachable", "host lookup failed for now (DNS)"];
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return ["unreachable", "no route to host"];
    case "ETIMEDOUT":
      return ["unreachable", "connect timed out"];
  }
  if (typeof code === "string" && (code.startsWith("ERR_TLS") || /CERT|SSL/.test(code))) return ["config", `TLS: ${message}; check the kubeconfig's certificate-authority`];
  return ["unreachable", message];
}
