// Where gameops' backup spends the time the raw `mariadb-dump | zstd -T0` does not: the same dump
// of the seeded database, built up one piece of dumpDatabase at a time, each variant run
// `--rounds` times interleaved, median reported. Run after run.ts has seeded the database.
//
//   npx tsx bench/backup/profile.ts [--size-mb 1024] [--seed 1] [--rounds 3]
import { spawn } from "node:child_process";
import { mkdtemp, open, rm, writeFile } from "node:fs/promises";
import { createWriteStream } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { parseArgs } from "node:util";
import { Secret } from "../../src/config/secret.js";
import type { MysqlTarget } from "../../src/config/load.js";
import { defaultsFileText, dumpArguments, dumpDatabase } from "../../src/integrations/mysql/dump.js";
import { LocalStorage } from "../../src/integrations/storage/local-storage.js";
import { MeasuringStream } from "../../src/integrations/storage/measuring-stream.js";
import { testServices } from "../../test/services.js";
import { BenchError, runBench } from "../bench-main.js";
import { seedGameDatabase } from "./game-database.js";
import { rawDumpCommand, runPipeline } from "./peer-pipelines.js";
import { watchTree } from "./process-tree.js";

const database = "gameops_bench_backup";

interface Variant {
  name: string;
  what: string;
  run: (out: string) => Promise<{ syncSeconds?: number }>;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { "size-mb": { type: "string", default: "1024" }, seed: { type: "string", default: "1" }, rounds: { type: "string", default: "3" } } });
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new BenchError(`--rounds must be a whole number ≥ 1, got "${values.rounds}"`);
  const service = testServices().mariadb;
  const target: MysqlTarget = {
    host: service.host,
    port: service.port,
    user: service.user,
    ...(service.password ? { password: new Secret(service.password) } : {}),
    database,
    label: `mysql://${service.user}@${service.host}:${service.port}/${database}`,
  };
  const seeded = await seedGameDatabase(
    { host: service.host, port: service.port, user: service.user, ...(service.password ? { password: service.password } : {}) },
    { database, sizeMb: Number(values["size-mb"]), seed: Number(values.seed), onProgress: (line) => process.stderr.write(`${line}\n`) },
  );
  const workDir = await mkdtemp(join(tmpdir(), "gameops-bench-backup-profile-"));
  try {
    const defaultsFile = join(workDir, "client.cnf");
    await writeFile(defaultsFile, defaultsFileText(target), { mode: 0o600 });
    const args = dumpArguments(defaultsFile, database, []);
    const dump = () => spawn("mariadb-dump", args, { stdio: ["ignore", "pipe", "ignore"] });
    const exited = (child: ReturnType<typeof spawn>) => new Promise<void>((resolve, reject) => child.once("close", (code) => (code === 0 ? resolve() : reject(new Error(`${child.spawnargs[0]} exited ${code}`)))));

    const variants: Variant[] = [
      { name: "raw bash pipeline", what: "bash: mariadb-dump | zstd -T0 > file", run: async (out) => (await runPipeline(rawDumpCommand(defaultsFile, database, out)), {}) },
      {
        name: "node relay",
        what: "dump stdout → node pipeline() → zstd stdin; zstd writes the file itself",
        run: async (out) => {
          const file = await open(out, "w");
          const d = dump();
          const z = spawn("zstd", ["-T0", "-q", "-c"], { stdio: ["pipe", file.fd, "ignore"] });
          await Promise.all([pipeline(d.stdout!, z.stdin!), exited(d), exited(z)]);
          await file.close();
          return {};
        },
      },
      {
        name: "+ tap",
        what: "the same with a pass-through Transform keeping the head (as DumpTap)",
        run: async (out) => {
          const file = await open(out, "w");
          const d = dump();
          const z = spawn("zstd", ["-T0", "-q", "-c"], { stdio: ["pipe", file.fd, "ignore"] });
          await Promise.all([pipeline(d.stdout!, tap(), z.stdin!), exited(d), exited(z)]);
          await file.close();
          return {};
        },
      },
      {
        name: "+ generator + sha256 + write",
        what: "and zstd stdout → Readable.from(async generator) → MeasuringStream → createWriteStream, no fsync",
        run: async (out) => {
          const d = dump();
          const z = spawn("zstd", ["-T0", "-q", "-c"], { stdio: ["pipe", "pipe", "ignore"] });
          const feeding = pipeline(d.stdout!, tap(), z.stdin!);
          async function* body(): AsyncGenerator<Buffer> {
            for await (const chunk of z.stdout!) yield chunk as Buffer;
          }
          await Promise.all([pipeline(Readable.from(body()), new MeasuringStream(), createWriteStream(out)), feeding, exited(d), exited(z)]);
          return {};
        },
      },
      {
        name: "gameops dumpDatabase",
        what: "as shipped: the above + probe connection, --version, defaults file, fsync, rename",
        run: async (out) => {
          const storage = new LocalStorage(out + ".store");
          await dumpDatabase({ target, storage, key: "d/dump.sql.zst", compression: "zstd", signal: new AbortController().signal });
          await rm(out + ".store", { recursive: true, force: true });
          return {};
        },
      },
      {
        name: "proposed: fd hand-off",
        what: "dump stdout passed as zstd's stdin (no JS relay), zstd stdout piped straight into MeasuringStream → file + fsync",
        run: async (out) => {
          const d = dump();
          const z = spawn("zstd", ["-T0", "-q", "-c"], { stdio: [d.stdout!, "pipe", "ignore"] });
          // zstd holds its own copy of the pipe's read end; ours would only compete for the bytes.
          d.stdout!.destroy();
          await Promise.all([pipeline(z.stdout!, new MeasuringStream(), createWriteStream(out)), exited(d), exited(z)]);
          return { syncSeconds: await sync(out) };
        },
      },
    ];

    const times = new Map<string, number[]>(variants.map((v) => [v.name, []]));
    // CPU, unlike wall time, does not move with what other sessions run on the machine.
    const nodeCpu = new Map<string, number[]>(variants.map((v) => [v.name, []]));
    const treeCpu = new Map<string, number[]>(variants.map((v) => [v.name, []]));
    const syncs: number[] = [];
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < variants.length; i++) {
        const variant = variants[(i + round) % variants.length]!;
        const out = join(workDir, "dump.sql.zst");
        const started = performance.now();
        const cpuBefore = process.cpuUsage();
        const watch = watchTree(process.pid);
        const { syncSeconds } = await variant.run(out);
        const seconds = (performance.now() - started) / 1000;
        const cpu = process.cpuUsage(cpuBefore);
        const usage = await watch.stop();
        nodeCpu.get(variant.name)!.push((cpu.user + cpu.system) / 1e6);
        treeCpu.get(variant.name)!.push([...usage.cpuByProgram].filter(([program]) => program !== "node").reduce((sum, [, s]) => sum + s, 0));
        if (syncSeconds !== undefined) syncs.push(syncSeconds);
        times.get(variant.name)!.push(seconds);
        await rm(out, { force: true });
        process.stderr.write(`round ${round + 1}: ${variant.name} ${seconds.toFixed(1)} s\n`);
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const base = median(times.get(variants[0]!.name)!);
    process.stdout.write(`bench/backup profile — ${(seeded.totalBytes / 2 ** 20).toFixed(0)} MB database, ${rounds} rounds interleaved, median\n`);
    for (const v of variants) {
      const m = median(times.get(v.name)!);
      process.stdout.write(
        `  ${v.name.padEnd(30)} ${`${m.toFixed(1)} s`.padStart(7)}  ${(m / base).toFixed(2)}x  (${times.get(v.name)!.map((t) => t.toFixed(1)).join(", ")})  node CPU ${median(nodeCpu.get(v.name)!).toFixed(1)} s, children CPU ${median(treeCpu.get(v.name)!).toFixed(1)} s  ${v.what}\n`,
      );
    }
    process.stdout.write("  node CPU: this process (process.cpuUsage); children CPU: mariadb-dump, zstd and bash from /proc (mariadbd's own work is in neither)\n");
    process.stdout.write(`  fsync of the zstd artifact after writing it: median ${median(syncs).toFixed(2)} s\n`);
    return 0;
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/** A pass-through that keeps the first 64 KB and counts, as DumpTap does. */
function tap(): Transform {
  let bytes = 0;
  const head: Buffer[] = [];
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (bytes < 64 * 1024) head.push(chunk);
      bytes += chunk.length;
      callback(null, chunk);
    },
  });
}

async function sync(path: string): Promise<number> {
  const started = performance.now();
  const handle = await open(path, "r+");
  await handle.sync();
  await handle.close();
  return (performance.now() - started) / 1000;
}

runBench(main);
