// Backup benchmark (issue 6, item 10): a ~1 GB game database on the shared MariaDB, dumped by
// the seed's `mysqldump | gzip`, by the raw `mariadb-dump | zstd -T0` and by gameops' mysql
// backup component, then restored by `zstd -dc | mariadb` and by gameops, and deep-verified
// (restore into a scratch database + fingerprint + drop). Prints each time next to its peer and
// target: backup within 1.15x of the raw zstd pipeline, restore and deep verify within 1.2x of
// `zstd -dc | mariadb`.
//
//   npx tsx bench/backup/run.ts [--size-mb 1024] [--seed 1] [--rounds 1] [--keep] [--drop-seed]
//
// The seeded database (gameops_bench_backup) is kept for the next run unless --drop-seed; every
// other database the bench creates is dropped. Exit 0 when it measured, target met or not; 1 when
// it could not measure or the gameops restore's fingerprint differs from the peer restore's.
import { writeFile, mkdtemp, rm, stat } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { execFileSync } from "node:child_process";
import type { MysqlTarget } from "../../src/config/load.js";
import { Secret } from "../../src/config/secret.js";
import type { Fingerprint } from "../../src/domain/backups/manifest.js";
import { defaultsFileText, fingerprint } from "../../src/integrations/mysql/dump.js";
import { findProgram } from "../../src/integrations/process/find-program.js";
import { LocalStorage } from "../../src/integrations/storage/local-storage.js";
import { testServices } from "../../test/services.js";
import { BenchError, runBench } from "../bench-main.js";
import { seedGameDatabase, type SeededDatabase } from "./game-database.js";
import { dropDatabase, gameopsBackup, gameopsDeepVerify, gameopsRestore, type GameopsBackup } from "./gameops-side.js";
import { rawDumpCommand, rawRestoreCommand, runPipeline, seedDumpCommand, type Timed } from "./peer-pipelines.js";

