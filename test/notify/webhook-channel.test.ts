import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { inspect } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { Secret } from "../../src/config/secret.js";
import { DeliveryError } from "../../src/integrations/notify/channel.js";
import type { Notice, Recipient } from "../../src/integrations/notify/notice.js";
import { webhookChannel, type WebhookBody } from "../../src/integrations/notify/webhook-channel.js";
import { closedPort, silentServer, type SilentServer } from "../alerts/servers.js";
import { httpReceiver, type HttpReceiver } from "./http-receiver.js";

const SECRET = "hook-secret-5f2c";
const notice: Notice = {
  kind: "page",
  title: "ServerDown: game-1 down",
  text: "game-1 has not answered a scrape for 1 minute.",
  severity: "critical",
  pageNumber: 42,
  status: "triggered",
  labels: { alertname: "ServerDown", instance: "game-1" },
  links: {
    page: "https://gameops.example.com/#/pages/42",
    acknowledge: "https://gameops.example.com/ack/42?sig=abc",
    runbook: "https://gameops.example.com/#/runbooks/server-down",
  },
};
const alice: Recipient = { id: "alice", name: "Alice Kim", email: "alice@example.com", chatHandle: "U0ALICE" };

let receiver: HttpReceiver | undefined;
let silent: SilentServer | undefined;
afterEach(async () => {
  await receiver?.close();
  await silent?.close();
  receiver = undefined;
  silent = undefined;
});

/** What webhook-channel.ts tells receivers to do: window, then constant-time comparison. */
function verify(secret: string, headers: IncomingHttpHeaders, rawBody: string, nowSeconds: number): boolean {
  const timestamp = headers["x-gameops-timestamp"];
  const signature = headers["x-gameops-signature"];
  if (typeof timestamp !== "string" || !/^\d+$/.test(timestamp) || typeof signature !== "string") return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > 300) return false;
  const expected = Buffer.from(`sha256=${createHmac("sha256", secret).update(`${timestamp}.${rawBody}`).digest("hex")}`);
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

async function failureOf(promise: Promise<unknown>): Promise<DeliveryError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DeliveryError);
  expect(inspect(error, { depth: Infinity })).not.toContain(SECRET);
  return error as DeliveryError;
}

const signal = () => new AbortController().signal;

describe("webhook channel", () => {
  it("posts the notice as signed JSON that a receiver verifies, to the exact URL with its query and credentials", async () => {
    receiver = await httpReceiver({ status: 204 });
    const channel = webhookChannel({
      name: "ops-bot",
      url: `${receiver.url.replace("http://", "http://bot:pa%24s@")}/hooks/gameops?team=ops`,
      secret: new Secret(SECRET),
    });
    expect(channel.name).toBe("webhook:ops-bot");
    expect(await channel.send(notice, alice, signal())).toEqual({ detail: "HTTP 204 No Content" });

    const [request] = receiver.received;
    expect(request).toMatchObject({ method: "POST", url: "/hooks/gameops?team=ops" });
    expect(request!.headers).toMatchObject({ "content-type": "application/json", authorization: `Basic ${Buffer.from("bot:pa$s").toString("base64")}` });
    const body = JSON.parse(request!.body) as WebhookBody;
    expect(body).toEqual({ version: 1, notice, recipient: alice, sentAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });

    const now = Math.floor(Date.now() / 1000);
    expect(verify(SECRET, request!.headers, request!.body, now)).toBe(true);
    expect(Number(request!.headers["x-gameops-timestamp"])).toBe(Math.floor(Date.parse(body.sentAt) / 1000));
    // What the receiver must refuse: another key, a changed body, the same request replayed later.
    expect(verify("another-secret", request!.headers, request!.body, now)).toBe(false);
    expect(verify(SECRET, request!.headers, request!.body.replace("game-1", "game-2"), now)).toBe(false);
    expect(verify(SECRET, request!.headers, request!.body, now + 600)).toBe(false);
  });

  it("says a 500 may pass later, and the next attempt goes through", async () => {
    receiver = await httpReceiver({ status: 500, body: "database is locked" }, { status: 200, body: "ok" });
    const channel = webhookChannel({ name: "ops-bot", url: `${receiver.url}/hook`, secret: new Secret(SECRET) });
    const failure = await failureOf(channel.send(notice, alice, signal()));
    expect(failure).toMatchObject({ message: "webhook:ops-bot: HTTP 500 Internal Server Error: database is locked", retryable: true, retryAfterMs: undefined });
    expect(await channel.send(notice, alice, signal())).toEqual({ detail: "HTTP 200 OK: ok" });
    // Each attempt is signed anew.
    for (const request of receiver.received) expect(verify(SECRET, request.headers, request.body, Math.floor(Date.now() / 1000))).toBe(true);
  });

  it("honours Retry-After on a 429, in seconds or as a date", async () => {
    receiver = await httpReceiver(
      { status: 429, headers: { "retry-after": "7" }, body: "slow down" },
      { status: 503, headers: { "retry-after": new Date(Date.now() - 60_000).toUTCString() } },
    );
    const channel = webhookChannel({ name: "ops-bot", url: receiver.url, secret: new Secret(SECRET) });
    expect(await failureOf(channel.send(notice, alice, signal()))).toMatchObject({ retryable: true, retryAfterMs: 7000 });
    // A date already past means: now.
    expect(await failureOf(channel.send(notice, alice, signal()))).toMatchObject({ retryable: true, retryAfterMs: 0 });
  });

  it("says a 400 will fail the same way again", async () => {
    receiver = await httpReceiver({ status: 400, headers: { "retry-after": "5" }, body: "unknown field notice.items" });
    const channel = webhookChannel({ name: "ops-bot", url: receiver.url, secret: new Secret(SECRET) });
    const failure = await failureOf(channel.send(notice, alice, signal()));
    expect(failure).toMatchObject({ message: "webhook:ops-bot: HTTP 400 Bad Request: unknown field notice.items", retryable: false, retryAfterMs: undefined });
  });

  it("says a refused connection may pass later", async () => {
    const port = await closedPort();
    const channel = webhookChannel({ name: "ops-bot", url: `http://127.0.0.1:${port}/hook`, secret: new Secret(SECRET) });
    expect(await failureOf(channel.send(notice, alice, signal()))).toMatchObject({ message: "webhook:ops-bot: connection refused", retryable: true });
  });

  it("stops waiting at its timeout, retryably, and when the caller gives up, not", async () => {
    silent = await silentServer();
    const channel = webhookChannel({ name: "ops-bot", url: silent.url, secret: new Secret(SECRET), timeoutMs: 200 });
    expect(await failureOf(channel.send(notice, alice, signal()))).toMatchObject({ message: "webhook:ops-bot: no answer within 200ms", retryable: true });

    const controller = new AbortController();
    controller.abort();
    const patient = webhookChannel({ name: "ops-bot", url: silent.url, secret: new Secret(SECRET) });
    expect(await failureOf(patient.send(notice, alice, controller.signal))).toMatchObject({ message: "webhook:ops-bot: cancelled", retryable: false });
  });
});
