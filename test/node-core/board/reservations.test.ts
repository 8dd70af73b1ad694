// Board reservation semantics: reserve, release, extend, queue, unqueue and expire, each success
// and each refusal, with the history rows they leave.
import { beforeEach, describe, expect, it } from 'vitest';
import { DAY, Driver, T0_SEC, expectError, expectOk, stateOf } from './driver.js';
import { Board } from '../../../node-core/src/board/state-machine.js';

let d: Driver;
beforeEach(() => {
  d = new Driver();
  d.addServers('server-01', 'server-02');
});

const reserve = (user: string, until: number, host = 'server-01', comment?: string) =>
  d.run({ type: 'reserve', host, user, until, ...(comment === undefined ? {} : { comment }) });

describe('reserve', () => {
  it('holds a free server and sets every derived field', () => {
    d.advance(10);
    const v = expectOk(reserve('alice', T0_SEC + 7200, 'server-01', 'integration tests'));
    const s = d.board.server('server-01')!;
    expect(v.server).toEqual(s);
    expect(s).toMatchObject({
      holder: 'alice',
      until: T0_SEC + 7200,
      since: T0_SEC + 10,
      comment: 'integration tests',
      holderNode: 'node-a',
      available: false,
      action: 'Reserved',
    });
    expect(d.board.serversData().lastUpdate).toBe(T0_SEC + 10);
    const [row] = d.board.history({}).items;
    expect(row).toMatchObject({
      operation: 'reserve',
      serverHost: 'server-01',
      user: 'alice',
      comment: 'integration tests',
      result: 'ok',
      timestamp: T0_SEC + 10,
      id: d.index,
      nodeIP: '127.0.0.1',
      nodeId: 'node-a',
    });
  });

  it('refuses an unknown host with NOT_FOUND', () => {
    expectError(reserve('alice', T0_SEC + 60, 'nope'), 'NOT_FOUND');
  });

  it('refuses a held server, naming the holder and the end in ISO UTC', () => {
    expectOk(reserve('alice', Date.UTC(2026, 10, 22, 14) / 1000));
    const before = stateOf(d.board);
    const err = expectError(reserve('bob', T0_SEC + 60), 'CONFLICT');
    expect(err.message).toBe('server-01 is reserved by alice until 2026-11-22T14:00:00Z');
    expect(err.details).toEqual({ holder: 'alice', until: Date.UTC(2026, 10, 22, 14) / 1000 });
    expect(stateOf(d.board)).toEqual(before);
    expect(d.board.history({ result: 'error' }).items[0]).toMatchObject({ operation: 'reserve', user: 'bob', errorCode: 'CONFLICT' });
  });

  it('refuses the holder reserving again (they should extend)', () => {
    expectOk(reserve('alice', T0_SEC + 600));
    const err = expectError(reserve('alice', T0_SEC + 1200), 'CONFLICT');
    expect(err.message).toMatch(/extend/);
    expect(d.board.server('server-01')!.until).toBe(T0_SEC + 600);
  });

  it('refuses a server in maintenance', () => {
    expectOk(d.run({ type: 'maintenance', host: 'server-01', on: true }));
    const err = expectError(reserve('alice', T0_SEC + 600), 'CONFLICT');
    expect(err.details).toEqual({ maintenance: true });
    expect(d.board.server('server-01')!.holder).toBeNull();
  });

  it('refuses an end in the past, now, or more than 30 days ahead, and accepts exactly 30 days', () => {
    expect(expectError(reserve('alice', T0_SEC - 1), 'BAD_REQUEST').details).toMatchObject({ field: 'until' });
    expectError(reserve('alice', T0_SEC), 'BAD_REQUEST');
    expectError(reserve('alice', T0_SEC + 30 * DAY + 1), 'BAD_REQUEST');
    expect(d.board.server('server-01')!.holder).toBeNull();
    expectOk(reserve('alice', T0_SEC + 30 * DAY));
  });
});

