/**
 * slow-query against the shared MariaDB (performance_schema OFF) and the second one
 * (performance_schema ON): a deliberately slow statement, an idle connection, and a lock wait
 * behind a transaction left open by an idle connection.
 */
import mysql from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testServices } from "../../services.js";
import { builtIn, envConfig, openDesk, show, stepsById, type Desk } from "./support.js";

interface Row {
  [column: string]: unknown;
}

const services = testServices();
const servers = [
  { label: "the shared MariaDB, performance_schema OFF", url: services.mariadb.url, performanceSchema: false },
  { label: "the second MariaDB, performance_schema ON", url: services.mariadbBinlog.url, performanceSchema: true },
];

/** Polls until `check` returns a value; a bound on waiting for the scene to be set, not a timed assertion. */
async function eventually<T>(check: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe.each(servers)("slow-query on $label", ({ url, performanceSchema }) => {
  const marker = `gameops_slow_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const table = `${marker}_matches`;
  let desk: Desk;
  let admin: mysql.Connection;
  const connections: mysql.Connection[] = [];
  const ids = { sleeper: 0, idle: 0, holder: 0, waiter: 0 };
  let slept: Promise<string>;
  let updated: Promise<string>;

  const connect = async () => {
    const connection = await mysql.createConnection(url);
    connections.push(connection);
    const [[row]] = (await connection.query("SELECT CONNECTION_ID() AS id")) as unknown as [{ id: number }[]];
    return { connection, id: row!.id };
  };
  const processlist = async (where: string, params: unknown[]) =>
    ((await admin.query(`SELECT ID AS id, COMMAND AS command, TIME AS seconds, INFO AS info FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND ${where}`, params)) as unknown as [Row[]])[0];

  beforeAll(async () => {
    desk = await openDesk(envConfig({ GAMEOPS_MYSQL_URL: url }));
    admin = await mysql.createConnection(url);
    await admin.query(`CREATE TABLE ${table} (id INT PRIMARY KEY, player VARCHAR(50) NOT NULL, note TEXT, KEY idx_player (player))`);
    await admin.query(`INSERT INTO ${table} VALUES (1, 'player-0001', NULL), (2, 'player-0002', NULL)`);
    // Read by primary key only: idx_player stays unused.
    await admin.query(`SELECT * FROM ${table} WHERE id = 1`);

    const idle = await connect();
    ids.idle = idle.id;
    const sleeper = await connect();
    ids.sleeper = sleeper.id;
    slept = sleeper.connection.query(`SELECT SLEEP(60) /* ${marker} */ AS slept`).then(
      () => "returned",
      (error: Error) => error.message,
    );
    // A transaction left open by a connection that then sits idle: the blocker no statement list shows.
    const holder = await connect();
    ids.holder = holder.id;
    await holder.connection.beginTransaction();
    await holder.connection.query(`SELECT * FROM ${table} WHERE id = 2 FOR UPDATE`);
    const waiter = await connect();
    ids.waiter = waiter.id;
    await waiter.connection.query("SET SESSION innodb_lock_wait_timeout = 120");
    updated = waiter.connection.query(`UPDATE ${table} SET note = ? WHERE id = 2`, ["after the lock"]).then(
      () => "updated",
      (error: Error) => error.message,
    );

    // Every actor in place for at least 2 s, so that min_seconds = 1 sees them.
    await eventually(async () => {
      const rows = await processlist("ID IN (?) AND TIME >= 2", [[ids.idle, ids.sleeper, ids.holder, ids.waiter]]);
      return rows.length === 4 ? rows : undefined;
    }, "the slow statement, the lock wait and the idle connections");
  });

  afterAll(async () => {
    // Whatever happened above, nothing of ours is left running on a shared server.
    for (const id of [ids.sleeper, ids.waiter]) if (id) await admin?.query("KILL ?", [id]).catch(() => undefined);
    for (const connection of connections) connection.destroy();
    await admin?.query(`DROP TABLE IF EXISTS ${table}`);
    await admin?.end();
    await desk?.close();
  });

  it("lists the slow statement (not idle connections), the lock wait and its blocker, then kills the statement after approval", { timeout: 120_000 }, async () => {
    const { executor, starter, approver } = desk;
    // On the shared server other tests run statements too: name ours rather than take the longest.
    const params: Record<string, number> = performanceSchema ? { min_seconds: 1 } : { min_seconds: 1, connection_id: ids.sleeper };
    const runId = await executor.start(builtIn("slow-query"), params, { startedBy: starter.personId, through: "cli" });
    expect(await executor.runUntilBlocked(runId)).toMatchObject({ status: "waiting_approval", waiting: { for: "approval", stepId: "confirm_kill" } });
    const detail = (await executor.getRun(runId))!;
    show(detail);
    const steps = stepsById(detail);
    const rows = (id: string) => steps.get(id)!.outputs!.rows as Row[];

    expect(rows("server")[0]).toMatchObject({ flavor: "mariadb", performance_schema: performanceSchema ? "ON" : "OFF", sys_schema: "yes" });

    const active = rows("active");
    expect(active.find((r) => r.id === ids.sleeper)).toMatchObject({ command: "Query", statement: `SELECT SLEEP(60) /* ${marker} */ AS slept` });
    expect(active.find((r) => r.id === ids.waiter)).toMatchObject({ command: "Query", statement: `UPDATE ${table} SET note = 'after the lock' WHERE id = 2` });
    // Idle for seconds, and still not a slow statement: the seed's `time > 10` would list them.
    expect(active.map((r) => r.id)).not.toContain(ids.idle);
    expect(active.map((r) => r.id)).not.toContain(ids.holder);
    expect(active.every((r) => r.command !== "Sleep")).toBe(true);

    if (performanceSchema) {
      expect(steps.get("digest")!.status).toBe("succeeded");
      const digests = rows("digest");
      expect(digests.length).toBeGreaterThan(0);
      expect(digests.length).toBeLessThanOrEqual(20);
      const totals = digests.map((d) => d.total_seconds as number);
      expect(totals).toEqual([...totals].sort((a, b) => b - a));
      expect(steps.get("unused_indexes")!.status).toBe("succeeded");
      expect(rows("unused_indexes")).toContainEqual({ db: "test", table_name: table, index_name: "idx_player" });
    } else {
      // performance_schema OFF: the steps that need it say so and the run goes on.
      const skipped = detail.events.filter((e) => e.type === "step.skipped" && (e.stepId === "digest" || e.stepId === "unused_indexes"));
      expect(skipped.map((e) => [e.stepId, e.data.reason])).toEqual([
        ["digest", "when ${{ steps.server.outputs.rows[0].performance_schema == 'ON' }} is false"],
        ["unused_indexes", "when ${{ steps.server.outputs.rows[0].performance_schema == 'ON' && steps.server.outputs.rows[0].sys_schema == 'yes' }} is false"],
      ]);
      expect(steps.get("digest")!.status).toBe("skipped");
    }

    expect(rows("transactions")).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ connection_id: ids.holder, state: "RUNNING", statement: null }),
        expect.objectContaining({ connection_id: ids.waiter, state: "LOCK WAIT" }),
      ]),
    );
    expect(rows("lock_waits")).toContainEqual(
      expect.objectContaining({ waiting_connection: ids.waiter, blocking_connection: ids.holder, locked_table: `\`test\`.\`${table}\``, locked_index: "PRIMARY", lock_mode: "X" }),
    );
    expect(steps.get("lock_waits_mysql")!.status).toBe("skipped");
    expect(steps.get("tables_in_use")!.status).toBe("succeeded");

    // The longest statement found is ours here too; otherwise this test must not approve.
    expect(rows("target")).toEqual([expect.objectContaining({ id: ids.sleeper, statement: `SELECT SLEEP(60) /* ${marker} */ AS slept` })]);
    const [approval] = detail.approvals;
    expect(approval!.prompt).toMatch(
      new RegExp(`^KILL QUERY on connection ${ids.sleeper} \\(\\w+@127\\.0\\.0\\.1:\\d+, db test, running \\d+ s, User sleep\\): SELECT SLEEP\\(60\\) /\\* ${marker} \\*/ AS slept — the statement stops`),
    );
    expect(approval!.approvers).toEqual(["operator", "lead"]);
    expect(await processlist("ID = ?", [ids.sleeper])).toEqual([expect.objectContaining({ command: "Query" })]);

    await executor.approve(runId, "confirm_kill", approver, "approve", "cli");
    const done = await executor.runUntilBlocked(runId);
    const after = (await executor.getRun(runId))!;
    show(after);
    expect(done.status).toBe("succeeded");
    const finished = stepsById(after);
    expect(["still_running", "kill", "still_running_mysql", "kill_mysql", "gone"].map((id) => finished.get(id)!.status)).toEqual(["succeeded", "succeeded", "skipped", "skipped", "succeeded"]);
    expect(finished.get("kill")!.action).toMatchObject({ destructive: true, detail: { statement: "KILL QUERY ID ?", params: [expect.any(Number)] } });

    expect(await slept).toBe("Query execution was interrupted");
    expect(await processlist("INFO LIKE ?", [`%${marker}%SLEEP%`])).toEqual([]);
    // Only that statement: the lock waiter goes on once its blocker ends.
    expect((await processlist("ID = ?", [ids.waiter]))[0]).toMatchObject({ command: "Query" });
    await connections[2]!.rollback();
    expect(await updated).toBe("updated");
  });
});
