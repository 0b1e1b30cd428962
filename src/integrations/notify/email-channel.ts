import { createTransport } from "nodemailer";
import type { Secret } from "../../config/secret.js";
import { DeliveryError, type NotifyChannel } from "./channel.js";
import { labelLine, noticeLinks, noticeTags, type Notice } from "./notice.js";

export interface EmailChannelOptions {
  /** smtp://host[:port] (587; STARTTLS when the server offers it) or smtps://host[:port] (465; TLS from the first byte). */
  smtp: string;
  /** "gameops@example.com" or "gameops <gameops@example.com>". */
  from: string;
  username?: string;
  password?: Secret;
  /** Defaults: connect 10 s, greeting 10 s, socket idle 30 s (nodemailer's own are minutes). */
  timeouts?: { connectMs?: number; greetingMs?: number; socketMs?: number };
}

/**
 * Email over SMTP with nodemailer, one connection per message (no pool to close). The server's
 * answer decides retrying: a 4xx reply is a "try again later" (greylisting, a full queue), a 5xx
 * reply a refusal (no such mailbox, bad credentials); no reply at all (refused, timed out,
 * dropped) may pass later.
 */
export function emailChannel(options: EmailChannelOptions): NotifyChannel {
  const server = smtpServer(options.smtp);
  const connectMs = options.timeouts?.connectMs ?? 10_000;
  const transport = createTransport({
    host: server.host,
    port: server.port,
    secure: server.secure,
    ...(options.username !== undefined ? { auth: { user: options.username, pass: options.password?.reveal() ?? "" } } : {}),
    connectionTimeout: connectMs,
    dnsTimeout: connectMs,
    greetingTimeout: options.timeouts?.greetingMs ?? 10_000,
    socketTimeout: options.timeouts?.socketMs ?? 30_000,
  });

  return {
    name: "email",
    async send(notice, recipient, signal) {
      if (!recipient.email) {
        throw new DeliveryError(`email: ${recipient.name} (${recipient.id}) has no email address: add one to the person`, { retryable: false });
      }
      const sending = transport.sendMail({
        from: options.from,
        to: { name: recipient.name, address: recipient.email },
        subject: subjectOf(notice),
        text: textOf(notice),
        html: htmlOf(notice),
        // RFC 3834: out-of-office replies and auto-forwarders leave automated mail alone.
        headers: { "Auto-Submitted": "auto-generated" },
      });
      // nodemailer cannot cancel a session in flight: on abort, stop waiting and leave the
      // session to end within its socket timeout; its late outcome is ignored.
      sending.catch(() => {});
      let info: { response: string; messageId: string };
      try {
        info = await untilAborted(sending, signal);
      } catch (error) {
        if (error instanceof DeliveryError) throw error;
        throw failureOf(error, server.label);
      }
      return { detail: `${info.response} (${info.messageId})` };
    },
  };
}

function smtpServer(text: string): { host: string; port: number; secure: boolean; label: string } {
  const wrong = new TypeError("email: smtp must look like smtp://mail.example.com:587 or smtps://mail.example.com:465");
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw wrong; // Node's error would print the whole input, a password in it included
  }
  if ((url.protocol !== "smtp:" && url.protocol !== "smtps:") || url.hostname === "") throw wrong;
  if (url.username !== "" || url.password !== "") {
    throw new TypeError("email: the smtp URL holds credentials: set the channel's username and password (a file) instead, so that they never print");
  }
  const secure = url.protocol === "smtps:";
  const port = url.port === "" ? (secure ? 465 : 587) : Number(url.port);
  // WHATWG keeps IPv6 hosts in brackets; sockets want them bare.
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  return { host, port, secure, label: `${url.protocol}//${url.hostname}:${port}` };
}

