import { createHash } from "node:crypto";
import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { CheckResult } from "../../src/domain/checks/verdict.js";
import { openStore } from "../../src/store/open-store.js";
import type { CheckRunRecord, Store } from "../../src/store/store.js";
import { startClaimWorker } from "./claim-worker.js";
import { createTestStores, dialects, type TestStores } from "./test-stores.js";

const t0 = new Date("2026-03-01T00:00:00.000Z");
const at = (ms: number) => new Date(t0.getTime() + ms);

function result(name: string, status: CheckResult["status"], details: Record<string, unknown> = {}): CheckResult {
  return { name, status, summary: `${name} is ${status}`, durationMs: 12, details };
}

function run(id: string, startedAt: string, checks: CheckResult[], extra: Partial<CheckRunRecord> = {}): CheckRunRecord {
  return { id, startedAt, durationMs: 345, status: "ok", trigger: "schedule", checks, ...extra };
}

describe.each(dialects)("store on %s", (dialect) => {
  let stores: TestStores;
  let store: Store;
  let clock: Date;

  beforeAll(async () => {
    stores = await createTestStores(dialect);
  });
  afterAll(async () => {
    await stores?.dispose();
  });
  beforeEach(async () => {
    await stores.reset();
    clock = t0;
    store = await stores.open({ now: () => clock });
  });
  afterEach(async () => {
    await store.close();
    await stores.assertAllClosed();
  });

  describe("opening", () => {
    it("says which dialect it is", () => {
      expect(store.dialect).toBe(dialect);
    });

    it("migrates idempotently and keeps the data across opens", async () => {
      await store.people.upsertTeam({ id: "ops", name: "Ops" });
      await store.close();
      store = await stores.open();
      const again = await stores.open();
      expect(await again.people.listTeams()).toEqual([{ id: "ops", name: "Ops" }]);
      await again.close();
      const migrations = await stores.raw(`select name from kysely_migration order by name`);
      expect(migrations.map((row) => row.name)).toEqual(["001-foundation", "002-runbook-runs", "003-paging", "004-incidents", "005-incident-list-index", "006-backups"]);
    });

    it.runIf(dialect === "sqlite")("creates the data dir for its owner only, in WAL mode", async () => {
      expect(statSync(stores.target.dataDir).mode & 0o777).toBe(0o700);
      const [mode] = await stores.raw("pragma journal_mode");
      expect(mode).toEqual({ journal_mode: "wal" });
    });

    it.runIf(dialect === "sqlite")("explains a data dir it cannot create", async () => {
      const file = join(stores.target.dataDir, "a-file");
      writeFileSync(file, "");
      await expect(openStore({ dataDir: join(file, "data") })).rejects.toThrow(
        `cannot open the store in ${join(file, "data")}: ENOTDIR: not a directory, mkdir '${join(file, "data")}'`,
      );
    });

    it.runIf(dialect === "postgres")("names an unreachable server without its password", async () => {
      const error = await openStore({ dataDir: stores.target.dataDir, url: "postgres://postgres:hunter2@127.0.0.1:1/gameops" }).catch(
        (e: unknown) => e as Error,
      );
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toBe("cannot open the store at postgres://postgres@127.0.0.1:1/gameops: connect ECONNREFUSED 127.0.0.1:1");
      expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain("hunter2");
    });

    it.runIf(dialect === "postgres")("rejects a store URL that is not postgres://", async () => {
      await expect(openStore({ dataDir: stores.target.dataDir, url: "mysql://root:secret@127.0.0.1/db" })).rejects.toThrow(
        "the store URL must start with postgres:// (got mysql://)",
      );
      await expect(openStore({ dataDir: stores.target.dataDir, url: "not a url with secret" })).rejects.toThrow(
        "the store URL is not a valid URL: expected postgres://user:password@host:5432/database",
      );
    });
  });

  describe("check runs", () => {
    it("records a run with its results in order and reads it back", async () => {
      await store.people.upsertPerson({ id: "mina", name: "Mina", titles: [] });
      const recorded = run("r1", "2026-03-01T09:00:00.000Z", [result("redis", "ok", { p99Ms: 1.5 }), result("mysql", "warning"), result("logs", "skipped")], {
        status: "warning",
        trigger: "console",
        requestedBy: "mina",
      });
      await store.checkRuns.record(recorded);
      expect(await store.checkRuns.get("r1")).toEqual(recorded);
      expect(await store.checkRuns.get("nope")).toBeUndefined();
    });

    it("keeps a scheduler run without a requester and without checks", async () => {
      await store.checkRuns.record(run("r1", "2026-03-01T09:00:00.000Z", [], { status: "unknown" }));
      const got = await store.checkRuns.get("r1");
      expect(got).toEqual(run("r1", "2026-03-01T09:00:00.000Z", [], { status: "unknown" }));
      expect(got).not.toHaveProperty("requestedBy");
    });

    it("lists newest first, pages back with `before`, and knows the latest", async () => {
      expect(await store.checkRuns.latest()).toBeUndefined();
      for (const [id, time] of [
        ["b", "2026-03-02T09:00:00.000Z"],
        ["a", "2026-03-01T09:00:00.000Z"],
        ["c", "2026-03-03T09:00:00.000Z"],
      ] as const) {
        await store.checkRuns.record(run(id, time, [result("disk", "ok")]));
      }
      expect((await store.checkRuns.list({ limit: 10 })).map((r) => r.id)).toEqual(["c", "b", "a"]);
      expect((await store.checkRuns.list({ limit: 2 })).map((r) => r.id)).toEqual(["c", "b"]);
      expect((await store.checkRuns.list({ limit: 10, before: "2026-03-03T09:00:00.000Z" })).map((r) => r.id)).toEqual(["b", "a"]);
      expect((await store.checkRuns.list({ limit: 10 }))[0]!.checks).toEqual([result("disk", "ok")]);
      expect((await store.checkRuns.latest())?.id).toBe("c");
    });

    it("rejects a time that is not ISO 8601", async () => {
      await expect(store.checkRuns.record(run("r1", "yesterday", []))).rejects.toThrow(
        'startedAt must be an ISO 8601 time like 2026-01-31T09:00:00.000Z (got "yesterday")',
      );
      await expect(store.checkRuns.list({ limit: 1, before: "soon" })).rejects.toThrow(
        'before must be an ISO 8601 time like 2026-01-31T09:00:00.000Z (got "soon")',
      );
    });

    it("finds the latest result of a check that actually ran", async () => {
      await store.checkRuns.record(run("r1", "2026-03-01T09:00:00.000Z", [result("mysql", "ok", { slowQueries: 10 })]));
      await store.checkRuns.record(run("r2", "2026-03-02T09:00:00.000Z", [result("mysql", "critical", { slowQueries: 14 })]));
      await store.checkRuns.record(run("r3", "2026-03-03T09:00:00.000Z", [result("mysql", "skipped")]));
      expect(await store.checkRuns.latestResult("mysql")).toEqual({
        ...result("mysql", "critical", { slowQueries: 14 }),
        runId: "r2",
        startedAt: "2026-03-02T09:00:00.000Z",
      });
      expect(await store.checkRuns.latestResult("redis")).toBeUndefined();
    });

    it("gives the history since a time, oldest first, one point per check per run", async () => {
      await store.checkRuns.record(run("old", "2026-02-01T09:00:00.000Z", [result("disk", "ok")]));
      await store.checkRuns.record(run("r2", "2026-03-02T09:00:00.000Z", [result("redis", "warning"), result("disk", "ok")]));
      await store.checkRuns.record(run("r1", "2026-03-01T09:00:00.000Z", [result("redis", "ok"), result("disk", "critical")]));
      expect(await store.checkRuns.history(new Date("2026-03-01T09:00:00.000Z"))).toEqual([
        { runId: "r1", name: "redis", startedAt: "2026-03-01T09:00:00.000Z", status: "ok", durationMs: 12 },
        { runId: "r1", name: "disk", startedAt: "2026-03-01T09:00:00.000Z", status: "critical", durationMs: 12 },
        { runId: "r2", name: "redis", startedAt: "2026-03-02T09:00:00.000Z", status: "warning", durationMs: 12 },
        { runId: "r2", name: "disk", startedAt: "2026-03-02T09:00:00.000Z", status: "ok", durationMs: 12 },
      ]);
    });
  });

  describe("timers", () => {
    const claim = (s: Store, now: Date, owner = "replica-a", leaseMs = 60_000, limit = 10) => s.timers.claimDue({ now, owner, leaseMs, limit });

    it("schedules a timer with a payload and a token", async () => {
      const timer = await store.timers.schedule({ kind: "reminder", dueAt: at(1000), payload: { incident: "INC-7" } });
      expect(timer).toEqual({ id: timer.id, kind: "reminder", dueAt: at(1000), payload: { incident: "INC-7" }, token: timer.token, attempts: 0 });
      expect(timer.token).toMatch(/^[0-9a-f-]{36}$/);
    });

    it("rejects a due time that is not a date", async () => {
      await expect(store.timers.schedule({ kind: "reminder", key: "r", dueAt: new Date("nonsense") })).rejects.toThrow(
        'timer "r": dueAt is not a valid date',
      );
    });

    it("claims only due timers, earliest first, up to the limit, with a fresh token", async () => {
      const late = await store.timers.schedule({ kind: "k", dueAt: at(3000) });
      const early = await store.timers.schedule({ kind: "k", dueAt: at(1000) });
      const middle = await store.timers.schedule({ kind: "k", dueAt: at(2000) });
      await store.timers.schedule({ kind: "k", dueAt: at(9000) });
      const claimed = await claim(store, at(3000), "replica-a", 60_000, 2);
      expect(claimed.map((t) => t.id)).toEqual([early.id, middle.id]);
      expect(claimed[0]!.attempts).toBe(1);
      expect(claimed[0]!.token).not.toBe(early.token);
      // Leased: not claimable again until the lease runs out, but the third due one is.
      expect((await claim(store, at(3000), "replica-b")).map((t) => t.id)).toEqual([late.id]);
      expect(await claim(store, at(3000), "replica-b")).toEqual([]);
      const rows = await stores.raw(`select lease_owner, lease_until from timers where id = '${early.id}'`);
      // PostgreSQL's own client reads int8 as a string.
      expect(rows.map((row) => ({ ...row, lease_until: Number(row.lease_until) }))).toEqual([{ lease_owner: "replica-a", lease_until: at(63_000).getTime() }]);
    });

    it("completes once, with the current token only, and never fires again", async () => {
      await store.timers.schedule({ kind: "k", dueAt: at(0) });
      const [claimed] = await claim(store, at(0));
      expect(await store.timers.complete(claimed!.id, "not-the-token")).toBe(false);
      expect(await store.timers.complete(claimed!.id, claimed!.token)).toBe(true);
      expect(await store.timers.complete(claimed!.id, claimed!.token)).toBe(false);
      expect(await claim(store, at(10 * 60_000))).toEqual([]);
      const rows = await stores.raw(`select status, lease_owner from timers`);
      expect(rows).toEqual([{ status: "fired", lease_owner: null }]);
    });

    it("re-claims a timer whose lease ran out, and fences the first owner out", async () => {
      await store.timers.schedule({ kind: "k", dueAt: at(0) });
      const [first] = await claim(store, at(0), "replica-a", 1000);
      expect(await claim(store, at(999), "replica-b", 1000)).toEqual([]);
      const [second] = await claim(store, at(1000), "replica-b", 1000);
      expect(second).toMatchObject({ id: first!.id, attempts: 2 });
      // replica-a wakes up late: its token is stale, so neither its release nor its completion counts.
      await store.timers.release(first!.id, first!.token, { error: "late", retryAt: at(0) });
      expect(await store.timers.complete(first!.id, first!.token)).toBe(false);
      expect(await store.timers.complete(second!.id, second!.token)).toBe(true);
    });

    it("replaces a keyed timer's due time, payload and token, which makes the old token stale", async () => {
      const first = await store.timers.schedule({ kind: "escalation", key: "INC-7/step", dueAt: at(1000), payload: { step: 1 } });
      clock = at(500);
      const second = await store.timers.schedule({ kind: "escalation", key: "INC-7/step", dueAt: at(5000), payload: { step: 2 } });
      expect(second).toMatchObject({ id: first.id, key: "INC-7/step", dueAt: at(5000), payload: { step: 2 }, attempts: 0 });
      expect(second.token).not.toBe(first.token);
      expect(await store.timers.findByKey("INC-7/step")).toEqual(second);
      // The old token does nothing: the timer is still pending, at its new time.
      expect(await store.timers.complete(first.id, first.token)).toBe(false);
      expect(await claim(store, at(1000))).toEqual([]);
      expect((await claim(store, at(5000))).map((t) => t.payload)).toEqual([{ step: 2 }]);
    });

    it("a stale token fires nothing, even while the timer is claimed", async () => {
      await store.timers.schedule({ kind: "k", key: "reminder", dueAt: at(0), payload: { n: 1 } });
      const [running] = await claim(store, at(0));
      const moved = await store.timers.schedule({ kind: "k", key: "reminder", dueAt: at(60_000), payload: { n: 2 } });
      expect(await store.timers.complete(running!.id, running!.token)).toBe(false);
      expect(await store.timers.findByKey("reminder")).toEqual(moved);
      const [next] = await claim(store, at(60_000));
      expect(next).toMatchObject({ id: moved.id, payload: { n: 2 }, attempts: 1 });
    });

    it("schedules a new timer under a key whose previous one fired", async () => {
      const first = await store.timers.schedule({ kind: "k", key: "daily", dueAt: at(0) });
      const [claimed] = await claim(store, at(0));
      await store.timers.complete(claimed!.id, claimed!.token);
      expect(await store.timers.findByKey("daily")).toBeUndefined();
      const next = await store.timers.schedule({ kind: "k", key: "daily", dueAt: at(86_400_000) });
      expect(next.id).not.toBe(first.id);
      expect(await store.timers.findByKey("daily")).toEqual(next);
    });

    it("gives a failed timer back: due again at the retry time, with its error", async () => {
      await store.timers.schedule({ kind: "k", key: "t", dueAt: at(0) });
      const [claimed] = await claim(store, at(0));
      await store.timers.release(claimed!.id, claimed!.token, { error: "connection refused", retryAt: at(10_000) });
      expect(await store.timers.findByKey("t")).toMatchObject({ dueAt: at(10_000), attempts: 1, lastError: "connection refused" });
      expect(await claim(store, at(9999))).toEqual([]);
      const [again] = await claim(store, at(10_000));
      expect(again).toMatchObject({ attempts: 2, lastError: "connection refused" });
      await store.timers.complete(again!.id, again!.token);
      const rows = await stores.raw(`select status, last_error from timers`);
      expect(rows).toEqual([{ status: "fired", last_error: null }]);
    });

    it("cancels the pending timer of a key", async () => {
      await store.timers.schedule({ kind: "k", key: "t", dueAt: at(0) });
      expect(await store.timers.cancel("t")).toBe(true);
      expect(await store.timers.cancel("t")).toBe(false);
      expect(await store.timers.cancel("never")).toBe(false);
      expect(await store.timers.findByKey("t")).toBeUndefined();
      expect(await claim(store, at(0))).toEqual([]);
    });

    async function claimAll(replica: Store, owner: string, claimed: string[]): Promise<number> {
      const batch = await claim(replica, at(100), owner, 60_000, 3);
      claimed.push(...batch.map((t) => t.id));
      return batch.length;
    }

    // On PostgreSQL each store is a pool of its own, like two replicas. On SQLite a second
    // connection in the same thread would block the first one's commit (better-sqlite3 is
    // synchronous), so one process has one store; other processes are tested below.
    it("two owners claiming the same due timers at once get disjoint sets", async () => {
      const replicaB = dialect === "postgres" ? await stores.open() : store;
      try {
        const scheduled = new Set<string>();
        for (let i = 0; i < 40; i++) scheduled.add((await store.timers.schedule({ kind: "k", dueAt: at(i) })).id);
        const a: string[] = [];
        const b: string[] = [];
        for (;;) {
          const counts = await Promise.all([claimAll(store, "a", a), claimAll(replicaB, "b", b)]);
          if (counts[0] + counts[1] === 0) break;
        }
        expect([...a, ...b]).toHaveLength(40);
        expect(new Set([...a, ...b])).toEqual(scheduled);
        expect(a.length).toBeGreaterThan(0);
        expect(b.length).toBeGreaterThan(0);
      } finally {
        if (replicaB !== store) await replicaB.close();
      }
    });

    it.runIf(dialect === "sqlite")("another process claiming from the same file gets a disjoint set", async () => {
      const scheduled = new Set<string>();
      for (let i = 0; i < 60; i++) scheduled.add((await store.timers.schedule({ kind: "k", dueAt: at(i) })).id);
      const worker = startClaimWorker(stores.target.dataDir, at(100));
      await worker.ready;
      const mine: string[] = [];
      while ((await claimAll(store, "parent", mine)) > 0);
      const theirs = await worker.claimed;
      expect([...mine, ...theirs]).toHaveLength(60);
      expect(new Set([...mine, ...theirs])).toEqual(scheduled);
    });
  });

  describe("people and teams", () => {
    it("upserts teams and lists them by name", async () => {
      await store.people.upsertTeam({ id: "sre", name: "SRE" });
      await store.people.upsertTeam({ id: "ops", name: "Zeta Ops" });
      expect(await store.people.upsertTeam({ id: "ops", name: "Game Ops" })).toEqual({ id: "ops", name: "Game Ops" });
      expect(await store.people.listTeams()).toEqual([
        { id: "ops", name: "Game Ops" },
        { id: "sre", name: "SRE" },
      ]);
    });

    it("upserts people with every field, and without the optional ones", async () => {
      await store.people.upsertTeam({ id: "ops", name: "Ops" });
      const mina = { id: "mina", name: "Mina Park", email: "mina@example.com", chatHandle: "@mina", timeZone: "Asia/Seoul", teamId: "ops", titles: ["lead"] };
      expect(await store.people.upsertPerson(mina)).toEqual(mina);
      await store.people.upsertPerson({ id: "jo", name: "Jo", titles: [] });
      expect(await store.people.getPerson("mina")).toEqual(mina);
      const jo = await store.people.getPerson("jo");
      expect(jo).toEqual({ id: "jo", name: "Jo", titles: [] });
      expect(Object.keys(jo!)).toEqual(["id", "name", "titles"]);
      await store.people.upsertPerson({ ...mina, titles: ["lead", "director"], email: undefined });
      expect(await store.people.getPerson("mina")).toEqual({ ...mina, titles: ["lead", "director"], email: undefined });
      expect((await store.people.listPeople()).map((p) => p.id)).toEqual(["jo", "mina"]);
      expect(await store.people.getPerson("nobody")).toBeUndefined();
    });

    it("refuses a person in a team that does not exist", async () => {
      await expect(store.people.upsertPerson({ id: "mina", name: "Mina", teamId: "ghosts", titles: [] })).rejects.toThrow(
        'person "mina": team "ghosts" does not exist',
      );
      expect(await store.people.listPeople()).toEqual([]);
    });
  });

  describe("tokens", () => {
    it("creates a gmo_ token, returns it once and stores only its SHA-256", async () => {
      await store.people.upsertPerson({ id: "mina", name: "Mina", titles: [] });
      const { token, record } = await store.tokens.create({ personId: "mina", role: "operator", label: "laptop" });
      expect(token).toMatch(/^gmo_[A-Za-z0-9_-]{43}$/);
      expect(record).toEqual({ id: record.id, personId: "mina", role: "operator", label: "laptop", createdAt: t0.toISOString() });
      const rows = await stores.raw(`select * from api_tokens`);
      expect(rows).toHaveLength(1);
      expect(rows[0]!.hash).toBe(createHash("sha256").update(token).digest("hex"));
      expect(JSON.stringify(rows)).not.toContain(token.slice(4));
    });

    it("verifies a token and notes when it was last used", async () => {
      const { token, record } = await store.tokens.create({ role: "viewer", label: "wallboard" });
      clock = at(60_000);
      expect(await store.tokens.verify(token)).toEqual({ ...record, lastUsedAt: at(60_000).toISOString() });
      expect(await store.tokens.verify(`${token}x`)).toBeUndefined();
      expect(await store.tokens.verify("")).toBeUndefined();
    });

    it("fails a revoked token", async () => {
      const { token, record } = await store.tokens.create({ role: "admin", label: "ci" });
      clock = at(1000);
      expect(await store.tokens.revoke(record.id)).toBe(true);
      expect(await store.tokens.revoke(record.id)).toBe(false);
      expect(await store.tokens.revoke("unknown")).toBe(false);
      expect(await store.tokens.verify(token)).toBeUndefined();
      expect(await store.tokens.list()).toEqual([{ ...record, revokedAt: at(1000).toISOString() }]);
    });

    it("lists tokens oldest first", async () => {
      const first = await store.tokens.create({ role: "viewer", label: "one" });
      clock = at(1);
      const second = await store.tokens.create({ role: "responder", label: "two" });
      expect(await store.tokens.list()).toEqual([first.record, second.record]);
    });

    it("knows whether the bootstrap admin token exists, revoked or not", async () => {
      await store.people.upsertPerson({ id: "mina", name: "Mina", titles: [] });
      await store.tokens.create({ personId: "mina", role: "admin", label: "mina" });
      expect(await store.tokens.hasBootstrap()).toBe(false);
      const chosen = "a-token-chosen-by-automation-0123";
      const { token, record } = await store.tokens.create({ role: "admin", label: "bootstrap", plain: chosen });
      expect(token).toBe(chosen);
      expect(await store.tokens.hasBootstrap()).toBe(true);
      expect((await store.tokens.verify(chosen))?.id).toBe(record.id);
      await store.tokens.revoke(record.id);
      expect(await store.tokens.hasBootstrap()).toBe(true);
    });

    it("refuses bad inputs with the reason", async () => {
      await expect(store.tokens.create({ personId: "ghost", role: "viewer", label: "x" })).rejects.toThrow('person "ghost" does not exist');
      await expect(store.tokens.create({ role: "root" as never, label: "x" })).rejects.toThrow(
        'unknown role "root": use one of viewer, responder, operator, admin',
      );
      await expect(store.tokens.create({ role: "admin", label: "x", plain: "short" })).rejects.toThrow(
        "a chosen token must be at least 24 characters long",
      );
      const plain = "the-same-token-chosen-twice-000";
      await store.tokens.create({ role: "admin", label: "x", plain });
      await expect(store.tokens.create({ role: "viewer", label: "y", plain })).rejects.toThrow("this token exists already: choose another one");
      expect(await store.tokens.list()).toHaveLength(1);
    });
  });

  describe("audit log", () => {
    it("appends entries and lists them newest first, by subject too", async () => {
      const first = await store.audit.append({ actor: "admin", action: "token.create", subject: "person/mina", details: { role: "operator" } });
      expect(first).toEqual({
        id: first.id,
        at: t0.toISOString(),
        actor: "admin",
        action: "token.create",
        subject: "person/mina",
        details: { role: "operator" },
      });
      // Same millisecond: still in the order they were written.
      const second = await store.audit.append({ actor: "mina", action: "check.run", subject: "check-run/r1", details: {} });
      const older = await store.audit.append({ actor: "system", action: "timer.fired", subject: "person/mina", details: {}, at: at(-1000) });
      expect(older.at).toBe(at(-1000).toISOString());
      expect((await store.audit.list({ limit: 10 })).map((e) => e.id)).toEqual([second.id, first.id, older.id]);
      expect((await store.audit.list({ limit: 1 })).map((e) => e.id)).toEqual([second.id]);
      expect((await store.audit.list({ limit: 10, subject: "person/mina" })).map((e) => e.id)).toEqual([first.id, older.id]);
    });
  });
});
