import { connect } from "node:net";

/**
 * Protocol-level "does it answer" probes. A listening socket is not enough: MariaDB and
 * PostgreSQL accept connections while still starting. Each probe is bounded and never throws;
 * it resolves to true (answers) or false.
 */

const PROBE_TIMEOUT_MS = 1500;

/** Opens a TCP connection, sends `hello`, and lets `judge` decide from the bytes received so far. */
function exchange(host, port, hello, judge) {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let received = Buffer.alloc(0);
    const finish = (answer) => {
      clearTimeout(timer);
      // A judge that said goodbye (socket.end) lets the server close cleanly instead of a reset.
      if (socket.writableEnded) socket.unref();
      else socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => finish(false), PROBE_TIMEOUT_MS);
    socket.on("connect", () => {
      if (hello) socket.write(hello);
    });
    socket.on("data", (chunk) => {
      received = Buffer.concat([received, chunk]);
      const verdict = judge(received, socket);
      if (verdict !== undefined) finish(verdict);
    });
    socket.on("error", () => finish(false));
    socket.on("close", () => finish(false));
  });
}

/** True when something accepts TCP connections on the port, whatever it speaks. */
export function portIsOpen(host, port) {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const finish = (open) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(open);
    };
    const timer = setTimeout(() => finish(false), PROBE_TIMEOUT_MS);
    socket.on("connect", () => finish(true));
    socket.on("error", () => finish(false));
  });
}

/**
 * MySQL/MariaDB speak first: a handshake packet (protocol 10) means ready, and so does an
 * error packet such as "Host '127.0.0.1' is not allowed" or "Too many connections" — only a
 * running server sends one. We close before authenticating, as any TCP health check does
 * (it counts in Aborted_connects, nothing else).
 */
export function mysqlAnswers(host, port) {
  return exchange(host, port, undefined, (bytes) => {
    if (bytes.length < 5) return undefined;
    return bytes[4] === 0x0a || bytes[4] === 0xff;
  });
}

/** PING → +PONG. NOAUTH also proves a live server; LOADING (reading its dump) does not. */
export function redisAnswers(host, port) {
  return exchange(host, port, "PING\r\n", (bytes) => {
    const text = bytes.toString("latin1");
    if (!text.includes("\r\n")) return undefined;
    return text.startsWith("+PONG") || text.startsWith("-NOAUTH");
  });
}

/**
 * A real startup message, because PostgreSQL answers an SSLRequest even while it is still
 * starting. An authentication request ('R') means it accepts sessions; an error other than
 * 57P03 (cannot_connect_now) also proves a running server (e.g. no pg_hba entry).
 */
export function postgresAnswers(host, port, user = "postgres") {
  const parameters = Buffer.from(`user\0${user}\0database\0postgres\0\0`, "latin1");
  const startup = Buffer.alloc(8 + parameters.length);
  startup.writeInt32BE(startup.length, 0);
  startup.writeInt32BE(196608, 4); // protocol 3.0
  parameters.copy(startup, 8);
  return exchange(host, port, startup, (bytes, socket) => {
    if (bytes.length < 5) return undefined;
    const type = String.fromCharCode(bytes[0]);
    if (type === "R") {
      socket.end(Buffer.from([0x58, 0, 0, 0, 4])); // Terminate, so the server logs no broken session
      return true;
    }
    if (type !== "E") return false;
    const length = bytes.readInt32BE(1);
    if (bytes.length < 1 + length) return undefined;
    const fields = bytes.subarray(5, 1 + length).toString("utf8").split("\0");
    const code = fields.find((f) => f.startsWith("C"))?.slice(1);
    return code !== "57P03";
  });
}

/** GET url → true on 200. Used for /-/ready of Prometheus and Alertmanager. */
export async function httpOk(url) {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

/** Polls `answers` until it resolves true or the deadline passes; true when it answered. */
export async function waitUntil(answers, { timeoutMs, intervalMs = 250, stillAlive = () => true }) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await answers()) return true;
    if (!stillAlive() || Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
