import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alertmanagerPayload, intakeToken, startPagingServer, type PagingServer } from "../paging/paging-server.js";

describe("operations checklists through the API", () => {
  let server: PagingServer;

  beforeAll(async () => {
    server = await startPagingServer({});
  });
  afterAll(async () => {
    await server?.close();
  });

  const daily = async (query = "") => (await server.request("GET", `/api/checklists/daily${query}`)).json;
  const item = (view: { items: { id: string }[] }, id: string) => view.items.find((i) => i.id === id) as any;

  it("ticks what automation can prove, with the evidence, and leaves the rest to people", async () => {
    let view = await daily();
    expect(view.items.map((i: { id: string }) => i.id)).toEqual(["server-status", "error-logs", "performance-metrics", "backup-status", "alerts-review"]);
    expect(item(view, "server-status").signoff).toBeUndefined();
    // Nothing firing: the alerts review proves itself.
    expect(item(view, "alerts-review").signoff).toMatchObject({ doneBy: "automation", evidence: { firingGroups: 0 } });

    await server.store.checkRuns.record({ id: "run-today", startedAt: new Date().toISOString(), durationMs: 300, status: "warning", trigger: "schedule", checks: [] });
    view = await daily();
    expect(item(view, "server-status").signoff).toMatchObject({ doneBy: "automation", evidence: { checkRun: "run-today", status: "warning" } });
    expect(item(view, "backup-status").signoff).toBeUndefined();

    const signed = await server.request("POST", "/api/checklists/daily/items/backup-status", { note: "checked by hand until backups land" });
    expect(signed.json).toMatchObject({ itemId: "backup-status", doneBy: "admin", note: "checked by hand until backups land" });
    expect((await daily()).done).toBe(5);
  });

  it("a backup set deep-verified in the period ticks the restore test; a re-hash alone does not", async () => {
    const storage = { kind: "local", location: "/var/backups" };
    const verify = async (id: string, manifest: Record<string, unknown>) => {
      await server.store.backups.start({ id, components: ["mysql"], storage, startedBy: "test" });
      await server.store.backups.finish(id, { status: "written", size: 10, manifest });
      await server.store.backups.recordVerification(id, { ok: true, manifest });
    };
    const restoreTest = async () => item((await server.request("GET", "/api/checklists/weekly")).json, "backup-restore-test");
    await verify("20261126T030000Z-aaaa", { id: "20261126T030000Z-aaaa" });
    expect((await restoreTest()).signoff).toBeUndefined();
    await verify("20261126T040000Z-bbbb", { id: "20261126T040000Z-bbbb", fingerprint: { tables: [] } });
    expect((await restoreTest()).signoff).toMatchObject({ doneBy: "automation", evidence: { backupSet: "20261126T040000Z-bbbb", deep: true } });
  });

  it("a firing alert nobody acknowledged keeps the alerts review open", async () => {
    await server.request("POST", "/webhooks/alertmanager", alertmanagerPayload("ServerDown", [{ fingerprint: "x" }]), intakeToken);
    const weekAgo = new Date(Date.now() - 8 * 86_400_000).toISOString().slice(0, 10);
    const past = await daily(`?period=${weekAgo}`);
    expect(item(past, "alerts-review").signoff).toBeUndefined();
    expect(item(past, "docs-update")).toBeUndefined();
    expect(item(past, "error-logs").overdue).toBe(true);
  });

  it("keeps the history and refuses what does not exist", async () => {
    const history = (await server.request("GET", "/api/checklists/weekly/history?periods=3")).json.history;
    expect(history).toHaveLength(3);
    expect(history[0].period.key).toMatch(/^\d{4}-W\d{2}$/);
    expect((await server.request("POST", "/api/checklists/daily/items/coffee")).json.message).toBe(
      'item: the daily checklist has no item "coffee"; its items are server-status, error-logs, performance-metrics, backup-status, alerts-review',
    );
    expect((await server.request("GET", "/api/checklists/yearly")).json.message).toBe('cadence: no "yearly" checklist; use daily, weekly, monthly');
    expect((await server.request("GET", "/api/checklists/weekly?period=2026-13")).json.message).toMatch(/^period: "2026-13" is not a weekly period; write it like 2026-W48/);
    expect((await server.request("POST", "/api/checklists/monthly/items/dr-drill", { period: "2999-01" })).json.message).toBe("period: 2999-01 has not begun; sign off the current or a past period");
  });
});
