import type { Secret } from "../../config/secret.js";
import type { NotifyChannel } from "./channel.js";
import { labelLine, noticeLinks, noticeTags, type Notice, type Recipient } from "./notice.js";
import { postJson, postTarget } from "./post-json.js";

export interface SlackChannelOptions {
  /** The incoming-webhook URL (https://hooks.slack.com/services/…): whoever has it can post, so it is never printed. */
  url: Secret;
  /** Bound of one POST; default 10 s. */
  timeoutMs?: number;
}

/**
 * A Slack incoming webhook: one message per notice, in Block Kit. Slack answers 429 with
 * Retry-After when posting faster than about one message a second, 5xx when it is down (both
 * retryable), and a 4xx naming the mistake otherwise (`invalid_payload`, `no_service` for a
 * removed webhook, `channel_is_archived`…), which no retry fixes.
 */
export function slackChannel(options: SlackChannelOptions): NotifyChannel {
  const url = webhookUrl(options.url);
  const target = postTarget(options.url.reveal(), options.timeoutMs ?? 10_000, `${url.origin}/<secret>`);
  return {
    name: "slack",
    send: (notice, recipient, signal) => postJson("slack", target, JSON.stringify(slackMessage(notice, recipient)), {}, signal),
  };
}

/** Checked here: endpointOf's own error would print the URL, and the URL is the secret. */
function webhookUrl(secret: Secret): URL {
  const wrong = new TypeError("slack: the webhook URL is not an http(s) URL: copy it from the Slack app's Incoming Webhooks page");
  let url: URL;
  try {
    url = new URL(secret.reveal());
  } catch {
    throw wrong;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw wrong;
  return url;
}

// Block Kit limits; a message over any of them is rejected whole as invalid_blocks.
const HEADER_MAX = 150;
const TEXT_MAX = 3000;
const URL_MAX = 3000;

type Block = Record<string, unknown>;

function slackMessage(notice: Notice, recipient: Recipient): { text: string; blocks: Block[] } {
  const tags = noticeTags(notice);
  const mention = recipient.chatHandle ? `<@${escape(recipient.chatHandle)}> ` : "";
  const blocks: Block[] = [
    { type: "header", text: { type: "plain_text", text: clip(notice.title || "gameops", HEADER_MAX) } },
    { type: "section", text: { type: "mrkdwn", text: clip(`${mention}${tags ? `*${escape(tags)}*\n` : ""}${escape(notice.text)}`, TEXT_MAX) } },
  ];
  if (notice.kind === "digest" && notice.items?.length) blocks.push({ type: "section", text: { type: "mrkdwn", text: digestList(notice.items) } });
  const labels = labelLine(notice.labels);
  if (labels) blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: clip(escape(labels), TEXT_MAX) }] });
  const buttons = noticeLinks(notice)
    .filter((link) => link.url.length <= URL_MAX)
    .map((link) => ({
      type: "button",
      text: { type: "plain_text", text: link.label },
      url: link.url,
      action_id: link.label.toLowerCase().replace(" ", "-"),
      ...(link.label === "Acknowledge" ? { style: "primary" } : {}),
    }));
  if (buttons.length > 0) blocks.push({ type: "actions", elements: buttons });
  // `text` is what the phone's notification and screen readers show.
  return { text: escape(tags ? `[${tags}] ${notice.title}` : notice.title), blocks };
}

/** One line per coalesced notice, as many as fit, then how many did not. */
function digestList(items: readonly Notice[]): string {
  const lines: string[] = [];
  let length = 0;
  for (const [index, item] of items.entries()) {
    const tags = noticeTags(item);
    const page = noticeLinks(item).find((link) => link.label === "Open page");
    const head = tags ? (page ? `<${linkTarget(page.url)}|${escape(tags)}>` : escape(tags)) : "";
    const line = `• ${head ? `${head} — ` : ""}${escape(item.title)}`;
    // Keep room for the "…and N more" line.
    if (length + line.length + 1 > TEXT_MAX - 40) {
      lines.push(`…and ${items.length - index} more`);
      break;
    }
    lines.push(line);
    length += line.length + 1;
  }
  return lines.join("\n");
}

/** Slack's mrkdwn treats only these three as markup to escape. */
function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Inside <url|label>, a "|" or ">" in the URL would end it early. */
function linkTarget(url: string): string {
  return url.replace(/\|/g, "%7C").replace(/>/g, "%3E").replace(/</g, "%3C");
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
