import { createHash } from "node:crypto";
import { Transform } from "node:stream";
import type { PutResult } from "./storage.js";

/**
 * A pass-through that hashes (sha256) and counts the bytes flowing to the store, so `put`
 * reports what it stored without a second read and without holding the artifact. `result()`
 * is meaningful once the stream has ended.
 */
export class MeasuringStream extends Transform {
  readonly #hash = createHash("sha256");
  // Not a property named `size`: lib-storage's Upload reads `Body.size` as the body's length.
  #bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null, data?: Buffer) => void): void {
    this.#hash.update(chunk);
    this.#bytes += chunk.length;
    callback(null, chunk);
  }

  result(): PutResult {
    return { size: this.#bytes, sha256: this.#hash.copy().digest("hex") };
  }
}
