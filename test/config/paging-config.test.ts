import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ConfigError, loadConfig } from "../../src/config/load.js";
import { inlineSecrets, pagingConfig, resolvePagingSecrets } from "../../src/config/paging-schema.js";
import { Secret } from "../../src/config/secret.js";
import { expectedIssues } from "./expected-issues.js";

const dir = join(import.meta.dirname, "paging");
const invalid = join(dir, "invalid");

function issuesOf(file: string): string[] {
  try {
    loadConfig({ cwd: invalid, env: {}, path: file });
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((i) => i.replaceAll(`${invalid}/`, ""));
    throw error;
  }
  throw new Error("expected a ConfigError");
}

const loadValid = () => loadConfig({ cwd: dir, env: {}, path: "valid.yaml" });
/** The section as parsed, before the loader reads the `*File` secrets. */
const parseValid = () => pagingConfig.parse(parse(readFileSync(join(dir, "valid.yaml"), "utf8")).paging);

describe("invalid paging sections", () => {
  // Each fixture states the exact messages it must produce in its `# expect:` lines.
  for (const file of readdirSync(invalid).filter((f) => f.endsWith(".yaml"))) {
    it(file, () => {
      const expected = expectedIssues(invalid, file);
      expect(expected.length).toBeGreaterThan(0);
      expect(issuesOf(file)).toEqual(expected);
    });
  }
});

