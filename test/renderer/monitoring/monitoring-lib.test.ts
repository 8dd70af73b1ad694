// The monitoring view's pure parts: worst verdict per server, uptime text, location reports, and the
// check form's input rules (each limit with hostile input).
import { describe, expect, it } from 'vitest';
import {
  checkInputProblem,
  formatUptime,
  locationReports,
  parseStatusList,
  verdictsByServer,
  worstVerdict,
} from '../../../renderer/src/lib/monitoring.js';
import type { CheckInput, CheckView } from '../../../node-core/src/api/peer-api.js';

/**
 * A check as a node answers it: plain input data for the pure functions below (a node's answer may be
 * anything, hence the hostile values), not a stand-in for the node's rules.
 */
function check(id: number, over: Partial<CheckView> = {}): CheckView {
  return {
    id,
    name: `check ${id}`,
    type: 'http',
    target: `http://10.0.0.${id}/health`,
    server: null,
    intervalSec: 30,
    timeoutMs: 2000,
    retries: 1,
    enabled: true,
    method: 'GET',
    createdAt: 0,
    updatedAt: 0,
    createdBy: 'admin',
    verdict: 'UP',
    verdictSince: null,
    locations: [],
    uptime24h: 1,
    uptime7d: 0.9987,
    ...over,
  };
}

const loc = (nodeId: string, location: string, lastChecked: string, status: 'UP' | 'DOWN' = 'UP', voting?: boolean) => ({
  nodeId,
  location,
  status,
  responseTime: 12,
  lastChecked,
  error: null,
  ...(voting === undefined ? {} : { voting }),
});

describe('verdicts', () => {
  it('the worst verdict wins: DOWN over PARTIAL over UNKNOWN over UP; none for no checks', () => {
    expect(worstVerdict(['UP', 'UNKNOWN', 'UP'])).toBe('UNKNOWN');
    expect(worstVerdict(['UP', 'PARTIAL', 'UNKNOWN'])).toBe('PARTIAL');
    expect(worstVerdict(['PARTIAL', 'DOWN', 'UP'])).toBe('DOWN');
    expect(worstVerdict(['UP'])).toBe('UP');
    expect(worstVerdict([])).toBeNull();
  });

  it("each server gets its enabled checks' worst verdict, and a tooltip listing them worst first", () => {
    const m = verdictsByServer([
      check(1, { name: 'api', server: 'web-01', verdict: 'UP' }),
      check(2, { name: 'ping', server: 'web-01', verdict: 'PARTIAL' }),
      check(3, { name: 'off', server: 'web-01', verdict: 'DOWN', enabled: false }),
      check(4, { name: 'lonely', server: null, verdict: 'DOWN' }),
      check(5, { name: 'db', server: 'db-03', verdict: 'UP' }),
    ]);
    expect([...m.keys()].sort()).toEqual(['db-03', 'web-01']);
    expect(m.get('web-01')!.verdict).toBe('PARTIAL');
    expect(m.get('web-01')!.title).toBe('ping: Partial\napi: Up');
    expect(m.get('db-03')!.verdict).toBe('UP');
  });
});

describe('formatUptime', () => {
  it('shows percentages, "—" when never known, and never rounds a real outage up to 100 %', () => {
    expect(formatUptime(1)).toBe('100 %');
    expect(formatUptime(0.9987)).toBe('99.87 %');
    expect(formatUptime(0.99999)).toBe('99.99 %');
    expect(formatUptime(0)).toBe('0.00 %');
    expect(formatUptime(null)).toBe('—');
    expect(formatUptime(undefined)).toBe('—');
  });
  it('hostile numbers from a node: NaN and Infinity read "—", out-of-range values are clamped', () => {
    expect(formatUptime(Number.NaN)).toBe('—');
    expect(formatUptime(Number.POSITIVE_INFINITY)).toBe('—');
    expect(formatUptime(7)).toBe('100 %');
    expect(formatUptime(-3)).toBe('0.00 %');
  });
});

