import { rmSync } from "node:fs";
import type { InjectOptions, LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunEvent } from "../../src/engine/health/check-service.js";
import type { CheckRunRecord } from "../../src/store/store.js";
import { services, startGameops, type Gameops } from "./fixture.js";

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function events(response: LightMyRequestResponse): RunEvent[] {
  expect(response.headers["content-type"]).toBe("text/event-stream; charset=utf-8");
  return response.body
    .split("\n\n")
    .filter((block) => block.startsWith("event: "))
    .map((block) => {
      const [eventLine, dataLine] = block.split("\n");
      const event = JSON.parse(dataLine!.slice("data: ".length)) as RunEvent;
      expect(eventLine).toBe(`event: ${event.type}`);
      return event;
    });
}

describe("HTTP API", () => {
  let gameops: Gameops;
  let admin: Record<string, string>;
  /** Tokens of real people, made through the API in the people-and-tokens flow. */
  const tokens: Record<"viewer" | "responder" | "operator", string> = { viewer: "", responder: "", operator: "" };

  const inject = (options: InjectOptions) => gameops.app.inject(options);

  beforeAll(async () => {
    gameops = await startGameops(services);
    admin = bearer(gameops.adminToken);
  });

  afterAll(async () => {
    await gameops?.close();
  });

  describe("public routes", () => {
    it("answers /healthz without a token", async () => {
      const response = await inject({ url: "/healthz" });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ status: "ok", store: "sqlite" });
    });

    it("serves the console's files without a token, and nothing outside web/", async () => {
      const index = await inject({ url: "/" });
      expect(index.statusCode).toBe(200);
      expect(index.headers["content-type"]).toBe("text/html; charset=utf-8");
      expect(index.headers["content-security-policy"]).toContain("default-src 'self'");
      expect(index.body).toContain('<button type="button" id="run-now" class="primary">Run now</button>');
      const script = await inject({ url: "/main.js" });
      expect(script.headers["content-type"]).toBe("text/javascript; charset=utf-8");
      const escape = await inject({ url: "/../package.json" });
      expect(escape.statusCode).toBe(404);
      expect(escape.body).not.toContain("dependencies");
    });

    it("answers an unknown route with a JSON 404", async () => {
      const response = await inject({ url: "/api/nothing-here?x=1" });
      expect(response.statusCode).toBe(404);
      expect(response.json()).toEqual({ error: "not_found", message: "no route GET /api/nothing-here; see /openapi.json for the routes" });
    });
  });

  describe("authentication and roles", () => {
    it("refuses a request without a token", async () => {
      const response = await inject({ url: "/api/checks/latest" });
      expect(response.statusCode).toBe(401);
      expect(response.headers["www-authenticate"]).toBe('Bearer realm="gameops"');
      expect(response.json()).toEqual({
        error: "unauthorized",
        message: "missing token: send the header Authorization: Bearer <token> (create one with `gameops token create`)",
      });
    });

    it("refuses a header that is not a bearer token", async () => {
      const response = await inject({ url: "/api/me", headers: { authorization: `Basic ${gameops.adminToken}` } });
      expect(response.statusCode).toBe(401);
      expect(response.json().message).toBe('the Authorization header must be "Bearer <token>"');
    });

    it("refuses an unknown token, before reading the body", async () => {
      const response = await inject({
        method: "POST",
        url: "/api/people",
        headers: { ...bearer("gmo_not-a-real-token"), "content-type": "application/json" },
        payload: "{not json",
      });
      expect(response.statusCode).toBe(401);
      expect(response.json()).toEqual({ error: "unauthorized", message: "the token is not valid: it is unknown or was revoked" });
    });
  });

  describe("people, teams and tokens", () => {
    it("lets the admin add a team and people, then give each person a token", async () => {
      const team = await inject({ method: "POST", url: "/api/teams", headers: admin, payload: { id: "live-ops", name: "Live Ops" } });
      expect(team.statusCode).toBe(201);
      expect(team.json()).toEqual({ id: "live-ops", name: "Live Ops" });
      const renamed = await inject({ method: "POST", url: "/api/teams", headers: admin, payload: { id: "live-ops", name: "Live Operations" } });
      expect(renamed.statusCode).toBe(200);

      const people = [
        { id: "vera", name: "Vera Viewer", role: "viewer" },
        { id: "rin", name: "Rin Responder", role: "responder", titles: ["on-call"] },
        { id: "oskar", name: "Oskar Operator", role: "operator", titles: ["lead"] },
      ] as const;
      for (const { role, ...person } of people) {
        const created = await inject({
          method: "POST",
          url: "/api/people",
          headers: admin,
          payload: { ...person, email: `${person.id}@example.com`, timeZone: "Asia/Seoul", teamId: "live-ops" },
        });
        expect(created.statusCode).toBe(201);
        expect(created.json()).toMatchObject({ id: person.id, teamId: "live-ops", timeZone: "Asia/Seoul" });

        const token = await inject({ method: "POST", url: "/api/tokens", headers: admin, payload: { personId: person.id, role, label: "laptop" } });
        expect(token.statusCode).toBe(201);
        const body = token.json() as { token: string; record: { id: string; personId: string; role: string } };
        expect(body.token).toMatch(/^gmo_/);
        expect(body.record).toMatchObject({ personId: person.id, role, label: "laptop" });
        tokens[role] = body.token;
      }

      const me = await inject({ url: "/api/me", headers: bearer(tokens.responder) });
      expect(me.json()).toEqual({
        actor: { name: "rin", role: "responder", tokenLabel: "laptop" },
        person: { id: "rin", name: "Rin Responder", email: "rin@example.com", timeZone: "Asia/Seoul", teamId: "live-ops", titles: ["on-call"] },
        team: { name: "Ops", timeZone: "UTC" },
      });
      const listed = await inject({ url: "/api/people", headers: bearer(tokens.viewer) });
      expect((listed.json() as { people: { id: string }[] }).people.map((p) => p.id).sort()).toEqual(["oskar", "rin", "vera"]);
      const teams = await inject({ url: "/api/teams", headers: bearer(tokens.viewer) });
      expect(teams.json()).toEqual({ teams: [{ id: "live-ops", name: "Live Operations" }] });
    });

    it("never shows a token again once created", async () => {
      const response = await inject({ url: "/api/tokens", headers: admin });
      expect(response.statusCode).toBe(200);
      const { tokens: records } = response.json() as { tokens: Record<string, unknown>[] };
      expect(records).toHaveLength(4);
      for (const secret of [gameops.adminToken, ...Object.values(tokens)]) expect(response.body).not.toContain(secret);
      for (const record of records) expect(Object.keys(record)).not.toContain("token");
    });

    it("answers 403 naming the role needed", async () => {
      const run = await inject({ method: "POST", url: "/api/checks/runs", headers: bearer(tokens.viewer), payload: {} });
      expect(run.statusCode).toBe(403);
      expect(run.json()).toEqual({ error: "forbidden", message: "this needs the responder role or above; your token has the viewer role" });

      const person = await inject({ method: "POST", url: "/api/people", headers: bearer(tokens.operator), payload: { id: "x", name: "X" } });
      expect(person.json()).toEqual({ error: "forbidden", message: "this needs the admin role; your token has the operator role" });

      const audit = await inject({ url: "/api/audit", headers: bearer(tokens.responder) });
      expect(audit.json().message).toBe("this needs the operator role or above; your token has the responder role");
      expect((await inject({ url: "/api/audit", headers: bearer(tokens.operator) })).statusCode).toBe(200);
    });

    it("revokes tokens: an admin any, a person only their own", async () => {
      const spare = await inject({ method: "POST", url: "/api/tokens", headers: admin, payload: { personId: "vera", role: "viewer", label: "phone" } });
      const { token, record } = spare.json() as { token: string; record: { id: string } };

      const other = await inject({ method: "DELETE", url: `/api/tokens/${record.id}`, headers: bearer(tokens.operator) });
      expect(other.statusCode).toBe(403);
      expect(other.json().message).toBe("this needs the admin role, unless the token is your own; your token has the operator role");

      const own = await inject({ method: "DELETE", url: `/api/tokens/${record.id}`, headers: bearer(tokens.viewer) });
      expect(own.statusCode).toBe(204);
      expect((await inject({ url: "/api/me", headers: bearer(token) })).statusCode).toBe(401);

      const again = await inject({ method: "DELETE", url: `/api/tokens/${record.id}`, headers: admin });
      expect(again.statusCode).toBe(404);
      expect(again.json()).toEqual({ error: "not_found", message: `no active token with id "${record.id}"` });
    });

    it("audits every write, naming who did it", async () => {
      const response = await inject({ url: "/api/audit?limit=100", headers: bearer(tokens.operator) });
      const { records } = response.json() as { records: { actor: string; action: string; subject: string }[] };
      const seen = records.map((r) => `${r.actor} ${r.action} ${r.subject.replace(/:[0-9A-Za-z-]{20,}$/, ":<id>")}`);
      expect(seen).toEqual(
        expect.arrayContaining([
          "system token.create token:<id>",
          "admin team.create team:live-ops",
          "admin team.update team:live-ops",
          "admin person.create person:vera",
          "admin person.create person:rin",
          "admin token.create token:<id>",
          "vera token.revoke token:<id>",
        ]),
      );
      expect(response.body).not.toContain(gameops.adminToken);
      const aboutVera = await inject({ url: "/api/audit?subject=person:vera", headers: bearer(tokens.operator) });
      expect((aboutVera.json() as { records: unknown[] }).records).toHaveLength(1);
    });
  });

  describe("check runs", () => {
    let run: CheckRunRecord;

    it("starts a run against the real MariaDB and Redis and streams its progress to the end", async () => {
      const started = await inject({
        method: "POST",
        url: "/api/checks/runs",
        headers: bearer(tokens.responder),
        payload: { only: ["redis", "mysql", "disk", "alerts"] },
      });
      expect(started.statusCode).toBe(202);
      const { id } = started.json() as { id: string };
      expect(started.headers.location).toBe(`/api/checks/runs/${id}`);

      const stream = events(await inject({ url: `/api/checks/runs/${id}/events`, headers: bearer(tokens.viewer) }));
      const last = stream.at(-1)!;
      if (last.type !== "done") throw new Error(`the stream ended with ${JSON.stringify(last)}`);
      run = last.run;
      expect(stream.filter((e) => e.type === "started").map((e) => (e.type === "started" ? e.name : "")).sort()).toEqual(["disk", "mysql", "redis"]);
      expect(stream.filter((e) => e.type === "finished")).toHaveLength(4);
      expect(run).toMatchObject({ id, trigger: "api", requestedBy: "rin" });
      const byName = Object.fromEntries(run.checks.map((c) => [c.name, c]));
      expect(byName.mysql).toMatchObject({ status: "ok", details: { target: "mysql://root@127.0.0.1:3306/test" } });
      expect(byName.mysql!.details.version).toMatch(/MariaDB|^\d+\./);
      // Redis answers; its verdict depends on the latency of a shared machine.
      expect(byName.redis!.details).toMatchObject({ target: "redis://127.0.0.1:6379/0", version: expect.stringMatching(/^\d+\.\d+/) });
      expect(byName.alerts).toMatchObject({ status: "skipped", summary: "not configured: set GAMEOPS_ALERTMANAGER_URL or targets.alertmanager.url" });
    });

    it("keeps the run: by id, in the list, as the latest and in the history", async () => {
      expect((await inject({ url: `/api/checks/runs/${run.id}`, headers: bearer(tokens.viewer) })).json()).toEqual(run);

      const list = (await inject({ url: "/api/checks/runs?limit=5", headers: bearer(tokens.viewer) })).json() as { runs: CheckRunRecord[] };
      expect(list.runs.map((r) => r.id)).toEqual([run.id]);
      const older = (await inject({ url: `/api/checks/runs?before=${encodeURIComponent(run.startedAt)}`, headers: bearer(tokens.viewer) })).json();
      expect(older).toEqual({ runs: [] });

      const latest = (await inject({ url: "/api/checks/latest", headers: bearer(tokens.viewer) })).json() as {
        status: string;
        run: { id: string };
        checks: { name: string; title: string; result: { status: string; runId: string } | null }[];
      };
      expect(latest.run.id).toBe(run.id);
      expect(latest.status).toBe(run.status);
      expect(latest.checks.map((c) => [c.name, c.title, c.result?.status ?? null])).toEqual([
        ["mysql", "MySQL / MariaDB", "ok"],
        ["redis", "Redis", run.checks.find((c) => c.name === "redis")!.status],
        ["disk", "Disks", run.checks.find((c) => c.name === "disk")!.status],
        ["logs", "Error logs", null],
        ["alerts", "Active alerts", "skipped"],
        ["kubernetes", "Kubernetes", null],
        ["backups", "Backups", null],
      ]);

      const history = (await inject({ url: "/api/checks/history?days=30", headers: bearer(tokens.viewer) })).json() as {
        points: { runId: string; name: string }[];
      };
      expect(history.points.map((p) => p.name).sort()).toEqual(["alerts", "disk", "mysql", "redis"]);
    });

    it("sends `done` at once for a run that already finished, and 404 for no run", async () => {
      const stream = events(await inject({ url: `/api/checks/runs/${run.id}/events`, headers: bearer(tokens.viewer) }));
      expect(stream).toEqual([{ type: "done", run }]);

      const missing = await inject({ url: "/api/checks/runs/no-such-run/events", headers: bearer(tokens.viewer) });
      expect(missing.statusCode).toBe(404);
      expect(missing.json()).toEqual({ error: "not_found", message: 'no check run with id "no-such-run"' });
    });

    it("audits who started it and counts it in /metrics", async () => {
      const audit = (await inject({ url: `/api/audit?subject=check-run:${run.id}`, headers: bearer(tokens.operator) })).json();
      expect(audit.records).toMatchObject([{ actor: "rin", action: "check-run.start", details: { only: ["redis", "mysql", "disk", "alerts"] } }]);

      const metrics = await inject({ url: "/metrics" });
      expect(metrics.statusCode).toBe(200);
      expect(metrics.headers["content-type"]).toMatch(/^text\/plain/);
      expect(metrics.body).toContain('gameops_check_status{check="mysql"} 0\n');
      expect(metrics.body).toMatch(/gameops_check_duration_seconds\{check="redis"\} \d/);
      expect(metrics.body).not.toContain('gameops_check_status{check="alerts"}');
      expect(metrics.body).toContain(`gameops_check_runs_total{status="${run.status}"} 1\n`);
      expect(metrics.body).toContain('gameops_http_requests_total{route="/api/checks/runs",method="POST",status="202"} 1\n');
      expect(metrics.body).toContain('gameops_http_requests_total{route="unmatched",method="GET",status="404"}');
      expect(metrics.body).toContain("process_cpu_user_seconds_total");
    });
  });

  describe("bad input", () => {
    const post = (url: string, payload: unknown, headers = admin) => inject({ method: "POST", url, headers, payload: payload as InjectOptions["payload"] });

    it("answers malformed JSON with 400, not 500", async () => {
      const response = await inject({
        method: "POST",
        url: "/api/checks/runs",
        headers: { ...bearer(tokens.responder), "content-type": "application/json" },
        payload: '{"only": [',
      });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({ error: "invalid_json", message: "the request body is not valid JSON; send a JSON object such as {}" });
    });

    it("answers a body that is not JSON with 415", async () => {
      const response = await inject({ method: "POST", url: "/api/teams", headers: { ...admin, "content-type": "text/plain" }, payload: "ops" });
      expect(response.statusCode).toBe(415);
      expect(response.json()).toEqual({ error: "unsupported_media_type", message: "send the request body as JSON with content-type: application/json" });
    });

    it("names an unknown check and the known ones", async () => {
      const response = await post("/api/checks/runs", { only: ["redis", "redsi"] }, bearer(tokens.responder));
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({
        error: "invalid_request",
        message: 'only: unknown check "redsi"; choose from mysql, redis, disk, logs, alerts, kubernetes, backups',
        issues: [{ path: "only", message: 'unknown check "redsi"; choose from mysql, redis, disk, logs, alerts, kubernetes, backups' }],
      });
      expect(gameops.checks.running()).toEqual([]);
    });

    it("names a bad role and a missing label", async () => {
      const response = await post("/api/tokens", { personId: "rin", role: "boss" });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({
        error: "invalid_request",
        message: "role: must be one of viewer, responder, operator, admin; label: is required",
        issues: [
          { path: "role", message: "must be one of viewer, responder, operator, admin" },
          { path: "label", message: "is required" },
        ],
      });
    });

    it("refuses a token for a person who does not exist", async () => {
      const response = await post("/api/tokens", { personId: "bob", role: "viewer", label: "laptop" });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({
        error: "invalid_request",
        message: 'personId: no person "bob"; add them first with POST /api/people',
        issues: [{ path: "personId", message: 'no person "bob"; add them first with POST /api/people' }],
      });
    });

    it("names each bad field of a person and the fix", async () => {
      const response = await post("/api/people", { id: "Bad Id", name: "", email: "nope", timeZone: "Mars/Base", titles: "lead", colour: "red" });
      expect(response.statusCode).toBe(400);
      expect(response.json().issues).toEqual([
        { path: "id", message: 'use 1 to 64 lowercase letters, digits, ".", "_" or "-", like "alice" or "game-ops"' },
        { path: "name", message: "must not be empty" },
        { path: "email", message: "must be an email address like alice@example.com" },
        { path: "timeZone", message: "must be an IANA time zone like Asia/Seoul or Europe/Berlin" },
        { path: "titles", message: "must be a list of titles such as lead or director" },
        { path: "colour", message: "unknown field; remove it (/openapi.json lists the fields this accepts)" },
      ]);
      const unknownTeam = await post("/api/people", { id: "zed", name: "Zed", teamId: "nobody" });
      expect(unknownTeam.json().message).toBe('teamId: no team "nobody"; create it first with POST /api/teams');
    });

    it("names bad query parameters", async () => {
      const limit = await inject({ url: "/api/checks/runs?limit=0", headers: admin });
      expect(limit.statusCode).toBe(400);
      expect(limit.json().message).toBe("limit: must be a whole number from 1 to 200");
      const before = await inject({ url: "/api/checks/runs?before=yesterday", headers: admin });
      expect(before.json().message).toBe(
        "before: must be an ISO 8601 time like 2026-01-31T09:00:00.000Z (the startedAt of the oldest run you have)",
      );
      const days = await inject({ url: "/api/checks/history?days=many", headers: admin });
      expect(days.json().message).toBe("days: must be a whole number from 1 to 366");
    });
  });

  describe("/openapi.json", () => {
    it("is an OpenAPI 3.1 document with every route, needing no token", async () => {
      const response = await inject({ url: "/openapi.json" });
      expect(response.statusCode).toBe(200);
      const document = JSON.parse(response.body) as {
        openapi: string;
        paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown>; security?: unknown[] }>>;
      };
      expect(document.openapi).toBe("3.1.0");
      const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
        Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
      );
      expect(operations.sort()).toEqual(
        [
          "GET /healthz",
          "GET /metrics",
          "GET /openapi.json",
          "GET /api/me",
          "GET /api/checks/latest",
          "GET /api/checks/runs",
          "POST /api/checks/runs",
          "GET /api/checks/runs/{id}",
          "GET /api/checks/runs/{id}/events",
          "GET /api/checks/history",
          "GET /api/teams",
          "POST /api/teams",
          "GET /api/people",
          "POST /api/people",
          "GET /api/tokens",
          "POST /api/tokens",
          "DELETE /api/tokens/{id}",
          "GET /api/audit",
          "GET /api/backups",
          "GET /api/backups/{id}",
          "POST /api/backups/prune",
          "GET /api/checklists/{cadence}",
          "GET /api/checklists/{cadence}/history",
          "POST /api/checklists/{cadence}/items/{item}",
        ].sort(),
      );
      const ids = Object.values(document.paths).flatMap((methods) => Object.values(methods).map((o) => o.operationId));
      expect(new Set(ids).size).toBe(ids.length);
      expect(document.paths["/healthz"]!.get!.security).toEqual([]);
      expect(Object.keys(document.paths["/api/tokens"]!.post!.responses).sort()).toEqual(["201", "400", "401", "403"]);
      expect(JSON.stringify(document.paths["/api/tokens"]!.post)).toContain('"enum":["viewer","responder","operator","admin"]');
    });
  });
});

describe("HTTP API when the store fails", () => {
  it("answers 500 with no detail or stack trace", async () => {
    const gameops = await startGameops();
    try {
      await gameops.store.close();
      const response = await gameops.app.inject({ url: "/api/me", headers: bearer(gameops.adminToken) });
      expect(response.statusCode).toBe(500);
      const body = response.json() as { error: string; message: string };
      expect(body.error).toBe("internal");
      expect(body.message).toMatch(/^internal error; the server log has the details \(request .+\)$/);
      expect(response.body).not.toMatch(/\bat .+:\d+:\d+/);
    } finally {
      await gameops.app.close();
      rmSync(gameops.dir, { recursive: true, force: true });
    }
  });
});
