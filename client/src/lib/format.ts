/**
 * Numbers, durations and dates for people: 1.2k rather than 1234, 3m 20s rather than 200. Pure functions so the
 * rules are tested once and every page shows the same thing.
 */

const exact = new Intl.NumberFormat("en-US");

/** 999 -> "999", 1234 -> "1.2k", 15_300 -> "15k", 1_250_000 -> "1.3M". Never "1000k": rounding moves up a unit. */
export function formatCompact(value: number): string {
  if (!Number.isFinite(value)) return "–";
  const sign = value < 0 ? "-" : "";
  const abs = Math.abs(value);
  if (abs < 1000) return sign + exact.format(Math.round(abs));
  const units = [
    { size: 1e3, suffix: "k" },
    { size: 1e6, suffix: "M" },
    { size: 1e9, suffix: "B" },
    { size: 1e12, suffix: "T" },
  ];
  for (let i = 0; i < units.length; i++) {
    const unit = units[i]!;
    const scaled = abs / unit.size;
    // One decimal below 10 (1.2k), none above (15k), as dashboards usually show.
    const rounded = scaled < 10 ? Math.round(scaled * 10) / 10 : Math.round(scaled);
    if (rounded < 1000 || i === units.length - 1) {
      return `${sign}${rounded.toString()}${unit.suffix}`;
    }
  }
  return sign + exact.format(abs);
}

/** 1234 -> "1,234": for tables and tooltips where the exact value matters. */
export function formatExact(value: number): string {
  return exact.format(value);
}

/** Seconds to "45s", "3m 20s", "1h 5m", "2d 3h"; the two most significant units, no zero padding. */
export function formatDuration(totalSeconds: number): string {
  if (!Number.isFinite(totalSeconds) || totalSeconds < 0) return "–";
  const seconds = Math.round(totalSeconds);
  if (seconds < 60) return `${seconds}s`;
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const secs = seconds % 60;
  if (days > 0) return hours > 0 ? `${days}d ${hours}h` : `${days}d`;
  if (hours > 0) return minutes > 0 ? `${hours}h ${minutes}m` : `${hours}h`;
  return secs > 0 ? `${minutes}m ${secs}s` : `${minutes}m`;
}

export type Change = { text: string; direction: "up" | "down" | "flat" | "new"; label: string };

/** Above this a percentage says nothing a reader can use ("+18,733%"): the badge caps it. */
const MAX_SHOWN_PERCENT = 1000;

/** The change of a metric against the previous period, as shown under a metric card. */
export function formatChange(current: number, previous: number): Change {
  if (previous === 0) {
    if (current === 0) return { text: "0%", direction: "flat", label: "no change from the previous period" };
    return { text: "New", direction: "new", label: "none in the previous period" };
  }
  const ratio = (current - previous) / previous;
  const percent = Math.round(ratio * 100);
  if (percent === 0) return { text: "0%", direction: "flat", label: "no change from the previous period" };
  const direction = percent > 0 ? "up" : "down";
  if (percent > MAX_SHOWN_PERCENT) {
    const cap = exact.format(MAX_SHOWN_PERCENT);
    return { text: `>+${cap}%`, direction, label: `up more than ${cap}% from the previous period` };
  }
  return {
    text: `${percent > 0 ? "+" : ""}${exact.format(percent)}%`,
    direction,
    label: `${direction} ${Math.abs(percent)}% from the previous period`,
  };
}

/** A fraction 0-1 as a percentage with one decimal below 10 % ("4.5%", "38%"). */
export function formatPercent(fraction: number): string {
  if (!Number.isFinite(fraction)) return "–";
  const percent = fraction * 100;
  return `${percent < 10 && percent > 0 ? percent.toFixed(1) : Math.round(percent)}%`;
}

/** A date and time in the given zone, e.g. "Nov 26, 14:05". */
export function formatDateTime(iso: string, timeZone: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "–";
  return new Intl.DateTimeFormat("en-US", {
    timeZone,
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).format(date);
}

/** A calendar date in the given zone, e.g. "Nov 26, 2026". */
export function formatDate(iso: string, timeZone?: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "–";
  return new Intl.DateTimeFormat("en-US", { timeZone, year: "numeric", month: "short", day: "numeric" }).format(date);
}

/** A wall-clock time with seconds, e.g. "14:05:09": for the live feed. */
export function formatClockTime(iso: string, timeZone?: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "–";
  return new Intl.DateTimeFormat("en-US", {
    timeZone,
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  }).format(date);
}

/** "1–20 of 143" for paged tables. */
export function formatPageRange(offset: number, count: number, total: number): string {
  if (total === 0 || count === 0) return `0 of ${formatExact(total)}`;
  return `${formatExact(offset + 1)}–${formatExact(offset + count)} of ${formatExact(total)}`;
}
