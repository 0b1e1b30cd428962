import { Writable } from "node:stream";
import { Exec, type KubeConfig } from "@kubernetes/client-node";
import { KubernetesError } from "./cluster.js";

/** Keeps the last `max` bytes written: a command's output, bounded. */
class OutputTail {
  private chunks: Buffer[] = [];
  private size = 0;
  truncated = false;
  readonly stream: Writable;

  constructor(private readonly max: number) {
    this.stream = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        this.push(chunk);
        done();
      },
    });
  }

  private push(chunk: Buffer) {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.max && this.chunks.length > 0) {
      const first = this.chunks[0]!;
      const excess = this.size - this.max;
      this.truncated = true;
      if (first.length <= excess) {
        this.chunks.shift();
        this.size -= first.length;
      } else {
        this.chunks[0] = first.subarray(excess);
        this.size -= excess;
      }
    }
  }

  text(): string {
    let bytes = Buffer.concat(this.chunks);
    // A cut may land inside a UTF-8 sequence: drop its continuation bytes rather than print U+FFFD.
    if (this.truncated) while (bytes.length > 0 && (bytes[0]! & 0xc0) === 0x80) bytes = bytes.subarray(1);
    return bytes.toString("utf8");
  }
}

interface ExecStatus {
  status?: string;
  message?: string;
  reason?: string;
  details?: { causes?: { reason?: string; message?: string }[] };
}

/**
 * One command through the exec subresource (client-node's Exec: WebSocket, v5/v4.channel.k8s.io).
 * Resolves with the exit code once the server sends the command's status; rejects on abort, on
 * a refused upgrade and when the stream ends without a status. Raw errors: the caller classifies.
 */
export function execInPod(
  kc: KubeConfig,
  target: { namespace: string; pod: string; container: string; command: string[] },
  options: { signal: AbortSignal; maxOutputBytes: number; what: string },
): Promise<{ exitCode: number; stdout: string; stderr: string; truncated: boolean }> {
  const stdout = new OutputTail(options.maxOutputBytes);
  const stderr = new OutputTail(options.maxOutputBytes);
  return new Promise((resolve, reject) => {
    let socket: { close(): void } | undefined;
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      options.signal.removeEventListener("abort", onAbort);
      outcome();
    };
    const onAbort = () => {
      // Closing the stream is what stops the command: the kubelet ends an exec whose client left.
      socket?.close();
      settle(() => reject(options.signal.reason));
    };
    options.signal.addEventListener("abort", onAbort, { once: true });
    if (options.signal.aborted) return onAbort();

    const onStatus = (status: ExecStatus) =>
      settle(() => {
        const exitCode = exitCodeOf(status);
        if (exitCode === undefined) {
          reject(new KubernetesError("unknown", `${options.what}: ${status.message ?? "the command failed to start"}`));
          return;
        }
        resolve({ exitCode, stdout: stdout.text(), stderr: stderr.text(), truncated: stdout.truncated || stderr.truncated });
      });

    new Exec(kc)
      .exec(target.namespace, target.pod, target.container, target.command, stdout.stream, stderr.stream, null, false, onStatus)
      .then(
        (ws) => {
          socket = ws;
          if (settled) return ws.close(); // cancelled during the handshake
          ws.on("close", () =>
            settle(() => reject(new KubernetesError("unavailable", `${options.what}: the exec stream closed before the command's exit status arrived`))),
          );
        },
        // ws hands an ErrorEvent ({ message, error }) to onerror: the Error inside has the code.
        (event: { error?: unknown; message?: string }) => settle(() => reject(event?.error ?? new Error(event?.message ?? String(event)))),
      );
  });
}

/** Success is 0; NonZeroExitCode carries the code in its ExitCode cause; anything else did not run. */
function exitCodeOf(status: ExecStatus): number | undefined {
  if (status.status === "Success") return 0;
  if (status.reason !== "NonZeroExitCode") return undefined;
  const code = Number(status.details?.causes?.find((c) => c.reason === "ExitCode")?.message);
  return Number.isInteger(code) ? code : undefined;
}
