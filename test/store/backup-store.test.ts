import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Store } from "../../src/store/store.js";
import { createTestStores, dialects, type TestStores } from "./test-stores.js";

const t0 = new Date("2026-03-01T00:00:00.000Z");
const storage = { kind: "local", location: "/var/backups/gameops" };

describe.each(dialects)("backup sets on %s", (dialect) => {
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

  it("a set is good only once verified; a set left running (a killed backup) never is", async () => {
    await store.backups.start({ id: "b1", components: ["mysql", "redis"], storage, startedBy: "alice" });
    await store.backups.start({ id: "b2", components: ["mysql"], storage, startedBy: "alice" });
    clock = new Date(t0.getTime() + 60_000);
    const written = await store.backups.finish("b1", { status: "written", size: 1234, manifest: { id: "b1", components: [] } });
    expect(written).toMatchObject({ status: "written", size: 1234, finishedAt: clock.toISOString() });
    expect(await store.backups.finish("b1", { status: "failed", size: 0, error: "late" })).toBeUndefined();
    expect(await store.backups.recordVerification("b2", { ok: true })).toBeUndefined();
    const verified = await store.backups.recordVerification("b1", { ok: true, manifest: { id: "b1", fingerprint: { tables: [] } } });
    expect(verified).toMatchObject({ status: "verified", verifiedAt: clock.toISOString(), manifest: { fingerprint: { tables: [] } } });
    expect((await store.backups.list({ limit: 10, status: ["verified"] })).map((s) => s.id)).toEqual(["b1"]);
    expect((await store.backups.list({ limit: 10 })).map((s) => [s.id, s.status])).toEqual([
      ["b2", "running"],
      ["b1", "verified"],
    ]);
    const failed = await store.backups.recordVerification("b1", { ok: false, error: "mysql/dump.sql.zst: sha256 differs" });
    expect(failed).toMatchObject({ status: "failed", error: "mysql/dump.sql.zst: sha256 differs" });
    expect(await store.backups.remove("b2")).toBe(true);
    await expect(store.backups.start({ id: "b3", components: [], storage, startedBy: "a" })).rejects.toThrow("at least one component");
  });
});
