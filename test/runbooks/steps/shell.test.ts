import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { describe as describeStep, execute } from "../../../src/engine/runbooks/steps/shell.js";
import { envConfig, failureOf, stepContext, stepTimeout } from "./support.js";

const config = envConfig();
const dir = mkdtempSync(join(tmpdir(), "gameops-shell-step-"));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Running, and not a zombie waiting to be reaped. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 250 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
  return !alive(pid);
}

describe("shell step: argv", () => {
  it("passes a param holding shell syntax as one argument: nothing is run by a shell", async () => {
    const marker = join(dir, "injected");
    const param = `x; rm -rf /tmp/x $(touch ${marker}) \`touch ${marker}\``;
    const context = stepContext(config);
    const result = await execute(["printf", "[%s]\\n", param, "second"], context);
    expect(result.exitCode).toBe(0);
    expect(result.outputs.stdout).toBe(`[${param}]\n[second]\n`);
    expect(existsSync(marker)).toBe(false);
    expect(context.lines).toEqual([`[${param}]`, "[second]"]);
  });

  it("gives a script its params as GAMEOPS_PARAM_* variables, never as script text", async () => {
    const marker = join(dir, "script-injected");
    const result = await execute(
      { script: 'printf "%s\\n" "$GAMEOPS_PARAM_REGION"', shell: true, env: { GAMEOPS_PARAM_REGION: `eu-1; touch ${marker}` } },
      stepContext(config),
    );
    expect(result.outputs.stdout).toBe(`eu-1; touch ${marker}\n`);
    expect(existsSync(marker)).toBe(false);
  });

  it("starts from a minimal environment plus the step's env, never gameops' own variables", async () => {
    process.env.GAMEOPS_ADMIN_TOKEN = "do-not-leak-this-token-0123456789";
    try {
      const result = await execute({ argv: ["env"], env: { MATCH_ID: "42" } }, stepContext(config));
      const names = String(result.outputs.stdout)
        .trim()
        .split("\n")
        .map((line) => line.split("=")[0]);
      expect(names).toContain("PATH");
      expect(names).toContain("MATCH_ID");
      expect(String(result.outputs.stdout)).not.toContain("do-not-leak");
      expect(names.filter((n) => n!.startsWith("GAMEOPS_"))).toEqual([]);
    } finally {
      delete process.env.GAMEOPS_ADMIN_TOKEN;
    }
  });

  it("points kubectl at the configured cluster with KUBECONFIG", async () => {
    const kubeconfig = join(dir, "kubeconfig");
    const result = await execute(["sh", "-c", 'echo "$KUBECONFIG"'], stepContext(envConfig({ GAMEOPS_KUBECONFIG: kubeconfig, GAMEOPS_K8S_NAMESPACE: "game" })));
    expect(result.outputs.stdout).toBe(`${kubeconfig}\n`);
  });

  it("runs in the step's cwd and says when it does not exist", async () => {
    const result = await execute({ argv: ["pwd"], cwd: dir }, stepContext(config));
    expect(result.outputs.stdout).toBe(`${realpathSync(dir)}\n`);
    const missing = await failureOf(execute({ argv: ["pwd"], cwd: join(dir, "nope") }, stepContext(config)));
    expect(missing.message).toBe(`working directory ${join(dir, "nope")} does not exist`);
    expect(missing.options.retryable).toBe(false);
  });

  it("parses stdout that is JSON into outputs.json", async () => {
    const result = await execute(["printf", '{"sessions": 3, "servers": ["a", "b"]}'], stepContext(config));
    expect(result.outputs.json).toEqual({ sessions: 3, servers: ["a", "b"] });
    expect((await execute(["echo", "{not json"], stepContext(config))).outputs.json).toBeUndefined();
  });
});

