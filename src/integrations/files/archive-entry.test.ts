import { describe, expect, it } from "vitest";
import { ArchiveRules, entryRefusal, pathsThatMustNotBeSymlinks, TarFormatError, TarReader, type ArchiveEntry } from "./archive-entry.js";

// Headers built byte by byte, the way GNU tar lays them out, so each rule of the reader is shown
// on exactly the bytes it is about. The real-tar round trips are in test/backups/files-tar.test.ts.

interface HeaderSpec {
  name: string;
  type?: string;
  size?: number;
  mode?: number;
  link?: string;
  magic?: "gnu" | "posix" | "v7";
  prefix?: string;
  sizeField?: Buffer;
}

function header(spec: HeaderSpec): Buffer {
  const h = Buffer.alloc(512);
  const put = (text: string, at: number, length: number) => Buffer.from(text, "utf8").copy(h, at, 0, length);
  const octal = (value: number, at: number, length: number) => put(value.toString(8).padStart(length - 1, "0") + "\0", at, length);
  put(spec.name, 0, 100);
  octal(spec.mode ?? 0o644, 100, 8);
  octal(0, 108, 8);
  octal(0, 116, 8);
  if (spec.sizeField) spec.sizeField.copy(h, 124);
  else octal(spec.size ?? 0, 124, 12);
  octal(1_700_000_000, 136, 12);
  put(spec.type ?? "0", 156, 1);
  put(spec.link ?? "", 157, 100);
  const magic = spec.magic ?? "gnu";
  if (magic === "gnu") put("ustar  \0", 257, 8);
  if (magic === "posix") put("ustar\x0000", 257, 8);
  if (spec.prefix) put(spec.prefix, 345, 155);
  h.fill(0x20, 148, 156);
  const sum = h.reduce((a, b) => a + b, 0);
  put(sum.toString(8).padStart(6, "0") + "\0 ", 148, 8);
  return h;
}

function data(content: Buffer | string): Buffer {
  const bytes = Buffer.from(content);
  return Buffer.concat([bytes, Buffer.alloc((512 - (bytes.length % 512)) % 512)]);
}

function file(name: string, content: string, mode = 0o644): Buffer {
  return Buffer.concat([header({ name, size: Buffer.byteLength(content), mode }), data(content)]);
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bytes = Buffer.byteLength(body);
  let length = bytes + 1;
  while (String(length).length + bytes !== length) length++;
  return `${length}${body}`;
}

const end = Buffer.alloc(1024);

/** Every entry of `bytes`, fed in chunks of `chunk` bytes (1 shows nothing depends on chunk edges). */
function read(bytes: Buffer, chunk = 4096): { entries: ArchiveEntry[]; reader: TarReader } {
  const reader = new TarReader();
  const entries: ArchiveEntry[] = [];
  for (let i = 0; i < bytes.length; i += chunk) entries.push(...reader.push(bytes.subarray(i, i + chunk)));
  if (!reader.ended) reader.end();
  return { entries, reader };
}

const entry = (over: Partial<ArchiveEntry>): ArchiveEntry => ({ path: "etc/game/a.conf", type: "file", mode: 0o644, size: 0, mtime: new Date(0), uid: 0, gid: 0, ...over });

