import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";

/**
 * The server side of RFC 6455, as much as the Kubernetes streaming protocols use: one
 * negotiated subprotocol, binary messages (fragmented or not), ping/pong and the close
 * handshake. Written here rather than taken from `ws` so the emulator depends on nothing
 * gameops does not declare.
 */
export class WebSocketConnection {
  private buffer = Buffer.alloc(0);
  private fragments: Buffer[] = [];
  private closing = false;
  private readonly messageHandlers: ((data: Buffer) => void)[] = [];
  private readonly closeHandlers: (() => void)[] = [];

  private constructor(
    private readonly socket: Duplex,
    readonly protocol: string,
  ) {
    socket.on("data", (chunk: Buffer) => this.receive(chunk));
    socket.on("error", () => socket.destroy());
    socket.on("close", () => {
      for (const h of this.closeHandlers.splice(0)) h();
    });
  }

  /** Answers the upgrade with 101 and the protocol picked from `supported`, in the client's order. */
  static accept(req: IncomingMessage, socket: Duplex, head: Buffer, supported: string[]): WebSocketConnection | { refused: string } {
    const key = req.headers["sec-websocket-key"];
    if (req.headers.upgrade?.toLowerCase() !== "websocket" || typeof key !== "string" || req.headers["sec-websocket-version"] !== "13") {
      return { refused: "not a WebSocket version 13 upgrade" };
    }
    const offered = String(req.headers["sec-websocket-protocol"] ?? "")
      .split(",")
      .map((p) => p.trim())
      .filter(Boolean);
    const protocol = offered.find((p) => supported.includes(p));
    if (!protocol) return { refused: `unable to upgrade: unable to match client requested protocol: offered [${offered.join(" ")}], served [${supported.join(" ")}]` };
    const accept = createHash("sha1").update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64");
    socket.write(
      ["HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade", `Sec-WebSocket-Accept: ${accept}`, `Sec-WebSocket-Protocol: ${protocol}`, "", ""].join("\r\n"),
    );
    const connection = new WebSocketConnection(socket, protocol);
    if (head.length > 0) connection.receive(head);
    return connection;
  }

  onMessage(handler: (data: Buffer) => void) {
    this.messageHandlers.push(handler);
  }

  onClose(handler: () => void) {
    this.closeHandlers.push(handler);
  }

  /** One binary message, unfragmented (servers never mask). */
  send(data: Buffer) {
    if (!this.closing && !this.socket.destroyed) this.socket.write(frame(0x2, data));
  }

  /** Starts the close handshake; the socket ends once the client answers, or soon after. */
  close(code = 1000) {
    if (this.closing || this.socket.destroyed) return;
    this.closing = true;
    const payload = Buffer.alloc(2);
    payload.writeUInt16BE(code);
    this.socket.write(frame(0x8, payload));
    // A client that never answers the close frame must not keep the emulator open.
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  private receive(chunk: Buffer) {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const parsed = parseFrame(this.buffer);
      if (!parsed) return;
      this.buffer = this.buffer.subarray(parsed.length);
      this.handle(parsed.fin, parsed.opcode, parsed.payload);
    }
  }

  private handle(fin: boolean, opcode: number, payload: Buffer) {
    switch (opcode) {
      case 0x0: // continuation
      case 0x1: // text (the channel protocols send binary; accept text alike)
      case 0x2: {
        this.fragments.push(payload);
        if (!fin) return;
        const message = Buffer.concat(this.fragments);
        this.fragments = [];
        for (const h of this.messageHandlers) h(message);
        return;
      }
      case 0x8:
        if (!this.closing) {
          this.closing = true;
          this.socket.write(frame(0x8, payload.subarray(0, 2)));
        }
        this.socket.end();
        return;
      case 0x9:
        if (!this.closing) this.socket.write(frame(0xa, payload));
        return;
      default: // pong and reserved opcodes
        return;
    }
  }
}

function frame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length;
  const header = length < 126 ? Buffer.alloc(2) : length < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  header[0] = 0x80 | opcode;
  if (length < 126) header[1] = length;
  else if (length < 65536) {
    header[1] = 126;
    header.writeUInt16BE(length, 2);
  } else {
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  return Buffer.concat([header, payload]);
}

function parseFrame(buffer: Buffer): { fin: boolean; opcode: number; payload: Buffer; length: number } | undefined {
  if (buffer.length < 2) return undefined;
  const fin = (buffer[0]! & 0x80) !== 0;
  const opcode = buffer[0]! & 0x0f;
  const masked = (buffer[1]! & 0x80) !== 0;
  let length = buffer[1]! & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (buffer.length < 4) return undefined;
    length = buffer.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (buffer.length < 10) return undefined;
    length = Number(buffer.readBigUInt64BE(2));
    offset = 10;
  }
  const maskOffset = offset;
  if (masked) offset += 4;
  if (buffer.length < offset + length) return undefined;
  const payload = Buffer.from(buffer.subarray(offset, offset + length));
  if (masked) for (let i = 0; i < payload.length; i++) payload[i] = payload[i]! ^ buffer[maskOffset + (i % 4)]!;
  return { fin, opcode, payload, length: offset + length };
}
