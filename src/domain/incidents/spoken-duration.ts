/**
 * A length of time as a post-mortem writes it: "45 minutes", "2 hours 5 minutes",
 * "1 day 3 hours". Whole minutes; the two largest units are enough for a reader.
 */
export function spokenDuration(ms: number): string {
  const totalMinutes = Math.round(Math.max(0, ms) / 60_000);
  if (totalMinutes === 0) return "less than a minute";
  const parts: string[] = [];
  let rest = totalMinutes;
  for (const [unit, size] of [["day", 1440], ["hour", 60], ["minute", 1]] as const) {
    const count = Math.floor(rest / size);
    rest %= size;
    if (count > 0) parts.push(`${count} ${unit}${count === 1 ? "" : "s"}`);
  }
  return parts.slice(0, 2).join(" ");
}
