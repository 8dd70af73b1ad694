// The 'presence' board command on its own: lastSeen only moves forward, never past the entry's
// time, unknown names are skipped, no history row, and a snapshot carries presence across restore.
import { describe, expect, it } from 'vitest';
import { Board } from '../../node-core/src/board/state-machine.js';

const meta = (reqId: string) => ({ user: 'system', nodeId: 'n1', nodeIP: '127.0.0.1', reqId });

describe('presence command', () => {
  it('moves lastSeen forward only, clamps to the entry time, skips unknown names, leaves no history', () => {
    const b = new Board();
    expect(b.apply({ index: 1, at: 1_000_000, cmd: { type: 'user-register', username: 'alice', addr: '10.0.0.1:9000', userId: 'u1' }, meta: meta('r1') }).ok).toBe(true);
    const beat = (index: number, at: number, seen: number, addr = '10.0.0.2:9000') =>
      b.apply({ index, at, cmd: { type: 'presence', users: [{ username: 'alice', addr, at: seen }, { username: 'ghost', addr, at: seen }], nodes: [] }, meta: meta(`p${index}`) });
    expect(beat(2, 2_000_000, 1_999_000)).toEqual({ ok: true, value: { users: 1, nodes: 0 } });
    expect(b.users()[0]).toMatchObject({ lastSeen: 1_999_000, lastAddr: '10.0.0.2:9000' });
    expect(beat(3, 2_100_000, 1_500_000, '10.0.0.3:1').ok).toBe(true); // older: ignored
    expect(b.users()[0]).toMatchObject({ lastSeen: 1_999_000, lastAddr: '10.0.0.2:9000' });
    expect(beat(4, 2_200_000, 9_999_999_999).ok).toBe(true); // a fast clock cannot push it ahead
    expect(b.users()[0]?.lastSeen).toBe(2_200_000);
    expect(b.history({}).items.map((h) => h.operation)).toEqual(['user-register']);
    expect(b.resultFor('p2')).toBeUndefined(); // presence keys do not crowd out real idempotency keys
    const restored = Board.fromSnapshot(JSON.parse(JSON.stringify(b.snapshot())));
    expect(restored.users()).toEqual(b.users());
  });

  it('refuses malformed batches with a clear BAD_REQUEST and changes nothing', () => {
    const b = new Board();
    b.apply({ index: 1, at: 1000, cmd: { type: 'user-register', username: 'alice', addr: '10.0.0.1:9000', userId: 'u1' }, meta: meta('r1') });
    for (const cmd of [
      { type: 'presence', users: [{ username: 'alice', addr: 'nope', at: 1 }], nodes: [] },
      { type: 'presence', users: [{ username: 'alice', addr: '1.2.3.4:5', at: -1 }], nodes: [] },
      { type: 'presence', users: [], nodes: [{ id: 'x', at: 1, status: 'active', load: Number.NaN }] },
      { type: 'presence', users: [] },
      { type: 'presence', users: Array.from({ length: 501 }, () => ({ username: 'alice', addr: '1.2.3.4:5', at: 1 })), nodes: [] },
    ]) {
      const r = b.apply({ index: 2, at: 2000, cmd, meta: meta('') });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('BAD_REQUEST');
    }
    expect(b.users()[0]?.lastSeen).toBeUndefined();
  });
});
