// What happened to the seeded escalation timers, read back from the store's file after (or while)
// the server ran: when each page's first level fired, how often, and what its timer row says.
import SqliteDatabase from "better-sqlite3";

export interface Firing {
  pageId: string;
  /** When the step fired: the `at` of the page's page.notified event (the start of fireStep's commit). */
  firedAt?: number;
  /** page.notified events recorded for the page: exactly 1 when the step fired once. */
  notified: number;
  /** Inbox deliveries queued for the page: one per notified person per firing. */
  deliveries: number;
  timerStatus: string;
  /** Times the timer was claimed: more than 1 when a claim was lost (a killed server's lease ran out) and it ran again. */
  attempts: number;
}

/** Pages fired so far (page.notified events), cheap enough to poll while the server runs. */
export function countFired(file: string): number {
  const db = new SqliteDatabase(file, { readonly: true, fileMustExist: true });
  try {
    return Number(db.prepare("select count(distinct page_id) from page_events where type = 'page.notified'").pluck().get());
  } finally {
    db.close();
  }
}

/**
 * Waits (up to `withinMs`) until the server holds leases on escalation timers — its loop is in
 * the middle of a batch — and returns how many; 0 if it never did within the time.
 */
export async function whenLeased(file: string, withinMs: number): Promise<number> {
  const db = new SqliteDatabase(file, { readonly: true, fileMustExist: true });
  try {
    const leased = db.prepare("select count(*) from timers where status = 'pending' and kind = 'page.escalate' and lease_owner is not null").pluck();
    const until = Date.now() + withinMs;
    while (Date.now() < until) {
      const n = Number(leased.get());
      if (n > 0) return n;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    return 0;
  } finally {
    db.close();
  }
}

export function readFirings(file: string): Map<string, Firing> {
  const db = new SqliteDatabase(file, { readonly: true, fileMustExist: true });
  try {
    const rows = db
      .prepare(
        `select p.id as pageId,
                (select min(e.at) from page_events e where e.page_id = p.id and e.type = 'page.notified') as firedAt,
                (select count(*) from page_events e where e.page_id = p.id and e.type = 'page.notified') as notified,
                (select count(*) from deliveries d where d.page_id = p.id) as deliveries,
                t.status as timerStatus, t.attempts as attempts
           from pages p join timers t on t.key = 'page:' || p.id || ':escalation'`,
      )
      .all() as { pageId: string; firedAt: number | null; notified: number; deliveries: number; timerStatus: string; attempts: number }[];
    return new Map(rows.map((r) => [r.pageId, { ...r, firedAt: r.firedAt ?? undefined }]));
  } finally {
    db.close();
  }
}
