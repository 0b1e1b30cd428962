import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config/load.js";

const invalid = join(import.meta.dirname, "invalid");

function issuesOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((i) => i.replaceAll(`${invalid}/`, ""));
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("invalid config files", () => {
  // Each fixture states the exact messages it must produce in its `# expect:` lines.
  for (const file of readdirSync(invalid).filter((f) => f.endsWith(".yaml"))) {
    it(file, () => {
      const expected = readFileSync(join(invalid, file), "utf8")
        .split("\n")
        .filter((l) => l.startsWith("# expect: "))
        .map((l) => l.slice("# expect: ".length));
      expect(expected.length).toBeGreaterThan(0);
      expect(issuesOf(() => loadConfig({ cwd: invalid, env: {}, path: file }))).toEqual(expected);
    });
  }
});

describe("environment variables", () => {
  it("make a complete config with no file", () => {
    const cwd = mkdtempSync(join(tmpdir(), "gameops-config-"));
    const { config, warnings } = loadConfig({
      cwd,
      env: {
        GAMEOPS_MYSQL_URL: "mysql://monitor:s3cret%21@db.internal:3307/game",
        GAMEOPS_REDIS_URL: "redis://:redispw@cache:6380/2",
        GAMEOPS_ALERTMANAGER_URL: "http://am:9093",
        GAMEOPS_LOG_FILES: "/var/log/game/*.log, /var/log/lobby/*.log",
        GAMEOPS_DISK_PATHS: "/,/data",
        GAMEOPS_KUBECONFIG: "/etc/kube/config",
        GAMEOPS_K8S_NAMESPACE: "game-production",
        GAMEOPS_DATA: "state",
      },
    });
    expect(warnings).toEqual([]);
    expect(config.source).toBeUndefined();
    expect(config.dataDir).toBe(join(cwd, "state"));
    expect(config.targets.mysql).toMatchObject({ host: "db.internal", port: 3307, user: "monitor", database: "game", label: "mysql://monitor@db.internal:3307/game" });
    expect(config.targets.mysql!.password!.reveal()).toBe("s3cret!");
    expect(config.targets.redis).toMatchObject({ host: "cache", port: 6380, db: 2, label: "redis://cache:6380/2" });
    expect(config.targets.redis!.password!.reveal()).toBe("redispw");
    expect(config.targets.logs).toEqual([{ name: "env", files: ["/var/log/game/*.log", "/var/log/lobby/*.log"] }]);
    expect(config.targets.disks).toEqual(["/", "/data"]);
    expect(config.targets.kubernetes).toMatchObject({ kubeconfig: "/etc/kube/config", namespace: "game-production" });
  });

  it("never print a secret, whatever prints the config", () => {
    const { config } = loadConfig({ cwd: tmpdir(), env: { GAMEOPS_MYSQL_URL: "mysql://root:hunter2@127.0.0.1/test", GAMEOPS_STORE_URL: "postgres://u:pgpass@h/db" } });
    for (const text of [JSON.stringify(config), inspect(config, { depth: 10 }), String(config.targets.mysql!.password)]) {
      expect(text).not.toContain("hunter2");
      expect(text).not.toContain("pgpass");
    }
    expect(JSON.stringify(config)).toContain("<secret>");
  });

  it("read passwords from *_FILE variables", () => {
    const dir = mkdtempSync(join(tmpdir(), "gameops-secret-"));
    writeFileSync(join(dir, "mysql-password"), "from-file\n");
    const { config } = loadConfig({
      cwd: dir,
      env: { GAMEOPS_MYSQL_URL: "mysql://root@127.0.0.1:3306/test", GAMEOPS_MYSQL_PASSWORD_FILE: join(dir, "mysql-password") },
    });
    expect(config.targets.mysql!.password!.reveal()).toBe("from-file");
  });

  it("name the variable and the fix when its value is bad, without echoing it", () => {
    expect(issuesOf(() => loadConfig({ cwd: tmpdir(), env: { GAMEOPS_MYSQL_URL: "root:pw@localhost" } }))).toEqual([
      "GAMEOPS_MYSQL_URL (targets.mysql.url): must be a URL like mysql://user@127.0.0.1:3306/game",
    ]);
    expect(issuesOf(() => loadConfig({ cwd: tmpdir(), env: { GAMEOPS_REDIS_PASSWORD_FILE: "/nonexistent/pw", GAMEOPS_REDIS_URL: "redis://h" } }))).toEqual([
      "GAMEOPS_REDIS_PASSWORD_FILE: cannot read /nonexistent/pw (ENOENT); point it at a readable file",
    ]);
  });

  it("warn about unknown GAMEOPS_ variables with a suggestion", () => {
    const { warnings } = loadConfig({ cwd: tmpdir(), env: { GAMEOPS_REDIS_ULR: "redis://x", GAMEOPS_WHATEVER: "1" } });
    expect(warnings).toEqual([
      "unknown environment variable GAMEOPS_REDIS_ULR is ignored — did you mean GAMEOPS_REDIS_URL?",
      "unknown environment variable GAMEOPS_WHATEVER is ignored",
    ]);
  });

  it("override the file", () => {
    const dir = mkdtempSync(join(tmpdir(), "gameops-override-"));
    writeFileSync(join(dir, "gameops.yaml"), "targets:\n  redis:\n    url: redis://file-host:6379\nteam:\n  timeZone: Asia/Seoul\n");
    const { config } = loadConfig({ cwd: dir, env: { GAMEOPS_REDIS_URL: "redis://env-host:6379" } });
    expect(config.source).toBe(join(dir, "gameops.yaml"));
    expect(config.targets.redis!.host).toBe("env-host");
    expect(config.team.timeZone).toBe("Asia/Seoul");
  });

  it("warn when a password sits in the file in clear", () => {
    const dir = mkdtempSync(join(tmpdir(), "gameops-clear-"));
    writeFileSync(join(dir, "gameops.yaml"), "targets:\n  mysql:\n    url: mysql://root@127.0.0.1/test\n    password: plain\n");
    const { warnings } = loadConfig({ cwd: dir, env: {} });
    expect(warnings).toEqual(["targets.mysql.password is written in the config file in clear; use passwordFile or GAMEOPS_MYSQL_PASSWORD_FILE"]);
  });

  it("fail on an unreadable passwordFile, naming the field", () => {
    const dir = mkdtempSync(join(tmpdir(), "gameops-pwfile-"));
    writeFileSync(join(dir, "gameops.yaml"), "targets:\n  mysql:\n    url: mysql://root@127.0.0.1/test\n    passwordFile: missing.txt\n");
    expect(issuesOf(() => loadConfig({ cwd: dir, env: {} }))).toEqual([
      `${join(dir, "gameops.yaml")}:4:19 targets.mysql.passwordFile: cannot read missing.txt (ENOENT); point it at a readable file`,
    ]);
  });

  it("fail when GAMEOPS_CONFIG names a missing file", () => {
    expect(issuesOf(() => loadConfig({ cwd: tmpdir(), env: { GAMEOPS_CONFIG: "nope.yaml" } }))).toEqual([
      "nope.yaml: no such file; run `gameops init` to write an example",
    ]);
  });
});
