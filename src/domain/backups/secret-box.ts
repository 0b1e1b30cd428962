import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { BackupError } from "./backup-error.js";

/**
 * A sealed box for backup artifacts that hold secrets (the `kubernetes` component's Secrets):
 * AES-256-GCM under a 32-byte key kept outside the backup storage, so a copy of the bucket or
 * the backup directory alone reveals nothing.
 *
 * Format: "GOPSBOX1" (8 bytes) + nonce (12 random bytes) + ciphertext + tag (16 bytes). The magic
 * is also the additional authenticated data: a box of another format version cannot be passed
 * off as this one. A random 96-bit nonce per box is safe for far more boxes than a key will ever
 * seal (one per backup set).
 */

const magic = Buffer.from("GOPSBOX1", "ascii");
const nonceBytes = 12;
const tagBytes = 16;
const keyBytes = 32;

const howToMake = "make one with `openssl rand -base64 32 > key; chmod 600 key`";

export function sealSecretBox(plain: Buffer, key: Buffer): Buffer {
  checkKeyLength(key);
  const nonce = randomBytes(nonceBytes);
  const cipher = createCipheriv("aes-256-gcm", key, nonce, { authTagLength: tagBytes });
  cipher.setAAD(magic);
  const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([magic, nonce, ciphertext, cipher.getAuthTag()]);
}

/** The plain bytes of a box; `where` names it (an artifact key) in the error when it cannot be opened. */
export function openSecretBox(sealed: Buffer, key: Buffer, where: string): Buffer {
  checkKeyLength(key);
  if (sealed.length < magic.length + nonceBytes + tagBytes) {
    throw new BackupError(`cannot decrypt ${where}: it is ${sealed.length} bytes, shorter than any secret box; it is truncated or corrupted`);
  }
  if (!sealed.subarray(0, magic.length).equals(magic)) {
    throw new BackupError(`cannot decrypt ${where}: it does not start with GOPSBOX1; it is corrupted or not a gameops secret box`);
  }
  const nonce = sealed.subarray(magic.length, magic.length + nonceBytes);
  const ciphertext = sealed.subarray(magic.length + nonceBytes, sealed.length - tagBytes);
  const decipher = createDecipheriv("aes-256-gcm", key, nonce, { authTagLength: tagBytes });
  decipher.setAAD(magic);
  decipher.setAuthTag(sealed.subarray(sealed.length - tagBytes));
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch (error) {
    // GCM cannot tell a wrong key from damaged bytes: both fail the tag.
    throw new BackupError(`cannot decrypt ${where}: wrong key or corrupted; open it with the key the set was written with`, { cause: error });
  }
}

/**
 * A key file's text: 64 hex digits or the base64 of 32 bytes, surrounding whitespace ignored.
 * The error names `where` (the file or the setting) and never quotes the text, which may be a
 * key with a typo.
 */
export function parseBackupKey(text: string, where: string): Buffer {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, "hex");
  // Buffer's base64 decoder skips what it does not understand; the pattern makes it strict.
  if (/^[A-Za-z0-9+/]{43}=$/.test(trimmed)) {
    const key = Buffer.from(trimmed, "base64");
    if (key.length === keyBytes) return key;
  }
  const found = trimmed.length === 0 ? "it is empty" : `it holds ${trimmed.length} characters that are neither 64 hex digits nor the base64 of 32 bytes`;
  throw new BackupError(`backup key ${where} is not a 32-byte key: ${found}; ${howToMake}`);
}

function checkKeyLength(key: Buffer): void {
  if (key.length !== keyBytes) throw new BackupError(`a backup key must be ${keyBytes} bytes, not ${key.length}; ${howToMake}`);
}
