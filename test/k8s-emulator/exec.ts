import { spawn } from "node:child_process";
import { constants, tmpdir } from "node:os";
import { LogStore } from "./logs.js";
import { badRequest } from "./status.js";
import type { KubeObject } from "./store.js";
import type { WebSocketConnection } from "./websocket.js";

/** The streaming protocols served, in no order of their own: the client's order picks. */
export const execProtocols = ["v5.channel.k8s.io", "v4.channel.k8s.io"];

const stdinChannel = 0;
const stdoutChannel = 1;
const stderrChannel = 2;
const errorChannel = 3;
/** v5: `[255, channel]` from the client closes that stream (stdin's end of file). */
const closeChannel = 255;

export interface ExecRequest {
  namespace: string;
  pod: string;
  container: string;
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

const flag = (params: URLSearchParams, name: string) => ["true", "1"].includes(params.get(name) ?? "");

/** PodExecOptions from the query, checked as the API server checks them before proxying to the kubelet. */
export function execRequest(pod: KubeObject, params: URLSearchParams): ExecRequest {
  const command = params.getAll("command");
  if (command.length === 0) throw badRequest("you must specify at least 1 command");
  const request = { stdin: flag(params, "stdin"), stdout: flag(params, "stdout"), stderr: flag(params, "stderr") };
  if (!request.stdin && !request.stdout && !request.stderr) throw badRequest("you must specify at least 1 of stdin, stdout, stderr");
  const container = LogStore.pickContainer(pod, params.get("container") || undefined);
  if (!pod.spec?.nodeName) throw badRequest(`pod ${pod.metadata.name} does not have a host assigned`);
  return { namespace: pod.metadata.namespace, pod: pod.metadata.name, container, command, ...request };
}

/**
 * Runs an exec session over an accepted WebSocket. No container exists here: the command runs
 * on this machine (no shell, its own process group, HOSTNAME set to the pod's name), which is
 * what a test needs to see real output, stdin and exit codes cross the protocol. Returns a
 * function that kills the command (the emulator closing).
 */
export function runExec(ws: WebSocketConnection, request: ExecRequest): () => void {
  const send = (channel: number, data: Buffer | string) => ws.send(Buffer.concat([Buffer.from([channel]), Buffer.from(data)]));
  // The kubelet's handshake: an empty message on the lowest writable channel says the streams are up.
  send(request.stdout ? stdoutChannel : request.stderr ? stderrChannel : errorChannel, "");

  const [program, ...args] = request.command;
  const child = spawn(program!, args, {
    cwd: tmpdir(),
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOSTNAME: request.pod },
    stdio: [request.stdin ? "pipe" : "ignore", "pipe", "pipe"],
    detached: true,
  });
  let finished = false;
  const kill = () => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  };
  const finish = (status: Record<string, unknown>) => {
    if (finished) return;
    finished = true;
    send(errorChannel, JSON.stringify(status));
    ws.close();
  };

  child.stdout!.on("data", (chunk: Buffer) => request.stdout && send(stdoutChannel, chunk));
  child.stderr!.on("data", (chunk: Buffer) => request.stderr && send(stderrChannel, chunk));
  child.stdin?.on("error", () => {});
  child.on("error", (error: NodeJS.ErrnoException) => {
    const reason =
      error.code === "ENOENT"
        ? `exec: "${program}": executable file not found in $PATH`
        : `exec: "${program}": ${error.code === "EACCES" ? "permission denied" : error.message}`;
    const message = `error executing command in container: failed to exec in container: failed to start exec "${request.container}": OCI runtime exec failed: exec failed: unable to start container process: ${reason}: unknown`;
    finish({ metadata: {}, status: "Failure", message: `Internal error occurred: ${message}`, reason: "InternalError", details: { causes: [{ message }] }, code: 500 });
  });
  child.on("close", (code, signal) => {
    const exitCode = code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0);
    if (exitCode === 0) return finish({ metadata: {}, status: "Success" });
    finish({
      metadata: {},
      status: "Failure",
      message: `command terminated with non-zero exit code: error executing command [${request.command.join(" ")}], exit code ${exitCode}`,
      reason: "NonZeroExitCode",
      details: { causes: [{ reason: "ExitCode", message: String(exitCode) }] },
    });
  });

  ws.onMessage((message) => {
    const channel = message[0];
    if (channel === stdinChannel) child.stdin?.write(message.subarray(1));
    else if (channel === closeChannel && message[1] === stdinChannel) child.stdin?.end();
    // Channel 4 resizes a terminal; there is none.
  });
  // A client that goes away takes its command with it, as the kubelet's stream teardown does.
  ws.onClose(kill);
  return kill;
}
