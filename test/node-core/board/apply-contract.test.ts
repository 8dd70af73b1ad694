// The board's apply contract: malformed commands and entries are refused without a crash or a
// change, retried requests apply once, history queries page and filter, snapshots round-trip.
import { beforeEach, describe, expect, it } from 'vitest';
import { Board } from '../../../node-core/src/board/state-machine.js';
import type { BoardSnapshot } from '../../../node-core/src/board/types.js';
import type { StateMachine } from '../../../node-core/src/consensus/state-machine.js';
import { BadRequestError, ConfigError } from '../../../node-core/src/errors.js';
import { Driver, T0, T0_SEC, expectError, expectOk, stateOf } from './driver.js';

let d: Driver;
beforeEach(() => {
  d = new Driver();
  d.addServers('server-01', 'server-02');
  expectOk(d.run({ type: 'reserve', host: 'server-01', user: 'alice', until: T0_SEC + 600 }));
});

describe('malformed commands', () => {
  const base = { type: 'reserve', host: 'server-02', user: 'bob', until: T0_SEC + 600 };
  const cases: Array<[string, unknown, RegExp]> = [
    ['null', null, /expected a JSON object/],
    ['a string', 'reserve', /expected a JSON object/],
    ['an array', [base], /expected a JSON object/],
    ['no type', { host: 'server-02' }, /type/],
    ['a numeric type', { ...base, type: 7 }, /type/],
    ['an unknown type', { ...base, type: 'steal' }, /unknown command type 'steal'/],
    ['a huge unknown type', { ...base, type: 'x'.repeat(1_000_000) }, /unknown command type/],
    ['no end (neither until nor durationSec)', { type: 'reserve', host: 'server-02', user: 'bob' }, /: durationSec: send exactly one of durationSec/],
    ['both ends', { ...base, durationSec: 600 }, /: durationSec: send exactly one of durationSec/],
    ['a duration over 30 days', { type: 'reserve', host: 'server-02', user: 'bob', durationSec: 30 * 24 * 3600 + 1 }, /: durationSec:/],
    ['a zero duration', { type: 'reserve', host: 'server-02', user: 'bob', durationSec: 0 }, /: durationSec:/],
    ['a host with a slash', { ...base, host: 'a/b' }, /: host:/],
    ['until as a string', { ...base, until: String(T0_SEC + 600) }, /: until:/],
    ['until as a fraction', { ...base, until: T0_SEC + 600.5 }, /: until:/],
    ['until negative', { ...base, until: -5 }, /: until:/],
    ['until NaN', { ...base, until: Number.NaN }, /: until:/],
    ['force as a string', { type: 'release', host: 'server-01', user: 'alice', force: 'yes' }, /: force:/],
    ['an unknown field', { ...base, admin: true }, /: admin: unknown field/],
    ['a nested unknown field', { type: 'server-add', server: { host: 'x', owner: 'me' } }, /: server\.owner: unknown field/],
    ['a huge comment', { ...base, comment: 'c'.repeat(1_000_000) }, /: comment:/],
    ['a huge user', { ...base, user: 'u'.repeat(10_000) }, /: user:/],
    ['a user with a newline', { ...base, user: 'bo\nb' }, /: user:/],
    ['an empty user', { ...base, user: '' }, /: user:/],
    ['a huge import', { type: 'servers-import', servers: Array.from({ length: 10_001 }, (_, i) => ({ host: `h${i}` })) }, /: servers:/],
  ];

  it.each(cases)('%s gives BAD_REQUEST naming the field and changes nothing', (_name, cmd, message) => {
    const before = stateOf(d.board);
    const rows = d.board.history({}).total;
    const err = expectError(d.run(cmd, { user: 'bob' }), 'BAD_REQUEST');
    expect(err.message).toMatch(message);
    expect(err.message.length).toBeLessThan(500);
    expect(stateOf(d.board)).toEqual(before);
    const page = d.board.history({});
    expect(page.total).toBe(rows + 1);
    expect(page.items[0]).toMatchObject({ result: 'error', errorCode: 'BAD_REQUEST', id: d.index });
  });

  it('records the operation and host of a refused command when they are readable', () => {
    expectError(d.run({ type: 'reserve', host: 'server-02', user: 'bob' }), 'BAD_REQUEST');
    expect(d.board.history({}).items[0]).toMatchObject({ operation: 'reserve', serverHost: 'server-02', user: 'bob' });
    expectError(d.run(null, { user: 'carol' }), 'BAD_REQUEST');
    expect(d.board.history({}).items[0]).toMatchObject({ operation: 'invalid', serverHost: '', user: 'carol' });
  });

  it('a command whose fields throw when read is refused, not thrown', () => {
    const hostile = {
      get type(): string {
        throw new Error('boom');
      },
    };
    const before = stateOf(d.board);
    const r = d.run(hostile);
    expect(r.ok).toBe(false);
    expect(stateOf(d.board)).toEqual(before);
  });
});

