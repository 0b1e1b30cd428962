import type { Notice } from "../../integrations/notify/notice.js";
import type { NewDelivery, PageRecord, Person } from "../../store/store.js";
import { linkLifetimeMs, type ActionLinks } from "./action-links.js";
import { deliveryTimer } from "./delivery-sender.js";

export interface NoticeContext {
  /** Base URL of links, without a trailing slash. */
  publicUrl: string;
  links: ActionLinks;
  /** Channels deliveries may go to besides the inbox: "email", "slack", "webhook:NAME". */
  channels: readonly string[];
  now: Date;
}

/** What a page says to one person, with links signed for them. */
export function pageNotice(page: PageRecord, person: Person, context: NoticeContext): Notice {
  const sign = (action: "acknowledge" | "resolve") =>
    `${context.publicUrl}/act/${context.links.sign({ pageId: page.id, personId: person.id, action, expiresAt: context.now.getTime() + linkLifetimeMs })}`;
  const description = page.annotations.description ?? page.annotations.summary ?? "";
  return {
    kind: "page",
    title: page.title,
    text: [description, `Opened ${page.openedAt} · ${page.source}`].filter(Boolean).join("\n"),
    ...(page.severity ? { severity: page.severity } : {}),
    pageNumber: page.number,
    status: page.status,
    labels: page.labels,
    links: {
      page: `${context.publicUrl}/#/pages/${page.number}`,
      acknowledge: sign("acknowledge"),
      resolve: sign("resolve"),
      ...(page.runbook ? { runbook: `${context.publicUrl}/#/runbooks/${encodeURIComponent(page.runbook)}` } : {}),
    },
  };
}

/**
 * One delivery per channel that can reach the person: the inbox always, email when they have an
 * address, Slack (mentioning them when they have a handle), and every webhook.
 */
export function deliveriesFor(person: Person, notice: Notice, context: Pick<NoticeContext, "channels" | "now">): NewDelivery[] {
  const recipient = {
    id: person.id,
    name: person.name,
    ...(person.email ? { email: person.email } : {}),
    ...(person.chatHandle ? { chatHandle: person.chatHandle } : {}),
  };
  const channels = ["inbox", ...context.channels.filter((c) => c !== "email" || person.email !== undefined)];
  return channels.map((channel) => ({
    personId: person.id,
    recipient,
    channel,
    notice: notice as unknown as Record<string, unknown>,
    ...(channel === "inbox" ? {} : { timer: { kind: deliveryTimer, dueAt: context.now } }),
  }));
}
