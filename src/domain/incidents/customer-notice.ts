import type { IncidentState } from "./life-cycle.js";
import { localDateTime } from "./local-times.js";
import { incidentReference } from "./reference.js";

/**
 * The customer notice (`incidents.customerNotice`): a template the communications role sends with
 * a status update, e.g. "[{severity}] {title}: {status}. {update} Next update: {next_update}".
 * Customers see the status page words (investigating, identified, monitoring, resolved), never
 * the internal life-cycle state.
 */

export const customerNoticePlaceholders = {
  id: "the incident, like INC-42",
  title: "the incident's title",
  severity: "the severity and its name, like P1 Critical",
  status: "investigating, identified, monitoring or resolved",
  impact: "the impact as written on the incident",
  update: "the text of the status update this notice goes with",
  next_update: "when the next update is due, in the team's time zone",
} as const;
export type CustomerNoticePlaceholder = keyof typeof customerNoticePlaceholders;

const placeholder = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** The `{names}` in a template that are not placeholders, each once, in order. */
export function unknownPlaceholders(template: string): string[] {
  const names = [...template.matchAll(placeholder)].map((m) => m[1]!);
  return [...new Set(names.filter((name) => !(name in customerNoticePlaceholders)))];
}

export type CustomerStatus = "investigating" | "identified" | "monitoring" | "resolved";

/** What a customer is told about a state: the fix is being looked for, applied, watched, or done. */
export function customerStatus(state: IncidentState): CustomerStatus {
  switch (state) {
    case "declared":
    case "triage":
      return "investigating";
    case "mitigating":
      return "identified";
    case "root_cause":
      return "monitoring";
    default:
      return "resolved";
  }
}

export interface CustomerNoticeInput {
  number: number;
  title: string;
  severity: { id: string; name: string };
  state: IncidentState;
  impact?: string;
  update?: string;
  /** Absent when no further update is scheduled. */
  nextUpdateAt?: number;
  timeZone: string;
}

/** The template with its placeholders filled; a template was checked for unknown ones when the config loaded. */
export function fillCustomerNotice(template: string, input: CustomerNoticeInput): string {
  const values: Record<CustomerNoticePlaceholder, string> = {
    id: incidentReference(input.number),
    title: input.title,
    severity: `${input.severity.id} ${input.severity.name}`,
    status: customerStatus(input.state),
    impact: input.impact?.trim() || "being assessed",
    update: input.update?.trim() ?? "",
    next_update: input.nextUpdateAt === undefined ? "none scheduled" : localDateTime(input.timeZone, input.nextUpdateAt),
  };
  return template.replace(placeholder, (whole, name: string) => (name in values ? values[name as CustomerNoticePlaceholder] : whole));
}
