import { readFile } from "node:fs/promises";
import type { Config } from "../../config/load.js";
import { BackupError } from "../../domain/backups/backup-error.js";
import { LocalStorage } from "../../integrations/storage/local-storage.js";
import type { BackupStorage } from "../../integrations/storage/storage.js";

/** The store `backups.storage` names: the local directory (under the data dir by default) or an S3 bucket. */
export async function openBackupStorage(config: Config): Promise<BackupStorage> {
  const storage = config.backups.storage;
  if (storage.kind === "local") return new LocalStorage(storage.directory!);
  const { S3Storage } = await import("../../integrations/storage/s3-storage.js");
  const readKey = async (field: string, path: string) => {
    try {
      return (await readFile(path, "utf8")).trim();
    } catch (error) {
      throw new BackupError(`backups.storage.${field}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? "error"}); point it at a readable file holding only the key`);
    }
  };
  if ((storage.accessKeyIdFile === undefined) !== (storage.secretAccessKeyFile === undefined))
    throw new BackupError("backups.storage: accessKeyIdFile and secretAccessKeyFile go together; give both, or neither to use the AWS SDK's own chain (AWS_ACCESS_KEY_ID…, a profile, an instance role)");
  const credentials =
    storage.accessKeyIdFile && storage.secretAccessKeyFile
      ? { accessKeyId: await readKey("accessKeyIdFile", storage.accessKeyIdFile), secretAccessKey: await readKey("secretAccessKeyFile", storage.secretAccessKeyFile) }
      : undefined;
  return new S3Storage({
    bucket: storage.bucket,
    ...(storage.prefix ? { prefix: storage.prefix } : {}),
    ...(storage.region ? { region: storage.region } : {}),
    ...(storage.endpoint ? { endpoint: storage.endpoint } : {}),
    ...(storage.forcePathStyle !== undefined ? { forcePathStyle: storage.forcePathStyle } : {}),
    ...(storage.storageClass ? { storageClass: storage.storageClass } : {}),
    ...(storage.checksums ? { checksums: storage.checksums } : {}),
    ...(credentials ? { credentials } : {}),
  });
}
