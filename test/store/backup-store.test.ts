import { describe, expect, it } from "vitest";
import { dialects, storeForEachTest } from "./test-stores.js";

const t0 = new Date("2026-03-01T00:00:00.000Z");
const storage = { kind: "local", location: "/var/backups/gameops" };

describe.each(dialects)("backup sets on %s", (dialect) => {
  const ctx = storeForEachTest(dialect, t0);

  it("a set is good only once verified; a set left running (a killed backup) never is", async () => {
    await ctx.store.backups.start({ id: "b1", components: ["mysql", "redis"], storage, startedBy: "alice" });
    await ctx.store.backups.start({ id: "b2", components: ["mysql"], storage, startedBy: "alice" });
    ctx.clock = new Date(t0.getTime() + 60_000);
    const written = await ctx.store.backups.finish("b1", { status: "written", size: 1234, manifest: { id: "b1", components: [] } });
    expect(written).toMatchObject({ status: "written", size: 1234, finishedAt: ctx.clock.toISOString() });
    expect(await ctx.store.backups.finish("b1", { status: "failed", size: 0, error: "late" })).toBeUndefined();
    expect(await ctx.store.backups.recordVerification("b2", { ok: true })).toBeUndefined();
    const verified = await ctx.store.backups.recordVerification("b1", { ok: true, manifest: { id: "b1", fingerprint: { tables: [] } } });
    expect(verified).toMatchObject({ status: "verified", verifiedAt: ctx.clock.toISOString(), manifest: { fingerprint: { tables: [] } } });
    expect((await ctx.store.backups.list({ limit: 10, status: ["verified"] })).map((s) => s.id)).toEqual(["b1"]);
    expect((await ctx.store.backups.list({ limit: 10 })).map((s) => [s.id, s.status])).toEqual([
      ["b2", "running"],
      ["b1", "verified"],
    ]);
    const failed = await ctx.store.backups.recordVerification("b1", { ok: false, error: "mysql/dump.sql.zst: sha256 differs" });
    expect(failed).toMatchObject({ status: "failed", error: "mysql/dump.sql.zst: sha256 differs" });
    expect(await ctx.store.backups.remove("b2")).toBe(true);
    await expect(ctx.store.backups.start({ id: "b3", components: [], storage, startedBy: "a" })).rejects.toThrow("at least one component");
  });
});
