/** targets.fleet in gameops.yaml and GAMEOPS_FLEET_URL / GAMEOPS_FLEET_TOKEN. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config/load.js";
import { tempDir } from "./support.js";

function withFile(yaml: string): string {
  const dir = tempDir("fleet-config");
  writeFileSync(join(dir, "gameops.yaml"), yaml);
  return dir;
}

function issuesOf(work: () => unknown): string[] {
  try {
    work();
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error("no ConfigError");
}

describe("the fleet target", () => {
  it("comes from GAMEOPS_FLEET_URL and GAMEOPS_FLEET_TOKEN alone, the token a secret", () => {
    const { config } = loadConfig({ cwd: tempDir("fleet-env"), env: { GAMEOPS_FLEET_URL: "http://127.0.0.1:7080", GAMEOPS_FLEET_TOKEN: "s3cret-token" } });
    expect(config.targets.fleet).toMatchObject({ kind: "local", url: "http://127.0.0.1:7080" });
    expect(JSON.stringify(config.targets.fleet)).toBe('{"kind":"local","url":"http://127.0.0.1:7080","token":"<secret>"}');
  });

  it("reads a kubernetes fleet from the file, with its defaults and the token from tokenFile", () => {
    const dir = withFile("targets:\n  fleet:\n    kind: kubernetes\n    namespace: game-production\n    tokenFile: fleet-token\n");
    writeFileSync(join(dir, "fleet-token"), "from-the-file\n");
    const { config } = loadConfig({ cwd: dir, env: {} });
    const fleet = config.targets.fleet as Extract<NonNullable<typeof config.targets.fleet>, { kind: "kubernetes" }>;
    expect(fleet).toMatchObject({ kind: "kubernetes", namespace: "game-production", deployment: "game-server", configMap: "game-server-config", service: "game-server", adminPort: 8080 });
    expect(fleet.token?.reveal()).toBe("from-the-file");
    expect(fleet).not.toHaveProperty("tokenFile");
  });

  it("says what is wrong, where", () => {
    expect(issuesOf(() => loadConfig({ cwd: withFile("targets:\n  fleet:\n    kind: docker\n"), env: {} }))).toEqual([
      expect.stringMatching(/gameops\.yaml:3:11 targets\.fleet\.kind: kind must be "local" \(the demo fleet\) or "kubernetes"$/),
    ]);
    expect(issuesOf(() => loadConfig({ cwd: tempDir("fleet-env"), env: { GAMEOPS_FLEET_URL: "127.0.0.1:7080" } }))).toEqual([
      "GAMEOPS_FLEET_URL (targets.fleet.url): must be a URL like http://127.0.0.1:7080",
    ]);
    expect(issuesOf(() => loadConfig({ cwd: withFile("targets:\n  fleet:\n    kind: local\n    url: http://127.0.0.1:7080\n    tokenFile: missing-token\n"), env: {} }))).toEqual([
      expect.stringMatching(/gameops\.yaml:5:16 targets\.fleet\.tokenFile: cannot read missing-token \(ENOENT\); point it at a readable file$/),
    ]);
  });
});
