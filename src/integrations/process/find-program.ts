import { access, constants } from "node:fs/promises";
import { delimiter, join } from "node:path";

/**
 * The first of `names` found as an executable on PATH, with its full path; undefined when none
 * is. For tools that come under two names (mariadb-dump, and mysqldump before it).
 */
export async function findProgram(names: readonly string[], path = process.env.PATH ?? ""): Promise<{ name: string; path: string } | undefined> {
  const directories = path.split(delimiter).filter((d) => d.length > 0);
  for (const name of names) {
    for (const directory of directories) {
      const candidate = join(directory, name);
      const found = await access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      );
      if (found) return { name, path: candidate };
    }
  }
  return undefined;
}
