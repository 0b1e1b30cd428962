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
