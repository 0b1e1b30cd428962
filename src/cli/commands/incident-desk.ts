import type { SeverityView } from "../../domain/incidents/severity.js";
import type { OnCallNow } from "../../engine/paging/paging.js";
import { IncidentRefused, type WarRoom } from "../../engine/incidents/incident-service.js";
import type { ResponseMetrics } from "../../domain/incidents/response-metrics.js";
import type { ActionItem, IncidentListQuery, IncidentRecord, IncidentTask, PageRecord, Person } from "../../store/store.js";
import { orRefusal } from "../local-paging.js";
import { targetFor, type GlobalOptions } from "../session.js";

/**
 * What the incident commands need, whether they talk to a server (GAMEOPS_URL + GAMEOPS_TOKEN)
 * or work on the local data dir: one contract with two adapters, so each command is written
 * once and prints the same in both modes. Values are as the API sends them (times as ISO text).
 */
export interface IncidentDesk {
  /** Base of console links. */
  consoleUrl: string;
  /** The server that pages, posts and counts the clocks; undefined when none runs on this data dir. */
  server: string | undefined;
  /** The team's time zone, in which times are printed beside UTC. */
  zone(): Promise<string>;
  severities(): Promise<SeverityView[]>;
  /** People and who is on call now: to say whom a page reaches. */
  directory(): Promise<Directory>;
  declare(input: DeclareInput): Promise<{ incident: IncidentRecord; page?: PageRecord }>;
  list(query: IncidentListQuery): Promise<IncidentRecord[]>;
  get(ref: string): Promise<IncidentRecord>;
  warRoom(ref: string): Promise<WarRoom>;
  acknowledge(ref: string): Promise<IncidentRecord>;
  moveTo(ref: string, status: string): Promise<IncidentRecord>;
  setSeverity(ref: string, severity: string): Promise<IncidentRecord>;
  assignRole(ref: string, role: string, person: string): Promise<{ incident: IncidentRecord; previous?: string }>;
  note(ref: string, text: string): Promise<void>;
  postUpdate(ref: string, text: string, customerNotice: boolean): Promise<{ incident: IncidentRecord; customerNotice?: string }>;
  setTask(ref: string, task: string, done: boolean): Promise<IncidentTask>;
  /** The number of the page that calls the schedule's on-call in. */
  requestPeople(ref: string, schedule: string): Promise<number>;
  addActionItem(ref: string, item: { text: string; owner: string; dueOn?: string }): Promise<ActionItem>;
  completeActionItem(id: string): Promise<ActionItem>;
  postmortem(ref: string): Promise<{ markdown: string; draft: boolean }>;
  savePostmortem(ref: string, markdown: string): Promise<IncidentRecord>;
  metrics(months: number): Promise<ResponseMetrics[]>;
}

export interface DeclareInput {
  title: string;
  severity: string;
  impact?: string;
  commander?: string;
  pages?: string[];
}

export type { SeverityView };

export interface Directory {
  people: Person[];
  onCall: OnCallNow[];
}

/** Runs a command on the desk of this invocation; a refused request exits 1 with its reason. */
export async function withDesk(global: GlobalOptions, work: (desk: IncidentDesk) => Promise<number>): Promise<number> {
  const target = targetFor(global);
  if (target.kind === "remote") return work((await import("./incident-remote-desk.js")).remoteDesk(target.api));
  const { withLocalDesk } = await import("./incident-local-desk.js");
  return orRefusal(() => refused(() => withLocalDesk(target.config, work)));
}

/** `gameops: severity: unknown severity P5; use P1, P2, P3 or P4`, exit 1. */
async function refused(work: () => Promise<number>): Promise<number> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof IncidentRefused)) throw error;
    process.stderr.write(`gameops: ${error.message}\n`);
    return 1;
  }
}

/** `#42`, `INC-42`, `42` or an id, as the store and the API take it. */
export const incidentRef = (text: string) => text.trim().replace(/^#/, "");
