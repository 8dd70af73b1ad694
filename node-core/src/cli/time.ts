// Durations (30m, 2h, 1d, 90s, 1h30m) and end times (ISO or HH:MM today) typed on the command line,
// and how the CLI shows times back: relative ("in 1h 20m") and local ("14:05" or "2025-01-02 14:05").

import { BoardLimits } from '../board/commands.js';

/** Longest hold the CLI will ask for: the board's own limit, so that a request it would refuse never leaves. */
export const MAX_DURATION_SEC = BoardLimits.maxHoldSec;

export class UsageError extends Error {
  override name = 'UsageError';
}

const UNIT_SEC: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** "90s", "30m", "2h", "1d", "1h30m", "1.5h" → seconds. A bare number is refused: its unit would be a guess. */
export function parseDuration(text: string): number {
  const t = text.trim().toLowerCase();
  if (t.length === 0 || t.length > 32 || !/^(\d+(\.\d+)?[smhdw])+$/.test(t)) {
    throw new UsageError(`bad duration "${text}": use a number and a unit, e.g. 90s, 30m, 2h, 1d, 1h30m`);
  }
  let sec = 0;
  for (const m of t.matchAll(/(\d+(?:\.\d+)?)([smhdw])/g)) sec += Number(m[1]) * (UNIT_SEC[m[2] as string] as number);
  sec = Math.round(sec);
  if (sec < 1) throw new UsageError(`bad duration "${text}": must be at least 1s`);
  if (sec > MAX_DURATION_SEC) throw new UsageError(`bad duration "${text}": longer than the board's limit of ${MAX_DURATION_SEC / 86400} days`);
  return sec;
}

/**
 * "HH:MM" (today, local time) or an ISO date-time → epoch seconds. The time must be in the future;
 * an HH:MM already past today is refused rather than silently meaning tomorrow.
 */
export function parseUntil(text: string, now: Date = new Date()): number {
  const t = text.trim();
  let when: Date;
  const hm = /^(\d{1,2}):(\d{2})$/.exec(t);
  if (hm) {
    const h = Number(hm[1]);
    const min = Number(hm[2]);
    if (h > 23 || min > 59) throw new UsageError(`bad time "${text}": hours 0-23, minutes 0-59`);
    when = new Date(now.getFullYear(), now.getMonth(), now.getDate(), h, min, 0, 0);
    if (when.getTime() <= now.getTime()) {
      throw new UsageError(`--until ${t} is already past today; give a full time such as ${isoLocal(new Date(when.getTime() + 86400_000))}`);
    }
  } else {
    if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(t)) {
      throw new UsageError(`bad time "${text}": use HH:MM (today) or an ISO time like 2025-06-01T18:00`);
    }
    when = new Date(t.includes(' ') ? t.replace(' ', 'T') : t);
    if (Number.isNaN(when.getTime())) throw new UsageError(`bad time "${text}": not a real date`);
    if (when.getTime() <= now.getTime()) throw new UsageError(`--until ${t} is in the past`);
  }
  return Math.floor(when.getTime() / 1000);
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

function isoLocal(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

const UNITS = [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]] as const;

/**
 * 4500 → "1h 15m"; 90 → "1m 30s"; 200000 → "2d 8h". Two units at most, rounded to the second one
 * (a hold of 2h read a moment later is "2h", not "1h 59m").
 */
export function formatSpan(seconds: number): string {
  let s = Math.max(0, Math.round(Math.abs(seconds)));
  const first = UNITS.findIndex(([, size]) => s >= size);
  const precision = first >= 0 && first < UNITS.length - 1 ? UNITS[first + 1]![1] : 1;
  s = Math.round(s / precision) * precision;
  const parts: string[] = [];
  for (const [unit, size] of UNITS) {
    if (s >= size || (unit === 's' && parts.length === 0)) {
      parts.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
    if (parts.length === 2) break;
  }
  return parts.join(' ');
}

/** "in 1h 15m" or "5m ago" */
export function formatRelative(epochSec: number, now: Date = new Date()): string {
  const diff = epochSec - now.getTime() / 1000;
  return diff >= 0 ? `in ${formatSpan(diff)}` : `${formatSpan(-diff)} ago`;
}

/**
 * The local time zone, said once where times are shown: "Europe/Berlin, UTC+01:00" (the offset at
 * `at`), or just "UTC". TZ decides it, like every local time the CLI prints.
 */
export function zoneLabel(at: Date = new Date()): string {
  const name = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const off = -at.getTimezoneOffset();
  const offset = `UTC${off < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
  if (off === 0 && (name === undefined || name === 'UTC' || name === 'Etc/UTC')) return 'UTC';
  return name ? `${name}, ${offset}` : offset;
}

/** "2025-01-02 14:05" in local time, always with the date */
export function formatLocalDateTime(epochSec: number): string {
  const d = new Date(epochSec * 1000);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** "14:05" when on the same local day as now, else "2025-01-02 14:05" */
export function formatLocal(epochSec: number, now: Date = new Date()): string {
  const d = new Date(epochSec * 1000);
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  const sameDay = d.getFullYear() === now.getFullYear() && d.getMonth() === now.getMonth() && d.getDate() === now.getDate();
  return sameDay ? hm : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hm}`;
}