describe('release', () => {
  beforeEach(() => {
    expectOk(reserve('alice', T0_SEC + 3600, 'server-01', 'mine'));
  });

  it('frees the server for its holder', () => {
    d.advance(60);
    const v = expectOk(d.run({ type: 'release', host: 'server-01', user: 'alice' }));
    expect(v.grantedTo).toBeNull();
    expect(d.board.server('server-01')).toMatchObject({
      holder: null,
      until: null,
      holderNode: null,
      available: true,
      action: 'Available',
      since: T0_SEC + 60,
      comment: '',
    });
  });

  it('refuses anyone else with FORBIDDEN, but force releases', () => {
    const err = expectError(d.run({ type: 'release', host: 'server-01', user: 'bob' }), 'FORBIDDEN');
    expect(err.details).toEqual({ holder: 'alice' });
    expect(d.board.server('server-01')!.holder).toBe('alice');
    expectOk(d.run({ type: 'release', host: 'server-01', user: 'admin', force: true }));
    expect(d.board.server('server-01')!.holder).toBeNull();
    expect(d.board.history({ operation: 'release', result: 'ok' }).items[0]!.details).toEqual({ holder: 'alice', forced: true });
  });

  it('refuses a server nobody holds (CONFLICT) and an unknown one (NOT_FOUND)', () => {
    expectError(d.run({ type: 'release', host: 'server-02', user: 'alice' }), 'CONFLICT');
    expectError(d.run({ type: 'release', host: 'ghost', user: 'alice' }), 'NOT_FOUND');
  });

  it('grants the first queued user at once, with a grant row of the same id', () => {
    expectOk(d.run({ type: 'queue', host: 'server-01', user: 'bob', durationSec: 1800, comment: 'bob tests' }));
    expectOk(d.run({ type: 'queue', host: 'server-01', user: 'carol', durationSec: 600 }));
    d.advance(100);
    const v = expectOk(d.run({ type: 'release', host: 'server-01', user: 'alice' }));
    expect(v.grantedTo).toBe('bob');
    const s = d.board.server('server-01')!;
    expect(s).toMatchObject({ holder: 'bob', until: T0_SEC + 100 + 1800, comment: 'bob tests', since: T0_SEC + 100, action: 'Reserved' });
    expect(s.queue.map((q) => q.user)).toEqual(['carol']);
    const [grant, release] = d.board.history({ limit: 2 }).items;
    expect(release).toMatchObject({ operation: 'release', user: 'alice', id: d.index });
    expect(grant).toMatchObject({ operation: 'grant', user: 'bob', id: d.index, serverHost: 'server-01', comment: 'bob tests', result: 'ok' });
  });
});

describe('extend', () => {
  beforeEach(() => {
    expectOk(reserve('alice', T0_SEC + 3600));
  });

  it('moves the end of the holder\'s hold', () => {
    expectOk(d.run({ type: 'extend', host: 'server-01', user: 'alice', until: T0_SEC + 7200 }));
    expect(d.board.server('server-01')!.until).toBe(T0_SEC + 7200);
  });

  it('refuses others (FORBIDDEN), an earlier or equal end, more than 30 days, a free server', () => {
    expectError(d.run({ type: 'extend', host: 'server-01', user: 'bob', until: T0_SEC + 7200 }), 'FORBIDDEN');
    expectError(d.run({ type: 'extend', host: 'server-01', user: 'alice', until: T0_SEC + 3600 }), 'BAD_REQUEST');
    expectError(d.run({ type: 'extend', host: 'server-01', user: 'alice', until: T0_SEC + 30 * DAY + 1 }), 'BAD_REQUEST');
    expectError(d.run({ type: 'extend', host: 'server-02', user: 'alice', until: T0_SEC + 7200 }), 'CONFLICT');
    expectError(d.run({ type: 'extend', host: 'ghost', user: 'alice', until: T0_SEC + 7200 }), 'NOT_FOUND');
    expect(d.board.server('server-01')!.until).toBe(T0_SEC + 3600);
  });
});

