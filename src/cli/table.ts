/** Plain terminal tables; colour only when the stream is a terminal. */

const codes = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, gray: 90, bold: 1 } as const;
export type Colour = keyof typeof codes;

export function paint(text: string, colour: Colour, enabled: boolean): string {
  return enabled ? `\x1b[${codes[colour]}m${text}\x1b[0m` : text;
}

const statusColour: Record<string, Colour> = { ok: "green", warning: "yellow", critical: "red", unknown: "magenta", skipped: "gray" };

export function paintStatus(status: string, enabled: boolean): string {
  return paint(status.toUpperCase(), statusColour[status] ?? "gray", enabled);
}

// eslint-disable-next-line no-control-regex
const visible = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "").length;

/** Renders rows under headers; the last column wraps to the terminal width instead of the table breaking. */
export function renderTable(headers: string[], rows: string[][], width = process.stdout.columns || 120): string {
  const widths = headers.map((h, i) => Math.max(visible(h), ...rows.map((r) => visible(r[i] ?? ""))));
  const last = widths.length - 1;
  const fixed = widths.slice(0, last).reduce((a, b) => a + b + 2, 0);
  widths[last] = Math.max(20, Math.min(widths[last]!, width - fixed));
  const pad = (s: string, w: number) => s + " ".repeat(Math.max(0, w - visible(s)));
  const line = (cells: string[]) => {
    const head = cells.slice(0, last).map((c, i) => pad(c, widths[i]!)).join("  ");
    const wrapped = wrap(cells[last] ?? "", widths[last]!);
    return wrapped.map((part, i) => (i === 0 ? `${head}${head ? "  " : ""}${part}` : `${" ".repeat(fixed)}${part}`)).join("\n");
  };
  return [line(headers), widths.map((w) => "─".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

function wrap(text: string, width: number): string[] {
  if (visible(text) <= width) return [text];
  const out: string[] = [];
  let current = "";
  for (const word of text.split(" ")) {
    if (current && visible(current) + 1 + visible(word) > width) {
      out.push(current);
      current = word;
    } else current = current ? `${current} ${word}` : word;
  }
  if (current) out.push(current);
  return out;
}
