import type { InjectOptions, LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StepKind } from "../../src/engine/runbooks/step-kind.js";
import type { RunbookRun, RunEvent } from "../../src/store/store.js";
import { startRunbookServer, type RunbookServer } from "./runbook-server.js";

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

interface SseEvent {
  id: number;
  event: string;
  data: RunEvent;
}

function sse(response: LightMyRequestResponse): SseEvent[] {
  expect(response.statusCode).toBe(200);
  expect(response.headers["content-type"]).toBe("text/event-stream; charset=utf-8");
  return response.body
    .split("\n\n")
    .filter((block) => block.startsWith("id: "))
    .map((block) => {
      const [idLine, eventLine, dataLine] = block.split("\n");
      return { id: Number(idLine!.slice(4)), event: eventLine!.slice(7), data: JSON.parse(dataLine!.slice(6)) as RunEvent };
    });
}

/** The test's own step kind under the `notify` name (the executor's plug-in seam): it saves what it is told as an artifact. */
const reportKind: StepKind<"notify"> = {
  kind: "notify",
  describe: (spec) => ({ summary: `write ${spec.channel} report`, destructive: false }),
  async execute(spec, context) {
    context.log(`writing ${spec.text}`);
    const id = await context.saveArtifact(`${spec.channel}-report.txt`, `${spec.text}\n`, "text/plain; charset=utf-8");
    return { outputs: { artifact: id } };
  },
};

