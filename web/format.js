// Times are shown twice: UTC, which logs and other teams use, and the team's own zone.

const dateTime = new Map();

function formatter(timeZone, withDate) {
  const key = `${timeZone}|${withDate}`;
  if (!dateTime.has(key)) {
    dateTime.set(
      key,
      new Intl.DateTimeFormat("en-GB", {
        timeZone,
        ...(withDate ? { year: "numeric", month: "short", day: "numeric" } : {}),
        hour: "2-digit",
        minute: "2-digit",
        hourCycle: "h23",
        timeZoneName: "short",
      }),
    );
  }
  return dateTime.get(key);
}

export function formatTime(iso, timeZone, { withDate = true } = {}) {
  return formatter(timeZone, withDate).format(new Date(iso));
}

export function formatDay(iso, timeZone) {
  return new Intl.DateTimeFormat("en-GB", { timeZone, month: "short", day: "numeric" }).format(new Date(iso));
}

/** Calendar day in a zone, for grouping chart columns by the team's days. */
export function dayKey(iso, timeZone) {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date(iso));
}

export function formatAgo(iso, now = Date.now()) {
  const seconds = Math.round((now - Date.parse(iso)) / 1000);
  if (seconds < 45) return "just now";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 36) return `${hours} h ago`;
  return `${Math.round(hours / 24)} days ago`;
}

export function formatDuration(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function formatBytes(bytes) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 || value >= 100 ? 0 : 1)} ${units[unit]}`;
}

export function formatSeconds(seconds) {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} days`;
}

export const statusWords = { ok: "OK", warning: "Warning", critical: "Critical", unknown: "Unknown", skipped: "Skipped", running: "Running" };

/** A shape as well as a colour, so that the verdict reads without colour vision. */
export const statusMarks = { ok: "✓", warning: "!", critical: "✕", unknown: "?", skipped: "–", running: "…" };