describe("the paging section", () => {
  it("is empty but valid when absent", () => {
    expect(pagingConfig.parse(undefined)).toEqual({ intake: {}, channels: { webhooks: [] }, routes: [], defaultPolicy: "default", policies: [], schedules: [] });
    expect(loadConfig({ cwd: invalid, env: {} }).config.paging).toEqual({ intake: {}, channels: { webhooks: [] }, routes: [], defaultPolicy: "default", policies: [], schedules: [] });
  });

  it("may name a default policy before any policy exists", () => {
    expect(pagingConfig.safeParse({ defaultPolicy: "game-ops" }).success).toBe(true);
  });

  it("needs the default policy to exist once policies do, even when defaultPolicy is not written", () => {
    const result = pagingConfig.safeParse({ policies: [{ id: "game-ops", levels: [{ after: 0, notify: [{ person: "alice" }] }] }] });
    expect(result.error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`)).toEqual([
      'defaultPolicy: unknown policy "default" (policies: game-ops); set defaultPolicy to the policy for alerts no route matches (it is "default" when not set)',
    ]);
  });

  it("reads the design's example", () => {
    const paging = loadValid().config.paging;
    expect(paging.watchdog).toEqual({ alertname: "Watchdog", within: 300_000, policy: "default" });
    expect(paging.routes[0]).toEqual({ match: { alertname: "ServerDown" }, matchRegex: { severity: "critical|page" }, policy: "game-ops", declare: "P2" });
    expect(paging.policies[0]!.levels.map((l) => l.after)).toEqual([0, 15 * 60_000, 30 * 60_000, 60 * 60_000]);
    expect(paging.policies[0]!.levels[0]!.notify).toEqual([{ schedule: "game-ops", role: "primary" }]);
    // role defaults to primary; a title may be narrowed to a team.
    expect(paging.policies[1]!.levels.map((l) => l.notify)).toEqual([[{ schedule: "game-ops", role: "primary" }, { person: "dave" }], [{ title: "lead", team: "servers" }]]);
    expect(paging.policies[1]).toMatchObject({ repeat: 2, repeatAfter: 15 * 60_000 });
    expect(paging.schedules[0]!.layers[0]!.handoff).toEqual({ day: "mon", time: "10:00" });
    expect(paging.schedules[0]!.layers[1]!.restrict).toEqual({ days: ["mon", "tue", "wed", "thu", "fri"], from: "09:00", to: "18:00" });
    expect(paging.channels.email).toMatchObject({ smtp: "smtp://mail.local:587", from: "gameops@example.com", perMinute: 30 });
  });

  it("accepts 0 and bare numbers of seconds as a level's delay", () => {
    const after = (value: unknown) => pagingConfig.parse({ policies: [{ id: "default", levels: [{ after: value, notify: [{ person: "alice" }] }] }] }).policies[0]!.levels[0]!.after;
    expect(after(0)).toBe(0);
    expect(after("0")).toBe(0);
    expect(after("0s")).toBe(0);
    expect(after(90)).toBe(90_000);
    expect(() => after(-1)).toThrow("is not a duration");
  });

  it("checks regexes only where they are regexes", () => {
    expect(pagingConfig.safeParse({ routes: [{ match: { severity: "critical|(page" } }] }).success).toBe(true);
  });

  it("reads the *File secrets, relative to the config file", () => {
    const { intake, channels } = loadValid().config.paging;
    expect(intake.basic!.password!.reveal()).toBe("basic-from-file");
    expect(channels.webhooks[0]!.secret!.reveal()).toBe("hook-secret-from-file");
    expect(intake.token!.reveal()).toBe("intake-token-in-clear");
  });

  it("never prints a secret, whatever prints the config", () => {
    const { config } = loadValid();
    for (const text of [JSON.stringify(config), inspect(config, { depth: 10 })]) {
      for (const secret of ["intake-token-in-clear", "mail-password-in-clear", "hooks.slack.com", "basic-from-file", "hook-secret-from-file"]) {
        expect(text).not.toContain(secret);
      }
    }
    expect(config.paging.channels.slack!.url!.reveal()).toBe("https://hooks.slack.com/services/T000/B000/XXXX");
  });

  it("warns about each secret written in clear", () => {
    expect(inlineSecrets(parseValid())).toEqual(["paging.intake.token", "paging.channels.slack.url", "paging.channels.email.password"]);
    const warnings = loadValid().warnings;
    for (const field of inlineSecrets(parseValid())) expect(warnings.some((w) => w.startsWith(`${field} is written in the config file in clear`))).toBe(true);
  });

  it("takes the intake token from GAMEOPS_WEBHOOK_TOKEN", () => {
    expect(loadConfig({ cwd: invalid, env: { GAMEOPS_WEBHOOK_TOKEN: "from-env" } }).config.paging.intake.token!.reveal()).toBe("from-env");
  });

  it("replaces each *File with the secret read from it", () => {
    const read: [string, string][] = [];
    const paging = resolvePagingSecrets(parseValid(), (field, path) => {
      read.push([field, path]);
      return new Secret(`read from ${path}`);
    });
    expect(read).toEqual([
      ["paging.intake.basic.passwordFile", "secrets/basic-password"],
      ["paging.channels.webhooks.0.secretFile", "secrets/hook-secret"],
    ]);
    expect(paging.intake.basic).toEqual({ username: "alertmanager", password: expect.any(Secret) });
    expect(paging.channels.webhooks).toEqual([{ name: "ops-bot", url: "https://bot.example.com/gameops", perMinute: 60, secret: expect.any(Secret) }]);
    expect(paging.channels.email).toEqual({ smtp: "smtp://mail.local:587", from: "gameops@example.com", username: "gameops", password: expect.any(Secret), perMinute: 30 });
  });

  it("leaves a secret out when its file cannot be read (the loader has recorded the problem)", () => {
    expect(resolvePagingSecrets(pagingConfig.parse({ intake: { tokenFile: "missing" } }), () => undefined).intake).toEqual({});
  });
});

describe("gameops init's paging example", () => {
  it("parses once uncommented, as the comment says", async () => {
    const { exampleConfig } = await import("../../src/cli/commands/init.js");
    const block = exampleConfig.slice(exampleConfig.indexOf("# paging:"));
    const uncommented = block
      .split("\n")
      .filter((line) => line.startsWith("# "))
      .map((line) => line.slice(2))
      .join("\n");
    const parsed = pagingConfig.safeParse(parse(uncommented).paging);
    expect(parsed.error?.issues ?? []).toEqual([]);
    expect(parsed.data?.policies[0]?.levels.map((l) => l.after)).toEqual([0, 15 * 60_000, 30 * 60_000, 60 * 60_000]);
  });
});
