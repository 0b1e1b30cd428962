/** A benchmark's own refusal (a bad flag, a server that would not start): its message is enough, no stack. */
export class BenchError extends Error {}

/** Runs a benchmark's main: its result is the exit code; a failure prints its message (a stack when unexpected) and exits 1. */
export function runBench(main: () => Promise<number>): void {
  main().then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      process.stderr.write(`bench: ${error instanceof BenchError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