const seedDatabase = "gameops_bench_backup";
const backupTarget = 1.15;
const restoreTarget = 1.2;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      "size-mb": { type: "string", default: "1024" },
      seed: { type: "string", default: "1" },
      rounds: { type: "string", default: "1" },
      keep: { type: "boolean", default: false },
      "drop-seed": { type: "boolean", default: false },
    },
  });
  const sizeMb = wholeNumber(values["size-mb"], "--size-mb", 10);
  const seed = wholeNumber(values.seed, "--seed", 0);
  const rounds = wholeNumber(values.rounds, "--rounds", 1);
  for (const program of ["bash", "mysqldump", "mariadb-dump", "mariadb", "zstd", "gzip"])
    if ((await findProgram([program])) === undefined) throw new BenchError(`${program} is not on PATH: install mariadb-client, zstd and gzip (apt install mariadb-client zstd gzip)`);

  let service;
  try {
    service = testServices().mariadb;
  } catch (error) {
    throw new BenchError((error as Error).message);
  }
  const server = { host: service.host, port: service.port, user: service.user, ...(service.password ? { password: service.password } : {}) };
  const target: MysqlTarget = {
    host: service.host,
    port: service.port,
    user: service.user,
    ...(service.password ? { password: new Secret(service.password) } : {}),
    database: seedDatabase,
    label: `mysql://${service.user}@${service.host}:${service.port}/${seedDatabase}`,
  };

  const loadAtStart = loadavg()[0]!;
  process.stderr.write(`seeding ${seedDatabase} (~${sizeMb} MB, seed ${seed}) on ${service.host}:${service.port} …\n`);
  const seeded = await seedGameDatabase(server, { database: seedDatabase, sizeMb, seed, onProgress: (line) => process.stderr.write(`${line}\n`) });
  process.stderr.write(seeded.reused ? `  reused: it already holds this size and seed\n` : `  seeded in ${seeded.seedSeconds.toFixed(0)} s\n`);

  const workDir = await mkdtemp(join(tmpdir(), "gameops-bench-backup-"));
  const unique = `${process.pid}_${Date.now().toString(36)}`;
  const created: string[] = [];
  const scratch = (role: string) => {
    const name = `gameops_bench_${role}_${unique}`;
    created.push(name);
    return name;
  };
  try {
    // The peers' password (if any) travels as gameops' does: a 0600 file in a 0700 directory.
    const defaultsFile = join(workDir, "client.cnf");
    await writeFile(defaultsFile, defaultsFileText(target), { mode: 0o600 });
    const storage = new LocalStorage(join(workDir, "store"));
    const files = { gzip: join(workDir, "seed.sql.gz"), zstd: join(workDir, "raw.sql.zst") };
    const key = "bench/dump.sql.zst";

    const dumps: { seedGzip: Timed[]; rawZstd: Timed[]; gameops: Timed<GameopsBackup>[] } = { seedGzip: [], rawZstd: [], gameops: [] };
    // Each round in another order, so no side always runs first on a cold buffer pool.
    const order = ["rawZstd", "gameops", "seedGzip"] as const;
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < order.length; i++) {
        const which = order[(i + round) % order.length]!;
        process.stderr.write(`round ${round + 1}/${rounds}: ${which} …\n`);
        if (which === "seedGzip") dumps.seedGzip.push(await runPipeline(seedDumpCommand(defaultsFile, seedDatabase, files.gzip)));
        else if (which === "rawZstd") dumps.rawZstd.push(await runPipeline(rawDumpCommand(defaultsFile, seedDatabase, files.zstd)));
        else dumps.gameops.push(await gameopsBackup(target, storage, key));
        process.stderr.write(`  ${dumps[which].at(-1)!.seconds.toFixed(1)} s\n`);
      }
    }
    const artifacts = { gzip: (await stat(files.gzip)).size, zstd: (await stat(files.zstd)).size, gameops: dumps.gameops.at(-1)!.result.size };
    const dumpBytes = dumps.gameops.at(-1)!.result.dumpBytes;

    process.stderr.write("peer restore: zstd -dc | mariadb …\n");
    const peerDatabase = scratch("peer");
    const peerRestore = await runPipeline(rawRestoreCommand(defaultsFile, files.zstd, peerDatabase));
    process.stderr.write(`  ${peerRestore.seconds.toFixed(1)} s; fingerprinting it (not timed) …\n`);
    const peerFingerprint = await fingerprint({ target, database: peerDatabase });
    await dropDatabase(target, peerDatabase);

    process.stderr.write("gameops restore …\n");
    const restoreDatabase = scratch("restore");
    const restore = await gameopsRestore(target, storage, key, restoreDatabase);
    process.stderr.write(`  ${restore.seconds.toFixed(1)} s\n`);
    await dropDatabase(target, restoreDatabase);

    process.stderr.write("gameops deep verify (restore + fingerprint + drop) …\n");
    const verify = await gameopsDeepVerify(target, storage, key, scratch("verify"));
    process.stderr.write(`  ${verify.seconds.toFixed(1)} s; fingerprinting the source (not timed) …\n`);
    const sourceFingerprint = await fingerprint({ target, database: seedDatabase });

    const report: Report = {
      machine: { cpus: cpus().length, model: cpus()[0]?.model.trim() ?? "?", node: process.version, loadAtStart, loadAtEnd: loadavg()[0]!, tools: toolVersions() },
      seeded,
      rounds,
      dumps,
      dumpBytes,
      artifacts,
      peerRestore,
      restore,
      verify,
      fingerprints: { peer: peerFingerprint, gameops: verify.result, source: sourceFingerprint },
    };
    const { lines, correct } = render(report);
    process.stdout.write(`${lines.join("\n")}\n`);
    if (values.keep) process.stdout.write(`work dir kept: ${workDir}\n`);
    return correct ? 0 : 1;
  } finally {
    for (const name of created) await dropDatabase(target, name).catch(() => undefined);
    if (values["drop-seed"]) await dropDatabase(target, seedDatabase);
    if (!values.keep) await rm(workDir, { recursive: true, force: true });
  }
}

