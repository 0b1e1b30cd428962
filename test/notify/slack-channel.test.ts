import { inspect } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { Secret } from "../../src/config/secret.js";
import { DeliveryError } from "../../src/integrations/notify/channel.js";
import type { Notice, Recipient } from "../../src/integrations/notify/notice.js";
import { slackChannel } from "../../src/integrations/notify/slack-channel.js";
import { closedPort } from "../alerts/servers.js";
import { httpReceiver, type HttpReceiver } from "./http-receiver.js";

// The path of an incoming-webhook URL is the credential: it must never print.
const HOOK_PATH = "/services/T0GAME/B0OPS/xoxSECRETpart";
const notice: Notice = {
  kind: "page",
  title: "ServerDown: game-1 down",
  text: "game-1 <eu-west> has not answered for 1 minute & players notice.",
  severity: "critical",
  pageNumber: 42,
  status: "triggered",
  labels: { instance: "game-1", alertname: "ServerDown" },
  links: {
    page: "https://gameops.example.com/#/pages/42",
    acknowledge: "https://gameops.example.com/ack/42?sig=abc",
    runbook: "https://gameops.example.com/#/runbooks/server-down",
  },
};
const alice: Recipient = { id: "alice", name: "Alice Kim", chatHandle: "U0ALICE" };

let receiver: HttpReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

async function posted(message: Notice, recipient: Recipient): Promise<{ text: string; blocks: Record<string, unknown>[] }> {
  receiver = await httpReceiver({ status: 200, body: "ok" });
  const result = await slackChannel({ url: new Secret(receiver.url + HOOK_PATH) }).send(message, recipient, new AbortController().signal);
  expect(result).toEqual({ detail: "HTTP 200 OK: ok" });
  expect(receiver.received[0]).toMatchObject({ method: "POST", url: HOOK_PATH, headers: { "content-type": "application/json" } });
  return JSON.parse(receiver.received[0]!.body) as { text: string; blocks: Record<string, unknown>[] };
}

async function failureOf(promise: Promise<unknown>): Promise<DeliveryError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DeliveryError);
  expect(inspect(error, { depth: Infinity })).not.toContain("xoxSECRETpart");
  return error as DeliveryError;
}

describe("slack channel", () => {
  it("posts Block Kit: header, the text with severity and a mention, labels, and URL buttons", async () => {
    const message = await posted(notice, alice);
    expect(message).toEqual({
      text: "[P#42 · critical · triggered] ServerDown: game-1 down",
      blocks: [
        { type: "header", text: { type: "plain_text", text: "ServerDown: game-1 down" } },
        {
          type: "section",
          text: { type: "mrkdwn", text: "<@U0ALICE> *P#42 · critical · triggered*\ngame-1 &lt;eu-west&gt; has not answered for 1 minute &amp; players notice." },
        },
        { type: "context", elements: [{ type: "mrkdwn", text: "alertname=ServerDown, instance=game-1" }] },
        {
          type: "actions",
          elements: [
            { type: "button", text: { type: "plain_text", text: "Acknowledge" }, url: notice.links.acknowledge, action_id: "acknowledge", style: "primary" },
            { type: "button", text: { type: "plain_text", text: "Runbook" }, url: notice.links.runbook, action_id: "runbook" },
            { type: "button", text: { type: "plain_text", text: "Open page" }, url: notice.links.page, action_id: "open-page" },
          ],
        },
      ],
    });
  });

  it("mentions nobody without a chat handle, and turns no javascript: link into a button", async () => {
    const message = await posted(
      { kind: "test", title: "Test page", text: "Reaching you through Slack.", links: { runbook: "javascript:alert(1)" } },
      { id: "bob", name: "Bob" },
    );
    expect(message).toEqual({
      text: "Test page",
      blocks: [
        { type: "header", text: { type: "plain_text", text: "Test page" } },
        { type: "section", text: { type: "mrkdwn", text: "Reaching you through Slack." } },
      ],
    });
  });

  it("renders a digest as a list linking each page, cut to Slack's size with the count left out", async () => {
    const items: Notice[] = Array.from({ length: 200 }, (_, i) => ({
      kind: "page",
      title: `HighErrorRate: game-${i} returns 5xx`,
      text: "",
      severity: "warning",
      pageNumber: 100 + i,
      status: "triggered",
      links: { page: `https://gameops.example.com/#/pages/${100 + i}` },
    }));
    const message = await posted(
      { kind: "digest", title: "200 pages in the last minute", text: "Slack's rate limit held these back.", links: { page: "https://gameops.example.com/#/pages" }, items },
      alice,
    );
    const list = (message.blocks[2] as { text: { text: string } }).text.text;
    const lines = list.split("\n");
    expect(lines[0]).toBe("• <https://gameops.example.com/#/pages/100|P#100 · warning · triggered> — HighErrorRate: game-0 returns 5xx");
    expect(list.length).toBeLessThanOrEqual(3000);
    const shown = lines.length - 1;
    expect(lines.at(-1)).toBe(`…and ${200 - shown} more`);
    expect(message.blocks.at(-1)).toEqual({
      type: "actions",
      elements: [{ type: "button", text: { type: "plain_text", text: "Open page" }, url: "https://gameops.example.com/#/pages", action_id: "open-page" }],
    });
  });

  it("honours Slack's 429 Retry-After, and retries a 5xx", async () => {
    receiver = await httpReceiver({ status: 429, headers: { "retry-after": "30" }, body: "rate_limited" }, { status: 503, body: "service_unavailable" });
    const channel = slackChannel({ url: new Secret(receiver.url + HOOK_PATH) });
    expect(await failureOf(channel.send(notice, alice, new AbortController().signal))).toMatchObject({
      message: "slack: HTTP 429 Too Many Requests: rate_limited",
      retryable: true,
      retryAfterMs: 30_000,
    });
    expect(await failureOf(channel.send(notice, alice, new AbortController().signal))).toMatchObject({ retryable: true });
  });

  it("does not retry what Slack calls a mistake: invalid_payload, no_service", async () => {
    receiver = await httpReceiver({ status: 400, body: "invalid_payload" }, { status: 404, body: "no_service" });
    const channel = slackChannel({ url: new Secret(receiver.url + HOOK_PATH) });
    expect(await failureOf(channel.send(notice, alice, new AbortController().signal))).toMatchObject({ message: "slack: HTTP 400 Bad Request: invalid_payload", retryable: false });
    expect(await failureOf(channel.send(notice, alice, new AbortController().signal))).toMatchObject({ message: "slack: HTTP 404 Not Found: no_service", retryable: false });
  });

  it("never prints the webhook URL: not when unreachable, not when it is malformed", async () => {
    const port = await closedPort();
    const channel = slackChannel({ url: new Secret(`http://127.0.0.1:${port}${HOOK_PATH}`) });
    expect(await failureOf(channel.send(notice, alice, new AbortController().signal))).toMatchObject({ message: "slack: connection refused", retryable: true });

    expect(() => slackChannel({ url: new Secret("hooks.slack.com/services/T0GAME/B0OPS/xoxSECRETpart") })).toThrow(
      "slack: the webhook URL is not an http(s) URL: copy it from the Slack app's Incoming Webhooks page",
    );
  });
});
