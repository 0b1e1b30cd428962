import { readFileSync } from "node:fs";

/** The API answered with an error, or could not be reached. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export interface RemoteApi {
  baseUrl: string;
  request<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** Server-sent events of a path, as parsed JSON payloads with their event names. */
  events(path: string): AsyncIterable<{ event: string; data: unknown }>;
}

export function remoteFromEnv(env: NodeJS.ProcessEnv): RemoteApi | undefined {
  const baseUrl = env.GAMEOPS_URL?.replace(/\/+$/, "");
  if (!baseUrl) return undefined;
  const token = env.GAMEOPS_TOKEN ?? (env.GAMEOPS_TOKEN_FILE ? readFileSync(env.GAMEOPS_TOKEN_FILE, "utf8").trim() : undefined);
  if (!token) throw new ApiError("GAMEOPS_URL is set but GAMEOPS_TOKEN is not: create one with `gameops token create` and export it (or GAMEOPS_TOKEN_FILE)");
  const headers = { authorization: `Bearer ${token}`, "x-gameops-client": "cli" };

  // A progress stream lasts as long as its run; a plain request gets 30 s.
  const send = async (method: string, path: string, body?: unknown, timeoutMs: number | undefined = 30_000): Promise<Response> => {
    let response: Response;
    try {
      response = await fetch(`${baseUrl}${path}`, {
        method,
        headers: body === undefined ? headers : { ...headers, "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(timeoutMs === undefined ? {} : { signal: AbortSignal.timeout(timeoutMs) }),
      });
    } catch (error) {
      throw new ApiError(`cannot reach ${baseUrl}: ${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}`);
    }
    if (!response.ok) {
      const payload = (await response.json().catch(() => ({}))) as { message?: string };
      throw new ApiError(`${method} ${path}: ${response.status} ${payload.message ?? response.statusText}`, response.status);
    }
    return response;
  };

  return {
    baseUrl,
    async request<T>(method: string, path: string, body?: unknown) {
      const response = await send(method, path, body);
      return (response.status === 204 ? undefined : await response.json()) as T;
    },
    async *events(path: string) {
      const response = await send("GET", path, undefined, undefined);
      const decoder = new TextDecoder();
      let buffer = "";
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = "message";
          const data: string[] = [];
          for (const line of block.split("\n")) {
            if (line.startsWith("event:")) event = line.slice(6).trim();
            else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
          }
          if (data.length > 0) yield { event, data: JSON.parse(data.join("\n")) };
        }
      }
    },
  };
}
