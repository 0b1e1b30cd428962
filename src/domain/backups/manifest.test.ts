import { describe, expect, it } from "vitest";
import { BackupError } from "./backup-error.js";
import { describeManifest, manifestSize, needsThaw, parseManifest, type BackupManifest } from "./manifest.js";

const sha = (c: string) => c.repeat(64);

const manifest = (over: Partial<BackupManifest> = {}): BackupManifest => ({
  id: "20261126T030000Z",
  createdAt: "2026-11-26T03:00:00Z",
  components: [
    {
      name: "mysql",
      artifacts: [{ name: "game.sql.zst", size: 3 * 1024 * 1024, sha256: sha("a"), compression: "zstd" }],
      tool: { name: "mariadb-dump", version: "11.4.2" },
      source: { binlogFile: "mysql-bin.000042", binlogPosition: 1234, gtid: "0-1-99" },
    },
    { name: "redis", artifacts: [{ name: "dump.rdb.zst", size: 2048, sha256: sha("b"), compression: "zstd" }] },
    { name: "kubernetes", artifacts: [{ name: "secrets.yaml.age", size: 100, sha256: sha("c"), compression: "none", encrypted: true }] },
  ],
  status: "verified",
  verifiedAt: "2026-11-26T03:20:00Z",
  fingerprint: { tables: [{ name: "players", rows: 1000, checksum: "3120423123" }], redisKeys: 52 },
  storage: { kind: "local" },
  ...over,
});

const problemsOf = (value: unknown): string => {
  try {
    parseManifest(value, "in sets/x/manifest.json");
  } catch (err) {
    expect(err).toBeInstanceOf(BackupError);
    return (err as Error).message;
  }
  throw new Error("expected the manifest to be refused");
};

describe("backup manifest", () => {
  it("reads back what was written", () => {
    const m = manifest();
    expect(parseManifest(JSON.parse(JSON.stringify(m)), "in sets/x/manifest.json")).toEqual(m);
  });

  it("refuses a bad manifest, naming each field and the fix", () => {
    const m = manifest();
    const message = problemsOf({
      ...m,
      id: "../etc",
      components: [{ ...m.components[0], artifacts: [{ name: "../x", size: -1, sha256: "ABC", compression: "lz4" }] }],
    });
    expect(message).toContain("invalid backup manifest in sets/x/manifest.json");
    expect(message).toContain("id: must be letters, digits");
    expect(message).toContain("components.0.artifacts.0.name: must be a file name without '/'");
    expect(message).toContain("components.0.artifacts.0.size:");
    expect(message).toContain("components.0.artifacts.0.sha256: must be 64 lower-case hex digits");
    expect(message).toContain("components.0.artifacts.0.compression:");
  });

  it("refuses contradictions between fields", () => {
    expect(problemsOf(manifest({ verifiedAt: undefined }))).toContain("verifiedAt: a verified set needs verifiedAt");
    const twice = manifest();
    expect(problemsOf({ ...twice, components: [...twice.components, twice.components[1]] })).toContain('components: component "redis" appears twice');
    const a = twice.components[1]!.artifacts[0]!;
    expect(problemsOf({ ...twice, components: [{ name: "redis", artifacts: [a, a] }] })).toContain('components.0.artifacts: artifact "dump.rdb.zst" appears twice');
    expect(problemsOf(manifest({ verifiedAt: "2026-11-26T02:00:00Z" }))).toContain("verifiedAt: is before createdAt");
    expect(problemsOf(manifest({ storage: { kind: "local", storageClass: "GLACIER" } }))).toContain("storage.storageClass: only s3 storage has a storage class");
    const m = manifest();
    expect(problemsOf({ ...m, components: [{ ...m.components[0], source: { binlogFile: "mysql-bin.000042" } }] })).toContain(
      "components.0.source: binlogFile and binlogPosition go together",
    );
    expect(problemsOf({ ...m, components: [{ name: "files", artifacts: [] }] })).toContain("components.0.artifacts: needs at least one artifact");
    expect(problemsOf({ ...m, extra: 1 })).toContain("extra");
  });

  it("flags archive storage classes as needing a thaw, and only those", () => {
    expect(needsThaw(manifest())).toBe(false);
    expect(needsThaw(manifest({ storage: { kind: "s3" } }))).toBe(false);
    expect(needsThaw(manifest({ storage: { kind: "s3", storageClass: "STANDARD_IA" } }))).toBe(false);
    expect(needsThaw(manifest({ storage: { kind: "s3", storageClass: "GLACIER_IR" } }))).toBe(false);
    expect(needsThaw(manifest({ storage: { kind: "s3", storageClass: "GLACIER" } }))).toBe(true);
    expect(needsThaw(manifest({ storage: { kind: "s3", storageClass: "DEEP_ARCHIVE" } }))).toBe(true);
  });

  it("describes a set on one line", () => {
    expect(manifestSize(manifest())).toBe(3 * 1024 * 1024 + 2048 + 100);
    expect(describeManifest(manifest())).toBe(
      "20261126T030000Z · 2026-11-26T03:00:00Z · verified 2026-11-26T03:20:00Z · mysql 3.0 MiB, redis 2.0 KiB, kubernetes 100 B (3.0 MiB) · local",
    );
    expect(describeManifest(manifest({ status: "written", verifiedAt: undefined, storage: { kind: "s3", storageClass: "DEEP_ARCHIVE" } }))).toMatch(
      / · written · .* · s3 DEEP_ARCHIVE \(needs a thaw before restore\)$/,
    );
  });
});
