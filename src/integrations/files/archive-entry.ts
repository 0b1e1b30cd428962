/**
 * Reading a tar stream's headers, and the rules an entry must meet before gameops extracts it.
 * No I/O: bytes in, entries and refusals out, so the same reader and rules judge an archive as
 * the backup writes it, when a restore lists it, and again as the restore feeds it to tar.
 *
 * The reader is strict on purpose. Anything it does not read the way GNU tar would (a bad
 * checksum tar would skip past, a sparse file, a v7 header, data behind a link) is refused rather
 * than guessed at: a reader that disagrees with tar about where the next header starts would
 * check one archive while tar extracts another.
 */

export type EntryType = "file" | "directory" | "symlink" | "hardlink" | "character-device" | "block-device" | "fifo" | "other";

export interface ArchiveEntry {
  /** The member name as stored (UTF-8), without a trailing "/". */
  path: string;
  type: EntryType;
  /** Permission bits, setuid/setgid/sticky included. */
  mode: number;
  /** Bytes of content: 0 for everything but files. */
  size: number;
  mtime: Date;
  uid: number;
  gid: number;
  /** Where a symlink points, or the member a hardlink names. */
  linkTarget?: string;
}

/** The archive is not a tar stream gameops can read: truncated, corrupted, or made with features it does not take. */
export class TarFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TarFormatError";
  }
}

const block = 512;
// GNU long names and pax headers are small; a huge one is a corrupted size field, not a name.
const maxMetadataSize = 1024 * 1024;

type PendingMeta = { kind: "long-name" | "long-link" | "pax"; chunks: Buffer[]; size: number; collected: number };

/**
 * A streaming tar reader: `push` the bytes as they come, get the entries whose headers they
 * complete. `released` is how far the stream may be passed on to tar: every header before it has
 * been returned (and so can be checked), and a header still being assembled is after it.
 */
export class TarReader {
  #buffer: Buffer = Buffer.alloc(0);
  /** Bytes of the stream consumed so far. */
  #offset = 0;
  /** Where the metadata chain (long name, pax header, header) being assembled began. */
  #chainStart: number | undefined;
  /** Content bytes (padding included) still to skip, or to collect for a metadata entry. */
  #dataLeft = 0;
  #meta: PendingMeta | undefined;
  #longName: string | undefined;
  #longLink: string | undefined;
  #pax: Map<string, string> | undefined;
  #zeroBlocks = 0;
  #ended = false;

  /** True once the end-of-archive marker (two zero blocks) was read; tar reads nothing after it. */
  get ended(): boolean {
    return this.#ended;
  }

  get released(): number {
    return this.#chainStart ?? this.#offset;
  }

