import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../../../src/config/load.js";
import { runbookSchema } from "../../../src/domain/runbooks/schema.js";
import { RunbookExecutor } from "../../../src/engine/runbooks/executor.js";
import { stepKinds } from "../../../src/engine/runbooks/steps/index.js";
import { openStore } from "../../../src/store/open-store.js";

/**
 * A separate Node process that executes a runbook against the store in `dataDir`, as `gameops`
 * would: `start` starts the run and drives it (the test SIGKILLs it in step 2); `resume` takes
 * up whatever run was left behind once its lease has run out, and drives it until it blocks.
 * Prints one JSON line per fact: {"runId"} after the run is committed, {"run"} at the end.
 */
export const crashRunbook = (idempotent: boolean) =>
  runbookSchema.parse({
    name: "crash-resume",
    title: "Crash in the middle of step 2",
    params: { dir: {} },
    steps: [
      { id: "append", shell: { script: 'echo ran >> "$GAMEOPS_PARAM_DIR/appended"', shell: true } },
      {
        id: "block",
        idempotent,
        // The first time: say which process to clean up (atomically), then block. Again after the crash: note it and go on.
        shell: {
          script: [
            'if [ -e "$GAMEOPS_PARAM_DIR/blocking" ]; then echo again >> "$GAMEOPS_PARAM_DIR/rerun"; exit 0; fi',
            'echo $$ > "$GAMEOPS_PARAM_DIR/blocking.tmp" && mv "$GAMEOPS_PARAM_DIR/blocking.tmp" "$GAMEOPS_PARAM_DIR/blocking"',
            "exec sleep 30",
          ].join("\n"),
          shell: true,
        },
      },
      { id: "after", shell: { script: 'echo after >> "$GAMEOPS_PARAM_DIR/after"', shell: true } },
    ],
  });

/** Leases short enough that the second process does not wait long for the first one's to run out. */
const leaseMs = 1500;

export function startCrashWorker(args: string[]): { child: ReturnType<typeof spawn>; lines: AsyncIterable<Record<string, unknown>>; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  async function* lines(): AsyncIterable<Record<string, unknown>> {
    let buffer = "";
    for await (const chunk of child.stdout!.setEncoding("utf8")) {
      buffer += chunk as string;
      let newline: number;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        yield JSON.parse(line) as Record<string, unknown>;
      }
    }
    const code = await exited;
    if (code !== 0 && code !== null) throw new Error(`crash worker exited with ${code}: ${stderr}`);
  }
  return { child, lines: lines(), exited };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [mode, dataDir, dir, idempotent] = process.argv.slice(2) as ["start" | "resume", string, string, string];
  const store = await openStore({ dataDir });
  const executor = new RunbookExecutor({
    store,
    config: loadConfig({ cwd: dataDir, env: {} }).config,
    stepKinds,
    leaseMs,
    heartbeatMs: 200,
    onError: (error) => process.stderr.write(`${error.message}\n`),
  });
  const print = (fact: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(fact)}\n`);
  if (mode === "start") {
    const runId = await executor.start(crashRunbook(idempotent === "true"), { dir }, { startedBy: "mina", through: "cli" });
    print({ runId });
    print({ run: await executor.runUntilBlocked(runId) });
  } else {
    // Bounded: the first process's lease runs out within leaseMs of its death.
    let claimed: string[] = [];
    for (let i = 0; i < 200 && claimed.length === 0; i++) {
      claimed = await executor.resumeOrphanedRuns();
      if (claimed.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await executor.idle();
    print({ claimed, run: claimed[0] ? await store.runbookRuns.getRun(claimed[0]) : undefined });
  }
  await executor.stop();
  await store.close();
}