describe('locationReports', () => {
  it("one row per location: its newest result, how many checks it reports and sees down, and whether it votes", () => {
    const r = locationReports([
      check(1, { locations: [loc('n1', 'lab-a', '2026-01-01T10:00:00.000Z'), loc('n2', 'lab-b', '2026-01-01T10:00:05.000Z', 'DOWN')] }),
      check(2, { locations: [loc('n1', 'lab-a', '2026-01-01T10:00:30.000Z', 'DOWN', false), loc('n2', 'lab-b', 'not a date')] }),
    ]);
    expect(r).toEqual([
      { nodeId: 'n1', location: 'lab-a', lastReport: Date.parse('2026-01-01T10:00:30.000Z'), checks: 2, down: 1, voting: false },
      { nodeId: 'n2', location: 'lab-b', lastReport: Date.parse('2026-01-01T10:00:05.000Z'), checks: 2, down: 1, voting: true },
    ]);
    expect(locationReports([])).toEqual([]);
  });
});

describe('the check form rules', () => {
  const ok: CheckInput = { name: 'api', type: 'http', target: 'https://example.com/health', intervalSec: 30, timeoutMs: 2000, retries: 1 };

  it('accepts a good check', () => {
    expect(checkInputProblem(ok)).toBeNull();
    expect(checkInputProblem({ ...ok, type: 'tcp', target: '[::1]:5432' })).toBeNull();
    expect(checkInputProblem({ ...ok, type: 'ping', target: '10.0.0.5' })).toBeNull();
  });

  it('refuses each limit just past it', () => {
    expect(checkInputProblem({ ...ok, name: '   ' })).toMatch(/name/);
    expect(checkInputProblem({ ...ok, name: 'x'.repeat(101) })).toMatch(/101 characters; at most 100/);
    expect(checkInputProblem({ ...ok, name: 'x'.repeat(100) })).toBeNull();
    expect(checkInputProblem({ ...ok, intervalSec: 4 })).toMatch(/interval/);
    expect(checkInputProblem({ ...ok, intervalSec: 5, timeoutMs: 2000 })).toBeNull();
    expect(checkInputProblem({ ...ok, intervalSec: 86_401 })).toMatch(/interval/);
    expect(checkInputProblem({ ...ok, intervalSec: 30.5 })).toMatch(/interval/);
    expect(checkInputProblem({ ...ok, intervalSec: Number.NaN })).toMatch(/interval/);
    expect(checkInputProblem({ ...ok, timeoutMs: 99 })).toMatch(/timeout/);
    expect(checkInputProblem({ ...ok, timeoutMs: 60_001 })).toMatch(/timeout/);
    expect(checkInputProblem({ ...ok, retries: -1 })).toMatch(/Retries/);
    expect(checkInputProblem({ ...ok, retries: 6 })).toMatch(/Retries/);
    expect(checkInputProblem({ ...ok, target: 'h'.repeat(2049) })).toMatch(/too long/);
    expect(checkInputProblem({ ...ok, keyword: 'k'.repeat(1001) })).toMatch(/keyword/);
  });

  it('refuses a target that does not fit its type', () => {
    expect(checkInputProblem({ ...ok, target: 'example.com' })).toMatch(/URL/);
    expect(checkInputProblem({ ...ok, target: 'ftp://example.com' })).toMatch(/URL/);
    expect(checkInputProblem({ ...ok, type: 'tcp', target: 'db-01' })).toMatch(/host:port/);
    expect(checkInputProblem({ ...ok, type: 'tcp', target: 'db 01:5432' })).toMatch(/host:port/);
  });

  it('reads expected status codes, and refuses anything else', () => {
    expect(parseStatusList('')).toEqual([]);
    expect(parseStatusList('200, 204 301')).toEqual([200, 204, 301]);
    expect(parseStatusList('200,abc')).toBeNull();
    expect(parseStatusList('99')).toBeNull();
    expect(parseStatusList('600')).toBeNull();
    expect(parseStatusList('2000')).toBeNull();
    expect(parseStatusList('200.5')).toBeNull();
    expect(parseStatusList(Array(20).fill('200').join(','))).toHaveLength(20);
    expect(parseStatusList(Array(21).fill('200').join(','))).toBeNull();
    expect(parseStatusList(','.repeat(10_000) + '200')).toEqual([200]);
  });
});
