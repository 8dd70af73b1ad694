// Durations and end times typed on the command line, and how times are shown back.
import { describe, expect, it } from 'vitest';
import { formatLocal, formatRelative, formatSpan, parseDuration, parseUntil, UsageError } from '../../node-core/src/cli/time.js';

describe('parseDuration', () => {
  it.each([
    ['90s', 90],
    ['30m', 1800],
    ['2h', 7200],
    ['1d', 86400],
    ['1h30m', 5400],
    ['1.5h', 5400],
    [' 2H ', 7200],
    ['1w', 604800],
  ])('%s is %i seconds', (text, sec) => {
    expect(parseDuration(text)).toBe(sec);
  });

  it.each(['', '10', 'h', '2x', '-1h', '1h 30m', '0s', '400d', '31d', '721h', 'abc', '2h;rm'])('refuses "%s" with a usage error', (text) => {
    expect(() => parseDuration(text)).toThrow(UsageError);
  });
});

describe('parseUntil', () => {
  const now = new Date(2025, 5, 10, 12, 0, 0); // local 12:00

  it('reads HH:MM as today, local time', () => {
    expect(parseUntil('18:30', now)).toBe(new Date(2025, 5, 10, 18, 30).getTime() / 1000);
    expect(parseUntil('9:05', new Date(2025, 5, 10, 8, 0))).toBe(new Date(2025, 5, 10, 9, 5).getTime() / 1000);
  });

  it('refuses an HH:MM already past today and says what to type instead', () => {
    expect(() => parseUntil('11:00', now)).toThrow(/already past today.*2025-06-11T11:00/);
  });

  it('reads ISO times, with or without a zone', () => {
    expect(parseUntil('2025-06-11T08:00:00Z', now)).toBe(Date.UTC(2025, 5, 11, 8) / 1000);
    expect(parseUntil('2025-06-11T08:00', now)).toBe(new Date(2025, 5, 11, 8, 0).getTime() / 1000);
    expect(parseUntil('2025-06-11 08:00', now)).toBe(new Date(2025, 5, 11, 8, 0).getTime() / 1000);
  });

  it.each(['25:00', '12:60', 'tomorrow', '2025-13-45T00:00', '2024-01-01T00:00Z', '', '12'])('refuses "%s"', (text) => {
    expect(() => parseUntil(text, now)).toThrow(UsageError);
  });
});

describe('showing times', () => {
  const now = new Date(2025, 5, 10, 12, 0, 0);
  const t = (h: number, m: number, day = 10): number => new Date(2025, 5, day, h, m).getTime() / 1000;

  it('formats spans with at most two units', () => {
    expect(formatSpan(0)).toBe('0s');
    expect(formatSpan(90)).toBe('1m 30s');
    expect(formatSpan(3600)).toBe('1h');
    expect(formatSpan(4500)).toBe('1h 15m');
    expect(formatSpan(200_000)).toBe('2d 8h'); // 2d 7h 33m 20s, rounded to hours
    expect(formatSpan(7199.2)).toBe('2h'); // a 2 h hold read a moment later
    expect(formatSpan(3599)).toBe('59m 59s');
    expect(formatSpan(86_399)).toBe('1d');
  });

  it('says "in" for the future and "ago" for the past', () => {
    expect(formatRelative(t(13, 15), now)).toBe('in 1h 15m');
    expect(formatRelative(t(11, 55), now)).toBe('5m ago');
  });

  it('shows the time alone today and the date on other days', () => {
    expect(formatLocal(t(15, 5), now)).toBe('15:05');
    expect(formatLocal(t(9, 0, 12), now)).toBe('2025-06-12 09:00');
  });
});

describe('the board\'s limit', () => {
  it('accepts exactly 30 days and names the limit past it', () => {
    expect(parseDuration('30d')).toBe(30 * 86400);
    expect(() => parseDuration('30d1s')).toThrow(/board's limit of 30 days/);
  });
});
