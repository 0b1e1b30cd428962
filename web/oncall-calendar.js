// The on-call calendar of one schedule: a row per week (Monday to Sunday in the schedule's
// zone), a lane each for primary and backup, a block per person's stretch coloured per person,
// coverage gaps in red, overrides outlined and marked ⇄.

import { s } from "./dom.js";
import { formatTime } from "./format.js";
import { dayStarts, localParts } from "./zoned-time.js";

const labelWidth = 92;
const headHeight = 20;
const laneHeight = 26;
const weekGap = 14;
const roles = ["primary", "backup"];
const roleWords = { primary: "Primary", backup: "Backup" };
const dayNames = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * Draws into `container`. `weeks` are the local Mondays' midnights (ms), one more than the rows
 * (the last closes the last row); `colourOf(personId)` picks a palette slot; `onHover(text)`
 * describes the block the pointer is on.
 */
export function renderCalendar(container, { plan, weeks, nameOf, colourOf, now, onHover }) {
  const zone = plan.schedule.timeZone;
  const width = Math.max(560, container.clientWidth - 4);
  const gridWidth = width - labelWidth - 4;
  const rowHeight = headHeight + roles.length * laneHeight + weekGap;
  const height = (weeks.length - 1) * rowHeight;
  const when = (ms) => formatTime(new Date(ms).toISOString(), zone);

  const svg = s("svg", {
    class: "oncall-calendar",
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-label": `On-call calendar of ${plan.schedule.name}, ${weeks.length - 1} weeks from ${when(weeks[0])}, ${plan.gaps.length} coverage gaps`,
    "data-schedule": plan.schedule.id,
  });

  const blocks = laneBlocks(plan);
  for (let row = 0; row < weeks.length - 1; row++) {
    const from = weeks[row];
    const to = weeks[row + 1];
    const top = row * rowHeight;
    const x = (ms) => labelWidth + ((Math.min(Math.max(ms, from), to) - from) / (to - from)) * gridWidth;
    const week = s("g", { class: "week", "data-week": row });
    svg.append(week);

    const first = localParts(from, zone);
    week.append(s("text", { x: 0, y: top + 14, class: "week-label" }, `${first.day} ${monthNames[first.month - 1]}`));
    for (const [lane, role] of roles.entries()) {
      const laneTop = top + headHeight + lane * laneHeight;
      week.append(
        s("text", { x: 0, y: laneTop + 17, class: "lane-label" }, roleWords[role]),
        s("rect", { x: labelWidth, y: laneTop + 2, width: gridWidth, height: laneHeight - 4, rx: 3, class: "lane" }),
      );
    }

    // Day columns at the zone's own midnights: a DST day is an hour shorter or longer.
    const days = dayStarts(from, 7, zone);
    for (const day of days.slice(0, 7)) {
      const parts = localParts(day, zone);
      week.append(
        s("line", { x1: x(day), x2: x(day), y1: top + 2, y2: top + headHeight, class: "day-rule" }),
        s("text", { x: x(day) + 4, y: top + 14, class: `day-label${parts.weekday >= 5 ? " weekend" : ""}` }, `${dayNames[parts.weekday]} ${parts.day}`),
      );
    }

    const labels = []; // drawn last, over the day edges
    for (const [lane, role] of roles.entries()) {
      const laneTop = top + headHeight + lane * laneHeight;
      for (const block of blocks[role]) {
        if (block.end <= from || block.start >= to) continue;
        const left = x(block.start);
        const blockWidth = Math.max(1, x(block.end) - left);
        const span = `${when(block.start)} – ${when(block.end)}`;
        const text = block.gap
          ? `Coverage gap: ${block.whole ? "nobody on call" : `no ${role}`}, ${span}`
          : `${nameOf(block.person)}, ${role}${block.override ? " by override" : ""}, ${span}`;
        const cls = block.gap ? `gap gap-${role}` : `shift person-${colourOf(block.person)}${block.override ? " override" : ""}`;
        week.append(
          s(
            "rect",
            {
              x: left,
              y: laneTop + 3,
              width: blockWidth,
              height: block.whole ? roles.length * laneHeight - 6 : laneHeight - 6,
              rx: 2,
              class: `${cls}${block.end <= now ? " past" : ""}`,
              "data-role": role,
              "data-person": block.person,
              "data-start": new Date(block.start).toISOString(),
              "data-end": new Date(block.end).toISOString(),
              "data-describe": text,
            },
            s("title", {}, text),
          ),
        );
        const label = block.gap ? (block.whole ? "nobody on call" : "no backup") : `${block.override ? "⇄ " : ""}${nameOf(block.person)}`;
        const fits = Math.floor((blockWidth - 8) / 7);
        if (fits >= 3) {
          labels.push(
            s(
              "text",
              { x: left + 4, y: block.whole ? laneTop + laneHeight + 4 : laneTop + 17, class: `block-label${block.gap ? " gap-label" : ""}`, "aria-hidden": "true" },
              label.length > fits ? `${label.slice(0, fits - 1)}…` : label,
            ),
          );
        }
      }
    }

    // Over the blocks, so that a day's edge shows inside a week-long shift too.
    for (const day of days.slice(1, 7)) {
      week.append(s("line", { x1: x(day), x2: x(day), y1: top + headHeight + 2, y2: top + headHeight + roles.length * laneHeight - 2, class: "day-split" }));
    }
    week.append(...labels);

    if (now >= from && now < to) {
      week.append(
        s("line", { x1: x(now), x2: x(now), y1: top + headHeight, y2: top + headHeight + roles.length * laneHeight + 4, class: "now-line" }),
        s("text", { x: x(now) + 3, y: top + headHeight + roles.length * laneHeight + 11, class: "now-label" }, "now"),
      );
    }
  }

  svg.addEventListener("mouseover", (event) => {
    const text = event.target.closest?.("rect[data-describe]")?.getAttribute("data-describe");
    if (text) onHover(text);
  });
  container.replaceChildren(svg);
}

/**
 * Per role, the stretches one person holds it (shifts split whenever either role changes: the
 * lane joins them again) and the gaps where nobody does.
 */
function laneBlocks(plan) {
  const lanes = { primary: [], backup: [] };
  for (const shift of plan.shifts) {
    const start = Date.parse(shift.start);
    const end = Date.parse(shift.end);
    for (const role of roles) {
      const person = shift[role];
      if (!person) continue;
      const override = Boolean(shift.overriddenBy?.[role]);
      const last = lanes[role].at(-1);
      if (last && last.person === person && last.override === override && last.end === start) last.end = end;
      else lanes[role].push({ person, override, start, end });
    }
  }
  for (const gap of plan.gaps) {
    const start = Date.parse(gap.start);
    const end = Date.parse(gap.end);
    // No primary is nobody on call at all: the red spans both lanes unless an override holds backup.
    const whole = gap.missing === "primary" && !lanes.backup.some((b) => !b.gap && b.start < end && b.end > start);
    lanes[gap.missing].push({ gap: true, whole, start, end });
  }
  return lanes;
}
