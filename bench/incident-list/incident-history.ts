// Years of a live game's incidents, as rows of the store's own tables (src/store/tables.ts):
// deterministic for a given seed, so every run lists the same history.
import type { Insertable } from "kysely";
import { seedBusinessHours, seedSeverities } from "../../src/config/incident-schema.js";
import { responseDeadline } from "../../src/domain/incidents/clocks.js";
import type { IncidentState } from "../../src/domain/incidents/life-cycle.js";
import { renderPostmortem } from "../../src/domain/incidents/postmortem.js";
import type { SeverityId } from "../../src/domain/incidents/severity-ids.js";
import { rolesFor, type IncidentRole } from "../../src/domain/incidents/war-room.js";
import { newId } from "../../src/store/ids.js";
import type { IncidentEventType, IncidentSource } from "../../src/store/store.js";
import type { IncidentEventsTable, IncidentRolesTable, IncidentsTable } from "../../src/store/tables.js";
import { seededRandom } from "../../src/demo/game.js";

export interface IncidentRows {
  incident: Insertable<IncidentsTable>;
  roles: Insertable<IncidentRolesTable>[];
  events: Insertable<IncidentEventsTable>[];
}

export interface HistoryOptions {
  count: number;
  /** The newest incident is declared a little before this instant (epoch ms). */
  now: number;
  years: number;
  seed: number;
  /** Where the post-mortems link to. */
  consoleUrl: string;
  /** False: the same history, with no post-mortem text stored (to see what the text costs a list). */
  postmortems: boolean;
}

export const people = [
  ["minji", "Minji Kim"], ["jisoo", "Jisoo Park"], ["hyunwoo", "Hyunwoo Lee"], ["seoyeon", "Seoyeon Choi"], ["dongha", "Dongha Jung"],
  ["yuna", "Yuna Kang"], ["taeho", "Taeho Yoon"], ["eunji", "Eunji Han"], ["junho", "Junho Lim"], ["sora", "Sora Shin"],
  ["alice", "Alice Martin"], ["bob", "Bob Nguyen"], ["carla", "Carla Rossi"], ["dmitri", "Dmitri Volkov"], ["emma", "Emma Schulz"],
  ["farid", "Farid Haddad"], ["grace", "Grace Okafor"], ["hiro", "Hiro Tanaka"], ["ines", "Ines Duarte"], ["jonas", "Jonas Berg"],
  ["kai", "Kai Andersen"], ["lena", "Lena Novak"], ["marco", "Marco Bianchi"], ["nadia", "Nadia Petrova"], ["oscar", "Oscar Lind"],
  ["priya", "Priya Raman"], ["quinn", "Quinn Walsh"], ["rafael", "Rafael Costa"], ["sven", "Sven Olsen"], ["tara", "Tara Murphy"],
] as const;

const services = ["matchmaking", "login", "payments", "chat", "leaderboard", "inventory", "patch-cdn", "voice", "guilds", "shop", "auction-house", "game-servers"];
const regions = ["eu-west", "us-east", "us-west", "ap-northeast", "kr-central", "sa-east"];
const symptoms: Record<SeverityId, string[]> = {
  P1: ["down for all players", "returns 500 for every request", "unreachable after the patch", "database primary lost"],
  P2: ["failing for a third of players", "queue times over 10 minutes", "error rate above 20 %", "purchases not delivered"],
  P3: ["slow responses (p99 over 2 s)", "intermittent timeouts", "one shard degraded", "stale data after failover"],
  P4: ["typo in the store banner", "a metric missing from the dashboard", "log noise after the deploy", "one replica restarting"],
};

/** The life cycle as far as each incident got; a P4 fixed at once skips from declared to resolved. */
const fullPath: IncidentState[] = ["declared", "triage", "mitigating", "root_cause", "resolved", "postmortem", "documented"];
const quickPath: IncidentState[] = ["declared", "resolved", "postmortem", "documented"];

