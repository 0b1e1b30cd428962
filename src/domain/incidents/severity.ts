import type { IncidentsConfig, SeverityPolicy } from "../../config/incident-schema.js";
import { severityIds, type SeverityId } from "./severity-ids.js";
import { IncidentError } from "./incident-error.js";

/** A severity level with its id, as the rest of incidents reads it from the config. */
export type Severity = SeverityPolicy & { id: SeverityId };

/** `P1`…`P4` (any case); anything else is refused naming the levels there are. */
export function severityOf(config: Pick<IncidentsConfig, "severities">, id: string): Severity {
  const wanted = id.trim().toUpperCase();
  const known = severityIds.find((s) => s === wanted);
  if (!known) throw new IncidentError(`unknown severity ${id.trim() || "(empty)"}; use ${severityIds.slice(0, -1).join(", ")} or ${severityIds.at(-1)!}`);
  return { id: known, ...config.severities[known] };
}

/** Every level, most severe first. */
export function severities(config: Pick<IncidentsConfig, "severities">): Severity[] {
  return severityIds.map((id) => ({ id, ...config.severities[id] }));
}

/** Lower is more severe: P1 before P4, for sorting and for "raised from P3 to P1". */
export function severityRank(id: SeverityId): number {
  return severityIds.indexOf(id);
}

/** What people see of a severity (the API, the CLI, the console): its clocks and whether it has a war room, not whom it pages. */
export interface SeverityView {
  id: SeverityId;
  name: string;
  description: string;
  respondWithin: number;
  businessHoursOnly: boolean;
  updateEvery?: number;
  warRoom: boolean;
}

export function severityViews(config: Pick<IncidentsConfig, "severities">): SeverityView[] {
  return severities(config).map((s) => ({
    id: s.id,
    name: s.name,
    description: s.description,
    respondWithin: s.respondWithin,
    businessHoursOnly: s.businessHoursOnly,
    ...(s.updateEvery !== undefined ? { updateEvery: s.updateEvery } : {}),
    warRoom: s.warRoom,
  }));
}
