// change-rows.ts: which hosts a command names (none for presence and registrations, null when it
// cannot say: an import that replaces, more rows than a change carries, junk), and the event built
// from them against a board (touched rows as they are now, missing hosts as removed).
import { describe, expect, it } from 'vitest';
import { MAX_CHANGE_ROWS } from '../../node-core/src/api/peer-api.js';
import { Board } from '../../node-core/src/board/state-machine.js';
import { changeEventOf, hostsOf } from '../../node-core/src/change-rows.js';

const meta = { user: 'admin', nodeId: 'n1', nodeIP: '127.0.0.1', reqId: '' };

describe('hostsOf', () => {
  it('names hosts only for commands that say them', () => {
    expect(hostsOf({ type: 'presence', users: [], nodes: [] })).toEqual([]);
    expect(hostsOf({ type: 'user-register', username: 'a', addr: 'x', userId: 'u' })).toEqual([]);
    expect(hostsOf({ type: 'reserve', host: 'a', user: 'u', until: 1 })).toEqual(['a']);
    expect(hostsOf({ type: 'server-add', server: { host: 'b' } })).toEqual(['b']);
    expect(hostsOf({ type: 'servers-import', servers: [{ host: 'a' }, { host: 'a' }] })).toEqual(['a']);
    expect(hostsOf({ type: 'servers-import', servers: [{ host: 'a' }], replace: true })).toBeNull();
    expect(hostsOf({ type: 'servers-import', servers: Array.from({ length: MAX_CHANGE_ROWS + 1 }, (_, i) => ({ host: `h${i}` })) })).toBeNull();
    expect(hostsOf({ type: 'servers-import', servers: [{ host: 7 }] })).toBeNull();
    expect(hostsOf('junk')).toBeNull();
    expect(hostsOf(null)).toBeNull();
    expect(hostsOf({ type: 42 })).toBeNull();
  });
});

describe('changeEventOf', () => {
  it('carries the touched rows as the board has them, removed hosts, and lastUpdate', () => {
    const b = new Board({ historyLimit: 100 });
    const at = 1_700_000_000_000;
    b.apply({ index: 1, at, cmd: { type: 'servers-import', servers: [{ host: 'a' }, { host: 'b' }] }, meta } as never);
    b.apply({ index: 2, at: at + 1000, cmd: { type: 'reserve', host: 'a', user: 'ann', until: at / 1000 + 3600 }, meta } as never);
    const e = changeEventOf(2, { type: 'reserve', host: 'a', user: 'ann', until: 0 }, b, null);
    expect(e).toEqual({ type: 'change', index: 2, request: null, lastUpdate: at / 1000 + 1, rows: [b.server('a')], removed: [] });
    expect(e.rows?.[0]?.holder).toBe('ann');
    b.apply({ index: 3, at: at + 2000, cmd: { type: 'server-remove', host: 'b' }, meta } as never);
    expect(changeEventOf(3, { type: 'server-remove', host: 'b' }, b, null)).toMatchObject({ rows: [], removed: ['b'] });
    expect(changeEventOf(4, { type: 'servers-import', servers: [], replace: true }, b, null)).toEqual({ type: 'change', index: 4, request: null, lastUpdate: b.lastUpdated(), full: true });
  });
});
