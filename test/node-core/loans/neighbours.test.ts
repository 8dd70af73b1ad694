// The neighbour table (neighbours.ts): LAN hints and configured neighbours, liveness after 3 missed
// heartbeats, a master that moves, the 64-hint cap under a flood of forged clusters, loan renewals heard.
import { describe, expect, it } from 'vitest';
import { LOAN_MISSED_HEARTBEATS, MAX_LAN_NEIGHBOURS, NeighbourTable, parseHostPort } from '../../../node-core/src/loans/neighbours.js';

const hint = (clusterId: string, address = '127.0.0.9', o: { master?: boolean; loanPort?: number | null; nodeId?: string } = {}) => ({
  clusterId,
  nodeId: o.nodeId ?? `${clusterId}-m`,
  master: o.master ?? true,
  address,
  loanPort: o.loanPort === undefined ? 9001 : o.loanPort,
});

describe('NeighbourTable', () => {
  it('takes configured neighbours in order and skips malformed or duplicate ones', () => {
    const t = new NeighbourTable('a', ['10.0.0.1:8781', 'nonsense', 'host.lan:99999', 'b.example:1234', '10.0.0.1:8781', '[::1]:8781']);
    expect(t.list().map((n) => [n.key, n.configIndex])).toEqual([['10.0.0.1:8781', 0], ['b.example:1234', 3], ['::1:8781', 5]]);
    expect(parseHostPort('x:0')).toBeNull();
    expect(parseHostPort('a b:1')).toBeNull();
  });

  it('adds a master hint of another cluster, ignores its own cluster and non-masters, follows a moved master', () => {
    const t = new NeighbourTable('a', []);
    t.hint(hint('a'), 1);
    t.hint(hint('b', '127.0.0.9', { master: false }), 1);
    expect(t.list()).toHaveLength(0);
    expect(t.hintsIgnored).toBe(2);
    t.hint(hint('b', '127.0.0.9', { loanPort: null }), 1);
    expect(t.byCluster('b')).toMatchObject({ address: '127.0.0.9', loanPort: 8781, source: 'lan' });
    const n = t.byCluster('b')!;
    t.answered(n.key, { clusterId: 'b', masterId: 'b-m', loans: [], authed: true, peerboard: true }, 2);
    for (let i = 0; i < 2; i++) t.missedOne(n.key);
    t.hint(hint('b', '127.0.0.10', { nodeId: 'b-m2' }), 3);
    expect(t.byCluster('b')).toMatchObject({ address: '127.0.0.10', masterId: 'b-m2', missed: 0 });
    expect(t.list()).toHaveLength(1);
  });

  it('is down after 3 missed heartbeats and up again on an answer', () => {
    const t = new NeighbourTable('a', ['127.0.0.2:8781']);
    const n = t.list()[0]!;
    expect(t.up(n)).toBe(false); // never answered
    t.answered(n.key, { clusterId: 'z', authed: false, peerboard: false }, 10);
    expect(t.up(n)).toBe(true);
    expect(n.clusterId).toBe('z');
    for (let i = 0; i < LOAN_MISSED_HEARTBEATS - 1; i++) t.missedOne(n.key);
    expect(t.up(n)).toBe(true);
    t.missedOne(n.key);
    expect(t.up(n)).toBe(false);
    t.answered(n.key, { authed: false, peerboard: false }, 20);
    expect(t.up(n)).toBe(true);
    expect(t.views()[0]).toMatchObject({ source: 'config', up: true, trusted: false, lastSeen: new Date(20).toISOString() });
  });

  it('keeps at most 64 LAN neighbours under a flood of forged clusters (the oldest heard goes)', () => {
    const t = new NeighbourTable('a', ['127.0.0.2:8781']);
    for (let i = 0; i < 10_000; i++) t.hint(hint(`forged-${i}`), i);
    expect(t.list().filter((n) => n.source === 'lan')).toHaveLength(MAX_LAN_NEIGHBOURS);
    expect(t.list().filter((n) => n.source === 'config')).toHaveLength(1);
    expect(t.byCluster('forged-9999')).toBeDefined();
    expect(t.byCluster('forged-0')).toBeUndefined();
  });

  it('remembers when a loan was last named in an answer, and forgets ended loans', () => {
    const t = new NeighbourTable('a', ['127.0.0.2:8781']);
    const k = t.list()[0]!.key;
    t.answered(k, { loans: ['l1', 'l2'], authed: true, peerboard: true }, 100);
    t.answered(k, { loans: ['l1'], authed: true, peerboard: true }, 200);
    expect(t.heardLoan('l1')).toBe(200);
    expect(t.heardLoan('l2')).toBe(100);
    expect(t.heardLoan('l3')).toBeNull();
    t.pruneLoans(new Set(['l1']));
    expect(t.heardLoan('l2')).toBeNull();
  });
});
