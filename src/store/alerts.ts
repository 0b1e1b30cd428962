import type { Kysely, Selectable } from "kysely";
import type { AlertGroupRecord, AlertRecord, AlertRepository, AlertSource, AlertStatus, Labels } from "./store.js";
import type { AlertGroupsTable, AlertsTable, Database } from "./tables.js";

/** Reads of what came in; alerts are written by `PageRepository.ingest`, with their page. */
export class Alerts implements AlertRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async list(options: { status?: AlertStatus; limit: number; groupKey?: string }): Promise<AlertRecord[]> {
    let query = this.db.selectFrom("alerts").selectAll().orderBy("last_seen_at", "desc").orderBy("fingerprint").limit(options.limit);
    if (options.status) query = query.where("status", "=", options.status);
    if (options.groupKey) query = query.where("group_key", "=", options.groupKey);
    return (await query.execute()).map(toAlert);
  }

  async getGroup(groupKey: string): Promise<AlertGroupRecord | undefined> {
    const row = await this.db.selectFrom("alert_groups").selectAll().where("group_key", "=", groupKey).executeTakeFirst();
    return row && toGroup(row);
  }

  async listGroups(options: { status?: AlertStatus; limit: number }): Promise<AlertGroupRecord[]> {
    let query = this.db.selectFrom("alert_groups").selectAll().orderBy("last_seen_at", "desc").limit(options.limit);
    if (options.status) query = query.where("status", "=", options.status);
    return (await query.execute()).map(toGroup);
  }
}

const iso = (ms: number) => new Date(Number(ms)).toISOString();

function toAlert(row: Selectable<AlertsTable>): AlertRecord {
  return {
    fingerprint: row.fingerprint,
    source: row.source as AlertSource,
    groupKey: row.group_key,
    status: row.status,
    labels: JSON.parse(row.labels) as Labels,
    annotations: JSON.parse(row.annotations) as Labels,
    startsAt: iso(row.starts_at),
    ...(row.ends_at === null ? {} : { endsAt: iso(row.ends_at) }),
    ...(row.generator_url === null ? {} : { generatorUrl: row.generator_url }),
    firstSeenAt: iso(row.first_seen_at),
    lastSeenAt: iso(row.last_seen_at),
  };
}

function toGroup(row: Selectable<AlertGroupsTable>): AlertGroupRecord {
  return {
    groupKey: row.group_key,
    source: row.source as AlertSource,
    ...(row.receiver === null ? {} : { receiver: row.receiver }),
    status: row.status,
    groupLabels: JSON.parse(row.group_labels) as Labels,
    commonLabels: JSON.parse(row.common_labels) as Labels,
    commonAnnotations: JSON.parse(row.common_annotations) as Labels,
    ...(row.external_url === null ? {} : { externalUrl: row.external_url }),
    ...(row.page_id === null ? {} : { pageId: row.page_id }),
    ...(row.suppressed_by === null ? {} : { suppressedBy: row.suppressed_by }),
    firstSeenAt: iso(row.first_seen_at),
    lastSeenAt: iso(row.last_seen_at),
  };
}
