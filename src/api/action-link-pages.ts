import type { FastifyInstance, FastifyReply } from "fastify";
import { PagingError, type Paging } from "../engine/paging/paging.js";

/**
 * The pages behind the signed links in notifications. GET only shows what the link would do:
 * mail scanners and chat link previews fetch every GET, and must never acknowledge a page. The
 * form's POST acts. No token is needed: the signed link is the credential, for one person,
 * one page and one action, and it expires.
 */
export function registerActionLinkPages(app: FastifyInstance, paging: Paging): void {
  void app.register(async (scope) => {
    // The confirmation form posts as a browser does; its body carries nothing (the URL has it all).
    scope.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string", bodyLimit: 1024 }, (_request, _body, done) => done(null, {}));

    scope.get<{ Params: { token: string } }>("/act/:token", async (request, reply) => {
      try {
        const { claim, page, person } = await paging.linkClaim(request.params.token);
        const verb = claim.action === "acknowledge" ? "Acknowledge" : "Resolve";
        if (page.status === "resolved" || (claim.action === "acknowledge" && page.status === "acknowledged")) {
          return html(reply, 200, `Page ${page.number} is ${page.status}`, `<p>${escape(page.title)}</p><p>Nothing to do: it is ${page.status} already${page.acknowledgedBy && page.status === "acknowledged" ? ` (by ${escape(page.acknowledgedBy)})` : ""}.</p>${consoleLink(page.number)}`);
        }
        return html(
          reply,
          200,
          `${verb} page ${page.number}?`,
          `<p><strong>${escape(page.title)}</strong></p>
<p>Status: ${page.status}${page.severity ? ` · ${escape(page.severity)}` : ""} · opened ${escape(page.openedAt)}</p>
<form method="post" action="/act/${encodeURIComponent(request.params.token)}">
  <button type="submit" class="primary">${verb} as ${escape(person?.name ?? claim.personId)}</button>
</form>
${consoleLink(page.number)}`,
        );
      } catch (error) {
        return refused(reply, error);
      }
    });

    scope.post<{ Params: { token: string } }>("/act/:token", async (request, reply) => {
      try {
        const result = await paging.actOnLink(request.params.token);
        const { page } = result;
        const done = result.changed ? `Page ${page.number} is ${page.status}` : `Page ${page.number} was ${page.status} already`;
        return html(reply, 200, done, `<p>${escape(page.title)}</p><p>${result.changed ? "Done. The escalation stopped." : "Nothing changed."}</p>${consoleLink(page.number)}`);
      } catch (error) {
        return refused(reply, error);
      }
    });
  });
}

function refused(reply: FastifyReply, error: unknown): FastifyReply {
  if (error instanceof PagingError) return html(reply, error.kind === "not_found" ? 404 : 400, "This link cannot be used", `<p>${escape(error.message)}</p>`);
  throw error;
}

function consoleLink(number: number): string {
  return `<p><a href="/#/pages/${number}">Open page ${number} in the console</a></p>`;
}

function html(reply: FastifyReply, status: number, title: string, body: string): FastifyReply {
  return reply
    .code(status)
    .header("content-type", "text/html; charset=utf-8")
    .header("cache-control", "no-store")
    .header("referrer-policy", "no-referrer")
    .header("content-security-policy", "default-src 'self'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
    .send(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex"><title>${escape(title)} · gameops</title><link rel="stylesheet" href="/style.css"></head>
<body class="action-link"><main><h1>${escape(title)}</h1>
${body}
</main></body>
</html>`);
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}
