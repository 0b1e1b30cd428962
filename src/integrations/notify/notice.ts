/**
 * What gameops tells a person, before any channel renders it. The engine builds notices; each
 * channel turns one into its own format and never decides what to say.
 */
export interface Notice {
  /**
   * page: a page needs someone; test: `gameops page test`; shift: an on-call shift starts;
   * incident: news of an incident (declared, a status update, a reminder); digest: notices
   * coalesced under a rate limit.
   */
  kind: "page" | "test" | "shift" | "incident" | "digest";
  /** One line: "ServerDown: game-1 down". */
  title: string;
  /** The body, plain text; may hold several lines. */
  text: string;
  severity?: string;
  pageNumber?: number;
  /** The incident it is about: INC-42. */
  incident?: string;
  status?: "triggered" | "acknowledged" | "resolved";
  labels?: Record<string, string>;
  /**
   * Absolute http(s) URLs into gameops. `acknowledge` and `resolve` open a confirmation page:
   * mail scanners and chat link previews fetch every GET, so only its POST acts.
   */
  links: { page?: string; acknowledge?: string; resolve?: string; runbook?: string };
  /** digest: the coalesced notices, oldest first. */
  items?: Notice[];
}

export interface Recipient {
  /** The person's id in the store. */
  id: string;
  name: string;
  email?: string;
  /** Slack member ID (U012AB3CD), not the display name: only IDs mention someone. */
  chatHandle?: string;
}

export interface NoticeLink {
  label: "Acknowledge" | "Resolve" | "Runbook" | "Open page";
  url: string;
}

/**
 * The links a notice offers, in the order a person reaching for them wants. Only http(s) URLs:
 * a runbook annotation comes from an alert rule, and a `javascript:` link must not become a
 * button or an <a href>.
 */
export function noticeLinks(notice: Notice): NoticeLink[] {
  const candidates: [NoticeLink["label"], string | undefined][] = [
    ["Acknowledge", notice.links.acknowledge],
    ["Resolve", notice.links.resolve],
    ["Runbook", notice.links.runbook],
    ["Open page", notice.links.page],
  ];
  return candidates.flatMap(([label, url]) => (url !== undefined && isWebUrl(url) ? [{ label, url }] : []));
}

/** "P#42 · critical · acknowledged": what a notice is about, in a few words; "" when nothing is known. */
export function noticeTags(notice: Notice): string {
  const tags = [notice.pageNumber !== undefined ? `P#${notice.pageNumber}` : undefined, notice.severity, notice.status];
  return tags.filter((t) => t !== undefined && t !== "").join(" · ");
}

/** "alertname=ServerDown, instance=game-1", sorted so that the same labels always read the same. */
export function labelLine(labels: Record<string, string> | undefined): string {
  return Object.entries(labels ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join(", ");
}

function isWebUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}
