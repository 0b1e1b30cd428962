import mysql from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describe as describeStep, execute, isReadOnly } from "../../../src/engine/runbooks/steps/sql.js";
import { envConfig, failureOf, stepContext, unique } from "./support.js";

const mysqlUrl = "mysql://root@127.0.0.1:3306/test";
const config = envConfig({ GAMEOPS_MYSQL_URL: mysqlUrl });
const table = `gameops_sql_step_${unique()}`;
let admin: mysql.Connection;

const spec = (statement: string, params: unknown[] = [], expect?: object) => ({ target: "mysql", statement, params: params as string[], ...(expect ? { expect } : {}) });

beforeAll(async () => {
  admin = await mysql.createConnection({ host: "127.0.0.1", port: 3306, user: "root", database: "test" });
  await admin.query(`CREATE TABLE ${table} (id INT AUTO_INCREMENT PRIMARY KEY, player VARCHAR(100) NOT NULL, note TEXT)`);
});

afterAll(async () => {
  await admin?.query(`DROP TABLE IF EXISTS ${table}`);
  await admin?.end();
});

describe("sql step against MariaDB", () => {
  it("binds params, quotes and all, instead of splicing them into the statement", async () => {
    const hostile = `x'); DROP TABLE ${table}; -- "quoted" \\ back`;
    const insert = await execute(spec(`INSERT INTO ${table} (player, note) VALUES (?, ?), (?, ?)`, ["O'Brien", hostile, "mina", null]), stepContext(config));
    expect(insert.outputs).toEqual({ rows: [], rowCount: 0, affectedRows: 2, columns: [] });

    const context = stepContext(config);
    const select = await execute(spec(`SELECT player, note FROM ${table} WHERE player = ?`, ["O'Brien"]), context);
    expect(select.outputs).toEqual({ rows: [{ player: "O'Brien", note: hostile }], rowCount: 1, affectedRows: 0, columns: ["player", "note"] });
    expect(context.lines).toEqual(["1 row"]);
    const [[count]] = (await admin.query(`SELECT COUNT(*) AS n FROM ${table}`)) as unknown as [{ n: number }[]];
    expect(count!.n).toBe(2);
  });

  it("fails an expectation on rows or affected rows with a message that says which", async () => {
    const none = await failureOf(execute(spec(`SELECT * FROM ${table} WHERE player = ?`, ["nobody"], { rows: { min: 1 } }), stepContext(config)));
    expect(none.message).toBe("expected at least 1 row, got 0");
    expect(none.options).toMatchObject({ retryable: true, outputs: { rowCount: 0 } });

    const many = await failureOf(execute(spec(`SELECT * FROM ${table}`, [], { rows: { max: 1 } }), stepContext(config)));
    expect(many.message).toBe("expected at most 1 row, got 2");

    const untouched = await failureOf(execute(spec(`UPDATE ${table} SET note = ? WHERE player = ?`, ["n", "nobody"], { affected: { min: 1 } }), stepContext(config)));
    expect(untouched.message).toBe("expected at least 1 affected row, got 0");

    const within = await execute(spec(`UPDATE ${table} SET note = ? WHERE player = ?`, ["seen", "mina"], { affected: { min: 1, max: 1 }, rows: { max: 0 } }), stepContext(config));
    expect(within.outputs.affectedRows).toBe(1);
  });

  it("keeps the first 1000 rows and counts them all", async () => {
    const result = await execute(spec("SELECT seq AS n FROM seq_1_to_1500"), stepContext(config));
    expect(result.outputs).toMatchObject({ rowCount: 1500, truncated: true, columns: ["n"] });
    expect(result.outputs.rows).toHaveLength(1000);
    expect((result.outputs.rows as { n: number }[])[999]).toEqual({ n: 1000 });
  });

  it("says what the server refused, not retryable for a statement error", async () => {
    const failure = await failureOf(execute(spec("SELEC 1"), stepContext(config)));
    expect(failure.message).toMatch(/^127\.0\.0\.1:3306: You have an error in your SQL syntax/);
    expect(failure.options.retryable).toBe(false);
  });

  it("never prints a wrong password", async () => {
    // root has no password here: giving one is refused.
    const wrong = envConfig({ GAMEOPS_MYSQL_URL: "mysql://root:Wr0ng-pa55word@127.0.0.1:3306/test" });
    const failure = await failureOf(execute(spec("SELECT 1"), stepContext(wrong)));
    expect(failure.message).toBe("access denied for root at 127.0.0.1:3306: check the user and password (GAMEOPS_MYSQL_PASSWORD_FILE)");
    expect(failure.options.retryable).toBe(false);
    expect(JSON.stringify({ message: failure.message, stack: failure.stack, cause: String(failure.cause) })).not.toContain("Wr0ng-pa55word");
    expect(JSON.stringify(describeStep(spec("SELECT 1"), wrong))).not.toContain("Wr0ng-pa55word");

    // An unknown user gets MariaDB's other access-denied code: refused all the same, not retried.
    const unknown = await failureOf(execute(spec("SELECT 1"), stepContext(envConfig({ GAMEOPS_MYSQL_URL: "mysql://gameops_nobody:Wr0ng-pa55word@127.0.0.1:3306/test" }))));
    expect(unknown.message).toBe("access denied for gameops_nobody at 127.0.0.1:3306: check the user and password (GAMEOPS_MYSQL_PASSWORD_FILE)");
    expect(unknown.options.retryable).toBe(false);
  });

  it("kills the statement on the server when the step is cancelled", async () => {
    const marker = `gameops_sql_cancel_${unique()}`;
    const context = stepContext(config);
    const running = failureOf(execute(spec(`SELECT SLEEP(60) AS ${marker}`), context));
    const listed = async () => ((await admin.query("SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE ? AND ID <> CONNECTION_ID()", [`%AS ${marker}%`])) as unknown as [{ ID: number }[]])[0];
    for (let i = 0; i < 500 && (await listed()).length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    context.abort();
    const failure = await running;
    expect(failure.message).toBe("the statement was stopped (the step was cancelled); KILL QUERY made sure it no longer runs on mysql://root@127.0.0.1:3306/test");
    expect(failure.options.retryable).toBe(false);
    expect(await listed()).toEqual([]);
  });

  it("refuses a target that is not configured", async () => {
    const other = await failureOf(execute({ ...spec("SELECT 1"), target: "analytics" }, stepContext(config)));
    expect(other.message).toBe('sql target "analytics" is not a configured SQL target; the only one is "mysql"');
    const missing = await failureOf(execute(spec("SELECT 1"), stepContext(envConfig())));
    expect(missing.message).toBe("sql target mysql is not configured: set GAMEOPS_MYSQL_URL or targets.mysql.url");
  });
});

describe("sql step: describe", () => {
  it("marks SELECT, SHOW and EXPLAIN as reading and everything else as changing", () => {
    for (const statement of ["SELECT 1", "  /* who */ select * from t", "-- top\nSHOW PROCESSLIST", "EXPLAIN SELECT 1", "DESCRIBE t", "(SELECT 1) UNION (SELECT 2)"]) {
      expect(isReadOnly(statement), statement).toBe(true);
    }
    for (const statement of ["KILL QUERY 12", "DELETE FROM t", "UPDATE t SET a = 1", "SELECT * FROM t FOR UPDATE", "SELECT 1 INTO OUTFILE '/tmp/x'", "SET GLOBAL x = 1", "OPTIMIZE TABLE t"]) {
      expect(isReadOnly(statement), statement).toBe(false);
    }
  });

  it("shows the statement, its params and the target", () => {
    expect(describeStep(spec("KILL QUERY ?", ["42"]), config)).toEqual({
      summary: "KILL QUERY ? on mysql://root@127.0.0.1:3306/test",
      detail: { statement: "KILL QUERY ?", params: ["42"] },
      target: "mysql://root@127.0.0.1:3306/test",
      destructive: true,
    });
    expect(describeStep(spec("SELECT id,\n       info\n  FROM information_schema.PROCESSLIST"), config)).toMatchObject({
      summary: "SELECT id, info FROM information_schema.PROCESSLIST on mysql://root@127.0.0.1:3306/test",
      destructive: false,
    });
  });
});
