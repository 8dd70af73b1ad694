// The zone the board names and the node timestamps it rewrites, under real zones (TZ is switched
// per test: Node re-reads it when it changes), including half-hour offsets and summer time.
import { afterEach, describe, expect, it } from 'vitest';
import { formatDateTimeZoned, localizeTimes, utcOffset, zoneLabel } from '../../../renderer/src/lib/time-format.js';

const saved = process.env.TZ;
afterEach(() => {
  if (saved === undefined) delete process.env.TZ;
  else process.env.TZ = saved;
});

const WINTER = Date.UTC(2026, 0, 15, 12, 0, 0);
const SUMMER = Date.UTC(2026, 6, 15, 12, 0, 0);

describe('time zones', () => {
  it('names the zone and its offset, summer time included', () => {
    process.env.TZ = 'Europe/Paris';
    expect(zoneLabel(WINTER)).toBe('Europe/Paris (UTC+1)');
    expect(zoneLabel(SUMMER)).toBe('Europe/Paris (UTC+2)');
    process.env.TZ = 'Asia/Kolkata';
    expect(utcOffset(WINTER)).toBe('UTC+5:30');
    process.env.TZ = 'America/St_Johns';
    expect(utcOffset(WINTER)).toBe('UTC-3:30');
    process.env.TZ = 'UTC';
    expect(zoneLabel(WINTER)).toBe('UTC');
  });

  it("rewrites a node's UTC timestamps in the board's local clock, and leaves other text alone", () => {
    process.env.TZ = 'Europe/Paris';
    const now = WINTER;
    expect(localizeTimes('srv-01 is reserved by alice until 2026-01-15T15:30:00Z', now)).toBe('srv-01 is reserved by alice until 16:30');
    expect(localizeTimes('until 2026-01-15T15:30:00.123Z.', now)).toBe('until 16:30.');
    // another day carries the date
    expect(localizeTimes('until 2026-03-01T08:00Z', now)).toBe('until 2026-03-01 09:00');
    expect(localizeTimes('version 2026-01-15 and id 15T10', now)).toBe('version 2026-01-15 and id 15T10');
    expect(formatDateTimeZoned(Math.floor(SUMMER / 1000))).toBe('2026-07-15 14:00:00 UTC+2');
  });
});
