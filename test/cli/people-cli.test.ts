import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./run-cli.js";

describe("people, teams and tokens on the local data dir", () => {
  const dir = mkdtempSync(join(tmpdir(), "gameops-people-"));
  const cli = (...args: string[]) => runCli(args, {}, dir);

  it("adds a team and a person, lists them as a table and as JSON", async () => {
    expect(await cli("team", "add", "live-ops", "--name", "Live Ops")).toMatchObject({ code: 0, stdout: "team live-ops saved\n" });
    const added = await cli("people", "add", "mina", "--name", "Mina Park", "--email", "mina@example.com", "--chat", "@mina", "--time-zone", "Asia/Seoul", "--team", "live-ops", "--title", "lead", "director");
    expect(added).toMatchObject({ code: 0, stdout: "person mina saved\n" });
    const table = await cli("people");
    expect(table.stdout).toMatch(/^ID\s+NAME\s+TEAM\s+TITLES\s+EMAIL\s+CHAT\s+TIME ZONE\n/);
    expect(table.stdout).toMatch(/mina\s+Mina Park\s+live-ops\s+lead,director\s+mina@example\.com\s+@mina\s+Asia\/Seoul/);
    expect(JSON.parse((await cli("people", "list", "--json")).stdout)).toEqual([
      { id: "mina", name: "Mina Park", email: "mina@example.com", chatHandle: "@mina", timeZone: "Asia/Seoul", teamId: "live-ops", titles: ["lead", "director"] },
    ]);
  });

  it("creates a token shown once, lists it without its value, and revokes it", async () => {
    const created = await cli("token", "create", "--person", "mina", "--role", "operator", "--label", "laptop", "--json");
    expect(created.code).toBe(0);
    const { token, record } = JSON.parse(created.stdout);
    expect(token).toMatch(/^gmo_/);
    const listed = await cli("token", "list", "--json");
    expect(listed.stdout).not.toContain(token);
    expect(JSON.parse(listed.stdout)).toContainEqual(expect.objectContaining({ id: record.id, personId: "mina", role: "operator", label: "laptop" }));
    expect(await cli("token", "revoke", record.id)).toMatchObject({ code: 0, stdout: `token ${record.id} revoked\n` });
    expect(await cli("token", "revoke", record.id)).toMatchObject({ code: 1, stderr: `gameops: no active token ${record.id}\n` });
  });

  it("refuses bad input with the field and the fix", async () => {
    expect(await cli("people", "add", "Mina Park", "--name", "Mina")).toMatchObject({
      code: 2,
      stderr: `gameops: person id "Mina Park" must be lower-case letters, digits, '.', '_' or '-', like mina or sre-team\n`,
    });
    expect(await cli("people", "add", "rin", "--name", "Rin", "--time-zone", "Seoul")).toMatchObject({
      code: 2,
      stderr: 'gameops: --time-zone "Seoul" is not an IANA time zone like Asia/Seoul\n',
    });
    expect(await cli("people", "add", "rin", "--name", "Rin", "--email", "rin-at-example")).toMatchObject({
      code: 2,
      stderr: 'gameops: --email "rin-at-example" is not an e-mail address\n',
    });
    expect(await cli("people", "add", "rin", "--name", "Rin", "--team", "nobody")).toMatchObject({
      code: 2,
      stderr: 'gameops: --team "nobody" does not exist; add it with `gameops team add nobody --name …`\n',
    });
    expect(await cli("token", "create", "--person", "ghost", "--role", "viewer")).toMatchObject({
      code: 2,
      stderr: 'gameops: no person "ghost"; add them first with `gameops people add ghost --name …`\n',
    });
    const badRole = await cli("token", "create", "--person", "mina", "--role", "root");
    expect(badRole.code).toBe(2);
    expect(badRole.stderr).toContain("error: option '--role <role>' argument 'root' is invalid. Allowed choices are viewer, responder, operator, admin.");
    expect(await cli("runs", "--limit", "lots")).toMatchObject({ code: 2, stderr: 'gameops: --limit must be a whole number from 1 to 1000, not "lots"\n' });
    expect(await cli("runs", "show", "no-such-run")).toMatchObject({ code: 1, stderr: "gameops: no run with id no-such-run; `gameops runs` lists them\n" });
  });
});