describe("TarReader", () => {
  it("reads files, directories and links with their modes, whatever the chunk size", () => {
    const archive = Buffer.concat([
      header({ name: "etc/game/", type: "5", mode: 0o750 }),
      file("etc/game/server.conf", "port = 7777\n", 0o640),
      header({ name: "etc/game/current", type: "2", link: "v2", mode: 0o777 }),
      header({ name: "etc/game/again.conf", type: "1", link: "etc/game/server.conf" }),
      end,
    ]);
    for (const chunk of [1, 511, 512, 4096]) {
      const { entries } = read(archive, chunk);
      expect(entries.map((e) => [e.path, e.type, e.mode, e.size, e.linkTarget])).toEqual([
        ["etc/game", "directory", 0o750, 0, undefined],
        ["etc/game/server.conf", "file", 0o640, 12, undefined],
        ["etc/game/current", "symlink", 0o777, 0, "v2"],
        ["etc/game/again.conf", "hardlink", 0o644, 0, "etc/game/server.conf"],
      ]);
      expect(entries[1]!.mtime.toISOString()).toBe("2023-11-14T22:13:20.000Z");
    }
  });

  it("takes GNU long names and links, pax paths and sizes, and the POSIX prefix", () => {
    const long = `etc/${"d".repeat(120)}/server.conf`;
    const target = `${"t".repeat(130)}.conf`;
    const pax = paxRecord("path", "opt/game/config/ünïcode.conf") + paxRecord("size", "3");
    const archive = Buffer.concat([
      header({ name: "././@LongLink", type: "L", size: long.length + 1 }),
      data(long + "\0"),
      file(long.slice(0, 99), "x"),
      header({ name: "././@LongLink", type: "K", size: target.length + 1 }),
      data(target + "\0"),
      header({ name: "etc/link", type: "2", link: target.slice(0, 99) }),
      header({ name: "PaxHeaders/x", type: "x", size: Buffer.byteLength(pax), magic: "posix" }),
      data(pax),
      header({ name: "short", size: 0, magic: "posix" }),
      data("abc"),
      header({ name: "server.conf", prefix: "srv/game", magic: "posix" }),
      end,
    ]);
    expect(read(archive, 100).entries.map((e) => [e.path, e.size, e.linkTarget])).toEqual([
      [long, 1, undefined],
      ["etc/link", 0, target],
      ["opt/game/config/ünïcode.conf", 3, undefined],
      ["srv/game/server.conf", 0, undefined],
    ]);
  });

  it("reads a base-256 size, and releases bytes only up to a header not yet complete", () => {
    const size = Buffer.alloc(12);
    size[0] = 0x80;
    size.writeUInt32BE(600, 8);
    const archive = Buffer.concat([header({ name: "big", sizeField: size }), data(Buffer.alloc(600, 1)), header({ name: "next" }), end]);
    const reader = new TarReader();
    expect(reader.push(archive.subarray(0, 512 + 1024 + 100)).map((e) => [e.path, e.size])).toEqual([["big", 600]]);
    // The next header's first 100 bytes arrived, but it has not been read: they are held.
    expect(reader.released).toBe(512 + 1024);
    expect(reader.push(archive.subarray(512 + 1024 + 100)).map((e) => e.path)).toEqual(["next"]);
    expect(reader.ended).toBe(true);
    expect(reader.released).toBe(archive.length);
  });

  it("holds a long-name chain back until its entry's header is read", () => {
    const long = "a/".repeat(60) + "f";
    const archive = Buffer.concat([header({ name: "././@LongLink", type: "L", size: long.length + 1 }), data(long + "\0"), header({ name: "cut" }), end]);
    const reader = new TarReader();
    expect(reader.push(archive.subarray(0, 1024))).toEqual([]);
    expect(reader.released).toBe(0);
    expect(reader.push(archive.subarray(1024)).map((e) => e.path)).toEqual([long]);
  });

  it("ignores what follows the end marker, as tar does", () => {
    const { entries, reader } = read(Buffer.concat([file("a", "1"), end, header({ name: "after" }), end]));
    expect(entries.map((e) => e.path)).toEqual(["a"]);
    expect(reader.released).toBe(512 * 2 + 1024);
  });

  const refused: [string, Buffer, RegExp][] = [
    ["a flipped byte in a header", (() => { const h = file("a", "1"); h[10]! ^= 1; return Buffer.concat([h, end]); })(), /fails its checksum/],
    ["a v7 header", Buffer.concat([header({ name: "a", magic: "v7" }), end]), /neither a GNU nor a POSIX/],
    ["no end marker", file("a", "1"), /without tar's end-of-archive marker; it is truncated/],
    ["a cut in a file's data", file("a", "x".repeat(2000)).subarray(0, 1024), /truncated/],
    ["an empty stream", Buffer.alloc(0), /empty/],
    ["a lone zero block", Buffer.concat([file("a", "1"), Buffer.alloc(512), header({ name: "b" }), end]), /lone zero block/],
    ["data behind a symlink", Buffer.concat([header({ name: "l", type: "2", link: "x", size: 10 }), data("0123456789"), end]), /symlink entry "l" carries 10 bytes/],
    ["a global pax header", Buffer.concat([header({ name: "g", type: "g", size: 0, magic: "posix" }), end]), /global pax header/],
    ["a GNU sparse pax key", (() => { const p = paxRecord("GNU.sparse.name", "x"); return Buffer.concat([header({ name: "x", type: "x", size: Buffer.byteLength(p), magic: "posix" }), data(p), header({ name: "y" }), end]); })(), /GNU.sparse.name/],
    ["a file named like a directory", Buffer.concat([header({ name: "d/", type: "0" }), end]), /ambiguous/],
    ["a garbage size", Buffer.concat([header({ name: "a", sizeField: Buffer.from("12x\0") }), end]), /not a number/],
    ["a long name with no entry", Buffer.concat([header({ name: "L", type: "L", size: 2 }), data("a\0"), end]), /no entry/],
  ];
  for (const [what, bytes, message] of refused) {
    it(`refuses ${what}`, () => {
      expect(() => read(bytes)).toThrow(TarFormatError);
      expect(() => read(bytes)).toThrow(message);
    });
  }
});

describe("entry rules", () => {
  it("takes a config tree's files, directories, relative links and setgid directories", () => {
    expect(entryRefusal(entry({}))).toBeUndefined();
    expect(entryRefusal(entry({ path: "etc/game", type: "directory", mode: 0o2775 }))).toBeUndefined();
    expect(entryRefusal(entry({ path: "etc/game/current", type: "symlink", linkTarget: "../game-v2/./conf" }))).toBeUndefined();
    expect(entryRefusal(entry({ path: "./etc//game/x", type: "file" }))).toBeUndefined();
  });

  it.each([
    [" path: '/etc/passwd' ", entry({ path: "/etc/passwd" }), /absolute path/],
    [" path: 'etc/../../escape' ", entry({ path: "etc/../../escape" }), /"\.\." segment/],
    [" path: '../escape' ", entry({ path: "../escape" }), /"\.\." segment/],
    [" path: './' , type: 'directory' ", entry({ path: "./" , type: "directory" }), /restore directory itself/],
    [" path: 'etc/l', type: 'symlink', linkTarget: '/etc' ", entry({ path: "etc/l", type: "symlink", linkTarget: "/etc" }), /symlink to the absolute path \/etc/],
    [" path: 'etc/l', type: 'symlink', linkTarget: '../../x' ", entry({ path: "etc/l", type: "symlink", linkTarget: "../../x" }), /points outside/],
    [" path: 'l', type: 'symlink', linkTarget: '..' ", entry({ path: "l", type: "symlink", linkTarget: ".." }), /points outside/],
    [" path: 'l', type: 'symlink', linkTarget: '' ", entry({ path: "l", type: "symlink", linkTarget: "" }), /empty target/],
    [" path: 'h', type: 'hardlink', linkTarget: '/etc/shadow' ", entry({ path: "h", type: "hardlink", linkTarget: "/etc/shadow" }), /not a member/],
    [" path: 'h', type: 'hardlink', linkTarget: 'a/../../x' ", entry({ path: "h", type: "hardlink", linkTarget: "a/../../x" }), /not a member/],
    [" path: 'dev/sda', type: 'block-device' ", entry({ path: "dev/sda", type: "block-device" }), /block-device/],
    [" path: 'p', type: 'fifo' ", entry({ path: "p", type: "fifo" }), /fifo/],
    [" path: 'o', type: 'other' ", entry({ path: "o", type: "other" }), /entry type/],
    [" mode: 0o4755 ", entry({ mode: 0o4755 }), /setuid/],
    [" mode: 0o2755 ", entry({ mode: 0o2755 }), /setgid/],
  ])("refuses %s", (_what, e, why) => {
    expect(entryRefusal(e)).toMatch(why);
  });

  it("refuses writes through a symlink, in either order, duplicates, and hard links to nothing before them", () => {
    const check = (entries: ArchiveEntry[]) => {
      const rules = new ArchiveRules();
      for (const e of entries) {
        const refusal = rules.admit(e);
        if (refusal) return refusal;
      }
      return rules.finish();
    };
    const link = entry({ path: "conf/current", type: "symlink", linkTarget: "v2" });
    expect(check([link, entry({ path: "conf/current/x.conf" })])).toEqual({ path: "conf/current/x.conf", why: "it would be written through the symlink conf/current" });
    expect(check([entry({ path: "conf/current/x.conf" }), link])).toMatchObject({ path: "conf/current/x.conf" });
    expect(check([entry({ path: "a" }), entry({ path: "./a" })])).toEqual({ path: "./a", why: "it appears twice in the archive" });
    expect(check([entry({ path: "b", type: "hardlink", linkTarget: "a" }), entry({ path: "a" })])).toMatchObject({ why: /not a file stored before it/ });
    expect(check([entry({ path: "a" }), entry({ path: "b", type: "hardlink", linkTarget: "./a" })])).toBeUndefined();
    // deep/a/b/l is the root; y's ".." after it climbs above the root, though read lexically it does not.
    const root = entry({ path: "deep/a/b/l", type: "symlink", linkTarget: "../../.." });
    expect(check([root, entry({ path: "y", type: "symlink", linkTarget: "deep/a/b/l/.." })])).toMatchObject({ path: "y", why: /follows the symlink deep\/a\/b\/l/ });
    expect(check([root, entry({ path: "y", type: "symlink", linkTarget: "deep/a/b/l" })])).toBeUndefined();
  });

  it("names the paths that must not be symlinks on disk: parents, and directories themselves", () => {
    expect(
      pathsThatMustNotBeSymlinks([entry({ path: "etc/game", type: "directory" }), entry({ path: "etc/game/a.conf" }), entry({ path: "opt/x/link", type: "symlink", linkTarget: "y" })]),
    ).toEqual(["etc", "etc/game", "opt", "opt/x"]);
  });
});
