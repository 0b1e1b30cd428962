// A small Markdown renderer for the post-mortem preview: headings, paragraphs, lists (ordered,
// unordered, task boxes), block quotes, fenced code, rules; inline code, bold, italic and links.
// It parses into plain data first and builds elements with textContent only, so no text — typed
// or from the API — is ever parsed as HTML; a link is a link only when it is http(s), and shows
// as the text it was written as otherwise.

import { h } from "./dom.js";

const escapable = /[\\`*_[\]()#+\-.!>{}|~]/;
const listItem = /^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$/;
const fence = /^\s*(```+|~~~+)\s*([^`\s]*)/;
const rule = /^\s*([-*_])(?:\s*\1){2,}\s*$/;
const heading = /^\s{0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$/;
const quote = /^\s{0,3}>\s?(.*)$/;

/** Where a line starts something other than a paragraph's next line. */
const startsBlock = (line) => fence.test(line) || heading.test(line) || rule.test(line) || quote.test(line) || listItem.test(line);

/** Blocks: { type: "heading", level, inline } | { type: "paragraph", inline } | { type: "list", ordered, start, items: [{ task?, checked?, inline }] } | { type: "quote", blocks } | { type: "code", lang, text } | { type: "rule" }. */
function parseMarkdown(text) {
  return blocksOf(String(text).replace(/\r\n?/g, "\n").split("\n"));
}

function blocksOf(lines) {
  const blocks = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (line.trim() === "") {
      i += 1;
      continue;
    }
    const open = fence.exec(line);
    if (open) {
      const body = [];
      i += 1;
      while (i < lines.length && !lines[i].trim().startsWith(open[1])) body.push(lines[i++]);
      i += 1; // the closing fence, or the end of the text
      blocks.push({ type: "code", lang: open[2], text: body.join("\n") });
      continue;
    }
    const title = heading.exec(line);
    if (title) {
      blocks.push({ type: "heading", level: title[1].length, inline: parseInline(title[2]) });
      i += 1;
      continue;
    }
    if (rule.test(line)) {
      blocks.push({ type: "rule" });
      i += 1;
      continue;
    }
    if (quote.test(line)) {
      const inner = [];
      while (i < lines.length && quote.test(lines[i])) inner.push(quote.exec(lines[i++])[1]);
      blocks.push({ type: "quote", blocks: blocksOf(inner) });
      continue;
    }
    const first = listItem.exec(line);
    if (first) {
      const ordered = /\d/.test(first[2]);
      const items = [];
      while (i < lines.length) {
        const item = listItem.exec(lines[i]);
        if (item && /\d/.test(item[2]) === ordered) {
          items.push(item[3]);
          i += 1;
        } else if (!item && items.length && /^\s+\S/.test(lines[i]) && !startsBlock(lines[i])) {
          items[items.length - 1] += ` ${lines[i++].trim()}`; // a wrapped item's next line
        } else break;
      }
      blocks.push({
        type: "list",
        ordered,
        start: ordered ? Number.parseInt(first[2], 10) : 1,
        items: items.map((content) => {
          const task = /^\[([ xX])\]\s+(.*)$/.exec(content);
          return task ? { task: true, checked: task[1] !== " ", inline: parseInline(task[2]) } : { inline: parseInline(content) };
        }),
      });
      continue;
    }
    const paragraph = [];
    while (i < lines.length && lines[i].trim() !== "" && (paragraph.length === 0 || !startsBlock(lines[i]))) paragraph.push(lines[i++].trim());
    blocks.push({ type: "paragraph", inline: parseInline(paragraph.join(" ")) });
  }
  return blocks;
}

/** Inline runs: { type: "text", text } | { type: "code", text } | { type: "strong" | "em", children } | { type: "link", href, children }. */
function parseInline(text) {
  const out = [];
  let plain = "";
  const flush = () => {
    if (plain) out.push({ type: "text", text: plain });
    plain = "";
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === "\\" && escapable.test(text[i + 1] ?? "")) {
      plain += text[i + 1];
      i += 2;
      continue;
    }
    if (c === "`") {
      const end = text.indexOf("`", i + 1);
      if (end > i + 1) {
        flush();
        out.push({ type: "code", text: text.slice(i + 1, end) });
        i = end + 1;
        continue;
      }
    }
    const double = text.slice(i, i + 2);
    if (double === "**" || double === "__") {
      const end = closing(text, double, i + 2);
      if (end > i + 2) {
        flush();
        out.push({ type: "strong", children: parseInline(text.slice(i + 2, end)) });
        i = end + 2;
        continue;
      }
    }
    // `_` inside a word (snake_case, file_name) is a letter, not emphasis.
    if ((c === "*" || (c === "_" && !/\w/.test(text[i - 1] ?? ""))) && text[i + 1] !== undefined && !/\s/.test(text[i + 1])) {
      const end = closing(text, c, i + 1);
      if (end > i + 1 && !(c === "_" && /\w/.test(text[end + 1] ?? ""))) {
        flush();
        out.push({ type: "em", children: parseInline(text.slice(i + 1, end)) });
        i = end + 1;
        continue;
      }
    }
    if (c === "[") {
      const link = linkAt(text, i);
      if (link) {
        flush();
        if (/^https?:\/\/[^\s]+$/i.test(link.href)) out.push({ type: "link", href: link.href, children: parseInline(link.label) });
        else out.push({ type: "text", text: text.slice(i, link.end) }); // not http(s): shown as written, never followed
        i = link.end;
        continue;
      }
    }
    plain += c;
    i += 1;
  }
  flush();
  return out;
}

