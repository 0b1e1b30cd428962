import { createHash } from "node:crypto";
import { Readable } from "node:stream";

/**
 * A body of `size` bytes made on demand in `chunkSize` pieces (only when the consumer pulls), so
 * a test can watch how far the producer runs ahead of what was stored. `sha256()` is the hash of
 * everything produced so far.
 */
export function generatedBody(size: number, options: { chunkSize?: number; onChunk?: (produced: number) => void; failAfter?: number } = {}) {
  const chunkSize = options.chunkSize ?? 64 * 1024;
  const hash = createHash("sha256");
  let produced = 0;
  let chunks = 0;
  const stream = new Readable({
    read() {
      if (options.failAfter !== undefined && produced >= options.failAfter) {
        this.destroy(new Error("the dump process died"));
        return;
      }
      if (produced >= size) {
        this.push(null);
        return;
      }
      const length = Math.min(chunkSize, size - produced);
      // Varying content, so a stored chunk in the wrong place changes the hash.
      const chunk = Buffer.alloc(length, chunks % 251);
      if (length >= 4) chunk.writeUInt32BE(chunks, 0);
      hash.update(chunk);
      produced += length;
      chunks += 1;
      options.onChunk?.(produced);
      this.push(chunk);
    },
  });
  return {
    stream,
    sha256: () => hash.copy().digest("hex"),
    produced: () => produced,
  };
}

export async function sha256Of(stream: Readable): Promise<{ size: number; sha256: string }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { size, sha256: hash.digest("hex") };
}
