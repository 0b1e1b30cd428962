// The API client. The token goes in the Authorization header, also for the live event stream:
// EventSource cannot send headers, so the stream is read from fetch's body instead.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

async function failure(response) {
  let body;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  return new ApiError(response.status, body?.error ?? "http_error", body?.message ?? `the server answered ${response.status} ${response.statusText}`);
}

export function createClient(token) {
  const headers = { authorization: `Bearer ${token}`, "x-gameops-client": "console" };

  async function request(method, path, body) {
    const response = await fetch(path, {
      method,
      headers: body === undefined ? headers : { ...headers, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok) throw await failure(response);
    return response.status === 204 ? undefined : response.json();
  }

  return {
    get: (path) => request("GET", path),
    post: (path, body) => request("POST", path, body ?? {}),

    /** Calls onEvent(type, data) for each server-sent event until the server ends the stream. */
    async follow(path, onEvent, signal) {
      const response = await fetch(path, { headers: { ...headers, accept: "text/event-stream" }, signal });
      if (!response.ok) throw await failure(response);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let type = "message";
          const data = [];
          for (const line of block.split("\n")) {
            if (line.startsWith("event:")) type = line.slice(6).trim();
            else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
          }
          // Lines starting with ":" are keep-alive comments: no data, nothing to tell.
          if (data.length > 0) onEvent(type, JSON.parse(data.join("\n")));
        }
      }
    },
  };
}