describe('durations are turned into ends at apply time, with the entry\'s time', () => {
  it('reserve with durationSec ends at the entry\'s time + durationSec', () => {
    d.advance(42);
    const v = expectOk(d.run({ type: 'reserve', host: 'server-01', user: 'alice', durationSec: 3600 }));
    expect((v.server as { until: number }).until).toBe(T0_SEC + 42 + 3600);
  });

  it('extend by durationSec adds to the current end, whatever the proposer believed (issue 11)', () => {
    expectOk(reserve('alice', T0_SEC + 3600));
    d.advance(600);
    // the desktop app's Extend +30 min on a hold that still has 50 min: the new end is 1h30 from T0
    const v = expectOk(d.run({ type: 'extend', host: 'server-01', user: 'alice', durationSec: 1800 }));
    expect((v.server as { until: number }).until).toBe(T0_SEC + 3600 + 1800);
    // two extensions proposed from the same stale view both count
    expectOk(d.run({ type: 'extend', host: 'server-01', user: 'alice', durationSec: 1800 }));
    expect(d.board.server('server-01')!.until).toBe(T0_SEC + 3600 + 3600);
    expect(d.board.history({ limit: 1 }).items[0]).toMatchObject({ operation: 'extend', details: { previousUntil: T0_SEC + 5400, until: T0_SEC + 7200 } });
  });

  it('extend by durationSec of a hold whose end has passed (expire not applied yet) counts from the entry\'s time', () => {
    expectOk(reserve('alice', T0_SEC + 60));
    d.advance(120);
    const v = expectOk(d.run({ type: 'extend', host: 'server-01', user: 'alice', durationSec: 600 }));
    expect((v.server as { until: number }).until).toBe(T0_SEC + 120 + 600);
  });

  it('extend by durationSec never reaches more than 30 days past the entry\'s time', () => {
    expectOk(reserve('alice', T0_SEC + 29 * DAY));
    const err = expectError(d.run({ type: 'extend', host: 'server-01', user: 'alice', durationSec: 2 * DAY }), 'BAD_REQUEST');
    expect(err.message).toMatch(/more than 30 days ahead/);
    expect(d.board.server('server-01')!.until).toBe(T0_SEC + 29 * DAY);
  });

  it('replicas replaying the same entries agree on the ends', () => {
    expectOk(d.run({ type: 'reserve', host: 'server-01', user: 'alice', durationSec: 900 }));
    d.advance(300);
    expectOk(d.run({ type: 'extend', host: 'server-01', user: 'alice', durationSec: 900 }));
    const replica = new Board();
    for (const e of d.entries) replica.apply(e);
    expect(replica.server('server-01')).toEqual(d.board.server('server-01'));
  });
});

describe('queue and unqueue', () => {
  it('grants a free server at once for durationSec', () => {
    d.advance(5);
    const v = expectOk(d.run({ type: 'queue', host: 'server-02', user: 'bob', durationSec: 900 }));
    expect(v).toMatchObject({ granted: true, position: 0 });
    expect(d.board.server('server-02')).toMatchObject({ holder: 'bob', until: T0_SEC + 5 + 900, queue: [] });
  });

  it('queues behind a holder in order and refuses duplicates and the holder', () => {
    expectOk(reserve('alice', T0_SEC + 3600));
    expect(expectOk(d.run({ type: 'queue', host: 'server-01', user: 'bob', durationSec: 60 }))).toMatchObject({ position: 1 });
    expect(expectOk(d.run({ type: 'queue', host: 'server-01', user: 'carol', durationSec: 60 }))).toMatchObject({ position: 2 });
    expectError(d.run({ type: 'queue', host: 'server-01', user: 'bob', durationSec: 60 }), 'CONFLICT');
    expectError(d.run({ type: 'queue', host: 'server-01', user: 'alice', durationSec: 60 }), 'CONFLICT');
    expectError(d.run({ type: 'queue', host: 'ghost', user: 'bob', durationSec: 60 }), 'NOT_FOUND');
    expectError(d.run({ type: 'queue', host: 'server-01', user: 'dave', durationSec: 59 }), 'BAD_REQUEST');
    expectError(d.run({ type: 'queue', host: 'server-01', user: 'dave', durationSec: 30 * DAY + 1 }), 'BAD_REQUEST');
    expect(d.board.server('server-01')!.queue.map((q) => q.user)).toEqual(['bob', 'carol']);
  });

  it('queues on a free server in maintenance and grants when maintenance ends', () => {
    expectOk(d.run({ type: 'maintenance', host: 'server-02', on: true }));
    expect(expectOk(d.run({ type: 'queue', host: 'server-02', user: 'bob', durationSec: 120 }))).toMatchObject({ granted: false });
    d.advance(30);
    expectOk(d.run({ type: 'maintenance', host: 'server-02', on: false }));
    expect(d.board.server('server-02')).toMatchObject({ holder: 'bob', until: T0_SEC + 30 + 120, action: 'Reserved', queue: [] });
    expect(d.board.history({ operation: 'grant' }).items[0]).toMatchObject({ user: 'bob', id: d.index });
  });

  it('unqueue removes the user, NOT_FOUND when not queued', () => {
    expectOk(reserve('alice', T0_SEC + 3600));
    expectOk(d.run({ type: 'queue', host: 'server-01', user: 'bob', durationSec: 60 }));
    expectOk(d.run({ type: 'unqueue', host: 'server-01', user: 'bob' }));
    expect(d.board.server('server-01')!.queue).toEqual([]);
    expectError(d.run({ type: 'unqueue', host: 'server-01', user: 'bob' }), 'NOT_FOUND');
    expectError(d.run({ type: 'unqueue', host: 'ghost', user: 'bob' }), 'NOT_FOUND');
  });
});

