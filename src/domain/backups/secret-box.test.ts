import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BackupError } from "./backup-error.js";
import { openSecretBox, parseBackupKey, sealSecretBox } from "./secret-box.js";

const key = Buffer.alloc(32, 7);
const otherKey = Buffer.alloc(32, 8);
const bytes = fc.uint8Array({ maxLength: 4096 }).map((a) => Buffer.from(a));

function failure(run: () => unknown): BackupError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(BackupError);
    return error as BackupError;
  }
  throw new Error("expected a BackupError");
}

describe("secret box", () => {
  it("opens what it sealed, for any bytes", () => {
    fc.assert(
      fc.property(bytes, (plain) => {
        expect(openSecretBox(sealSecretBox(plain, key), key, "box")).toEqual(plain);
      }),
    );
  });

  it("is magic + 12-byte nonce + ciphertext + 16-byte tag, with a fresh nonce each time", () => {
    const plain = Buffer.from("password: hunter2\n");
    const a = sealSecretBox(plain, key);
    const b = sealSecretBox(plain, key);
    expect(a.subarray(0, 8).toString("ascii")).toBe("GOPSBOX1");
    expect(a.length).toBe(8 + 12 + plain.length + 16);
    expect(a.subarray(8, 20).equals(b.subarray(8, 20))).toBe(false);
    expect(a.includes(plain)).toBe(false);
  });

  it("refuses the wrong key", () => {
    const sealed = sealSecretBox(Buffer.from("token: abc"), key);
    expect(failure(() => openSecretBox(sealed, otherKey, "set-1/secrets.yaml.enc")).message).toBe(
      "cannot decrypt set-1/secrets.yaml.enc: wrong key or corrupted; open it with the key the set was written with",
    );
  });

  it("refuses a box with any one byte flipped or cut short", () => {
    fc.assert(
      fc.property(bytes, fc.nat(), fc.integer({ min: 1, max: 255 }), (plain, at, flip) => {
        const sealed = sealSecretBox(plain, key);
        const i = at % sealed.length;
        sealed[i]! ^= flip;
        expect(failure(() => openSecretBox(sealed, key, "box")).message).toMatch(/^cannot decrypt box: .*corrupted/);
      }),
    );
    const sealed = sealSecretBox(Buffer.from("x"), key);
    expect(failure(() => openSecretBox(sealed.subarray(0, 30), key, "box")).message).toMatch(/^cannot decrypt box: .*truncated/);
  });

  it("refuses a key that is not 32 bytes", () => {
    expect(failure(() => sealSecretBox(Buffer.from("x"), Buffer.alloc(16))).message).toBe(
      "a backup key must be 32 bytes, not 16; make one with `openssl rand -base64 32 > key; chmod 600 key`",
    );
  });
});

describe("parseBackupKey", () => {
  it("reads 64 hex digits and the base64 of 32 bytes, trimmed", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (a) => {
        const raw = Buffer.from(a);
        expect(parseBackupKey(raw.toString("hex"), "k")).toEqual(raw);
        expect(parseBackupKey(raw.toString("hex").toUpperCase(), "k")).toEqual(raw);
        expect(parseBackupKey(`  ${raw.toString("base64")}\n`, "k")).toEqual(raw);
      }),
    );
  });

  it("refuses anything else, naming where and how to make a key, never quoting the text", () => {
    const where = "/etc/gameops/k8s-secrets.key (backups.kubernetes.secretsKeyFile)";
    const made = "make one with `openssl rand -base64 32 > key; chmod 600 key`";
    expect(failure(() => parseBackupKey(" \n", where)).message).toBe(`backup key ${where} is not a 32-byte key: it is empty; ${made}`);
    const short = randomBytes(16).toString("base64");
    const error = failure(() => parseBackupKey(short, where));
    expect(error.message).toBe(`backup key ${where} is not a 32-byte key: it holds 24 characters that are neither 64 hex digits nor the base64 of 32 bytes; ${made}`);
    expect(error.message).not.toContain(short);
    for (const bad of ["zz".repeat(32), "ab".repeat(33), randomBytes(33).toString("base64"), `${randomBytes(32).toString("base64url")}`, "correct horse battery staple"]) {
      expect(() => parseBackupKey(bad, where)).toThrow(BackupError);
    }
  });
});
