import { describe, expect, it } from "vitest";
import { describe as describeStep, execute } from "../../../src/engine/runbooks/steps/notify.js";
import { envConfig, stepContext } from "./support.js";

const config = envConfig();

describe("notify step (until paging channels exist)", () => {
  it("records the notification in the run's log and the process log", async () => {
    const context = stepContext(config);
    const result = await execute({ channel: "ops", text: "restart-fleet failed at restart" }, context);
    expect(result).toEqual({ outputs: { channel: "ops", text: "restart-fleet failed at restart" } });
    expect(context.lines).toEqual(["notify ops: restart-fleet failed at restart"]);
    expect(context.processLines).toEqual([
      { message: "notify ops: restart-fleet failed at restart", fields: { run: "run-test", runbook: "step-test", step: "step", channel: "ops" } },
    ]);
  });

  it("keeps it in the run when the executor gives no process log", async () => {
    const { processLog: _none, ...context } = stepContext(config);
    await execute({ channel: "ops", text: "hello" }, context);
    expect(context.lines).toEqual(["notify ops: hello"]);
  });

  it("says in the plan that nobody is paged yet", () => {
    expect(describeStep({ channel: "ops", text: "draining eu-1" }, config)).toEqual({
      summary: "notify ops (recorded in the run; channels arrive with paging): draining eu-1",
      detail: { channel: "ops", text: "draining eu-1" },
      target: "channel ops",
      destructive: false,
    });
  });
});
