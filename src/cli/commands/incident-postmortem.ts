import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { printJson, type GlobalOptions } from "../session.js";
import { UsageError } from "../usage-error.js";
import { incidentRef, withDesk } from "./incident-desk.js";
import { ref, stateLabel } from "./incident-display.js";

/**
 * The post-mortem as Markdown: the saved document, or a draft from the incident. Printed (stdout
 * stays the document alone, so it can be redirected), written to a file to edit, or an edited file
 * saved as the incident's post-mortem.
 */
export async function postmortem(global: GlobalOptions, incidentText: string, options: { out?: string; save?: string; force?: boolean; json?: boolean }): Promise<number> {
  if (options.out !== undefined && options.save !== undefined) throw new UsageError("give --out FILE (write the document to edit) or --save FILE (keep the edited one), not both");
  const edited = options.save === undefined ? undefined : readDocument(options.save);
  if (options.out !== undefined && existsSync(options.out) && !options.force) {
    throw new UsageError(`--out ${options.out} exists; it may hold your edits — save them with --save ${options.out}, or overwrite it with --force`);
  }
  return withDesk(global, async (desk) => {
    const incident = await desk.get(incidentRef(incidentText));
    if (edited !== undefined) {
      const saved = await desk.savePostmortem(String(incident.number), edited);
      process.stdout.write(`saved ${options.save} as ${ref(saved)}'s post-mortem (${edited.length} characters); ${ref(saved)} is ${stateLabel(saved.status)}\n`);
      return 0;
    }
    const { markdown, draft } = await desk.postmortem(String(incident.number));
    if (options.json) {
      printJson({ markdown, draft });
      return 0;
    }
    const keep = `edit it and keep it with gameops incident postmortem ${incident.number} --save FILE`;
    if (options.out !== undefined) {
      writeFileSync(options.out, markdown);
      process.stdout.write(`wrote ${ref(incident)}'s post-mortem (${draft ? "a draft from the incident" : "as saved"}) to ${options.out}; ${keep}\n`);
      return 0;
    }
    process.stdout.write(markdown.endsWith("\n") ? markdown : `${markdown}\n`);
    if (draft) process.stderr.write(`gameops: a draft from ${ref(incident)}'s record; ${keep}\n`);
    return 0;
  });
}

function readDocument(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new UsageError(`--save ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}