  push(chunk: Buffer): ArchiveEntry[] {
    if (this.#ended) return [];
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const entries: ArchiveEntry[] = [];
    while (!this.#ended) {
      if (this.#dataLeft > 0) {
        if (this.#buffer.length === 0) break;
        const take = Math.min(this.#dataLeft, this.#buffer.length);
        if (this.#meta) this.#collect(this.#buffer.subarray(0, take));
        this.#consume(take);
        this.#dataLeft -= take;
        if (this.#dataLeft === 0 && this.#meta) this.#finishMeta();
        continue;
      }
      if (this.#buffer.length < block) break;
      const header = this.#buffer.subarray(0, block);
      const entry = this.#readHeader(header);
      if (entry) entries.push(entry);
    }
    return entries;
  }

  /** The stream ended: refuses an archive cut short. */
  end(): void {
    if (this.#ended) return;
    if (this.#offset === 0 && this.#buffer.length === 0) throw new TarFormatError("the archive is empty");
    throw new TarFormatError(`the archive ends at byte ${this.#offset + this.#buffer.length} without tar's end-of-archive marker; it is truncated`);
  }

  #consume(bytes: number): void {
    this.#buffer = this.#buffer.subarray(bytes);
    this.#offset += bytes;
  }

  #collect(bytes: Buffer): void {
    const meta = this.#meta!;
    // Padding is not part of it.
    const room = meta.size - meta.collected;
    if (room <= 0) return;
    const kept = Buffer.from(bytes.subarray(0, room));
    meta.chunks.push(kept);
    meta.collected += kept.length;
  }

  #readHeader(header: Buffer): ArchiveEntry | undefined {
    const at = this.#offset;
    if (header.every((byte) => byte === 0)) {
      if (this.#chainStart !== undefined) throw new TarFormatError(`a zero block at byte ${at} follows a long-name or pax header with no entry`);
      this.#consume(block);
      // GNU tar stops at the first zero block and reads one more: a second one is the proper end.
      if (++this.#zeroBlocks === 2) this.#ended = true;
      return undefined;
    }
    if (this.#zeroBlocks > 0) throw new TarFormatError(`a lone zero block at byte ${at - block}: tar would stop there and ignore the rest; the archive is corrupted`);
    checkChecksum(header, at);
    const magic = header.subarray(257, 265).toString("latin1");
    const gnu = magic === "ustar  \0";
    if (!gnu && magic !== "ustar\x0000") throw new TarFormatError(`the header at byte ${at} is neither a GNU nor a POSIX tar header; gameops archives are GNU tar's`);
    this.#chainStart ??= at;
    this.#consume(block);

    const typeflag = String.fromCharCode(header[156]!);
    const headerSize = numberField(header, 124, 12, "size", at);
    if (typeflag === "L" || typeflag === "K" || typeflag === "x") {
      const size = headerSize;
      if (size > maxMetadataSize) throw new TarFormatError(`the ${typeflag} header at byte ${at} claims ${size} bytes; the archive is corrupted`);
      const kind = typeflag === "L" ? "long-name" : typeflag === "K" ? "long-link" : "pax";
      if ((kind === "long-name" && this.#longName !== undefined) || (kind === "long-link" && this.#longLink !== undefined) || (kind === "pax" && this.#pax))
        throw new TarFormatError(`two ${kind} headers for one entry at byte ${at}`);
      this.#meta = { kind, chunks: [], size, collected: 0 };
      this.#dataLeft = padded(size);
      if (this.#dataLeft === 0) this.#finishMeta();
      return undefined;
    }
    if (typeflag === "g") throw new TarFormatError(`a global pax header at byte ${at}: gameops archives never hold one`);

    const type = entryType(typeflag);
    // A pax size overrides the header's (which caps at 8 GiB in octal).
    const size = this.#paxNumber("size") ?? headerSize;
    const rawName = gnu ? field(header, 0, 100) : joinPrefix(field(header, 345, 155), field(header, 0, 100));
    const paxPath = this.#pax?.get("path");
    if (paxPath !== undefined && this.#longName !== undefined) throw new TarFormatError(`the entry at byte ${at} has both a GNU long name and a pax path`);
    const name = paxPath ?? this.#longName ?? rawName;
    const link = this.#pax?.get("linkpath") ?? this.#longLink ?? field(header, 157, 100);
    if (name.includes("\0") || link.includes("\0")) throw new TarFormatError(`the entry at byte ${at} has a NUL in its name`);
    if ((typeflag === "0" || typeflag === "\0") && name.endsWith("/"))
      throw new TarFormatError(`the file entry ${JSON.stringify(name)} ends in "/", which old tars read as a directory; the archive is ambiguous`);
    // Readers disagree about data behind anything but a file: refusing it keeps tar and this reader on the same blocks.
    if (type !== "file" && size !== 0) throw new TarFormatError(`the ${type} entry ${JSON.stringify(name)} carries ${size} bytes of data`);

    const entry: ArchiveEntry = {
      path: trimSlashes(name),
      type,
      mode: numberField(header, 100, 8, "mode", at) & 0o7777,
      size,
      mtime: new Date((this.#paxNumber("mtime") ?? numberField(header, 136, 12, "mtime", at)) * 1000),
      uid: this.#paxNumber("uid") ?? numberField(header, 108, 8, "uid", at),
      gid: this.#paxNumber("gid") ?? numberField(header, 116, 8, "gid", at),
      ...(type === "symlink" || type === "hardlink" ? { linkTarget: link } : {}),
    };
    this.#longName = undefined;
    this.#longLink = undefined;
    this.#pax = undefined;
    this.#chainStart = undefined;
    this.#dataLeft = type === "file" ? padded(size) : 0;
    return entry;
  }

  #finishMeta(): void {
    const meta = this.#meta!;
    this.#meta = undefined;
    const bytes = Buffer.concat(meta.chunks);
    if (meta.kind === "pax") this.#pax = parsePax(bytes, this.#offset);
    else {
      const text = cString(bytes);
      if (meta.kind === "long-name") this.#longName = text;
      else this.#longLink = text;
    }
  }

  #paxNumber(key: string): number | undefined {
    const value = this.#pax?.get(key);
    if (value === undefined) return undefined;
    if (!/^\d+(\.\d+)?$/.test(value)) throw new TarFormatError(`the pax ${key} "${value}" is not a number`);
    const number = key === "mtime" ? Number(value) : Number(value.split(".")[0]);
    if (!Number.isSafeInteger(Math.trunc(number))) throw new TarFormatError(`the pax ${key} ${value} is too large`);
    return number;
  }
}

/** "a/b/" is a/b; "/" and "//" stay absolute. */
function trimSlashes(name: string): string {
  const trimmed = name.replace(/\/+$/, "");
  return trimmed === "" && name.startsWith("/") ? "/" : trimmed;
}

function padded(size: number): number {
  return Math.ceil(size / block) * block;
}

function entryType(typeflag: string): EntryType {
  switch (typeflag) {
    case "0":
    case "\0":
    case "7":
      return "file";
    case "1":
      return "hardlink";
    case "2":
      return "symlink";
    case "3":
      return "character-device";
    case "4":
      return "block-device";
    case "5":
      return "directory";
    case "6":
      return "fifo";
    default:
      return "other";
  }
}

function checkChecksum(header: Buffer, at: number): void {
  const stored = numberField(header, 148, 8, "checksum", at);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < block; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : header[i]!;
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  // Old tars summed signed bytes; GNU tar accepts both, and so do we.
  if (stored !== unsigned && stored !== signed) throw new TarFormatError(`the header at byte ${at} fails its checksum; the archive is corrupted`);
}

/** An octal field ("0000644 \0"), or GNU's base-256 for large values. Anything else is refused. */
function numberField(header: Buffer, start: number, length: number, what: string, at: number): number {
  const bytes = header.subarray(start, start + length);
  if (bytes[0]! & 0x80) {
    if (bytes[0] === 0xff) throw new TarFormatError(`the header at byte ${at} has a negative ${what}`);
    let value = bytes[0]! & 0x7f;
    for (let i = 1; i < bytes.length; i++) value = value * 256 + bytes[i]!;
    if (!Number.isSafeInteger(value)) throw new TarFormatError(`the header at byte ${at} has a ${what} too large to read`);
    return value;
  }
  const text = bytes.toString("latin1");
  const match = /^ *([0-7]*)[ \0]*$/.exec(text);
  if (!match) throw new TarFormatError(`the header at byte ${at} has a ${what} field that is not a number; the archive is corrupted`);
  return match[1] === "" ? 0 : parseInt(match[1]!, 8);
}

/** A NUL-terminated header field, as UTF-8. */
function field(header: Buffer, start: number, length: number): string {
  return cString(header.subarray(start, start + length));
}

function cString(bytes: Buffer): string {
  const end = bytes.indexOf(0);
  return bytes.subarray(0, end === -1 ? bytes.length : end).toString("utf8");
}

function joinPrefix(prefix: string, name: string): string {
  return prefix === "" ? name : `${prefix}/${name}`;
}

/** Pax records, "<length> <key>=<value>\n" each, the length counting the whole record. */
function parsePax(bytes: Buffer, at: number): Map<string, string> {
  const records = new Map<string, string>();
  let position = 0;
  while (position < bytes.length) {
    const space = bytes.indexOf(0x20, position);
    const length = space === -1 ? NaN : Number(bytes.subarray(position, space).toString("latin1"));
    if (!Number.isInteger(length) || length <= 0 || position + length > bytes.length || bytes[position + length - 1] !== 0x0a)
      throw new TarFormatError(`a malformed pax header before byte ${at}`);
    const record = bytes.subarray(space + 1, position + length - 1).toString("utf8");
    const equals = record.indexOf("=");
    if (equals <= 0) throw new TarFormatError(`a malformed pax record before byte ${at}`);
    const key = record.slice(0, equals);
    // GNU.* keys carry sparse maps and multi-volume offsets, which rename or reshape the entry.
    if (key.startsWith("GNU.")) throw new TarFormatError(`a pax header with ${key} before byte ${at}: sparse and multi-volume archives are not taken`);
    records.set(key, record.slice(equals + 1));
    position += length;
  }
  return records;
}

/** An entry refused for restore: which, and why, in words for the operator. */
export interface Refusal {
  path: string;
  why: string;
}

/** The path's segments without "" and "." ones: "./a//b/" is a/b, as the file system reads it. */
function segmentsOf(path: string): string[] {
  return path.split("/").filter((segment) => segment !== "" && segment !== ".");
}

/**
 * The rules for one entry on its own. Members are extracted under the restore directory only:
 * nothing absolute, no "..", nothing that is not a file, directory or link, and no
 * setuid/setgid program (a restore runs as root and would hand it root's ownership).
 */
export function entryRefusal(entry: ArchiveEntry): string | undefined {
  if (entry.path.startsWith("/")) return "it is an absolute path, which would be written outside the restore directory";
  const segments = segmentsOf(entry.path);
  if (segments.includes("..")) return 'it has a ".." segment, which would climb out of the restore directory';
  if (segments.length === 0) return "it names the restore directory itself";
  switch (entry.type) {
    case "character-device":
    case "block-device":
    case "fifo":
      return `it is a ${entry.type}; a files backup holds files, directories and links only`;
    case "other":
      return "it is an entry type gameops does not restore (only files, directories and links)";
    case "symlink": {
      const target = entry.linkTarget ?? "";
      if (target === "") return "it is a symlink with an empty target";
      if (target.startsWith("/")) return `it is a symlink to the absolute path ${target}, outside the restore directory`;
      if (climbs(segments.slice(0, -1), segmentsOf(target))) return `it is a symlink to ${target}, which points outside the restore directory`;
      break;
    }
    case "hardlink": {
      const target = entry.linkTarget ?? "";
      if (target.startsWith("/") || segmentsOf(target).includes("..") || segmentsOf(target).length === 0)
        return `it is a hard link to ${JSON.stringify(target)}, which is not a member of the archive`;
      break;
    }
  }
  if (entry.mode & 0o4000) return "it is setuid; gameops restores configuration, not programs that run as their owner";
  if (entry.mode & 0o2000 && entry.type !== "directory") return "it is setgid; gameops restores configuration, not programs that run as their group";
  return undefined;
}

/** Whether following `target` from the directory `from` goes above the root, read lexically. */
function climbs(from: string[], target: string[]): boolean {
  let depth = from.length;
  for (const segment of target) {
    depth += segment === ".." ? -1 : 1;
    if (depth < 0) return true;
  }
  return false;
}

/**
 * The rules between entries, which need the whole archive: no member twice, nothing written
 * through a symlink (tar would follow it wherever it points), a hard link only to a file stored
 * before it, and no symlink whose target climbs with ".." after passing through another symlink
 * (where ".." leaves from the link's target, not from where it reads).
 */
export class ArchiveRules {
  readonly #seen = new Map<string, { type: EntryType; index: number }>();
  readonly #entries: ArchiveEntry[] = [];

  /** Checks `entry` on its own and against those before it. */
  admit(entry: ArchiveEntry): Refusal | undefined {
    const why = entryRefusal(entry) ?? this.#against(entry);
    if (why !== undefined) return { path: entry.path, why };
    this.#seen.set(segmentsOf(entry.path).join("/"), { type: entry.type, index: this.#entries.length });
    this.#entries.push(entry);
    return undefined;
  }

  /** Checks what only the whole archive shows: a symlink that comes after members under it. */
  finish(): Refusal | undefined {
    for (const entry of this.#entries) {
      const segments = segmentsOf(entry.path);
      for (let i = 1; i < segments.length; i++) {
        const ancestor = segments.slice(0, i).join("/");
        if (this.#seen.get(ancestor)?.type === "symlink") return { path: entry.path, why: `it would be written through the symlink ${ancestor}` };
      }
      if (entry.type === "symlink") {
        const linkDirectory = segments.slice(0, -1);
        const target = segmentsOf(entry.linkTarget!);
        for (let i = 0; i < target.length; i++) {
          if (target[i] !== "..") continue;
          const through = resolveLexically(linkDirectory, target.slice(0, i)).find((prefix) => this.#seen.get(prefix)?.type === "symlink");
          if (through !== undefined) return { path: entry.path, why: `it is a symlink to ${entry.linkTarget} whose ".." follows the symlink ${through}; point it at the real path` };
        }
      }
    }
    return undefined;
  }

  #against(entry: ArchiveEntry): string | undefined {
    const key = segmentsOf(entry.path).join("/");
    if (this.#seen.has(key)) return "it appears twice in the archive";
    if (entry.type === "hardlink") {
      const target = this.#seen.get(segmentsOf(entry.linkTarget!).join("/"));
      if (target?.type !== "file") return `it is a hard link to ${entry.linkTarget}, which is not a file stored before it`;
    }
    return undefined;
  }
}

/** The paths ("a", "a/b", …) a relative walk from `from` through `steps` visits, with ".." applied. */
function resolveLexically(from: string[], steps: string[]): string[] {
  const stack = [...from];
  const visited: string[] = [];
  for (const step of steps) {
    if (step === "..") stack.pop();
    else {
      stack.push(step);
      visited.push(stack.join("/"));
    }
  }
  return visited;
}

/**
 * For a restore over an existing directory: the relative paths that must not be symlinks on
 * disk, since tar would follow them: every member's parent directories, and the directories
 * themselves (tar takes an existing symlink to a directory for the directory). A file's own
 * path may be a symlink: tar removes it and writes a new file.
 */
export function pathsThatMustNotBeSymlinks(entries: readonly ArchiveEntry[]): string[] {
  const paths = new Set<string>();
  for (const entry of entries) {
    const segments = segmentsOf(entry.path);
    const last = entry.type === "directory" ? segments.length : segments.length - 1;
    for (let i = 1; i <= last; i++) paths.add(segments.slice(0, i).join("/"));
  }
  return [...paths].sort();
}
