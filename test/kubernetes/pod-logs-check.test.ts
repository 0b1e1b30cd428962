/** The `logs` check reading game-server pod logs through the Kubernetes API (the emulator). */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { runChecks } from "../../src/engine/health/run-checks.js";
import { pod, startKubernetesEmulator, type KubernetesEmulator } from "../k8s-emulator/index.js";

const hour = 3_600_000;
let emulator: KubernetesEmulator;

beforeAll(async () => {
  const now = Date.now();
  emulator = await startKubernetesEmulator({
    objects: [
      pod("game-0", { namespace: "game", labels: { app: "game-server" } }),
      pod("game-1", { namespace: "game", labels: { app: "game-server" } }),
      pod("lobby-0", { namespace: "game", labels: { app: "lobby" } }),
    ],
    logs: [
      {
        namespace: "game",
        pod: "game-0",
        lines: [
          { time: new Date(now - 30 * hour), text: "ERROR yesterday's error, outside the window" },
          { time: new Date(now - 2 * hour), text: "ERROR match 41 desync at tick 99812" },
          { time: new Date(now - hour), text: "INFO match 42 started" },
        ],
      },
      { namespace: "game", pod: "game-1", lines: [{ time: new Date(now - hour), text: "ERROR match 7 desync at tick 12" }] },
      { namespace: "game", pod: "lobby-0", lines: [{ time: new Date(now - hour), text: "ERROR the lobby is not ours to count" }] },
    ],
  });
});

afterAll(async () => {
  await emulator.close();
});

function configWith(yaml: string) {
  const dir = mkdtempSync(join(tmpdir(), "gameops-podlogs-"));
  const path = join(dir, "gameops.yaml");
  writeFileSync(path, yaml);
  return loadConfig({ cwd: dir, env: { GAMEOPS_KUBECONFIG: emulator.kubeconfigPath, GAMEOPS_K8S_NAMESPACE: "game" } }).config;
}

describe("logs check over pod logs", () => {
  it("counts ERROR lines of the selected pods within 24 h, dated by the API", async () => {
    const config = configWith("targets:\n  logs:\n    - name: game-server\n      kubernetes: { labelSelector: app=game-server }\n");
    const [result] = (await runChecks(config, { only: ["logs"] })).checks;
    expect(result!.summary).toBe("2 ERROR lines in the last 24 h (game-server 2)");
    expect(result!.status).toBe("warning");
    const [source] = result!.details.sources as { streams: number; undatedLines: number; top: { message: string; count: number }[] }[];
    expect(source).toMatchObject({ streams: 2, undatedLines: 0, top: [{ message: "ERROR match <n> desync at tick <n>", count: 2 }] });
  });

  it("warns when the selector matches no pod", async () => {
    const config = configWith("targets:\n  logs:\n    - name: typo\n      kubernetes: { labelSelector: app=game-srever }\n");
    const [result] = (await runChecks(config, { only: ["logs"] })).checks;
    expect(result!.status).toBe("warning");
    expect(result!.summary).toBe("no ERROR lines in the last 24 h; typo: no pod matches app=game-srever in game");
  });
});
