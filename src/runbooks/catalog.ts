import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, extname, join, resolve } from "node:path";
import { closest, readEnv } from "../config/env.js";
import { RunbookError } from "../domain/runbooks/runbook-error.js";
import type { Runbook } from "../domain/runbooks/schema.js";
import { packageRoot } from "../package-root.js";
import { checkRunbook, parseRunbook, type ParsedRunbook } from "./load-runbook.js";

/**
 * The runbooks gameops knows: the built-in ones shipped in src/runbooks/, and the team's own
 * in `runbooks/` beside gameops.yaml (or GAMEOPS_RUNBOOKS). A user runbook with a built-in's
 * name replaces it, and the listing says so. An invalid file is listed with its errors; it
 * never hides the others.
 */

export interface CatalogEntry {
  /** The runbook's name; for a file that cannot be parsed, its file name without .yaml. */
  name: string;
  title?: string;
  runtime?: string;
  description?: string;
  /** Absolute path of the file. */
  source: string;
  origin: "built-in" | "user";
  /** A user runbook replacing a built-in one: that built-in file. */
  overrides?: string;
  /** Present when the runbook is valid. */
  runbook?: Runbook;
  /** Why it cannot be used; empty when valid. */
  issues: string[];
}

export interface RunbookFolders {
  builtIn: string;
  /** The team's folder; absent when there is none to read. */
  user?: string;
}

export interface Catalog {
  /** Sorted by name; overridden built-ins are left out. */
  entries: CatalogEntry[];
  /** Problems with the folders themselves (GAMEOPS_RUNBOOKS naming a missing folder). */
  warnings: string[];
  get(name: string): CatalogEntry | undefined;
  /** Every valid runbook by name, for sub-runbook checks and calls. */
  runbooks: ReadonlyMap<string, Runbook>;
}

/** Where runbooks live: built-in in the package, the team's beside the config file (or cwd), or GAMEOPS_RUNBOOKS. */
export function runbookFolders(options: { cwd: string; env: NodeJS.ProcessEnv; configSource?: string }): RunbookFolders & { explicit: boolean } {
  const builtIn = join(packageRoot(), "src", "runbooks");
  const fromEnv = readEnv(options.env, (p) => readFileSync(resolve(options.cwd, p), "utf8")).get("GAMEOPS_RUNBOOKS");
  if (fromEnv) return { builtIn, user: resolve(options.cwd, fromEnv), explicit: true };
  return { builtIn, user: join(options.configSource ? dirname(options.configSource) : options.cwd, "runbooks"), explicit: false };
}

export function loadCatalog(folders: RunbookFolders & { explicit?: boolean }): Catalog {
  const warnings: string[] = [];
  const builtIn = readFolder(folders.builtIn, "built-in");
  let user: Loaded[] = [];
  if (folders.user && resolve(folders.user) !== resolve(folders.builtIn)) {
    if (isFolder(folders.user)) user = readFolder(folders.user, "user");
    else if (folders.explicit) warnings.push(`GAMEOPS_RUNBOOKS: ${folders.user} is not a folder; no runbooks of your own are loaded`);
  }

  const byName = new Map<string, Loaded>();
  for (const loaded of builtIn) byName.set(loaded.entry.name, loaded);
  for (const loaded of user) {
    const replaced = byName.get(loaded.entry.name);
    if (replaced?.entry.origin === "built-in") loaded.entry.overrides = replaced.entry.source;
    byName.set(loaded.entry.name, loaded);
  }

  // Two passes: sub-runbook calls are checked against every runbook that passed the schema.
  const parsedByName = new Map<string, Runbook>();
  for (const { entry, parsed } of byName.values()) if (parsed && entry.issues.length === 0) parsedByName.set(entry.name, parsed.runbook);
  for (const { entry, parsed } of byName.values()) {
    if (!parsed || entry.issues.length > 0) continue;
    entry.issues = checkRunbook(parsed, { runbooks: parsedByName });
    if (entry.issues.length === 0) entry.runbook = parsed.runbook;
  }

  const entries = [...byName.values()].map((l) => l.entry).sort((a, b) => a.name.localeCompare(b.name));
  const runbooks = new Map(entries.filter((e) => e.runbook).map((e) => [e.name, e.runbook!]));
  return { entries, warnings, runbooks, get: (name) => entries.find((e) => e.name === name) };
}

