import { inspect } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { Secret } from "../../src/config/secret.js";
import { DeliveryError } from "../../src/integrations/notify/channel.js";
import { emailChannel } from "../../src/integrations/notify/email-channel.js";
import type { Notice, Recipient } from "../../src/integrations/notify/notice.js";
import { blackHole, closedPort } from "../support/servers.js";
import { parseMail, smtpPeer, type SmtpPeer } from "./smtp-peer.js";

const PASSWORD = "smtp-pa55-9d1e";
const notice: Notice = {
  kind: "page",
  title: "ServerDown: game-1 down",
  text: "game-1 has not answered for 1 minute.\nPlayers on game-1 are disconnected <since 10:02>.",
  severity: "critical",
  pageNumber: 42,
  status: "triggered",
  labels: { alertname: "ServerDown", instance: "game-1" },
  links: {
    page: "https://gameops.example.com/#/pages/42",
    acknowledge: "https://gameops.example.com/pages/42/acknowledge?expires=1767225600&signature=0f3a9c2b7d41e5a8c6b0d9e2f1a3c5b7d9e0f2a4c6b8d0e2f4a6c8b0d2e4f6a8",
    runbook: "https://gameops.example.com/#/runbooks/server-down",
  },
};
const alice: Recipient = { id: "alice", name: "Alice Kim", email: "alice@example.com" };

let peer: SmtpPeer | undefined;
let hole: { port: number; close(): Promise<void> } | undefined;
afterEach(async () => {
  await peer?.close();
  await hole?.close();
  peer = undefined;
  hole = undefined;
});

async function failureOf(promise: Promise<unknown>): Promise<DeliveryError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DeliveryError);
  expect(inspect(error, { depth: Infinity })).not.toContain(PASSWORD);
  return error as DeliveryError;
}

const signal = () => new AbortController().signal;