/** Most incidents are long closed; the newest few hundred are the live ones, and a few old ones were never closed. */
const statusWeights = {
  recent: { declared: 5, triage: 8, mitigating: 12, root_cause: 10, resolved: 35, postmortem: 15, documented: 15 },
  older: { declared: 0.1, triage: 0.2, mitigating: 0.4, root_cause: 0.3, resolved: 8, postmortem: 3, documented: 88 },
} satisfies Record<string, Record<IncidentState, number>>;
const recentCount = 300;

const minute = 60_000;
const hour = 60 * minute;
const day = 24 * hour;

/** The incidents, oldest first (number 1 upwards), each with its roles and timeline. */
export function* incidentHistory(options: HistoryOptions): Generator<IncidentRows> {
  const random = seededRandom(options.seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const between = (low: number, high: number) => low + random() * (high - low);
  const spacing = (options.years * 365 * day) / options.count;
  const first = options.now - hour - options.count * spacing;

  for (let number = 1; number <= options.count; number++) {
    const declaredAt = Math.round(first + (number - 1) * spacing + random() * spacing * 0.9);
    const r = random();
    const severity: SeverityId = r < 0.02 ? "P1" : r < 0.1 ? "P2" : r < 0.4 ? "P3" : "P4";
    const policy = seedSeverities[severity];
    const status = weighted(random, options.count - number < recentCount ? statusWeights.recent : statusWeights.older);
    const service = pick(services);
    const region = pick(regions);
    const source: IncidentSource = random() < 0.6 ? "alert" : pick(["cli", "console", "console", "api"] as const);
    const declaredBy = source === "alert" ? "alertmanager" : pick(people)[0];
    const roles = Object.fromEntries(rolesFor(policy).map((role) => [role, pick(people)[0]])) as Partial<Record<IncidentRole, string>>;
    const lead = roles.incident_commander ?? roles.owner!;
    const impact = severity === "P1" || severity === "P2" || random() < 0.5 ? `${Math.round(between(2, 60))} % of players in ${region} affected` : undefined;
    const respondBy = responseDeadline(policy, declaredAt, seedBusinessHours, "UTC");

    // When each step happened, as offsets from the declaration; squeezed to fit before now.
    const path = severity === "P4" && fullPath.indexOf(status) >= fullPath.indexOf("resolved") && random() < 0.7 ? quickPath : fullPath;
    const steps = path.slice(1, path.indexOf(status) + 1);
    const resolveIn = { P1: between(0.5, 4) * hour, P2: between(1, 8) * hour, P3: between(2, 48) * hour, P4: between(1, 10) * day }[severity];
    const ackIn = { P1: between(1, 5) * minute, P2: between(2, 20) * minute, P3: between(5, 75) * minute, P4: between(0.5, 30) * hour }[severity];
    const planned: { at: number; type: IncidentEventType; actor: string | null; data: Record<string, unknown> }[] = [];
    const acknowledged = status !== "declared" || random() < 0.5;
    if (acknowledged) planned.push({ at: ackIn, type: "incident.acknowledged", actor: lead, data: { through: "page" } });
    const breached = acknowledged && severity !== "P1" && declaredAt + ackIn > respondBy;
    if (breached) planned.push({ at: respondBy - declaredAt, type: "incident.sla_breached", actor: null, data: { respondBy: new Date(respondBy).toISOString() } });
    let previous: IncidentState = "declared";
    for (const [i, to] of steps.entries()) {
      const at = to === "resolved" ? resolveIn : to === "postmortem" ? resolveIn + between(1, 4) * day : to === "documented" ? resolveIn + between(4, 10) * day : ackIn + ((i + 1) / 5) * resolveIn;
      planned.push({ at, type: "incident.status", actor: lead, data: { from: previous, to } });
      previous = to;
    }
    const updates = policy.updateEvery && status !== "declared" ? Math.min(3, Math.max(1, Math.floor(resolveIn / policy.updateEvery))) : 0;
    for (let i = 0; i < updates; i++) {
      planned.push({ at: ackIn + (i + 1) * (policy.updateEvery ?? hour), type: "incident.update", actor: lead, data: { text: pick(updateTexts) } });
    }
    if (random() < 0.3) planned.push({ at: ackIn + between(0, 1) * resolveIn, type: "incident.note", actor: pick(people)[0], data: { text: pick(noteTexts) } });
    const written = fullPath.indexOf(status) >= fullPath.indexOf("postmortem") && (severity === "P1" || severity === "P2" || (severity === "P3" && random() < 0.25));
    const postmortemOffset = resolveIn + between(1, 4) * day;
    if (written) planned.push({ at: postmortemOffset, type: "incident.postmortem", actor: lead, data: {} });

    const latest = options.now - minute - declaredAt;
    const longest = Math.max(0, ...planned.map((e) => e.at));
    const squeeze = longest > latest ? latest / longest : 1;
    planned.sort((a, b) => a.at - b.at);
    const timeOf = (offset: number) => Math.round(declaredAt + offset * squeeze);

    const id = newId();
    const events: Insertable<IncidentEventsTable>[] = [
      {
        incident_id: id,
        seq: 1,
        at: declaredAt,
        type: "incident.declared",
        actor: declaredBy,
        data: JSON.stringify({ severity, source, respondBy: new Date(respondBy).toISOString(), ...(impact ? { impact } : {}) }),
      },
      ...Object.entries(roles).map(([role, to], i) => ({ incident_id: id, seq: 2 + i, at: declaredAt, type: "incident.role", actor: declaredBy, data: JSON.stringify({ role, to }) })),
    ];
    for (const event of planned) {
      events.push({ incident_id: id, seq: events.length + 1, at: timeOf(event.at), type: event.type, actor: event.actor, data: JSON.stringify(event.data) });
    }
    const at = (type: string, to?: IncidentState) => events.find((e) => e.type === type && (to === undefined || JSON.parse(e.data).to === to))?.at ?? null;
    const resolvedAt = at("incident.status", "resolved");
    const lastUpdateAt = events.filter((e) => e.type === "incident.update").at(-1)?.at ?? null;
    const live = resolvedAt === null;
    const title = `${service} ${pick(symptoms[severity])} in ${region}`;
    const rootCause = written || (fullPath.indexOf(status) >= fullPath.indexOf("root_cause") && random() < 0.5) ? pick(rootCauses) : null;
    const lessons = written ? pick(lessonSets) : null;

    let postmortem: string | null = null;
    if (written) {
      const postmortemEvent = events.find((e) => e.type === "incident.postmortem")!;
      postmortem = renderPostmortem({
        number,
        title,
        severity: { id: severity, name: policy.name },
        declaredAt,
        ...(resolvedAt !== null ? { resolvedAt } : {}),
        ...(impact ? { impact } : {}),
        ...(rootCause ? { rootCause } : {}),
        ...(lessons ? { lessons } : {}),
        timeZone: "UTC",
        timeline: events.filter((e) => e.type !== "incident.postmortem").map((e) => ({ at: e.at, text: timelineText(e) })),
        roles: Object.entries(roles).map(([role, personId]) => ({ role: role as IncidentRole, name: nameOf(personId) })),
        actionItems: actionItems.slice(0, 2 + (number % 3)).map((text, i) => ({ text, owner: nameOf(pick(people)[0]), dueOn: new Date(postmortemEvent.at + (i + 1) * 7 * day).toISOString().slice(0, 10), done: random() < 0.7 })),
        links: { console: `${options.consoleUrl}/#/incidents/${number}`, pages: [], runbookRuns: [] },
      });
      postmortemEvent.data = JSON.stringify({ chars: postmortem.length });
      if (!options.postmortems) postmortem = null;
    }

    yield {
      incident: {
        id,
        number,
        title,
        severity,
        status,
        impact: impact ?? null,
        root_cause: rootCause,
        lessons,
        source,
        labels: JSON.stringify({ service, region, ...(source === "alert" ? { alertname: `${service.replace(/-/g, "_")}_${severity.toLowerCase()}` } : {}) }),
        declared_at: declaredAt,
        declared_by: declaredBy,
        acknowledged_at: at("incident.acknowledged"),
        acknowledged_by: acknowledged ? lead : null,
        resolved_at: resolvedAt,
        documented_at: at("incident.status", "documented"),
        respond_by: respondBy,
        sla_breached_at: at("incident.sla_breached"),
        last_update_at: lastUpdateAt,
        next_update_at: live && policy.updateEvery ? (lastUpdateAt ?? declaredAt) + policy.updateEvery : null,
        postmortem,
        event_seq: events.length,
        updated_at: Math.max(...events.map((e) => e.at)),
      },
      roles: Object.entries(roles).map(([role, personId]) => ({ incident_id: id, role, person_id: personId, assigned_at: declaredAt, assigned_by: declaredBy })),
      events,
    };
  }
}

const names = new Map<string, string>(people);
const nameOf = (id: string) => names.get(id) ?? id;

function timelineText(event: Insertable<IncidentEventsTable>): string {
  const data = JSON.parse(event.data) as Record<string, string>;
  switch (event.type) {
    case "incident.declared":
      return `Declared ${data.severity} by ${nameOf(event.actor ?? "")}`;
    case "incident.role":
      return `${nameOf(data.to ?? "")} is ${data.role}`;
    case "incident.status":
      return `${data.from} → ${data.to}`;
    case "incident.acknowledged":
      return `Acknowledged by ${nameOf(event.actor ?? "")}`;
    case "incident.sla_breached":
      return "Response SLA breached";
    default:
      return data.text ?? event.type;
  }
}

const updateTexts = [
  "Mitigation in progress: traffic shifted to the standby region.",
  "Rolled back the last deploy; error rate is falling.",
  "Root cause identified, fix being tested on a canary.",
  "Players can log in again; watching queue times.",
  "Capacity added; latency back under target for 10 minutes.",
];
const noteTexts = ["Vendor ticket opened.", "Same symptom as last month's incident.", "Customer support informed.", "Dashboard link added to the channel."];
// Root causes as teams write them after the analysis: what broke, then how it was found.
const rootCauses = [
  "A connection pool exhausted after the patch raised the default query timeout. Requests queued behind slow queries until the pool stopped serving.\n\nThe pool metrics were on a dashboard nobody watched during the rollout; the first signal was players' reports. The slow query was a missing index on the new quest table, added by the same patch.",
  "A certificate on the edge load balancer expired. Renewal automation had been disabled during a migration and never re-enabled.\n\nClients failed the TLS handshake and retried, tripling the load on the login service, which then shed healthy sessions too. The expiry check existed but alerted to a channel archived last quarter.",
  "A schema migration locked the inventory table for 12 minutes. It ran without the online-DDL flag.\n\nEvery purchase and item move queued behind the lock; the shop timed out and players saw items vanish until the lock released. The migration had run in seconds on staging, whose table is a hundredth of production's.",
  "A cache stampede after a cold restart sent every request to the primary database at once.\n\nThe restart was part of a routine kernel patch. The cache had no request coalescing, so ten thousand identical misses each went to the database, whose CPU pinned at 100 % until the cache filled.",
  "A config push set the wrong region weights, sending all EU traffic to one cluster.\n\nThe weights file was edited by hand; a trailing zero turned 10 into 100. The push skipped the canary stage because config changes were not routed through the deploy pipeline.",
];
const lessonSets = [
  "Alert on pool saturation, not only on errors\nRun migrations with online DDL by default\nWatch the rollout dashboard during every patch",
  "Track certificate expiry as a check\nKeep automation changes in the change log\nReview alert routing when channels are archived",
  "Warm caches before opening traffic\nRate-limit cold-start fills\nCoalesce identical cache misses",
  "Validate region weights in CI\nCanary config pushes to one region first\nRoute config changes through the deploy pipeline",
];
const actionItems = [
  "Add an alert on connection-pool saturation",
  "Document the rollback runbook for this service",
  "Add a canary stage to the deploy pipeline",
  "Load-test the new matchmaking build at 2x peak",
];

function weighted<K extends string>(random: () => number, weights: Record<K, number>): K {
  const entries = Object.entries(weights) as [K, number][];
  let left = random() * entries.reduce((sum, [, w]) => sum + w, 0);
  for (const [key, w] of entries) if ((left -= w) < 0) return key;
  return entries.at(-1)![0];
}
