import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import {
  appendFileSync,
  chmodSync,
  chownSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Transform } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BackupError } from "../../src/domain/backups/backup-error.js";
import { componentSchema } from "../../src/domain/backups/manifest.js";
import { backupFiles, FilesError, listFiles, restoreFiles, type FilesCompression } from "../../src/integrations/files/tar-backup.js";
import { LocalStorage } from "../../src/integrations/storage/local-storage.js";
import type { BackupStorage } from "../../src/integrations/storage/storage.js";
import { childProcesses } from "../support/child-processes.js";

// Real GNU tar and zstd against a LocalStorage in a temp dir. Hostile archives are made with
// real tar too (-P keeps "/" and ".."), and every escape aims at a canary directory in the same
// temp dir, never at /etc: if a guard failed, the test would fail without harming the machine.

let work: string;
let storage: LocalStorage;
let store: string;
/** Where an escaping entry would land; it must stay as it was. */
let outside: string;

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), "gameops-files-test-"));
  store = join(work, "store");
  storage = new LocalStorage(store);
  outside = join(work, "outside");
  mkdirSync(outside);
  writeFileSync(join(outside, "canary"), "untouched\n");
});

afterEach(() => {
  rmSync(work, { recursive: true, force: true });
  expect(ourChildren()).toEqual([]);
});

const never = () => new AbortController().signal;

/** Our tar and zstd children still running, by argv. */
function ourChildren(): string[][] {
  return childProcesses()
    .map((child) => child.argv)
    .filter((argv) => /(^|\/)(tar|zstd)$/.test(argv[0] ?? ""));
}

/** Every file under the store, unfinished (.partial) ones included. */
function filesUnder(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => !e.isDirectory()).map((e) => join(e.parentPath, e.name));
}

type Node = { type: string; mode: number; mtime?: number; sha256?: string; link?: string };

/** A tree as comparable values: type, permission bits, content hash, link target, mtime (seconds). */
function describeTree(root: string): Record<string, Node> {
  const nodes: Record<string, Node> = {};
  const visit = (path: string, name: string) => {
    const info = lstatSync(path);
    const mode = info.mode & 0o7777;
    if (info.isSymbolicLink()) nodes[name] = { type: "symlink", mode: 0, link: readlinkSync(path) };
    else if (info.isDirectory()) {
      nodes[name] = { type: "directory", mode, mtime: Math.floor(info.mtimeMs / 1000) };
      for (const child of readdirSync(path).sort()) visit(join(path, child), `${name}/${child}`);
    } else if (!info.isFile()) nodes[name] = { type: "other", mode };
    else nodes[name] = { type: "file", mode, mtime: Math.floor(info.mtimeMs / 1000), sha256: createHash("sha256").update(readFileSync(path)).digest("hex") };
  };
  visit(root, ".");
  return nodes;
}

/** A game server's configuration: nested directories, modes, a relative symlink, a hard link, a 5 MB file, odd names. */
function makeConfigTree(): { server: string; single: string } {
  const server = join(work, "live/etc/game-server");
  mkdirSync(join(server, "secrets"), { recursive: true });
  mkdirSync(join(server, "maps/v2/regions"), { recursive: true });
  mkdirSync(join(server, "empty-dir"));
  writeFileSync(join(server, "server.conf"), "port = 7777\nmax_players = 64\n");
  chmodSync(join(server, "server.conf"), 0o640);
  writeFileSync(join(server, "secrets/token"), "s3cr3t\n");
  chmodSync(join(server, "secrets/token"), 0o600);
  chmodSync(join(server, "secrets"), 0o700);
  writeFileSync(join(server, "empty.conf"), "");
  writeFileSync(join(server, "with space ü.conf"), "name = ü\n");
  writeFileSync(join(server, "maps/v2/regions/eu.yaml"), "region: eu\n");
  writeFileSync(join(server, "start.sh"), "#!/bin/sh\nexec game\n");
  chmodSync(join(server, "start.sh"), 0o755);
  symlinkSync("v2", join(server, "maps/current"));
  linkSync(join(server, "server.conf"), join(server, "server.conf.hardlink"));
  // Random bytes: the compressed archive stays large, so tar stays busy while storage reads.
  writeFileSync(join(server, "maps/v2/world.bin"), randomBytes(5 * 1024 * 1024));
  chownSync(join(server, "maps/v2/regions/eu.yaml"), 4242, 4243);
  utimesSync(join(server, "server.conf"), new Date("2026-01-02T03:04:05Z"), new Date("2026-01-02T03:04:05Z"));
  chmodSync(join(server, "maps"), 0o750);
  const single = join(work, "live/opt/game/config.yaml");
  mkdirSync(join(work, "live/opt/game"), { recursive: true });
  writeFileSync(single, "tick_rate: 64\n");
  return { server, single };
}