describe("email channel", () => {
  it("delivers over SMTP with username and password: subject, text, escaped HTML and every link", async () => {
    peer = await smtpPeer({ users: { gameops: PASSWORD } });
    const channel = emailChannel({ smtp: peer.url, from: "gameops <gameops@example.com>", username: "gameops", password: new Secret(PASSWORD) });
    expect(channel.name).toBe("email");
    const { detail } = await channel.send(notice, alice, signal());
    expect(detail).toMatch(/^250 .*\(<.+@example\.com>\)$/);

    expect(peer.mails).toHaveLength(1);
    const mail = peer.mails[0]!;
    expect(mail).toMatchObject({ from: "gameops@example.com", to: ["alice@example.com"], user: "gameops" });
    const parsed = parseMail(mail.raw);
    expect(parsed.headers).toMatchObject({
      subject: "[P#42 critical] ServerDown: game-1 down",
      to: "Alice Kim <alice@example.com>",
      "auto-submitted": "auto-generated",
    });
    expect(parsed.text).toBe(
      [
        "ServerDown: game-1 down",
        "P#42 · critical · triggered",
        "",
        "game-1 has not answered for 1 minute.",
        "Players on game-1 are disconnected <since 10:02>.",
        "",
        `Acknowledge: ${notice.links.acknowledge}`,
        `Runbook: ${notice.links.runbook}`,
        `Open page: ${notice.links.page}`,
        "",
        "Labels: alertname=ServerDown, instance=game-1",
      ].join("\n"),
    );
    expect(parsed.html).toContain("<p>game-1 has not answered for 1 minute.<br>Players on game-1 are disconnected &lt;since 10:02&gt;.</p>");
    expect(parsed.html).toContain(`<a href="${notice.links.acknowledge!.replace(/&/g, "&amp;")}">Acknowledge</a>`);
    expect(parsed.html).toContain(`<a href="${notice.links.runbook}">Runbook</a>`);
  });

  it("names a resolved page's status in the subject, and keeps an alert's line breaks out of it", async () => {
    peer = await smtpPeer();
    const channel = emailChannel({ smtp: peer.url, from: "gameops@example.com" });
    await channel.send({ ...notice, status: "resolved", title: "ServerDown:\r\nBcc: everyone@example.com" }, alice, signal());
    const parsed = parseMail(peer.mails[0]!.raw);
    expect(parsed.headers.subject).toBe("[P#42 critical resolved] ServerDown: Bcc: everyone@example.com");
    expect(parsed.headers.bcc).toBeUndefined();
  });

  it("lists a digest's notices with their page links", async () => {
    peer = await smtpPeer();
    const items: Notice[] = [41, 42].map((n) => ({ kind: "page", title: `LowMemory: game-${n}`, text: "", severity: "warning", pageNumber: n, links: { page: `https://gameops.example.com/#/pages/${n}` } }));
    await emailChannel({ smtp: peer.url, from: "gameops@example.com" }).send(
      { kind: "digest", title: "2 pages while email was rate limited", text: "", links: {}, items },
      alice,
      signal(),
    );
    const parsed = parseMail(peer.mails[0]!.raw);
    expect(parsed.headers.subject).toBe("[digest] 2 pages while email was rate limited");
    expect(parsed.text).toContain("- [P#41 · warning] LowMemory: game-41\n  https://gameops.example.com/#/pages/41\n- [P#42 · warning] LowMemory: game-42\n  https://gameops.example.com/#/pages/42");
    expect(parsed.html).toContain('<li><a href="https://gameops.example.com/#/pages/41">[P#41 · warning] </a>LowMemory: game-41</li>');
  });

  it("retries a server's 451 (try later), not its 550 (refused)", async () => {
    peer = await smtpPeer({ rejectRecipient: { code: 451, message: "4.7.1 Greylisted, come back later" } });
    const later = await failureOf(emailChannel({ smtp: peer.url, from: "gameops@example.com" }).send(notice, alice, signal()));
    expect(later.retryable).toBe(true);
    expect(later.message).toContain("451 4.7.1 Greylisted, come back later");
    expect(later.message).toMatch(/^email via smtp:\/\/127\.0\.0\.1:\d+: /);
    await peer.close();

    peer = await smtpPeer({ rejectRecipient: { code: 550, message: "5.1.1 No such user here" } });
    const refused = await failureOf(emailChannel({ smtp: peer.url, from: "gameops@example.com" }).send(notice, alice, signal()));
    expect(refused.retryable).toBe(false);
    expect(refused.message).toContain("550 5.1.1 No such user here");
    expect(peer.mails).toEqual([]);
  });

  it("does not retry a wrong password, and never prints it", async () => {
    peer = await smtpPeer({ users: { gameops: "the-right-one" } });
    const failure = await failureOf(emailChannel({ smtp: peer.url, from: "gameops@example.com", username: "gameops", password: new Secret(PASSWORD) }).send(notice, alice, signal()));
    expect(failure.retryable).toBe(false);
    expect(failure.message).toContain("535 Authentication failed");
  });

  it("retries when nobody answers: connection refused, no greeting", async () => {
    const port = await closedPort();
    const refused = await failureOf(emailChannel({ smtp: `smtp://127.0.0.1:${port}`, from: "gameops@example.com" }).send(notice, alice, signal()));
    expect(refused.retryable).toBe(true);
    expect(refused.message).toContain("ECONNREFUSED");

    hole = await blackHole();
    const silent = await failureOf(emailChannel({ smtp: `smtp://127.0.0.1:${hole.port}`, from: "gameops@example.com", timeouts: { greetingMs: 200 } }).send(notice, alice, signal()));
    expect(silent).toMatchObject({ message: `email via smtp://127.0.0.1:${hole.port}: Greeting never received`, retryable: true });
  });

  it("fails at once, for good, for a person without an email address or a cancelled send", async () => {
    const channel = emailChannel({ smtp: "smtp://127.0.0.1:1", from: "gameops@example.com" });
    expect(await failureOf(channel.send(notice, { id: "bob", name: "Bob" }, signal()))).toMatchObject({
      message: "email: Bob (bob) has no email address: add one to the person",
      retryable: false,
    });
    const controller = new AbortController();
    controller.abort();
    expect(await failureOf(channel.send(notice, alice, controller.signal))).toMatchObject({ message: "email: cancelled", retryable: false });
  });

  it("stops waiting on a session in flight: a deadline may pass later, someone giving up is final", async () => {
    hole = await blackHole();
    const channel = emailChannel({ smtp: `smtp://127.0.0.1:${hole.port}`, from: "gameops@example.com" });
    expect(await failureOf(channel.send(notice, alice, AbortSignal.timeout(100)))).toMatchObject({ message: "email: no answer before the deadline", retryable: true });
    const controller = new AbortController();
    const pending = channel.send(notice, alice, controller.signal);
    setTimeout(() => controller.abort(), 50);
    expect(await failureOf(pending)).toMatchObject({ message: "email: cancelled", retryable: false });
  });

  it("refuses an smtp URL that is not one, or that carries the password", () => {
    expect(() => emailChannel({ smtp: "mail.example.com:587", from: "gameops@example.com" })).toThrow(
      "email: smtp must look like smtp://mail.example.com:587 or smtps://mail.example.com:465",
    );
    let thrown: unknown;
    try {
      emailChannel({ smtp: `smtp://gameops:${PASSWORD}@mail.example.com:587`, from: "gameops@example.com" });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TypeError);
    expect((thrown as Error).message).toBe("email: the smtp URL holds credentials: set the channel's username and password (a file) instead, so that they never print");
    expect(inspect(thrown)).not.toContain(PASSWORD);
  });
});