describe('malformed entries', () => {
  const meta = { user: 'bob', nodeId: 'node-a', nodeIP: '127.0.0.1', reqId: 'r-x' };
  const cmd = { type: 'reserve', host: 'server-02', user: 'bob', until: T0_SEC + 600 };
  const cases: Array<[string, unknown, string]> = [
    ['null', null, 'BAD_REQUEST'],
    ['a negative index', { index: -1, at: T0, cmd, meta }, 'index'],
    ['a fractional index', { index: 1.5, at: T0, cmd, meta }, 'index'],
    ['at as a string', { index: 9, at: String(T0), cmd, meta }, 'at'],
    ['at NaN', { index: 9, at: Number.NaN, cmd, meta }, 'at'],
    ['no meta', { index: 9, at: T0, cmd }, 'meta'],
    ['meta without reqId', { index: 9, at: T0, cmd, meta: { ...meta, reqId: undefined } }, 'meta.reqId'],
    ['a huge meta.user', { index: 9, at: T0, cmd, meta: { ...meta, user: 'u'.repeat(5000) } }, 'meta.user'],
  ];
  it.each(cases)('%s is refused with no history row and no change', (_name, entry, field) => {
    const before = stateOf(d.board);
    const rows = d.board.history({}).total;
    const r = d.board.apply(entry as never);
    const err = expectError(r, 'BAD_REQUEST');
    if (field !== 'BAD_REQUEST') expect(err.details).toEqual({ field });
    expect(stateOf(d.board)).toEqual(before);
    expect(d.board.history({}).total).toBe(rows);
    expect(d.board.resultFor('r-x')).toBeUndefined();
  });
});

