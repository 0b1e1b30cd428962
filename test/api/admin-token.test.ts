import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AdminTokenError, ensureAdminToken } from "../../src/api/admin-token.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/store.js";

describe("ensureAdminToken", () => {
  let dir: string;
  let store: Store;
  const chosen = "automation-admin-token-0123456789abcdef";

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "gameops-admin-"));
    store = await openStore({ dataDir: dir });
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("creates an admin token on the first start only, and returns it once to print", async () => {
    const token = await ensureAdminToken(store, {});
    expect(token).toMatch(/^gmo_/);
    expect(await store.tokens.verify(token!)).toMatchObject({ role: "admin", label: "bootstrap admin (printed at first start)" });
    expect((await store.tokens.verify(token!))?.personId).toBeUndefined();
    expect(await ensureAdminToken(store, {})).toBeUndefined();
    expect(await store.tokens.list()).toHaveLength(1);
    const audit = await store.audit.list({ limit: 10 });
    expect(audit).toMatchObject([{ actor: "system", action: "token.create", details: { role: "admin", bootstrap: true } }]);
    expect(JSON.stringify(audit)).not.toContain(token!);
  });

  it("uses GAMEOPS_ADMIN_TOKEN instead, prints nothing, and revokes the bootstrap token it replaces", async () => {
    const printed = (await ensureAdminToken(store, {}))!;
    expect(await ensureAdminToken(store, { GAMEOPS_ADMIN_TOKEN: chosen })).toBeUndefined();
    expect(await store.tokens.verify(chosen)).toMatchObject({ role: "admin", label: "bootstrap admin (GAMEOPS_ADMIN_TOKEN)" });
    expect(await store.tokens.verify(printed)).toBeUndefined();

    expect(await ensureAdminToken(store, { GAMEOPS_ADMIN_TOKEN: chosen })).toBeUndefined();
    expect((await store.tokens.list()).filter((t) => !t.revokedAt)).toHaveLength(1);
    expect((await store.audit.list({ limit: 10 })).map((r) => r.action).sort()).toEqual(["token.create", "token.create", "token.revoke"]);
  });

  it("reads GAMEOPS_ADMIN_TOKEN_FILE", async () => {
    const file = join(dir, "admin-token");
    writeFileSync(file, `${chosen}\n`);
    expect(await ensureAdminToken(store, { GAMEOPS_ADMIN_TOKEN_FILE: file })).toBeUndefined();
    expect(await store.tokens.verify(chosen)).toMatchObject({ role: "admin" });
  });

  it("refuses a guessable GAMEOPS_ADMIN_TOKEN without echoing it", async () => {
    const attempt = ensureAdminToken(store, { GAMEOPS_ADMIN_TOKEN: "hunter2" });
    await expect(attempt).rejects.toThrow(
      new AdminTokenError("GAMEOPS_ADMIN_TOKEN must be at least 24 characters without spaces; generate one with `openssl rand -hex 32`"),
    );
    expect(await store.tokens.list()).toEqual([]);
  });

  it("refuses a GAMEOPS_ADMIN_TOKEN that is already a person's token", async () => {
    await store.people.upsertPerson({ id: "rin", name: "Rin", titles: [] });
    await store.tokens.create({ personId: "rin", role: "viewer", label: "laptop", plain: chosen });
    await expect(ensureAdminToken(store, { GAMEOPS_ADMIN_TOKEN: chosen })).rejects.toThrow(
      "GAMEOPS_ADMIN_TOKEN is already a person's token; choose a new value for the admin token",
    );
  });
});
