/** Time values from the API: ISO 8601 strings, epoch milliseconds, or null when unknown. */
export type TimeValue = string | number | null | undefined;

/** Milliseconds since the epoch, or null when the value is missing or unreadable. */
export function toEpochMs(value: TimeValue): number | null {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value <= 0) return null;
    // Seconds rather than milliseconds (anything before 2001 in ms is surely seconds).
    return value < 1e12 ? value * 1000 : value;
  }
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

/** "1h 02m", "4m 05s", "12s" for a positive number of seconds. */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const days = Math.floor(s / 86400);
  const hours = Math.floor((s % 86400) / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const seconds = s % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (days > 0) return `${days}d ${pad(hours)}h`;
  if (hours > 0) return `${hours}h ${pad(minutes)}m`;
  if (minutes > 0) return `${minutes}m ${pad(seconds)}s`;
  return `${seconds}s`;
}

export interface TimeLeft {
  /** What to show: "4m 05s", "expired", "now", "—". */
  text: string;
  /** Seconds left (negative when past); null when unknown. */
  seconds: number | null;
  past: boolean;
}

/**
 * Time until `target`, as seen at `nowMs`. `pastLabel` is what a moment already reached is
 * called ("expired" for an expiry, "now" for the next allowed change).
 */
export function timeLeft(target: TimeValue, nowMs: number, pastLabel = 'expired'): TimeLeft {
  const at = toEpochMs(target);
  if (at === null) return { text: '—', seconds: null, past: false };
  const seconds = Math.floor((at - nowMs) / 1000);
  if (seconds <= 0) return { text: pastLabel, seconds, past: true };
  return { text: formatDuration(seconds), seconds, past: false };
}

/** "3m ago", "just now", "in 2m" relative to now. */
export function formatRelative(value: TimeValue, nowMs: number): string {
  const at = toEpochMs(value);
  if (at === null) return '—';
  const seconds = Math.round((at - nowMs) / 1000);
  if (Math.abs(seconds) < 5) return 'just now';
  return seconds < 0 ? `${formatDuration(-seconds)} ago` : `in ${formatDuration(seconds)}`;
}

/** Local date and time, e.g. "2025-11-13 17:15:00". */
export function formatDateTime(value: TimeValue): string {
  const at = toEpochMs(value);
  if (at === null) return '—';
  const d = new Date(at);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