function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(cancelled(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(cancelled(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** As the HTTP channels: a caller's deadline is a timeout worth retrying, someone giving up is not. */
function cancelled(signal: AbortSignal): DeliveryError {
  const deadline = (signal.reason as { name?: string } | undefined)?.name === "TimeoutError";
  return deadline
    ? new DeliveryError("email: no answer before the deadline", { retryable: true, cause: signal.reason })
    : new DeliveryError("email: cancelled", { retryable: false, cause: signal.reason });
}

/** nodemailer's errors carry the SMTP reply (`responseCode`, `response`) or, without one, a `code` of its own. */
function failureOf(error: unknown, label: string): DeliveryError {
  const e = error as { code?: unknown; responseCode?: unknown; message?: unknown };
  const message = typeof e.message === "string" ? e.message : String(error);
  let retryable: boolean;
  if (typeof e.responseCode === "number") {
    retryable = e.responseCode >= 400 && e.responseCode < 500;
  } else {
    switch (e.code) {
      case "EDNS":
        // A name that does not exist stays so; a resolver that failed may answer later.
        retryable = !message.includes("ENOTFOUND");
        break;
      case "ETLS": // certificate or handshake: configuration, not luck
      case "EAUTH": // credentials missing or the method unsupported
      case "EENVELOPE": // an address nodemailer itself refuses
      case "EMESSAGE":
      case "EREQUIRETLS":
        retryable = false;
        break;
      default: // ECONNECTION, ETIMEDOUT, ESOCKET, "Unexpected socket close"
        retryable = true;
    }
  }
  return new DeliveryError(`email via ${label}: ${message}`, { retryable, cause: error });
}

/** "[P#42 critical] ServerDown: game-1 down"; the status only once it is no longer news. */
function subjectOf(notice: Notice): string {
  const kind = { page: undefined, test: "test", shift: "on-call", incident: notice.incident ?? "incident", digest: "digest" }[notice.kind];
  const tags = [notice.pageNumber !== undefined ? `P#${notice.pageNumber}` : kind, notice.severity, notice.status === "triggered" ? undefined : notice.status];
  const tag = tags.filter((t) => t !== undefined && t !== "").join(" ");
  // A subject is one header line: an alert's text must not add headers or break the line.
  return `${tag ? `[${tag}] ` : ""}${notice.title}`.replace(/\s+/g, " ").trim();
}

function textOf(notice: Notice): string {
  const parts = [[notice.title, noticeTags(notice)].filter(Boolean).join("\n"), notice.text];
  if (notice.kind === "digest" && notice.items?.length) {
    parts.push(notice.items.map((item) => `- ${itemHead(item)}${item.title}${pageLink(item) ? `\n  ${pageLink(item)}` : ""}`).join("\n"));
  }
  const links = noticeLinks(notice);
  if (links.length > 0) parts.push(links.map((link) => `${link.label}: ${link.url}`).join("\n"));
  const labels = labelLine(notice.labels);
  if (labels) parts.push(`Labels: ${labels}`);
  return `${parts.filter(Boolean).join("\n\n")}\n`;
}

function htmlOf(notice: Notice): string {
  const body = [`<h2>${html(notice.title)}</h2>`];
  const tags = noticeTags(notice);
  if (tags) body.push(`<p><strong>${html(tags)}</strong></p>`);
  if (notice.text) body.push(`<p>${html(notice.text).replace(/\r?\n/g, "<br>")}</p>`);
  if (notice.kind === "digest" && notice.items?.length) {
    const items = notice.items.map((item) => {
      const link = pageLink(item);
      const head = itemHead(item);
      return `<li>${link && head ? `<a href="${html(link)}">${html(head)}</a>` : html(head)}${html(item.title)}</li>`;
    });
    body.push(`<ul>${items.join("")}</ul>`);
  }
  const links = noticeLinks(notice);
  if (links.length > 0) body.push(`<p>${links.map((link) => `<a href="${html(link.url)}">${html(link.label)}</a>`).join(" &middot; ")}</p>`);
  const labels = labelLine(notice.labels);
  if (labels) body.push(`<p style="color:#666">${html(labels)}</p>`);
  return `<!doctype html>\n<html><body style="font-family:sans-serif">\n${body.join("\n")}\n</body></html>\n`;
}

/** "[P#42 · critical · triggered] " before a digest item's title; "" when it has no tags. */
function itemHead(item: Notice): string {
  const tags = noticeTags(item);
  return tags ? `[${tags}] ` : "";
}

function pageLink(item: Notice): string | undefined {
  return noticeLinks(item).find((link) => link.label === "Open page")?.url;
}

function html(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}
