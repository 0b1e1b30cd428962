/** The severity levels, most severe first (seed §2.1); what each means is config (incidents.severities). */
export const severityIds = ["P1", "P2", "P3", "P4"] as const;
export type SeverityId = (typeof severityIds)[number];