describe("shell step: failures", () => {
  it("fails on a non-zero exit with the exit code and the last lines", async () => {
    const failure = await failureOf(execute(["sh", "-c", "echo working; for i in 1 2 3 4 5 6; do echo problem $i >&2; done; exit 3"], stepContext(config)));
    expect(failure.message).toBe("sh exited with code 3; last lines:\nproblem 2\nproblem 3\nproblem 4\nproblem 5\nproblem 6");
    expect(failure.options).toMatchObject({ exitCode: 3, retryable: false, outputs: { exitCode: 3, stdout: "working\n" } });
  });

  it("quotes stdout when stderr is empty, and nothing when there is no output", async () => {
    expect((await failureOf(execute(["sh", "-c", "echo only-stdout; exit 1"], stepContext(config)))).message).toBe("sh exited with code 1; last lines:\nonly-stdout");
    expect((await failureOf(execute(["false"], stepContext(config)))).message).toBe("false exited with code 1");
  });

  it("names a program that is not there", async () => {
    const failure = await failureOf(execute(["gameops-no-such-program"], stepContext(config)));
    expect(failure.message).toBe("cannot run gameops-no-such-program: not found on PATH");
    expect(failure.options.retryable).toBe(false);
  });

  it("kills the whole process group at the step's timeout, children included", async () => {
    let child = 0;
    const context = stepContext(config, {
      onLog: (line, ctx) => {
        child = Number(line);
        ctx.abort(stepTimeout());
      },
    });
    const failure = await failureOf(execute(["sh", "-c", "sleep 300 & echo $!; wait"], context));
    expect(failure.message).toBe("sh stopped: the step timed out; its process group was killed");
    expect(failure.options).toMatchObject({ retryable: true, exitCode: 143 });
    expect(child).toBeGreaterThan(0);
    expect(await gone(child)).toBe(true);
  });

  it("kills with SIGKILL what ignores SIGTERM, and a cancel is not retryable", async () => {
    const context = stepContext(config, { onLog: (_line, ctx) => ctx.abort() });
    // An ignored signal stays ignored across exec: sleep ignores SIGTERM too.
    const failure = await failureOf(execute({ script: "trap '' TERM; echo ready; sleep 300", shell: true }, context));
    expect(failure.message).toBe("script stopped: the step was cancelled; its process group was killed");
    expect(failure.options).toMatchObject({ retryable: false, exitCode: 137 });
  });

  it("ends what the command left running in its group when it exits", async () => {
    const result = await execute(["sh", "-c", "sleep 300 & echo $!"], stepContext(config));
    expect(await gone(Number(result.outputs.stdout))).toBe(true);
  });
});

describe("shell step: output", () => {
  it("keeps the last 64 KiB of each stream and streams every line to the log", async () => {
    const context = stepContext(config);
    const result = await execute(["sh", "-c", "i=0; while [ $i -lt 8000 ]; do echo line-$i-padding-padding; i=$((i+1)); done; echo END >&2"], context);
    const stdout = String(result.outputs.stdout);
    expect(Buffer.byteLength(stdout)).toBeLessThanOrEqual(65_536);
    expect(stdout.endsWith("line-7999-padding-padding\n")).toBe(true);
    expect(stdout.startsWith("line-")).toBe(false); // cut inside the first kept line
    expect(result.outputs).toMatchObject({ truncated: true, stderr: "END\n" });
    expect(context.lines).toHaveLength(8001);
    expect(context.lines[0]).toBe("line-0-padding-padding");
  });
});

describe("shell step: describe", () => {
  it("shows the argv as a person would type it, destructive unless the step says otherwise", () => {
    expect(describeStep(["kubectl", "rollout", "restart", "deployment/game-server", "-n", "game-production"], config)).toEqual({
      summary: "kubectl rollout restart deployment/game-server -n game-production",
      detail: { argv: ["kubectl", "rollout", "restart", "deployment/game-server", "-n", "game-production"] },
      destructive: true,
    });
    expect(describeStep({ argv: ["printf", "%s\n", "x; rm -rf /tmp/x"], env: { A: "1" }, cwd: "/srv" }, config)).toEqual({
      summary: "printf '%s\n' 'x; rm -rf /tmp/x'",
      detail: { argv: ["printf", "%s\n", "x; rm -rf /tmp/x"], env: { A: "1" }, cwd: "/srv" },
      destructive: true,
    });
    expect(describeStep({ script: "set -e\necho one\necho two", shell: true }, config).summary).toBe("sh -c: set -e (+2 more lines)");
  });
});