/** A hostile tar built by `build` (given a scratch directory, returning the archive), compressed and put under `key`. */
async function putArchive(key: string, tar: Buffer, compression: FilesCompression = "zstd"): Promise<void> {
  const body = compression === "zstd" ? execFileSync("zstd", ["-q", "-c"], { input: tar }) : execFileSync("gzip", ["-c"], { input: tar });
  await storage.put(key, Readable.from([body]));
}

function tar(args: string[]): Buffer {
  return execFileSync("tar", args, { maxBuffer: 64 * 1024 * 1024, stdio: ["ignore", "pipe", "ignore"] });
}

describe("backupFiles and restoreFiles with GNU tar", () => {
  it("round-trips a config tree through zstd: contents, modes, links, times; members stored relative, restored owned by the restorer", async () => {
    const { server, single } = makeConfigTree();
    const key = "20261126T030000Z/files.tar.zst";
    const progress: number[] = [];
    const component = await backupFiles({ paths: [server, single], storage, key, compression: "zstd", signal: never(), onProgress: (b) => progress.push(b) });

    expect(componentSchema.parse(component)).toEqual(component);
    expect(component).toMatchObject({ name: "files", tool: { name: "tar", version: expect.stringMatching(/^\d+\.\d+/) } });
    const [artifact] = component.artifacts;
    expect(artifact).toMatchObject({ name: "files.tar.zst", compression: "zstd" });
    const stored = readFileSync(join(store, key));
    expect(stored.length).toBe(artifact!.size);
    expect(createHash("sha256").update(stored).digest("hex")).toBe(artifact!.sha256);
    expect(stored.subarray(0, 4).toString("hex")).toBe("28b52ffd");
    expect(filesUnder(store)).toEqual([join(store, key)]);
    expect(progress.length).toBeGreaterThan(1);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.at(-1)!).toBeGreaterThan(5 * 1024 * 1024);

    const entries = await listFiles({ storage, key, compression: "zstd", signal: never() });
    const relative = server.slice(1);
    expect(entries.every((e) => !e.path.startsWith("/"))).toBe(true);
    expect(entries.find((e) => e.path === `${relative}/maps/current`)).toMatchObject({ type: "symlink", linkTarget: "v2" });
    expect(entries.find((e) => e.path === `${relative}/server.conf.hardlink`)).toMatchObject({ type: "hardlink", linkTarget: `${relative}/server.conf` });
    expect(entries.find((e) => e.path === `${relative}/maps/v2/regions/eu.yaml`)).toMatchObject({ uid: 4242, gid: 4243 });
    expect(entries.find((e) => e.path === single.slice(1))).toMatchObject({ type: "file", size: 14 });

    const to = join(work, "restore/20261126");
    const result = await restoreFiles({ storage, key, compression: "zstd", to, signal: never() });
    const files = entries.filter((e) => e.type === "file");
    expect(result).toEqual({ files: files.length, bytes: files.reduce((s, e) => s + e.size, 0), to });
    expect(describeTree(join(to, server))).toEqual(describeTree(server));
    expect(describeTree(join(to, single))).toEqual(describeTree(single));
    expect(statSync(join(to, server, "server.conf.hardlink")).ino).toBe(statSync(join(to, server, "server.conf")).ino);
    // --no-same-owner: what the restore writes belongs to whoever ran it, whatever the archive says.
    expect(statSync(join(to, server, "maps/v2/regions/eu.yaml")).uid).toBe(process.getuid!());
    // Nothing landed anywhere but under `to`.
    expect(readdirSync(to)).toEqual([work.split("/")[1]]);
    expect(statSync(to).mode & 0o777).toBe(0o700);
  });

  it("round-trips through gzip", async () => {
    const { single } = makeConfigTree();
    const key = "set-gz/files.tar.gz";
    const component = await backupFiles({ paths: [single], storage, key, compression: "gzip", signal: never() });
    expect(readFileSync(join(store, key)).subarray(0, 2).toString("hex")).toBe("1f8b");
    expect(component.artifacts[0]).toMatchObject({ name: "files.tar.gz", compression: "gzip" });
    const to = join(work, "restore-gz");
    await restoreFiles({ storage, key, compression: "gzip", to, signal: never() });
    expect(readFileSync(join(to, single), "utf8")).toBe("tick_rate: 64\n");
  });

  it("stores the whole archive when storage starts reading only after tar and zstd have exited", async () => {
    // Node drains an exited child's unread stdout: a small archive must not be lost to that.
    const { single } = makeConfigTree();
    const late: BackupStorage = {
      ...delegate(storage),
      put: async (k, body, o) => {
        while (ourChildren().length > 0) await new Promise((resolve) => setTimeout(resolve, 10));
        return storage.put(k, body, o);
      },
    };
    const component = await backupFiles({ paths: [single], storage: late, key: "set-late/files.tar.zst", compression: "zstd", signal: never() });
    expect(component.artifacts[0]!.size).toBeGreaterThan(0);
    expect((await listFiles({ storage, key: "set-late/files.tar.zst", compression: "zstd", signal: never() })).map((e) => e.path)).toEqual([single.slice(1)]);
  });

  it("refuses bad paths naming the field, before running tar, and stores nothing", async () => {
    const { server, single } = makeConfigTree();
    const attempt = (paths: string[]) => backupFiles({ paths, storage, key: "set-bad/files.tar.zst", compression: "zstd", signal: never() });
    await expect(attempt([server, join(work, "live/etc/missing")])).rejects.toThrow(BackupError);
    await expect(attempt([server, join(work, "live/etc/missing")])).rejects.toThrow(/^backups\.files\.paths\[1\]: .*\/live\/etc\/missing does not exist; fix the path or remove it/);
    await expect(attempt(["etc/game-server"])).rejects.toThrow(/backups\.files\.paths\[0\]: "etc\/game-server" is not an absolute path/);
    await expect(attempt([single, server, join(server, "secrets")])).rejects.toThrow(/backups\.files\.paths\[2\]: .*secrets is already in backups\.files\.paths\[1\]/);
    await expect(attempt(["/"])).rejects.toThrow(/"\/" is the whole system/);
    await expect(attempt([])).rejects.toThrow(/backups\.files\.paths is empty/);
    symlinkSync(server, join(work, "live/link-to-server"));
    await expect(attempt([join(work, "live/link-to-server")])).rejects.toThrow(/is a symlink to .*game-server; list the directory it points to instead/);
    expect(filesUnder(store)).toEqual([]);
  });

  it("refuses to store a tree that restore would refuse, naming the entry: an absolute symlink, a fifo", async () => {
    const { server } = makeConfigTree();
    symlinkSync("/etc/letsencrypt/live/game/cert.pem", join(server, "cert.pem"));
    const attempt = () => backupFiles({ paths: [server], storage, key: "set-abs/files.tar.zst", compression: "zstd", signal: never() });
    await expect(attempt()).rejects.toThrow(BackupError);
    await expect(attempt()).rejects.toThrow(/\/game-server\/cert\.pem cannot be backed up: it is a symlink to the absolute path \/etc\/letsencrypt.*nothing was stored at set-abs\/files\.tar\.zst. Fix it on disk \(make the link relative/);
    rmSync(join(server, "cert.pem"));
    execFileSync("mkfifo", [join(server, "control.fifo")]);
    await expect(backupFiles({ paths: [server], storage, key: "set-fifo/files.tar.gz", compression: "gzip", signal: never() })).rejects.toThrow(/control\.fifo cannot be backed up: it is a fifo/);
    expect(filesUnder(store)).toEqual([]);
  });

  it("fails, retryable, and stores nothing when a file changes while tar reads it", async () => {
    const busy = join(work, "live/var/game");
    mkdirSync(busy, { recursive: true });
    writeFileSync(join(busy, "state.bin"), randomBytes(8 * 1024 * 1024));
    let touched = false;
    // tar is inside state.bin when 1 MB has come out (the pipes hold far less than the 7 MB
    // still to read): growing it now is a change tar sees when it finishes the file.
    const error = await backupFiles({
      paths: [busy],
      storage,
      key: "set-busy/files.tar.zst",
      compression: "zstd",
      signal: never(),
      onProgress: (bytes) => {
        if (bytes > 1024 * 1024 && !touched) {
          touched = true;
          appendFileSync(join(busy, "state.bin"), "more");
        }
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FilesError);
    expect(error).toMatchObject({ code: "CHANGED", retryable: true });
    expect((error as Error).message).toMatch(/a file changed while tar read it \(tar exited with code 1: .*state\.bin: file changed as we read it\); nothing was stored at set-busy/);
    expect(filesUnder(store)).toEqual([]);
  });

  it("a backup cancelled midway throws, stores nothing, and leaves no tar or zstd running", async () => {
    const { server } = makeConfigTree();
    const controller = new AbortController();
    const backing = backupFiles({
      paths: [server],
      storage,
      key: "set-cancel/files.tar.zst",
      compression: "zstd",
      signal: controller.signal,
      onProgress: (bytes) => {
        if (bytes > 1024 * 1024) controller.abort();
      },
    });
    await expect(backing).rejects.toThrow(FilesError);
    await expect(backing).rejects.toThrow(/files backup to set-cancel\/files.tar.zst: cancelled; nothing was stored/);
    expect(filesUnder(store)).toEqual([]);
    expect(ourChildren()).toEqual([]);
  });

  it("a corrupted stored byte or a truncated artifact fails the restore clearly, and leaves no restore directory", async () => {
    const { server } = makeConfigTree();
    for (const compression of ["zstd", "gzip"] as const) {
      const key = `set-corrupt-${compression}/files.tar.${compression === "zstd" ? "zst" : "gz"}`;
      await backupFiles({ paths: [server], storage, key, compression, signal: never() });
      const path = join(store, key);
      const whole = readFileSync(path);
      const flipped = Buffer.from(whole);
      flipped[Math.floor(flipped.length / 2)]! ^= 0xff;
      writeFileSync(path, flipped);
      const to = join(work, `restore-corrupt-${compression}`);
      const error = (await restoreFiles({ storage, key, compression, to, signal: never() }).catch((e: unknown) => e)) as FilesError;
      expect(error).toBeInstanceOf(FilesError);
      expect(error.code).toBe("CORRUPT");
      expect(error.message).toMatch(new RegExp(`restore of ${key} into ${to}: the artifact (does not decompress|is not a tar gameops can read).*nothing was restored: restore from another set`));
      expect(existsSync(to)).toBe(false);

      writeFileSync(path, whole.subarray(0, Math.floor(whole.length / 3)));
      await expect(restoreFiles({ storage, key, compression, to, signal: never() })).rejects.toThrow(/corrupted or truncated|truncated/);
      await expect(listFiles({ storage, key, compression, signal: never() })).rejects.toThrow(FilesError);
      expect(existsSync(to)).toBe(false);
    }
  });

  it("a restore cancelled midway removes what it wrote and leaves no tar or zstd running", async () => {
    const { server } = makeConfigTree();
    const key = "set-rcancel/files.tar.zst";
    await backupFiles({ paths: [server], storage, key, compression: "zstd", signal: never() });
    const controller = new AbortController();
    let gets = 0;
    // The second read is the extraction: cancel once it is well under way.
    const slow: BackupStorage = {
      ...delegate(storage),
      get: async (k, o) => {
        const source = await storage.get(k, o);
        if (++gets < 2) return source;
        let seen = 0;
        return source.pipe(
          new Transform({
            transform(chunk: Buffer, _e, callback) {
              seen += chunk.length;
              if (seen > 2 * 1024 * 1024) controller.abort();
              callback(null, chunk);
            },
          }),
        );
      },
    };
    const to = join(work, "restore-cancel");
    await expect(restoreFiles({ storage: slow, key, compression: "zstd", to, signal: controller.signal })).rejects.toThrow(/cancelled; what was written under .*restore-cancel is removed/);
    expect(existsSync(to)).toBe(false);
    expect(ourChildren()).toEqual([]);
  });
});

describe("restoreFiles when the store fails between the check and the extraction", () => {
  it("leaves no tar waiting for input and no restore directory", async () => {
    const { single } = makeConfigTree();
    const key = "set-gone/files.tar.zst";
    await backupFiles({ paths: [single], storage, key, compression: "zstd", signal: never() });
    let gets = 0;
    const vanishing: BackupStorage = { ...delegate(storage), get: (k, o) => (++gets === 1 ? storage.get(k, o) : storage.get("set-gone/missing.tar.zst", o)) };
    const to = join(work, "restore-gone");
    await expect(restoreFiles({ storage: vanishing, key, compression: "zstd", to, signal: never() })).rejects.toThrow(/no such backup artifact/);
    expect(existsSync(to)).toBe(false);
    expect(ourChildren()).toEqual([]);
  });
});

function delegate(inner: BackupStorage): BackupStorage {
  return {
    kind: inner.kind,
    label: inner.label,
    put: (k, b, o) => inner.put(k, b, o),
    get: (k, o) => inner.get(k, o),
    list: (p) => inner.list(p),
    remove: (k) => inner.remove(k),
    exists: (k) => inner.exists(k),
  };
}

describe("restoreFiles refuses hostile archives before writing anything", () => {
  /** Restores `key` into a fresh `to`; expects a refusal matching `message`, nothing under `to`, and the canary directory as it was. */
  async function expectRefused(key: string, message: RegExp, compression: FilesCompression = "zstd"): Promise<void> {
    const before = describeTree(outside);
    const to = join(work, "restore", "here");
    const error = (await restoreFiles({ storage, key, compression, to, signal: never() }).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(BackupError);
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(/nothing was restored/);
    // Not even `to`'s parent was created: the archive was refused before anything was written.
    expect(existsSync(join(work, "restore"))).toBe(false);
    expect(describeTree(outside)).toEqual(before);
    // The same archive fails the listing a verify runs.
    await expect(listFiles({ storage, key, compression, signal: never() })).rejects.toThrow(message);
  }

  it("an absolute member (tar -P)", async () => {
    const target = join(outside, "planted.conf");
    writeFileSync(target, "evil\n");
    const archive = tar(["-P", "-cf", "-", target]);
    rmSync(target);
    await putArchive("h/abs.tar.zst", archive);
    await expectRefused("h/abs.tar.zst", new RegExp(`entry "${target}": it is an absolute path`));
    expect(existsSync(target)).toBe(false);
  });

  it("a ../ member", async () => {
    const build = join(work, "build/sub");
    mkdirSync(build, { recursive: true });
    writeFileSync(join(work, "build/escape"), "evil\n");
    await putArchive("h/dotdot.tar.zst", tar(["-P", "-C", build, "-cf", "-", "../escape"]));
    await expectRefused("h/dotdot.tar.zst", /entry "\.\.\/escape": it has a "\.\." segment/);
  });

  it("a symlink to an absolute directory, then a file through it", async () => {
    const build = join(work, "build");
    const stage = join(work, "stage");
    mkdirSync(build);
    mkdirSync(join(stage, "link"), { recursive: true });
    symlinkSync(outside, join(build, "link"));
    writeFileSync(join(stage, "link/pwned"), "evil\n");
    const archivePath = join(work, "attack.tar");
    tar(["-cf", archivePath, "-C", build, "link"]);
    tar(["-rf", archivePath, "-C", stage, "link/pwned"]);
    expect(execFileSync("tar", ["-tf", archivePath], { encoding: "utf8" })).toBe("link\nlink/pwned\n");
    await putArchive("h/symlink.tar.zst", readFileSync(archivePath));
    await expectRefused("h/symlink.tar.zst", new RegExp(`entry "link": it is a symlink to the absolute path ${outside}`));
    expect(existsSync(join(outside, "pwned"))).toBe(false);
  });

  it("a relative symlink that climbs out, or stays in, with a file through it", async () => {
    const build = join(work, "build");
    const stage = join(work, "stage");
    mkdirSync(join(build, "conf"), { recursive: true });
    mkdirSync(join(stage, "conf/link"), { recursive: true });
    writeFileSync(join(stage, "conf/link/pwned"), "evil\n");
    symlinkSync("../../../outside", join(build, "conf/link"));
    const climbing = join(work, "climb.tar");
    tar(["-cf", climbing, "-C", build, "conf/link"]);
    tar(["-rf", climbing, "-C", stage, "conf/link/pwned"]);
    await putArchive("h/climb.tar.zst", readFileSync(climbing));
    await expectRefused("h/climb.tar.zst", /entry "conf\/link": it is a symlink to \.\.\/\.\.\/\.\.\/outside, which points outside the restore directory/);

    rmSync(join(build, "conf/link"));
    symlinkSync("..", join(build, "conf/link"));
    const through = join(work, "through.tar");
    tar(["-cf", through, "-C", build, "conf/link"]);
    tar(["-rf", through, "-C", stage, "conf/link/pwned"]);
    await putArchive("h/through.tar.gz", readFileSync(through), "gzip");
    await expectRefused("h/through.tar.gz", /entry "conf\/link\/pwned": it would be written through the symlink conf\/link/, "gzip");
  });

  it("a hard link to an absolute path", async () => {
    const build = join(work, "build");
    mkdirSync(build);
    writeFileSync(join(build, "a"), "x\n");
    linkSync(join(build, "a"), join(build, "b"));
    const canary = join(outside, "canary");
    await putArchive("h/hardlink.tar.zst", tar(["-P", "-C", build, "-cf", "-", "a", "b", `--transform=s,^a$,${canary},RSh`]));
    await expectRefused("h/hardlink.tar.zst", new RegExp(`entry "b": it is a hard link to "${canary}", which is not a member`));
    expect(statSync(canary).nlink).toBe(1);
  });

  it("a fifo", async () => {
    const build = join(work, "build");
    mkdirSync(build);
    execFileSync("mkfifo", [join(build, "pipe")]);
    await putArchive("h/fifo.tar.zst", tar(["-C", build, "-cf", "-", "pipe"]));
    await expectRefused("h/fifo.tar.zst", /entry "pipe": it is a fifo/);
  });

  it("an artifact swapped between the check and the extraction: the guard stops tar at the first changed header", async () => {
    const build = join(work, "build");
    mkdirSync(join(build, "conf"), { recursive: true });
    writeFileSync(join(build, "conf/a.conf"), "a\n");
    const benign = join(work, "benign.tar");
    tar(["-cf", benign, "-C", build, "conf"]);
    await putArchive("h/benign.tar.zst", readFileSync(benign));
    // The same entries, then the attack: a symlink out and a file through it.
    symlinkSync(outside, join(build, "conf/link"));
    mkdirSync(join(work, "stage/conf/link"), { recursive: true });
    writeFileSync(join(work, "stage/conf/link/pwned"), "evil\n");
    const swapped = join(work, "swapped.tar");
    tar(["-cf", swapped, "--exclude=conf/link", "-C", build, "conf"]);
    tar(["-rf", swapped, "-C", build, "conf/link"]);
    tar(["-rf", swapped, "-C", join(work, "stage"), "conf/link/pwned"]);
    expect(execFileSync("tar", ["-tf", swapped], { encoding: "utf8" })).toBe("conf/\nconf/a.conf\nconf/link\nconf/link/pwned\n");
    await putArchive("h/swapped.tar.zst", readFileSync(swapped));

    let gets = 0;
    const swapping: BackupStorage = { ...delegate(storage), get: (_k, o) => storage.get(++gets === 1 ? "h/benign.tar.zst" : "h/swapped.tar.zst", o) };
    const to = join(work, "restore-swap");
    const error = (await restoreFiles({ storage: swapping, key: "h/benign.tar.zst", compression: "zstd", to, signal: never() }).catch((e: unknown) => e)) as FilesError;
    expect(error).toBeInstanceOf(FilesError);
    expect(error.message).toMatch(/the artifact changed after it was checked \(entry 3: conf\/link\); what was written under .*restore-swap is removed/);
    expect(existsSync(to)).toBe(false);
    expect(readdirSync(outside)).toEqual(["canary"]);
  });
});

describe("the restore directory", () => {
  it('refuses "/", a non-empty directory without overwrite, and a file', async () => {
    const { single } = makeConfigTree();
    const key = "set-to/files.tar.zst";
    await backupFiles({ paths: [single], storage, key, compression: "zstd", signal: never() });
    const restore = (to: string, overwrite?: boolean) => restoreFiles({ storage, key, compression: "zstd", to, signal: never(), ...(overwrite ? { overwrite } : {}) });
    await expect(restore("/")).rejects.toThrow(/restore into "\/" refused: gameops restores files under a directory of their own/);
    await expect(restore("/tmp/..", true)).rejects.toThrow(/restore into "\/" refused/);
    symlinkSync("/", join(work, "root-link"));
    await expect(restore(join(work, "root-link"), true)).rejects.toThrow(/restore into "\/" refused/);
    await expect(restore(outside)).rejects.toThrow(new RegExp(`restore directory ${outside} is not empty; restore into a new or empty directory \\(--to\\), or pass --overwrite`));
    await expect(restore(join(outside, "canary"), true)).rejects.toThrow(/is not a directory/);
    mkdirSync(join(work, "empty"));
    await expect(restore(join(work, "empty"))).resolves.toMatchObject({ files: 1 });
    expect(readdirSync(outside)).toEqual(["canary"]);
  });

  it("with overwrite, replaces files under `to` (a symlink there is replaced, not followed) and refuses a symlinked directory", async () => {
    const { server } = makeConfigTree();
    const key = "set-over/files.tar.zst";
    await backupFiles({ paths: [server], storage, key, compression: "zstd", signal: never() });
    const to = join(work, "restore-over");
    await restoreFiles({ storage, key, compression: "zstd", to, signal: never() });
    const restored = join(to, server);
    writeFileSync(join(restored, "server.conf"), "edited\n");
    rmSync(join(restored, "start.sh"));
    symlinkSync(join(outside, "canary"), join(restored, "start.sh"));
    writeFileSync(join(restored, "local-only.conf"), "kept\n");

    await expect(restoreFiles({ storage, key, compression: "zstd", to, signal: never() })).rejects.toThrow(/is not empty/);
    await restoreFiles({ storage, key, compression: "zstd", to, signal: never(), overwrite: true });
    expect(readFileSync(join(restored, "server.conf"), "utf8")).toBe("port = 7777\nmax_players = 64\n");
    expect(lstatSync(join(restored, "start.sh")).isSymbolicLink()).toBe(false);
    expect(readFileSync(join(restored, "start.sh"), "utf8")).toBe("#!/bin/sh\nexec game\n");
    expect(readFileSync(join(outside, "canary"), "utf8")).toBe("untouched\n");
    expect(readFileSync(join(restored, "local-only.conf"), "utf8")).toBe("kept\n");
    const { "./local-only.conf": _local, ...restoredTree } = describeTree(restored);
    expect(restoredTree).toEqual(describeTree(server));

    // A directory of the archive is now a symlink out: tar would write its files through it.
    rmSync(join(restored, "secrets"), { recursive: true });
    symlinkSync(outside, join(restored, "secrets"));
    await expect(restoreFiles({ storage, key, compression: "zstd", to, signal: never(), overwrite: true })).rejects.toThrow(
      new RegExp(`${restored}/secrets is a symlink \\(to ${outside}\\) where the archive has a directory; tar would write through it`),
    );
    expect(readdirSync(outside)).toEqual(["canary"]);
  });
});
