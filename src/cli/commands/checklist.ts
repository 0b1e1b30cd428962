import { ChecklistRefused, ChecklistService, type ChecklistView } from "../../engine/checklists/checklist-service.js";
import type { ChecklistSignoff, Store } from "../../store/store.js";
import { localIdentity } from "../foreground-run.js";
import { printJson, targetFor, withLocalStore, type GlobalOptions, type Target } from "../session.js";
import { paint, renderTable } from "../table.js";

/** `gameops checklist [daily|weekly|monthly]`: the period's items, who did them, what is overdue; exit 1 while any is overdue. */
export async function show(global: GlobalOptions, cadence: string | undefined, options: { period?: string; json?: boolean }): Promise<number> {
  const which = cadence ?? "daily";
  const target = targetFor(global);
  const view = await refused(() =>
    target.kind === "remote"
      ? target.api.request<ChecklistView>("GET", `/api/checklists/${encodeURIComponent(which)}${options.period ? `?period=${encodeURIComponent(options.period)}` : ""}`)
      : local(target, (service) => service.view(which, options.period)),
  );
  if (typeof view === "number") return view;
  if (options.json) printJson(view);
  else {
    const colour = Boolean(process.stdout.isTTY);
    const rows = view.items.map((item) => {
      const done = item.signoff;
      const state = done ? paint("done", "green", colour) : item.overdue ? paint("OVERDUE", "red", colour) : paint("open", "yellow", colour);
      return [state, item.id, item.title, done ? `${done.doneBy} at ${done.doneAt.slice(0, 16).replace("T", " ")} UTC` : item.proof ? `(ticks itself: ${item.proof})` : `team ${item.team}`, done ? describeEvidence(done) : ""];
    });
    process.stdout.write(`${view.cadence} checklist ${view.period.key}: ${view.done}/${view.items.length} done\n${renderTable(["", "ITEM", "WHAT", "DONE BY", "EVIDENCE"], rows)}\n`);
  }
  return view.items.some((item) => item.overdue) ? 1 : 0;
}

/** `gameops checklist done ITEM`: signs an item off, as GAMEOPS_PERSON locally. */
export async function done(global: GlobalOptions, itemId: string, options: { cadence?: string; period?: string; note?: string }): Promise<number> {
  const cadence = options.cadence ?? "daily";
  const target = targetFor(global);
  const body = { ...(options.note ? { note: options.note } : {}), ...(options.period ? { period: options.period } : {}) };
  const signoff = await refused(() =>
    target.kind === "remote"
      ? target.api.request<ChecklistSignoff>("POST", `/api/checklists/${encodeURIComponent(cadence)}/items/${encodeURIComponent(itemId)}`, body)
      : local(target, async (service, store) => service.signOff({ cadence, itemId, by: (await localIdentity(store, undefined)).id, ...body })),
  );
  if (typeof signoff === "number") return signoff;
  process.stdout.write(`${cadence} ${signoff.period} ${signoff.itemId}: done by ${signoff.doneBy} at ${signoff.doneAt}\n`);
  return 0;
}

async function local<T>(target: Extract<Target, { kind: "local" }>, work: (service: ChecklistService, store: Store) => Promise<T>): Promise<T> {
  return withLocalStore(target.config, (store) => work(new ChecklistService({ store, config: target.config }), store));
}

/** A refusal is exit 1 with its message. */
async function refused<T>(work: () => Promise<T>): Promise<T | number> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof ChecklistRefused)) throw error;
    process.stderr.write(`gameops: ${error.message}\n`);
    return 1;
  }
}

function describeEvidence(signoff: ChecklistSignoff): string {
  const evidence = signoff.evidence;
  if (evidence?.checkRun) return `check run ${String(evidence.checkRun)} (${String(evidence.status)})`;
  if (evidence?.firingGroups !== undefined) return `${String(evidence.firingGroups)} firing alert groups, none waiting`;
  return signoff.note ?? "";
}
