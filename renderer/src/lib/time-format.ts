// Time shown on the board: relative ("3 min ago", "in 2 h") and local clock times ("14:00").
// Inputs are epoch seconds (seed 000's unit) unless the name says ms.

export function formatRelative(epochSec: number, nowMs: number): string {
  const diff = Math.round(epochSec - nowMs / 1000);
  const abs = Math.abs(diff);
  let text: string;
  if (abs < 45) return diff > 0 ? 'in a moment' : 'just now';
  // round first, then pick the unit, so 59.5 min reads "1 h" and not "60 min"
  const min = Math.round(abs / 60);
  const h = Math.round(abs / 3600);
  if (min < 60) text = `${min} min`;
  else if (h < 24) text = `${h} h`;
  else text = `${Math.round(abs / 86400)} d`;
  return diff >= 0 ? `in ${text}` : `${text} ago`;
}

/** A moment that has passed ("since", "last heartbeat"): another node's clock a little ahead of
 *  this one must not make it read "in a moment". */
export function formatPast(epochSec: number, nowMs: number): string {
  return formatRelative(Math.min(epochSec, nowMs / 1000), nowMs);
}

export function formatRelativeMs(epochMs: number, nowMs: number): string {
  return formatRelative(epochMs / 1000, nowMs);
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** "14:00" today, "Tue 14:00" within a week, "2024-01-29 14:00" otherwise (local time). */
export function formatClock(epochSec: number, nowMs: number = Date.now()): string {
  const d = new Date(epochSec * 1000);
  const now = new Date(nowMs);
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  if (d.toDateString() === now.toDateString()) return hm;
  if (Math.abs(d.getTime() - nowMs) < 6 * 86400_000) {
    return `${d.toLocaleDateString('en', { weekday: 'short' })} ${hm}`;
  }
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hm}`;
}

/** A full local date and time, for titles and the history. */
export function formatDateTime(epochSec: number): string {
  const d = new Date(epochSec * 1000);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** "45 s", "3 min", "2 h": an age in milliseconds. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 86400) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} d`;
}

/** Value for <input type="datetime-local"> from epoch seconds, and back. */
export function toLocalInput(epochSec: number): string {
  const d = new Date(epochSec * 1000);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
export function fromLocalInput(value: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value)) return null;
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : null;
}

/** "UTC+1", "UTC+5:30", "UTC-3", "UTC+0": the local offset from UTC at a moment (DST aware). */
export function utcOffset(atMs: number = Date.now()): string {
  const min = -new Date(atMs).getTimezoneOffset();
  const sign = min < 0 ? '-' : '+';
  const abs = Math.abs(min);
  const h = Math.floor(abs / 60);
  const m = abs % 60;
  return `UTC${sign}${h}${m ? `:${pad(m)}` : ''}`;
}

/** This window's time zone as shown once on the board: "Europe/Paris (UTC+1)", or "UTC". */
export function zoneLabel(atMs: number = Date.now()): string {
  let name = '';
  try {
    name = Intl.DateTimeFormat().resolvedOptions().timeZone ?? '';
  } catch {
    // no Intl time zone support: the offset alone
  }
  const offset = utcOffset(atMs);
  if (!name || /^(Etc\/)?(UTC|GMT|Zulu|UCT|Universal)$/i.test(name)) return offset === 'UTC+0' ? 'UTC' : offset;
  return `${name} (${offset})`;
}

/** A full local date and time that says its zone, for tooltips: "2026-12-02 14:00:00 UTC+1". */
export function formatDateTimeZoned(epochSec: number): string {
  return `${formatDateTime(epochSec)} ${utcOffset(epochSec * 1000)}`;
}

/** ISO 8601 UTC timestamps as a node writes them in messages ("2026-11-22T05:52:54Z", with or without ms). */
const ISO_UTC = /\b(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)Z\b/g;

/** A node's message with its UTC timestamps rewritten in the board's local clock ("… until 06:52"). */
export function localizeTimes(message: string, nowMs: number = Date.now()): string {
  return message.replace(ISO_UTC, (whole, body: string) => {
    const ms = Date.parse(`${body}Z`);
    return Number.isFinite(ms) ? formatClock(Math.floor(ms / 1000), nowMs) : whole;
  });
}
