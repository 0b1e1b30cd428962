import { Writable } from "node:stream";
import { Exec, type KubeConfig } from "@kubernetes/client-node";
import { OutputTail } from "../process/output-tail.js";
import { KubernetesError } from "./cluster.js";

/** An output tail that a client library can write to as a stream. */
function tailStream(max: number): { tail: OutputTail; stream: Writable } {
  const tail = new OutputTail(max);
  return {
    tail,
    stream: new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        tail.push(chunk);
        done();
      },
    }),
  };
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
  const out = tailStream(options.maxOutputBytes);
  const err = tailStream(options.maxOutputBytes);
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
        resolve({ exitCode, stdout: out.tail.text(), stderr: err.tail.text(), truncated: out.tail.truncated || err.tail.truncated });
      });

    new Exec(kc)
      .exec(target.namespace, target.pod, target.container, target.command, out.stream, err.stream, null, false, onStatus)
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