describe('idempotency', () => {
  it('a retried reqId returns the stored result and changes nothing', () => {
    const first = d.run({ type: 'queue', host: 'server-01', user: 'bob', durationSec: 600 }, { reqId: 'k1' });
    const rows = d.board.history({}).total;
    const again = d.run({ type: 'queue', host: 'server-01', user: 'bob', durationSec: 600 }, { reqId: 'k1' });
    expect(again).toEqual(first);
    expect(d.board.history({}).total).toBe(rows);
    expect(d.board.server('server-01')!.queue).toHaveLength(1);
    expect(d.board.resultFor('k1')).toEqual(first);
  });

  it('a refused result is stored too: the retry is refused the same way even if it would now pass', () => {
    const refused = d.run({ type: 'reserve', host: 'server-01', user: 'bob', until: T0_SEC + 900 }, { reqId: 'k2' });
    expectError(refused, 'CONFLICT');
    expectOk(d.run({ type: 'release', host: 'server-01', user: 'alice' }));
    expect(d.run({ type: 'reserve', host: 'server-01', user: 'bob', until: T0_SEC + 900 }, { reqId: 'k2' })).toEqual(refused);
    expect(d.board.server('server-01')!.holder).toBeNull();
  });

  it('a caller mutating a returned result does not alter the stored one', () => {
    const r = d.run({ type: 'reserve', host: 'server-02', user: 'bob', until: T0_SEC + 900 }, { reqId: 'k3' });
    (expectOk(r).server as { holder: string }).holder = 'mallory';
    expect((expectOk(d.board.resultFor('k3')!).server as { holder: string }).holder).toBe('bob');
  });

  it('keeps at most idempotencyLimit keys, forgetting the oldest first', () => {
    const small = new Driver(new Board({ idempotencyLimit: 3 }));
    small.addServers('h');
    for (const k of ['a', 'b', 'c', 'd']) small.run({ type: 'server-update', host: 'h', patch: { comment: k } }, { reqId: k });
    expect(small.board.resultFor('a')).toBeUndefined();
    expect(['b', 'c', 'd'].map((k) => small.board.resultFor(k)?.ok)).toEqual([true, true, true]);
    expect(small.board.snapshot().applied.map(([k]) => k)).toEqual(['b', 'c', 'd']);
  });

  it('an empty reqId is never remembered', () => {
    d.run({ type: 'queue', host: 'server-01', user: 'bob', durationSec: 600 }, { reqId: '' });
    expectError(d.run({ type: 'queue', host: 'server-01', user: 'bob', durationSec: 600 }, { reqId: '' }), 'CONFLICT');
  });
});

describe('history queries', () => {
  beforeEach(() => {
    // entries: add 01, add 02, reserve 01 (alice) from the outer beforeEach, then:
    d.advance(100);
    expectOk(d.run({ type: 'reserve', host: 'server-02', user: 'bob', until: T0_SEC + 900 }));
    expectError(d.run({ type: 'reserve', host: 'server-02', user: 'carol', until: T0_SEC + 900 }), 'CONFLICT');
    d.advance(100);
    expectOk(d.run({ type: 'release', host: 'server-01', user: 'alice' }));
  });

  it('returns newest first, filtered by user, host, operation, result and since', () => {
    expect(d.board.history({}).items.map((r) => r.id)).toEqual([6, 5, 4, 3, 2, 1]);
    expect(d.board.history({ user: 'alice' }).items.map((r) => r.operation)).toEqual(['release', 'reserve']);
    expect(d.board.history({ host: 'server-02' }).items.map((r) => r.user)).toEqual(['carol', 'bob', 'admin']);
    expect(d.board.history({ operation: 'server-add' }).total).toBe(2);
    expect(d.board.history({ result: 'error' }).items.map((r) => r.user)).toEqual(['carol']);
    expect(d.board.history({ since: T0_SEC + 100 }).items.map((r) => r.id)).toEqual([6, 5, 4]);
    expect(d.board.history({ host: 'server-02', result: 'ok', user: 'bob' }).total).toBe(1);
  });

  it('pages with limit and offset; limit defaults to 50 and is capped at 500', () => {
    expect(d.board.history({ limit: 2, offset: 1 })).toMatchObject({ total: 6, limit: 2, offset: 1 });
    expect(d.board.history({ limit: 2, offset: 1 }).items.map((r) => r.id)).toEqual([5, 4]);
    expect(d.board.history({ offset: 6 }).items).toEqual([]);
    expect(d.board.history({}).limit).toBe(50);
    expect(d.board.history({ limit: 10_000 }).limit).toBe(500);
    expect(d.board.history({ limit: -3, offset: -1 })).toMatchObject({ limit: 1, offset: 0 });
  });

  it('keeps at most historyLimit rows, dropping the oldest', () => {
    const small = new Driver(new Board({ historyLimit: 3 }));
    small.addServers('a', 'b', 'c', 'e');
    expect(small.board.history({}).items.map((r) => r.serverHost)).toEqual(['e', 'c', 'b']);
  });
});

