import { z } from "zod";
import { closest } from "./env.js";
import { proofKinds, seedChecklists, type Cadence, type ChecklistItem, type Checklists, type ProofKind } from "../domain/checklists/operations-checklists.js";

/**
 * The `checklists` section of gameops.yaml: changes to the seed's daily, weekly and monthly
 * checklists. Absent, the seed's lists hold. Under each cadence, an item naming a seed item's id
 * changes the fields it gives, a new id adds an item at the end, and `remove: true` drops one:
 *
 *   checklists:
 *     daily:
 *       - { id: backup-status, team: dba }
 *       - { id: cdn-status, title: Check the CDN }
 *       - { id: performance-metrics, remove: true }
 *
 * The parsed section is the resulting lists, so the rest of gameops reads `checklists.daily`.
 */

const proofNames = [...(Object.keys(proofKinds) as ProofKind[]), "manual"] as const;

const itemChange = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "must be lowercase letters, digits and -, like backup-status"),
  title: z.string().trim().min(1, "is empty; say what to check, like \"Check the CDN\"").optional(),
  /** What ticks the item by itself; `manual` takes a seed item's proof away. */
  proof: z.enum(proofNames).optional(),
  /** The team that sees to it; ops for a new item. */
  team: z.string().trim().min(1, "is empty; give a team id, like ops").optional(),
  remove: z.literal(true, { error: "is only ever true; leave it out to keep the item" }).optional(),
});
type ItemChange = z.output<typeof itemChange>;

const cadenceChanges = (cadence: Cadence) =>
  z.array(itemChange).transform((changes, ctx) => applyChanges(seedChecklists[cadence], changes, cadence, ctx));

export const checklistsConfig = z
  .strictObject({
    daily: cadenceChanges("daily").optional(),
    weekly: cadenceChanges("weekly").optional(),
    monthly: cadenceChanges("monthly").optional(),
  })
  .prefault({})
  .transform(
    (changed): Checklists => ({
      daily: changed.daily ?? copy(seedChecklists.daily),
      weekly: changed.weekly ?? copy(seedChecklists.weekly),
      monthly: changed.monthly ?? copy(seedChecklists.monthly),
    }),
  );

export type ChecklistsConfig = z.output<typeof checklistsConfig>;

function applyChanges(seed: readonly ChecklistItem[], changes: ItemChange[], cadence: Cadence, ctx: z.RefinementCtx): ChecklistItem[] {
  const items = copy(seed);
  const seen = new Map<string, number>();
  changes.forEach((change, i) => {
    const issue = (message: string, field: keyof ItemChange) => ctx.addIssue({ code: "custom", path: [i, field], message });
    const first = seen.get(change.id);
    if (first !== undefined) return issue(`"${change.id}" is already changed at checklists.${cadence}.${first}; put the changes to one item together`, "id");
    seen.set(change.id, i);
    const at = items.findIndex((item) => item.id === change.id);

    if (change.remove) {
      const extra = (["title", "proof", "team"] as const).filter((f) => change[f] !== undefined);
      if (at < 0) return issue(unknownItem(change.id, items.map((item) => item.id), cadence), "id");
      if (extra.length > 0) return issue(`remove drops the item; leave out ${extra.join(" and ")}`, "remove");
      items.splice(at, 1);
      return;
    }
    if (at >= 0) {
      const { proof: before, ...kept } = items[at]!;
      const proof = change.proof === undefined ? before : proofOf(change.proof);
      items[at] = {
        ...kept,
        ...(change.title !== undefined ? { title: change.title } : {}),
        ...(change.team !== undefined ? { team: change.team } : {}),
        ...(proof ? { proof } : {}),
      };
    } else if (change.title === undefined) {
      const suggestion = closest(change.id, seed.map((item) => item.id));
      issue(
        suggestion
          ? `"${change.id}" is not a ${cadence} item — did you mean "${suggestion}"? A new item needs a title`
          : `"${change.id}" is a new ${cadence} item and needs a title, like { id: ${change.id}, title: "Check the CDN" }`,
        "title",
      );
    } else {
      const proof = change.proof && proofOf(change.proof);
      items.push({ id: change.id, title: change.title, ...(proof ? { proof } : {}), team: change.team ?? "ops" });
    }
  });
  return items;
}

function proofOf(name: (typeof proofNames)[number]): ProofKind | undefined {
  return name === "manual" ? undefined : name;
}

function unknownItem(id: string, known: string[], cadence: Cadence): string {
  const suggestion = closest(id, known);
  return `no ${cadence} item "${id}" to remove${suggestion ? ` — did you mean "${suggestion}"?` : ""} (${cadence} items: ${known.join(", ")})`;
}

function copy(items: readonly ChecklistItem[]): ChecklistItem[] {
  return items.map((item) => ({ ...item }));
}