describe('expire', () => {
  it('ends a due hold, records it as system, and grants the queue', () => {
    expectOk(reserve('alice', T0_SEC + 600));
    expectOk(d.run({ type: 'queue', host: 'server-01', user: 'bob', durationSec: 300 }));
    expect(d.board.dueExpiries(T0_SEC + 599)).toEqual([]);
    d.advance(600);
    expect(d.board.dueExpiries(d.nowSec)).toEqual([{ host: 'server-01', until: T0_SEC + 600 }]);
    const v = expectOk(d.run({ type: 'expire', host: 'server-01', until: T0_SEC + 600 }, { user: 'node-a' }));
    expect(v).toMatchObject({ released: true, holder: 'alice', grantedTo: 'bob' });
    expect(d.board.server('server-01')).toMatchObject({ holder: 'bob', until: d.nowSec + 300 });
    const [grant, expire] = d.board.history({ limit: 2 }).items;
    expect(expire).toMatchObject({ operation: 'expire', user: 'system', serverHost: 'server-01', details: { holder: 'alice' } });
    expect(grant).toMatchObject({ operation: 'grant', user: 'bob' });
  });

  it('does nothing after the hold was extended (and leaves no history row)', () => {
    expectOk(reserve('alice', T0_SEC + 600));
    expectOk(d.run({ type: 'extend', host: 'server-01', user: 'alice', until: T0_SEC + 1200 }));
    const rows = d.board.history({}).total;
    const before = stateOf(d.board);
    d.advance(600);
    expect(expectOk(d.run({ type: 'expire', host: 'server-01', until: T0_SEC + 600 }))).toEqual({ released: false });
    expect(stateOf(d.board)).toEqual(before);
    expect(d.board.history({}).total).toBe(rows);
  });

  it('does nothing for a released server, an unknown host, or before the end', () => {
    expectOk(reserve('alice', T0_SEC + 600));
    expectOk(d.run({ type: 'expire', host: 'server-01', until: T0_SEC + 600 }));
    expect(d.board.server('server-01')!.holder).toBe('alice'); // not due yet: at < until
    expectOk(d.run({ type: 'release', host: 'server-01', user: 'alice' }));
    d.advance(700);
    expect(expectOk(d.run({ type: 'expire', host: 'server-01', until: T0_SEC + 600 }))).toEqual({ released: false });
    expect(expectOk(d.run({ type: 'expire', host: 'ghost', until: T0_SEC + 600 }))).toEqual({ released: false });
    expect(d.board.history({ operation: 'expire' }).total).toBe(0);
  });

  it('dueExpiries lists every ended hold, earliest first', () => {
    expectOk(reserve('alice', T0_SEC + 900, 'server-02'));
    expectOk(reserve('bob', T0_SEC + 600, 'server-01'));
    expect(d.board.dueExpiries(T0_SEC + 900)).toEqual([
      { host: 'server-01', until: T0_SEC + 600 },
      { host: 'server-02', until: T0_SEC + 900 },
    ]);
  });
});