describe('snapshots', () => {
  it('round-trips exactly through JSON, and the restored board applies further entries identically', () => {
    expectOk(d.run({ type: 'queue', host: 'server-01', user: 'bob', durationSec: 300 }));
    expectOk(d.run({ type: 'user-register', username: 'bob', addr: '127.0.0.1:9000', userId: 'u-b' }));
    expectOk(d.run({ type: 'cluster-register', node: { id: 'n1', url: 'http://127.0.0.1:1', clusterId: 'c', role: 'worker', capabilities: {}, tags: ['x'], metadata: {} } }));
    const snap = JSON.parse(JSON.stringify(d.board.snapshot())) as BoardSnapshot;
    const restored = Board.fromSnapshot(snap);
    expect(restored.snapshot()).toEqual(d.board.snapshot());

    const other = new Driver(restored);
    other.index = d.index;
    other.at = d.at;
    const next = [
      { type: 'reserve', host: 'server-02', user: 'carol', until: T0_SEC + 1200 },
      { type: 'queue', host: 'server-01', user: 'bob', durationSec: 300 },
      { type: 'expire', host: 'server-01', until: T0_SEC + 600 },
    ];
    d.advance(600);
    other.advance(600);
    for (const cmd of next) expect(other.run(cmd)).toEqual(d.run(cmd));
    expect(d.board.server('server-01')!.holder).toBe('bob');
    expect(restored.snapshot()).toEqual(d.board.snapshot());
    // a retried key from before the snapshot is still answered from the store
    expect(other.run({ type: 'user-register', username: 'bob', addr: '127.0.0.1:9000', userId: 'u-b' }, { reqId: 'req-5' })).toEqual(
      d.board.resultFor('req-5'),
    );
  });

  it('an invalid snapshot is refused with BadRequestError and restore leaves the board as it was', () => {
    const good = d.board.snapshot();
    const before = d.board.snapshot();
    const bad: unknown[] = [
      null,
      { ...good, version: 2 },
      { ...good, servers: 'nope' },
      { ...good, servers: [good.servers[0], good.servers[0]] },
      { ...good, servers: [{ ...good.servers[0]!, until: null }] },
    ];
    for (const b of bad) {
      expect(() => d.board.restore(b as BoardSnapshot)).toThrow(BadRequestError);
      expect(d.board.snapshot()).toEqual(before);
    }
  });

  it('a shared snapshot holds the same data; a default one is a copy the caller may change', () => {
    const d = new Driver();
    d.addServers('server-01', 'server-02');
    expectOk(d.run({ type: 'reserve', host: 'server-01', user: 'alice', until: T0_SEC + 600 }));
    const shared = d.board.snapshot({ share: true });
    const copy = d.board.snapshot();
    expect(shared).toEqual(copy);
    copy.servers[0]!.comment = 'changed by the caller';
    copy.history.length = 0;
    expect(d.board.snapshot()).toEqual(shared);
  });

  it('reset() empties servers, history and remembered results, so a replayed key applies again', () => {
    const d = new Driver();
    d.addServers('server-01');
    expectOk(d.run({ type: 'reserve', host: 'server-01', user: 'alice', until: T0_SEC + 600 }, { reqId: 'k1' }));
    expect(d.board.resultFor('k1')).toBeDefined();
    d.board.reset();
    expect(d.board.snapshot()).toEqual(new Board().snapshot());
    expect(d.board.resultFor('k1')).toBeUndefined();
    d.addServers('server-01');
    expectOk(d.run({ type: 'reserve', host: 'server-01', user: 'bob', until: T0_SEC + 600 }, { reqId: 'k1' }));
    expect(d.board.snapshot().servers[0]).toMatchObject({ holder: 'bob' });
  });

  it('satisfies the consensus StateMachine interface and checks its options', () => {
    const sm: StateMachine = new Board();
    expect(sm.resultFor('x')).toBeUndefined();
    expect(() => new Board({ historyLimit: 0 })).toThrow(ConfigError);
    expect(() => new Board({ idempotencyLimit: 1.5 })).toThrow(ConfigError);
  });
});
