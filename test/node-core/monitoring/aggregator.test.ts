// The master's consensus rule (issue 12): UP when every voter sees it up, DOWN on a strict majority,
// PARTIAL otherwise, UNKNOWN without voters; stale results and cut-off locations do not vote.
import { describe, expect, it } from 'vitest';
import { Aggregator, MAX_LOCATIONS, MAX_REPORTERS, REPORT_SLACK_MS, verdictOf, type LocationReport } from '../../../node-core/src/monitoring/aggregator.js';

const check = { id: 1, intervalSec: 10, timeoutMs: 1000, retries: 1, enabled: true };
const r = (nodeId: string, status: 'UP' | 'DOWN', at = 0): LocationReport => ({ checkId: 1, nodeId, location: nodeId, status, responseTime: 3, at, error: status === 'DOWN' ? 'timeout' : null });

describe('verdictOf', () => {
  it.each([
    [0, 0, 'UNKNOWN'],
    [3, 0, 'UP'],
    [3, 1, 'PARTIAL'],
    [4, 2, 'PARTIAL'],
    [3, 2, 'DOWN'],
    [1, 1, 'DOWN'],
    [2, 1, 'PARTIAL'],
  ] as const)('%i voters, %i down → %s', (voters, down, v) => expect(verdictOf(voters, down)).toBe(v));
});

describe('Aggregator', () => {
  it('takes the latest result per location and ignores one that arrives late', () => {
    let now = 1000;
    const a = new Aggregator(() => now);
    a.ingest('a', 'lab-a', [r('a', 'UP', 10)]);
    a.ingest('b', 'lab-b', [r('b', 'DOWN', 10)]);
    a.ingest('c', 'lab-c', [r('c', 'UP', 10)]);
    expect(a.evaluate(check).verdict).toBe('PARTIAL');
    a.ingest('c', 'lab-c', [r('c', 'DOWN', 20)]);
    expect(a.evaluate(check).verdict).toBe('DOWN');
    a.ingest('c', 'lab-c', [r('c', 'UP', 15)]); // older than what it has
    expect(a.evaluate(check).verdict).toBe('DOWN');
    now += 1;
    expect(a.evaluate(check).locations.map((l) => [l.location, l.status, l.voting])).toEqual([
      ['lab-a', 'UP', true],
      ['lab-b', 'DOWN', true],
      ['lab-c', 'DOWN', true],
    ]);
  });

  it('drops stale results from the vote (fresh = 2 intervals + the round budget + slack), by the master\'s clock', () => {
    let now = 0;
    const a = new Aggregator(() => now);
    a.ingest('a', 'a', [r('a', 'UP', 999_999_999)]); // a location's clock far ahead changes nothing
    a.ingest('b', 'b', [r('b', 'DOWN')]);
    const fresh = Aggregator.freshnessMs(check);
    expect(fresh).toBe(2 * 10_000 + 2 * 1000 + REPORT_SLACK_MS);
    now = fresh - 1;
    a.touch('a', 'a'); // a keeps reporting (no new result)
    expect(a.evaluate(check).verdict).toBe('PARTIAL');
    now = fresh + 1;
    a.ingest('a', 'a', [r('a', 'UP', 999_999_999 + 1)]);
    // b's only result is stale, and b stopped reporting (cut off from the master): only a votes
    const e = a.evaluate(check);
    expect(e.verdict).toBe('UP');
    expect(e.locations.find((l) => l.nodeId === 'b')?.voting).toBe(false);
    now = 10 * fresh;
    expect(a.evaluate(check).verdict).toBe('UNKNOWN');
  });

  it('a location whose reference check fails does not vote', () => {
    const a = new Aggregator(() => 0);
    a.ingest('a', 'a', [r('a', 'UP')]);
    a.ingest('b', 'b', [r('b', 'DOWN')], false);
    expect(a.evaluate(check).verdict).toBe('UP');
    a.ingest('b', 'b', [r('b', 'DOWN')], true);
    expect(a.evaluate(check).verdict).toBe('PARTIAL');
  });

  it('a disabled check has no voters; clear() forgets everything', () => {
    const a = new Aggregator(() => 0);
    a.ingest('a', 'a', [r('a', 'DOWN')]);
    expect(a.evaluate({ ...check, enabled: false }).verdict).toBe('UNKNOWN');
    a.clear();
    expect(a.evaluate(check)).toEqual({ verdict: 'UNKNOWN', locations: [] });
  });

  it('remembers at most MAX_LOCATIONS locations per check (a hostile reporter cannot grow it)', () => {
    const a = new Aggregator(() => 0);
    for (let i = 0; i < MAX_LOCATIONS + 50; i++) a.ingest(`n${i}`, `n${i}`, [r(`n${i}`, 'UP')]);
    expect(a.evaluate(check).locations).toHaveLength(MAX_LOCATIONS);
  });

  it('remembers at most MAX_REPORTERS reporters, and counts the reports it drops', () => {
    const a = new Aggregator(() => 0);
    for (let i = 0; i < MAX_REPORTERS + 10; i++) a.touch(`x${i}`, 'x');
    expect(a.reporters()).toHaveLength(MAX_REPORTERS);
    expect(a.refused).toBe(10);
    a.touch('x0', 'x'); // a known reporter still reports
    expect(a.refused).toBe(10);
  });

  it('verdictOf (the fast path the master runs every second) always agrees with evaluate', () => {
    let now = 0;
    const a = new Aggregator(() => now);
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let step = 0; step < 2000; step++) {
      now += Math.floor(rnd() * 4000);
      const node = `n${Math.floor(rnd() * 5)}`;
      if (rnd() < 0.8) a.ingest(node, node, [r(node, rnd() < 0.5 ? 'UP' : 'DOWN', now)], rnd() < 0.9);
      const c = { ...check, enabled: rnd() < 0.95 };
      expect(a.verdictOf(c)).toBe(a.evaluate(c).verdict);
    }
  });
});
