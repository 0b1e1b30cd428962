import { stringify } from "yaml";
import { configFor, printJson, type GlobalOptions } from "../session.js";

/** The effective configuration after file, defaults and environment; secrets print as <secret>. */
export async function show(global: GlobalOptions, options: { json?: boolean }): Promise<number> {
  const config = JSON.parse(JSON.stringify(configFor(global))) as Record<string, unknown>;
  if (options.json) printJson(config);
  else process.stdout.write(stringify(config));
  return 0;
}
