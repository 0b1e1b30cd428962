import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { spawn } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closedPort, waitForPort } from "../support/servers.js";

/** s3rver's built-in account; any other key pair is refused. */
export const s3rverCredentials = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

const s3rverBin = join(createRequire(import.meta.url).resolve("s3rver/package.json"), "..", "bin", "s3rver.js");

/**
 * An S3-protocol server of the test's own (s3rver) on a free loopback port, storing in a temp
 * directory removed on stop, with `bucket` created through the SDK as a real one would be.
 *
 * A child process rather than in-process: s3rver signs its ListObjectsV2 continuation tokens
 * with DES, which Node 20's OpenSSL 3 only has with --openssl-legacy-provider; without it any
 * truncated listing (more than 1000 keys) is a 500. `log()` is its request log.
 */
export async function privateS3(bucket: string): Promise<{ endpoint: string; log(): string; stop(): Promise<void> }> {
  const directory = mkdtempSync(join(tmpdir(), "gameops-s3rver-"));
  const logPath = join(directory, "s3rver.log");
  const port = await closedPort();
  const logFd = openSync(logPath, "a");
  const child = spawn(process.execPath, ["--openssl-legacy-provider", s3rverBin, "-d", join(directory, "data"), "-a", "127.0.0.1", "-p", String(port)], {
    stdio: ["ignore", logFd, logFd],
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
    rmSync(directory, { recursive: true, force: true });
  };
  try {
    await waitForPort(port);
    const endpoint = `http://127.0.0.1:${port}`;
    const client = new S3Client({ region: "us-east-1", endpoint, forcePathStyle: true, credentials: s3rverCredentials });
    try {
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
    } finally {
      client.destroy();
    }
    return { endpoint, log: () => readFileSync(logPath, "utf8"), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