/**
 * A runbook by name from the catalogue, or from a file when the argument is a path to one
 * (`restart.yaml`, `./x.yml`). Throws RunbookError: unknown name (with a suggestion), or the
 * runbook's own issues.
 */
export function findRunbook(catalog: Catalog, nameOrFile: string, cwd: string): { runbook: Runbook; source: string } {
  if (/\.ya?ml$/.test(nameOrFile) || nameOrFile.includes("/")) {
    const path = resolve(cwd, nameOrFile);
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      throw new RunbookError([`${nameOrFile}: cannot read (${(error as NodeJS.ErrnoException).code ?? "error"})`]);
    }
    const parsed = parseRunbook(text, nameOrFile);
    // A file run directly may call the catalogue's runbooks; its own name wins over theirs.
    const runbooks = new Map(catalog.runbooks);
    runbooks.set(parsed.runbook.name, parsed.runbook);
    const issues = checkRunbook(parsed, { runbooks });
    if (issues.length > 0) throw new RunbookError(issues);
    return { runbook: parsed.runbook, source: path };
  }
  const entry = catalog.get(nameOrFile);
  if (!entry) {
    const suggestion = closest(nameOrFile, catalog.entries.map((e) => e.name));
    throw new RunbookError([`unknown runbook "${nameOrFile}"${suggestion ? ` — did you mean "${suggestion}"?` : ""} (\`gameops runbook list\` shows them)`]);
  }
  if (!entry.runbook) throw new RunbookError(entry.issues);
  return { runbook: entry.runbook, source: entry.source };
}

interface Loaded {
  entry: CatalogEntry;
  parsed?: ParsedRunbook;
}

function isFolder(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

function readFolder(folder: string, origin: CatalogEntry["origin"]): Loaded[] {
  if (!isFolder(folder)) return [];
  const loaded: Loaded[] = [];
  for (const file of readdirSync(folder).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    const source = join(folder, file);
    const stem = basename(file, extname(file));
    const entry: CatalogEntry = { name: stem, source, origin, issues: [] };
    try {
      const parsed = parseRunbook(readFileSync(source, "utf8"), source);
      const { runbook } = parsed;
      Object.assign(entry, { name: runbook.name, title: runbook.title }, runbook.runtime ? { runtime: runbook.runtime } : {}, runbook.description ? { description: runbook.description } : {});
      // The file name is how people and sub-runbook calls find it: they must agree.
      if (runbook.name !== stem) {
        const at = parsed.source.locate("name");
        entry.name = stem;
        entry.issues = [`${source}${at ? `:${at.line}:${at.col}` : ""} name: "${runbook.name}" differs from the file name ${file}; rename one so they match`];
      }
      loaded.push({ entry, parsed });
    } catch (error) {
      if (!(error instanceof RunbookError)) throw error;
      entry.issues = error.issues;
      loaded.push({ entry });
    }
  }
  return loaded;
}

/** How a catalogue entry is listed, the same in the API and the CLI's local listing. */
export function catalogListing(entry: CatalogEntry) {
  const runbook = entry.runbook;
  return {
    name: entry.name,
    ...(entry.title ? { title: entry.title } : {}),
    ...(entry.runtime ? { runtime: entry.runtime } : {}),
    ...(entry.description ? { description: entry.description } : {}),
    origin: entry.origin,
    overridesBuiltIn: entry.overrides !== undefined,
    valid: runbook !== undefined,
    issues: entry.issues,
    params: runbook?.params ?? {},
    locks: runbook?.locks ?? [],
    steps: runbook?.steps.length ?? 0,
  };
}

export type CatalogListing = ReturnType<typeof catalogListing>;
