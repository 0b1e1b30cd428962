/**
 * The seed's operations checklists (its closing "운영 체크리스트"): what the team checks every day,
 * every week and every month. Items an automation can prove carry the kind of proof that ticks
 * them; the others are signed off by a person. `checklists` in gameops.yaml replaces, adds or
 * removes items.
 */

export const cadences = ["daily", "weekly", "monthly"] as const;
export type Cadence = (typeof cadences)[number];

/** Evidence the engine can check for a period on its own. */
export const proofKinds = {
  "daily-check": "a daily check run in the period",
  "alerts-reviewed": "no firing alert without an acknowledged page",
  "backup-verified": "a backup set deep-verified (restored and fingerprinted) in the period",
} as const;
export type ProofKind = keyof typeof proofKinds;

export interface ChecklistItem {
  /** Unique within its checklist; sign-offs are recorded under it. */
  id: string;
  title: string;
  proof?: ProofKind;
  /** The team that sees to it by default (a team id of the people store). */
  team: string;
}

export type Checklists = Record<Cadence, ChecklistItem[]>;

export const seedChecklists: Checklists = {
  daily: [
    { id: "server-status", title: "Check server status", proof: "daily-check", team: "ops" },
    { id: "error-logs", title: "Review the error logs", proof: "daily-check", team: "ops" },
    { id: "performance-metrics", title: "Check the performance metrics", proof: "daily-check", team: "ops" },
    { id: "backup-status", title: "Check the backup status", proof: "backup-verified", team: "ops" },
    { id: "alerts-review", title: "Review the alerts", proof: "alerts-reviewed", team: "ops" },
  ],
  weekly: [
    { id: "security-updates", title: "Check for security updates", team: "security" },
    { id: "capacity-planning", title: "Review capacity planning", team: "ops" },
    { id: "incident-review", title: "Review the week's incidents", team: "ops" },
    { id: "backup-restore-test", title: "Test restoring a backup", proof: "backup-verified", team: "ops" },
    { id: "docs-update", title: "Update the documentation", team: "ops" },
  ],
  monthly: [
    { id: "dr-drill", title: "Run a disaster-recovery drill", team: "ops" },
    { id: "performance-report", title: "Write the performance report", team: "ops" },
    { id: "security-audit", title: "Run the security audit", team: "security" },
    { id: "cost-optimisation", title: "Review costs and optimise", team: "ops" },
    { id: "team-training", title: "Hold the team training", team: "ops" },
  ],
};