/** The index of the closing marker after `from`, not escaped and not right after a space; -1 without one. */
function closing(text, marker, from) {
  for (let at = text.indexOf(marker, from); at >= 0; at = text.indexOf(marker, at + 1)) {
    if (text[at - 1] !== "\\" && !/\s/.test(text[at - 1])) return at;
  }
  return -1;
}

/** `[label](href)` starting at `start`: its label, href and where it ends; undefined when it is not one. */
function linkAt(text, start) {
  let depth = 0;
  for (let i = start; i < text.length; i += 1) {
    const c = text[i];
    if (c === "\\") {
      i += 1;
      continue;
    }
    if (c === "[") depth += 1;
    else if (c === "]" && --depth === 0) {
      if (text[i + 1] !== "(") return undefined;
      const close = text.indexOf(")", i + 2);
      if (close < 0) return undefined;
      return { label: text.slice(start + 1, i), href: text.slice(i + 2, close).trim(), end: close + 1 };
    }
  }
  return undefined;
}

function inlineNodes(runs) {
  return runs.map((run) => {
    switch (run.type) {
      case "text":
        return run.text;
      case "code":
        return h("code", {}, run.text);
      case "strong":
        return h("strong", {}, inlineNodes(run.children));
      case "em":
        return h("em", {}, inlineNodes(run.children));
      case "link":
        return h("a", { href: run.href, rel: "noopener noreferrer", target: "_blank" }, inlineNodes(run.children));
    }
  });
}

function blockNode(block) {
  switch (block.type) {
    case "heading":
      return h(`h${block.level}`, {}, inlineNodes(block.inline));
    case "paragraph":
      return h("p", {}, inlineNodes(block.inline));
    case "rule":
      return h("hr", {});
    case "code":
      return h("pre", {}, h("code", { "data-lang": block.lang || null }, block.text));
    case "quote":
      return h("blockquote", {}, block.blocks.map(blockNode));
    case "list":
      return h(
        block.ordered ? "ol" : "ul",
        { start: block.ordered && block.start !== 1 ? block.start : null, class: block.items.some((item) => item.task) ? "task-list" : null },
        block.items.map((item) =>
          h("li", {}, item.task ? [h("input", { type: "checkbox", disabled: true, checked: item.checked, "aria-label": item.checked ? "done" : "not done" }), " "] : null, inlineNodes(item.inline)),
        ),
      );
  }
}

/** The document as elements, to append where it is previewed. */
export function renderMarkdown(text) {
  return parseMarkdown(text).map(blockNode);
}