describe("runbook API", () => {
  let server: RunbookServer;
  const tokens: Record<string, Record<string, string>> = {};
  const inject = (options: InjectOptions) => server.app.inject(options);
  const as = (who: string) => tokens[who]!;

  /** Waits until the run is in one of these statuses, through the API. */
  async function until(id: string, statuses: string[]): Promise<RunbookRun> {
    for (let i = 0; i < 300; i++) {
      const { run } = (await inject({ url: `/api/runs/${id}`, headers: as("viewer") })).json() as { run: RunbookRun };
      if (statuses.includes(run.status)) return run;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`run ${id} never became ${statuses.join(" or ")}`);
  }

  async function start(name: string, who: string, params: Record<string, unknown> = {}): Promise<string> {
    const response = await inject({ method: "POST", url: `/api/runbooks/${name}/runs`, headers: as(who), payload: { params } });
    expect(response.statusCode).toBe(202);
    const { id } = response.json() as { id: string };
    expect(response.headers.location).toBe(`/api/runs/${id}`);
    return id;
  }

  beforeAll(async () => {
    server = await startRunbookServer({ notify: async () => reportKind as unknown as StepKind });
    tokens.mina = bearer(await server.person("mina", "operator", ["lead"]));
    tokens.joon = bearer(await server.person("joon", "responder", ["lead"]));
    tokens.sora = bearer(await server.person("sora", "operator"));
    tokens.viewer = bearer(await server.person("vic", "viewer", ["lead"]));
  });

  afterAll(async () => {
    await server?.close();
  });

  it("lists the catalogue and plans a runbook with given params, touching nothing", async () => {
    const list = (await inject({ url: "/api/runbooks", headers: as("viewer") })).json() as { runbooks: { name: string; valid: boolean; params: object }[] };
    expect(list.runbooks.map((r) => r.name)).toEqual(["failing", "gated", "hello", "report"]);
    expect(list.runbooks.find((r) => r.name === "gated")).toMatchObject({ valid: true, params: { sessions: { type: "number", default: 12, secret: false } } });

    const one = (await inject({ url: "/api/runbooks/gated", headers: as("viewer") })).json() as { plan: { steps: { id: string; approval?: object }[] } };
    expect(one.plan.steps.map((s) => s.id)).toEqual(["sessions", "confirm", "restart"]);
    expect(one.plan.steps[1]!.approval).toEqual({ prompt: "Restart 12 sessions?", approvers: ["lead"], selfApproval: false, onTimeout: "abort" });

    const planned = await inject({ method: "POST", url: "/api/runbooks/gated/plan", headers: as("viewer"), payload: { params: { sessions: 3 } } });
    expect(planned.statusCode).toBe(200);
    expect(planned.json()).toMatchObject({ params: { sessions: 3 }, steps: [{ action: { summary: "echo '3 sessions online'" } }, { approval: { prompt: "Restart 3 sessions?" } }, {}] });
    expect((await inject({ url: "/api/runs", headers: as("viewer") })).json()).toEqual({ runs: [] });
  });

  it("refuses bad params and bad bodies with 400 naming the field", async () => {
    const bad = await inject({ method: "POST", url: "/api/runbooks/gated/runs", headers: as("mina"), payload: { params: { sessions: "lots", sesions: 2 } } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({
      error: "invalid_request",
      message: 'unknown param "sesions" — did you mean "sessions"? (gated takes sessions); param "sessions" must be a number, not "lots"',
      issues: [
        { path: "params.sesions", message: 'unknown param "sesions" — did you mean "sessions"? (gated takes sessions)' },
        { path: "params.sessions", message: 'param "sessions" must be a number, not "lots"' },
      ],
    });
    const notMapping = await inject({ method: "POST", url: "/api/runbooks/gated/plan", headers: as("mina"), payload: { params: ["a"] } });
    expect(notMapping.statusCode).toBe(400);
    expect(notMapping.json().issues).toEqual([{ path: "params", message: 'must be a mapping of param names to values, like {"region": "eu-1"}' }]);
    const unknown = await inject({ method: "POST", url: "/api/runbooks/nope/runs", headers: as("mina"), payload: {} });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().message).toBe('no runbook "nope"; GET /api/runbooks lists them');
    const viewer = await inject({ method: "POST", url: "/api/runbooks/hello/runs", headers: as("viewer"), payload: {} });
    expect(viewer.statusCode).toBe(403);
    expect(viewer.json().message).toBe("this needs the operator role or above; your token has the viewer role");
  });

  it("starts a run and streams its timeline to the end; Last-Event-ID resumes after an event", async () => {
    const id = await start("hello", "mina", { who: "api" });
    const events = sse(await inject({ url: `/api/runs/${id}/events`, headers: as("viewer") }));
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
    expect(events.every((e) => e.event === e.data.type)).toBe(true);
    expect(events.filter((e) => e.event !== "step.log").map((e) => `${e.event}${e.data.stepId ? `:${e.data.stepId}` : ""}`)).toEqual([
      "run.created",
      "step.started:greet",
      "step.finished:greet",
      "step.started:count",
      "step.finished:count",
      "run.phase",
      "run.finished",
    ]);
    expect(events.filter((e) => e.event === "step.log").map((e) => e.data.data.line)).toEqual(["hello api", "one", "two", "three", "greeted api"]);
    expect(events.at(-1)!.data.data).toEqual({ status: "succeeded" });

    const resumed = sse(await inject({ url: `/api/runs/${id}/events`, headers: { ...as("viewer"), "last-event-id": String(events.length - 2) } }));
    expect(resumed.map((e) => e.id)).toEqual([events.length - 1, events.length]);
    // After the last event of a finished run there is nothing to wait for: the stream ends at once.
    expect(sse(await inject({ url: `/api/runs/${id}/events?after=${events.length}`, headers: as("viewer") }))).toEqual([]);

    const detail = (await inject({ url: `/api/runs/${id}`, headers: as("viewer") })).json();
    expect(detail.run).toMatchObject({ id, runbook: "hello", status: "succeeded", startedBy: "mina", through: "api", params: { who: "api" } });
    expect(detail.steps.map((s: { stepId: string; status: string; exitCode: number }) => [s.stepId, s.status, s.exitCode])).toEqual([
      ["greet", "succeeded", 0],
      ["count", "succeeded", 0],
    ]);
    const runs = (await inject({ url: "/api/runs?runbook=hello&status=succeeded", headers: as("viewer") })).json();
    expect(runs.runs.map((r: { id: string }) => r.id)).toEqual([id]);
    expect(runs.runs[0].definition).toBeUndefined();
    const badStatus = await inject({ url: "/api/runs?status=done", headers: as("viewer") });
    expect(badStatus.statusCode).toBe(400);
    expect(badStatus.json().issues[0]).toMatchObject({ path: "status", message: expect.stringMatching(/^unknown status "done"; choose from queued, running/) });
  });

  it("waits at an approval: 403 with the reason for who may not approve, 200 for who may, then finishes", async () => {
    const id = await start("gated", "mina");
    await until(id, ["waiting_approval"]);
    const waiting = (await inject({ url: `/api/runs/${id}`, headers: as("mina") })).json();
    expect(waiting.waitingOn).toMatchObject({ runId: id, status: "waiting_approval", approval: { stepId: "confirm", prompt: "Restart 12 sessions?" } });
    const selfRefusal = `mina started run ${id} and may not approve its step "confirm": the step does not allow self_approval; ask one of lead`;
    expect(waiting.waitingOn.approval.forYou).toEqual({ approve: { allowed: false, reason: selfRefusal }, reject: { allowed: true } });

    const own = await inject({ method: "POST", url: `/api/runs/${id}/approvals`, headers: as("mina"), payload: { step: "confirm", decision: "approve" } });
    expect(own.statusCode).toBe(403);
    expect(own.json()).toEqual({ error: "approval_refused", message: selfRefusal });
    const notLead = await inject({ method: "POST", url: `/api/runs/${id}/approvals`, headers: as("sora"), payload: { step: "confirm", decision: "approve" } });
    expect(notLead.statusCode).toBe(403);
    expect(notLead.json().message).toBe(
      `sora may not decide step "confirm" of run ${id}: it needs one of lead (a role, title, team or person); sora has the operator role, no team, no title`,
    );
    const viewer = await inject({ method: "POST", url: `/api/runs/${id}/approvals`, headers: as("viewer"), payload: { step: "confirm", decision: "approve" } });
    expect(viewer.statusCode).toBe(403);
    expect(viewer.json().message).toBe("this needs the responder role or above; your token has the viewer role");
    const noStep = await inject({ method: "POST", url: `/api/runs/${id}/approvals`, headers: as("joon"), payload: { decision: "yes" } });
    expect(noStep.statusCode).toBe(400);
    expect(noStep.json().issues).toEqual([
      { path: "step", message: 'must name the approve step, e.g. "confirm"' },
      { path: "decision", message: "must be approve or reject" },
    ]);
    const wrongStep = await inject({ method: "POST", url: `/api/runs/${id}/approvals`, headers: as("joon"), payload: { step: "restart", decision: "approve" } });
    expect(wrongStep.statusCode).toBe(409);
    expect(wrongStep.json().message).toBe(`run ${id} is not waiting for an approval of step "restart"; it waits for an approval of step "confirm"`);

    const seen = (await inject({ url: `/api/runs/${id}`, headers: as("joon") })).json();
    expect(seen.waitingOn.approval.forYou).toEqual({ approve: { allowed: true }, reject: { allowed: true } });
    const approved = await inject({
      method: "POST",
      url: `/api/runs/${id}/approvals`,
      headers: { ...as("joon"), "x-gameops-client": "console" },
      payload: { step: "confirm", decision: "approve", comment: "go ahead" },
    });
    expect(approved.statusCode).toBe(200);
    expect(approved.json().approval).toMatchObject({ stepId: "confirm", decision: "approve", decidedBy: "joon", through: "console", comment: "go ahead" });

    const rest = sse(await inject({ url: `/api/runs/${id}/events?after=${seen.run.lastEventSeq}`, headers: as("viewer") }));
    expect(rest[0]!.data).toMatchObject({ type: "approval.decided", stepId: "confirm", data: { decision: "approve", by: "joon", through: "console" } });
    expect(rest.at(-1)!.data).toMatchObject({ type: "run.finished", data: { status: "succeeded" } });
    const again = await inject({ method: "POST", url: `/api/runs/${id}/approvals`, headers: as("joon"), payload: { step: "confirm", decision: "reject" } });
    expect(again.statusCode).toBe(409);
    expect(again.json().message).toMatch(new RegExp(`^step "confirm" of run ${id} was approved by joon at .+ through the console; it cannot be decided again$`));
  });

  it("cancels a waiting run: its approval is cancelled and the run ends cancelled", async () => {
    const id = await start("gated", "mina", { sessions: 5 });
    await until(id, ["waiting_approval"]);
    const cancelled = await inject({ method: "POST", url: `/api/runs/${id}/cancel`, headers: as("sora") });
    expect(cancelled.statusCode).toBe(200);
    const run = await until(id, ["cancelled"]);
    expect(run.error).toBe("step \"confirm\": cancelled by sora");
    const detail = (await inject({ url: `/api/runs/${id}`, headers: as("viewer") })).json();
    expect(detail.approvals[0]).toMatchObject({ decision: "cancelled", decidedBy: "sora" });
    expect(detail.waitingOn).toBeUndefined();
    const twice = await inject({ method: "POST", url: `/api/runs/${id}/cancel`, headers: as("sora") });
    expect(twice.statusCode).toBe(409);
    expect(twice.json().message).toBe(`run ${id} has ended (cancelled); there is nothing to cancel`);
    const resumed = await inject({ method: "POST", url: `/api/runs/${id}/resume`, headers: as("sora"), payload: {} });
    expect(resumed.statusCode).toBe(409);
    expect(resumed.json().message).toBe(`run ${id} has ended (cancelled); there is nothing to resume`);
    const decided = await inject({ method: "POST", url: `/api/runs/${id}/decision`, headers: as("sora"), payload: { step: "confirm", choice: "retry" } });
    expect(decided.statusCode).toBe(409);
    expect(decided.json().message).toBe(`run ${id} is not waiting for a decision (it is cancelled)`);
    const badChoice = await inject({ method: "POST", url: `/api/runs/${id}/decision`, headers: as("sora"), payload: { step: "confirm", choice: "maybe" } });
    expect(badChoice.statusCode).toBe(400);
    expect(badChoice.json().issues).toEqual([{ path: "choice", message: "must be retry, skip or fail" }]);
  });

  it("lists a run's artifacts and downloads one", async () => {
    const id = await start("report", "mina");
    await until(id, ["succeeded"]);
    const detail = (await inject({ url: `/api/runs/${id}`, headers: as("viewer") })).json();
    expect(detail.artifacts).toEqual([
      { id: expect.any(String), stepId: "report", name: "ops-report.txt", contentType: "text/plain; charset=utf-8", size: 19, sha256: expect.stringMatching(/^[0-9a-f]{64}$/), createdAt: expect.any(String) },
    ]);
    const artifact = detail.artifacts[0];
    const download = await inject({ url: `/api/runs/${id}/artifacts/${artifact.id}`, headers: as("viewer") });
    expect(download.statusCode).toBe(200);
    expect(download.body).toBe("players online: 42\n");
    expect(download.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(download.headers["content-disposition"]).toBe('attachment; filename="ops-report.txt"');
    expect(download.headers["x-checksum-sha256"]).toBe(artifact.sha256);
    const elsewhere = await inject({ url: `/api/runs/other-run/artifacts/${artifact.id}`, headers: as("viewer") });
    expect(elsewhere.statusCode).toBe(404);
    expect(elsewhere.json().message).toBe(`run other-run has no artifact "${artifact.id}"; GET /api/runs/other-run lists its artifacts`);
    expect((await inject({ url: "/api/runs/no-such-run", headers: as("viewer") })).json().message).toBe("no runbook run no-such-run; `gameops run list` shows the runs");
  });

  it("documents every runbook route in the OpenAPI document", async () => {
    const doc = (await inject({ url: "/openapi.json" })).json() as { paths: Record<string, Record<string, { operationId: string }>> };
    const operations = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith("/api/runbooks") || path.startsWith("/api/runs"))
      .flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    expect(operations.sort()).toEqual([
      "GET /api/runbooks",
      "GET /api/runbooks/{name}",
      "GET /api/runs",
      "GET /api/runs/{id}",
      "GET /api/runs/{id}/artifacts/{artifactId}",
      "GET /api/runs/{id}/events",
      "POST /api/runbooks/{name}/plan",
      "POST /api/runbooks/{name}/runs",
      "POST /api/runs/{id}/approvals",
      "POST /api/runs/{id}/cancel",
      "POST /api/runs/{id}/decision",
      "POST /api/runs/{id}/resume",
    ]);
  });
});
