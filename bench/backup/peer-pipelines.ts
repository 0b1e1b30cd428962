// The pipelines gameops is measured against, run as the seed and an operator run them: bash with
// pipefail. The defaults file carries host, port and user (and a password if there were one):
// never argv.
import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";
import { dumpArguments } from "../../src/integrations/mysql/dump.js";
import { BenchError } from "../bench-main.js";
import { watchTree, type TreeUsage } from "./process-tree.js";

export interface Timed<T = void> {
  seconds: number;
  usage: TreeUsage;
  result: T;
}

/** The seed's backup-procedure.sh step 1, with its exact flags (DESIGN.md R9; the seed's §5.1), minus -h/-u/-p which the defaults file holds. */
export function seedDumpCommand(defaultsFile: string, database: string, file: string): string {
  return `set -o pipefail; mysqldump --defaults-extra-file=${quote(defaultsFile)} --single-transaction --routines --triggers --events ${quote(database)} | gzip > ${quote(file)}`;
}

/** The raw pipeline at its fastest: the very arguments gameops gives mariadb-dump, into zstd on every core. */
export function rawDumpCommand(defaultsFile: string, database: string, file: string): string {
  return `set -o pipefail; mariadb-dump ${dumpArguments(defaultsFile, database, []).map(quote).join(" ")} | zstd -T0 -q > ${quote(file)}`;
}

/** The restore an operator would type: a new database, then the dump into it, with the client flags gameops uses. */
export function rawRestoreCommand(defaultsFile: string, file: string, database: string): string {
  const client = `mariadb --defaults-extra-file=${quote(defaultsFile)}`;
  return `set -o pipefail; ${client} -e ${quote(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4`)} && zstd -dc -q ${quote(file)} | ${client} --binary-mode --default-character-set=utf8mb4 ${quote(database)}`;
}

/** Runs `bash -c command`, timed, with the tree under bash sampled; a non-zero exit is a BenchError with the end of stderr. */
export async function runPipeline(command: string): Promise<Timed> {
  const started = performance.now();
  const child = spawn("bash", ["-c", command], { stdio: ["ignore", "ignore", "pipe"] });
  const watch = watchTree(child.pid!);
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString("utf8")).slice(-4000)));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", resolve);
  });
  const seconds = (performance.now() - started) / 1000;
  const usage = await watch.stop();
  if (code !== 0) throw new BenchError(`\`${command}\` exited with ${code}: ${stderr.trim().split("\n").slice(-3).join(" / ")}`);
  return { seconds, usage, result: undefined };
}

function quote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