interface Report {
  machine: { cpus: number; model: string; node: string; loadAtStart: number; loadAtEnd: number; tools: string };
  seeded: SeededDatabase;
  rounds: number;
  dumps: { seedGzip: Timed[]; rawZstd: Timed[]; gameops: Timed<GameopsBackup>[] };
  dumpBytes: number;
  artifacts: { gzip: number; zstd: number; gameops: number };
  peerRestore: Timed;
  restore: Timed;
  verify: Timed<Fingerprint>;
  fingerprints: { peer: Fingerprint; gameops: Fingerprint; source: Fingerprint };
}

function render(r: Report): { lines: string[]; correct: boolean } {
  const out: string[] = [];
  const mb = (bytes: number) => bytes / (1024 * 1024);
  out.push(`bench/backup — gameops backup, restore and deep verify of a ${mb(r.seeded.totalBytes).toFixed(0)} MB game database against mysqldump | gzip and mariadb-dump | zstd -T0 (issue 6, item 10)`);
  out.push(`machine: ${r.machine.cpus} CPUs (${r.machine.model}), Node ${r.machine.node}, load average ${r.machine.loadAtStart.toFixed(2)} at start, ${r.machine.loadAtEnd.toFixed(2)} at end; ${r.machine.tools}`);
  out.push(`database: ${r.seeded.database} on the shared MariaDB, ${r.seeded.reused ? "reused from an earlier run" : `seeded in ${r.seeded.seedSeconds.toFixed(0)} s`}; InnoDB data + indexes:`);
  out.push(`  ${r.seeded.tables.map((t) => `${t.name} ${mb(t.bytes).toFixed(0)} MB (~${t.rows.toLocaleString("en")} rows)`).join(", ")}`);
  out.push(`dump: ${mb(r.dumpBytes).toFixed(0)} MB of SQL; artifacts: gzip ${mb(r.artifacts.gzip).toFixed(0)} MB (${(r.dumpBytes / r.artifacts.gzip).toFixed(1)}:1), raw zstd ${mb(r.artifacts.zstd).toFixed(0)} MB (${(r.dumpBytes / r.artifacts.zstd).toFixed(1)}:1), gameops zstd ${mb(r.artifacts.gameops).toFixed(0)} MB (${(r.dumpBytes / r.artifacts.gameops).toFixed(1)}:1)`);
  out.push("");

  const best = <T>(runs: Timed<T>[]) => runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  const raw = best(r.dumps.rawZstd);
  const gzip = best(r.dumps.seedGzip);
  const gameops = best(r.dumps.gameops);
  const all = (runs: Timed<unknown>[]) => (runs.length > 1 ? ` (rounds: ${runs.map((t) => t.seconds.toFixed(1)).join(", ")} s)` : "");
  interface Row {
    step: string;
    timed: Timed<unknown>;
    peer?: { name: string; seconds: number; target?: number };
    note?: string;
  }
  const rows: Row[] = [
    { step: "seed: mysqldump | gzip", timed: gzip, peer: { name: "raw zstd", seconds: raw.seconds }, note: `the seed's pipeline${all(r.dumps.seedGzip)}` },
    { step: "raw: mariadb-dump | zstd -T0", timed: raw, note: `the peer for backup${all(r.dumps.rawZstd)}` },
    { step: "gameops backup (dumpDatabase → local)", timed: gameops, peer: { name: "raw zstd", seconds: raw.seconds, target: backupTarget }, note: `${(gzip.seconds / gameops.seconds).toFixed(2)}x faster than the seed's${all(r.dumps.gameops)}` },
    { step: "raw: zstd -dc | mariadb", timed: r.peerRestore, note: "the peer for restore and deep verify" },
    { step: "gameops restore (restoreDump)", timed: r.restore, peer: { name: "raw restore", seconds: r.peerRestore.seconds, target: restoreTarget } },
    { step: "gameops deep verify (restore + fingerprint + drop)", timed: r.verify, peer: { name: "raw restore", seconds: r.peerRestore.seconds, target: restoreTarget } },
  ];
  out.push(`${"step".padEnd(52)} ${"time".padStart(8)} ${"MB/s".padStart(7)} ${"peak RSS".padStart(9)}  ${"vs peer".padEnd(19)} ${"target".padEnd(7)} verdict`);
  const verdicts: string[] = [];
  for (const row of rows) {
    const ratio = row.peer ? row.timed.seconds / row.peer.seconds : undefined;
    const verdict = row.peer?.target === undefined ? "" : ratio! <= row.peer.target ? "MET" : "NOT MET";
    if (verdict) verdicts.push(`${row.step}: ${ratio!.toFixed(2)}x, ${verdict}`);
    out.push(
      `${row.step.padEnd(52)} ${`${row.timed.seconds.toFixed(1)} s`.padStart(8)} ${(mb(r.dumpBytes) / row.timed.seconds).toFixed(1).padStart(7)} ${`${mb(row.timed.usage.peakRssBytes).toFixed(0)} MB`.padStart(9)}  ${(ratio === undefined ? "—" : `${ratio.toFixed(2)}x ${row.peer!.name}`).padEnd(19)} ${(row.peer?.target === undefined ? "—" : `≤ ${row.peer.target}x`).padEnd(7)} ${verdict}${row.note ? `${verdict ? "  " : ""}${row.note}` : ""}`,
    );
  }
  out.push("  MB/s: MB of SQL (the uncompressed dump) a second. Peak RSS: the sum over the process tree, sampled every 0.5 s (for gameops, this bench's own Node process with its children).");
  out.push("  CPU seconds by program (from /proc, each process's last sample):");
  for (const row of rows) out.push(`    ${row.step.padEnd(50)} ${[...row.timed.usage.cpuByProgram].filter(([, s]) => s >= 0.05).sort((a, b) => b[1] - a[1]).map(([p, s]) => `${p} ${s.toFixed(1)}`).join(", ")}`);
  out.push("");

  const same = (a: Fingerprint, b: Fingerprint) => JSON.stringify(a) === JSON.stringify(b);
  const peerMatch = same(r.fingerprints.gameops, r.fingerprints.peer);
  const sourceMatch = same(r.fingerprints.gameops, r.fingerprints.source);
  const rowsRestored = r.fingerprints.gameops.tables.reduce((n, t) => n + t.rows, 0);
  out.push(`correctness: the gameops restore's fingerprint (${r.fingerprints.gameops.tables.length} tables, ${rowsRestored.toLocaleString("en")} rows, CHECKSUM TABLE each) ${peerMatch ? "EQUALS" : "DIFFERS FROM"} the peer restore's, and ${sourceMatch ? "equals" : "DIFFERS FROM"} the source's`);
  if (!peerMatch || !sourceMatch) {
    for (const [which, other] of [["peer", r.fingerprints.peer], ["source", r.fingerprints.source]] as const)
      for (const table of r.fingerprints.gameops.tables) {
        const theirs = other.tables.find((t) => t.name === table.name);
        if (!theirs || theirs.rows !== table.rows || theirs.checksum !== table.checksum)
          out.push(`  ${table.name}: gameops ${table.rows} rows / ${table.checksum}, ${which} ${theirs ? `${theirs.rows} rows / ${theirs.checksum}` : "missing"}`);
      }
  }
  out.push("");
  out.push(`VERDICT (${r.machine.cpus} CPUs, ${mb(r.seeded.totalBytes).toFixed(0)} MB)  ${verdicts.join("; ")}`);
  return { lines: out, correct: peerMatch && sourceMatch };
}

function toolVersions(): string {
  const first = (program: string, args: string[]) => {
    try {
      return execFileSync(program, args, { encoding: "utf8" }).split("\n")[0]!.trim();
    } catch {
      return `${program}: ?`;
    }
  };
  return [first("mariadb-dump", ["--version"]), first("zstd", ["--version"]), first("gzip", ["--version"])].join("; ");
}

function wholeNumber(text: string, flag: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new BenchError(`${flag} must be a whole number ≥ ${min}, got "${text}"`);
  return n;
}

runBench(main);
