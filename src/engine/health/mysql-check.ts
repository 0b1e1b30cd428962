import { judgeMysql, mysqlBaseline } from "../../domain/checks/mysql.js";
import type { Verdict } from "../../domain/checks/verdict.js";
import { connectMysql, MysqlError } from "../../integrations/mysql/connection.js";
import { readServerStatus } from "../../integrations/mysql/server-status.js";
import { CheckFailure, type CheckContext } from "./check.js";

export async function run(context: CheckContext): Promise<Verdict> {
  const target = context.config.targets.mysql!;
  try {
    const session = await connectMysql(target, { timeoutMs: context.timeoutMs, signal: context.signal });
    try {
      const facts = await readServerStatus(session);
      const verdict = judgeMysql(facts, context.config.thresholds.mysql, mysqlBaseline(context.previous?.details));
      return { ...verdict, details: { target: target.label, ...verdict.details } };
    } finally {
      await session.close();
    }
  } catch (error) {
    if (error instanceof MysqlError) throw new CheckFailure("critical", error.message, { target: target.label, code: error.code ?? null }, { cause: error });
    throw error;
  }
}
