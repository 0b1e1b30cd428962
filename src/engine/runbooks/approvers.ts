import { roles, type ApprovalDecision, type ApprovalRecord, type PeopleRepository, type Person, type Role } from "../../store/store.js";

/** Who answers an approval: a person, and the role of the token they used (absent for a local CLI without one). */
export interface Approver {
  personId: string;
  role?: Role;
}

/** A person may not decide this approval; the message says why and who may. */
export class ApprovalRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ApprovalRefused";
  }
}

/**
 * An approval needs a known person matching one of the step's `approvers` — by the role of
 * their token (a role is met by any role above it too: an admin may do what an operator may),
 * a title, their team or their id — and, to approve, someone other than the person who started
 * the run unless the step allows self-approval. Rejecting one's own run is allowed: it stops
 * nothing a cancel could not.
 */
export async function checkApprover(
  people: PeopleRepository,
  approval: ApprovalRecord,
  approver: Approver,
  decision: ApprovalDecision,
  startedBy: string,
): Promise<Person> {
  const person = await people.getPerson(approver.personId);
  if (!person) {
    throw new ApprovalRefused(
      `"${approver.personId}" is not a known person, and an approval must name one: add them with \`gameops people add\` and approve with their own token`,
    );
  }
  if (decision === "approve" && !approval.selfApproval && person.id === startedBy) {
    throw new ApprovalRefused(
      `${person.id} started run ${approval.runId} and may not approve its step "${approval.stepId}": the step does not allow self_approval; ask one of ${approval.approvers.join(", ")}`,
    );
  }
  const matches = approval.approvers.some(
    (entry) =>
      entry === person.id ||
      (person.teamId !== undefined && entry === person.teamId) ||
      person.titles.includes(entry) ||
      (isRole(entry) && approver.role !== undefined && roles.indexOf(approver.role) >= roles.indexOf(entry)),
  );
  if (!matches) {
    throw new ApprovalRefused(
      `${person.id} may not decide step "${approval.stepId}" of run ${approval.runId}: it needs one of ${approval.approvers.join(", ")} (a role, title, team or person); ${person.id} has ${describe(person, approver.role)}`,
    );
  }
  return person;
}

function isRole(value: string): value is Role {
  return (roles as readonly string[]).includes(value);
}

function describe(person: Person, role: Role | undefined): string {
  return [
    role ? `the ${role} role` : "no role (no token)",
    person.teamId ? `team ${person.teamId}` : "no team",
    person.titles.length > 0 ? `title${person.titles.length > 1 ? "s" : ""} ${person.titles.join(", ")}` : "no title",
  ].join(", ");
}
