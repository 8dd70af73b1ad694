// Loans as board records (issue 13): every loan command and every refusal through the real board, the
// limits against hostile values (before the log and at apply), the readable history lines, the
// system/admin-only rule, and a round trip through a snapshot stored in real SQLite.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkProposal } from '../../../node-core/src/board/commands.js';
import { Board } from '../../../node-core/src/board/state-machine.js';
import { hostsOf } from '../../../node-core/src/change-rows.js';
import { commandNeed } from '../../../node-core/src/security/forward-auth.js';
import { SqliteStore } from '../../../node-core/src/storage/sqlite-store.js';
import { MAX_ACTIVE_LOANS, MAX_ENDED_LOANS, type Loan } from '../../../node-core/src/loans/types.js';
import { TmpDirs } from '../storage/tmp-dirs.js';
import { Driver, T0, expectError, expectOk } from '../board/driver.js';

const META = { user: 'system', nodeId: 'n1', nodeIP: '127.0.0.1', reqId: '' };
const peer = { clusterId: 'farm-b', masterId: 'master-b', address: '10.0.0.9', loanPort: 8781, peerboard: true };

function start(over: Record<string, unknown> = {}, id = 'm1:w1:1'): Record<string, unknown> {
  return { type: 'loan-start', loan: { id, direction: 'out', workerId: 'w1', workerName: 'node-w1', peer, leaseMs: 600_000, ...over } };
}

let d: Driver;
beforeEach(() => {
  d = new Driver();
});

describe('loan-start', () => {
  it('adds an active loan from the entry time for leaseMs, with a readable history row on the worker host', () => {
    const v = expectOk(d.run(start(), { user: 'system' })) as { loan: Loan };
    expect(v.loan).toMatchObject({ id: 'm1:w1:1', state: 'active', since: T0, until: T0 + 600_000, endedAt: null, endReason: null });
    expect(d.board.loans().active.get('m1:w1:1')).toEqual(v.loan);
    const row = d.board.history({ operation: 'loan-start' }).items[0]!;
    expect(row).toMatchObject({ user: 'system', serverHost: 'node-w1', result: 'ok', comment: 'lent node-w1 to farm farm-b until 2026-11-22T12:10:00Z' });
    expect(d.board.lastUpdated()).toBe(T0 / 1000);
  });

  it('writes "borrowed ... from farm ..." for an in loan, naming the worker id or the address when names are absent', () => {
    expectOk(d.run(start({ direction: 'in', workerName: null, peer: { ...peer, clusterId: null } })));
    expect(d.board.history({ operation: 'loan-start' }).items[0]).toMatchObject({ serverHost: '', comment: 'borrowed w1 from farm 10.0.0.9' });
  });

  it('refuses an id in use (active or ended), a second loan of a worker in one direction, and leaves the board as it was', () => {
    expectOk(d.run(start()));
    expect(expectError(d.run(start({ workerId: 'w2' })), 'CONFLICT').message).toContain('exists already');
    expect(expectError(d.run(start({}, 'm1:w1:2')), 'CONFLICT').message).toMatch(/w1 is lent already \(loan m1:w1:1\)/);
    // the same worker in the other direction is another record
    expectOk(d.run(start({ direction: 'in' }, 'x:w1:3')));
    expectOk(d.run({ type: 'loan-end', id: 'm1:w1:1', reason: 'returned' }));
    expectError(d.run(start({ workerId: 'w9' })), 'CONFLICT'); // an ended loan's id is not reused
    expectOk(d.run(start({}, 'm1:w1:4'))); // the worker is free to lend again
    expect(d.board.loans().active.size).toBe(2);
    expect(d.board.history({ operation: 'loan-start', result: 'error' }).total).toBe(3);
  });

  it(`refuses the ${MAX_ACTIVE_LOANS + 1}th active loan`, () => {
    for (let i = 0; i < MAX_ACTIVE_LOANS; i++) expectOk(d.run(start({ workerId: `w${i}` }, `id-${i}`)));
    const err = expectError(d.run(start({ workerId: 'last' }, 'id-last')), 'CONFLICT');
    expect(err.message).toContain(`${MAX_ACTIVE_LOANS} active loans`);
    expect(d.board.loans().active.size).toBe(MAX_ACTIVE_LOANS);
    // ending one makes room again
    expectOk(d.run({ type: 'loan-end', id: 'id-0', reason: 'recalled' }));
    expectOk(d.run(start({ workerId: 'last' }, 'id-last')));
  });
});

describe('loan-renew', () => {
  it('moves until to entry time + leaseMs, never backwards, and leaves no history row', () => {
    expectOk(d.run(start()));
    d.advance(400);
    const v = expectOk(d.run({ type: 'loan-renew', id: 'm1:w1:1', leaseMs: 600_000 })) as { loan: Loan; previousUntil: number };
    expect(v.previousUntil).toBe(T0 + 600_000);
    expect(v.loan.until).toBe(T0 + 1_000_000);
    // a shorter lease does not shorten the loan
    expectOk(d.run({ type: 'loan-renew', id: 'm1:w1:1', leaseMs: 1000 }));
    expect(d.board.loans().active.get('m1:w1:1')!.until).toBe(T0 + 1_000_000);
    expect(d.board.history({ operation: 'loan-renew' }).total).toBe(0);
  });

  it('refuses an unknown id (NOT_FOUND) and an ended loan (CONFLICT), with clear messages', () => {
    expect(expectError(d.run({ type: 'loan-renew', id: 'nope', leaseMs: 1000 }), 'NOT_FOUND').message).toBe('no active loan with id nope');
    expectOk(d.run(start()));
    expectOk(d.run({ type: 'loan-end', id: 'm1:w1:1', reason: 'expired' }));
    expect(expectError(d.run({ type: 'loan-renew', id: 'm1:w1:1', leaseMs: 1000 }), 'CONFLICT').message).toBe('loan m1:w1:1 ended (expired) and cannot be renewed');
  });
});

describe('loan-end', () => {
  it.each(['returned', 'recalled', 'expired', 'lost', 'refused'] as const)('ends a loan %s with a readable line', (reason) => {
    expectOk(d.run(start()));
    d.advance(5);
    const v = expectOk(d.run({ type: 'loan-end', id: 'm1:w1:1', reason })) as { loan: Loan; changed: boolean };
    expect(v).toMatchObject({ changed: true, loan: { state: 'ended', endedAt: T0 + 5000, endReason: reason } });
    expect(d.board.loans().active.size).toBe(0);
    expect(d.board.loans().ended.map((l) => l.id)).toEqual(['m1:w1:1']);
    expect(d.board.history({ operation: 'loan-end' }).items[0]).toMatchObject({ serverHost: 'node-w1', comment: `loan of node-w1 ended: ${reason}`, details: { reason } });
  });

  it('is a no-op success on an ended loan (both sides may end it), and NOT_FOUND on an unknown one', () => {
    expectOk(d.run(start()));
    expectOk(d.run({ type: 'loan-end', id: 'm1:w1:1', reason: 'returned' }));
    const again = expectOk(d.run({ type: 'loan-end', id: 'm1:w1:1', reason: 'lost' })) as { loan: Loan; changed: boolean };
    expect(again).toMatchObject({ changed: false, loan: { endReason: 'returned' } });
    expect(d.board.history({ operation: 'loan-end' }).total).toBe(1);
    expectError(d.run({ type: 'loan-end', id: 'never', reason: 'lost' }), 'NOT_FOUND');
  });

  it(`keeps at most ${MAX_ENDED_LOANS} ended loans, oldest dropped first`, () => {
    for (let i = 0; i < MAX_ENDED_LOANS + 5; i++) {
      expectOk(d.run(start({}, `e-${i}`)));
      expectOk(d.run({ type: 'loan-end', id: `e-${i}`, reason: 'returned' }));
    }
    const ended = d.board.loans().ended;
    expect(ended.length).toBe(MAX_ENDED_LOANS);
    expect(ended[0]!.id).toBe('e-5');
    expect(ended.at(-1)!.id).toBe(`e-${MAX_ENDED_LOANS + 4}`);
  });
});

describe('hostile values are refused before the log and at apply', () => {
  it.each([
    ['loan.id', start({}, 'x'.repeat(201))],
    ['loan.id', start({}, 'a b')],
    ['loan.id', start({}, '')],
    ['loan.workerId', start({ workerId: 'w\n1' })],
    ['loan.workerId', start({ workerId: 7 })],
    ['loan.workerName', start({ workerName: 'n'.repeat(101) })],
    ['loan.workerName', start({ workerName: 'a\u0000b' })],
    ['loan.direction', start({ direction: 'sideways' })],
    ['loan.leaseMs', start({ leaseMs: 999 })],
    ['loan.leaseMs', start({ leaseMs: 24 * 3600 * 1000 + 1 })],
    ['loan.leaseMs', start({ leaseMs: 1500.5 })],
    ['loan.leaseMs', start({ leaseMs: '600000' })],
    ['loan.peer.loanPort', start({ peer: { ...peer, loanPort: 0 } })],
    ['loan.peer.loanPort', start({ peer: { ...peer, loanPort: 65536 } })],
    ['loan.peer.address', start({ peer: { ...peer, address: '1'.repeat(65) } })],
    ['loan.peer.address', start({ peer: { ...peer, address: '10.0.0.1/evil path' } })],
    ['loan.peer.clusterId', start({ peer: { ...peer, clusterId: 'c'.repeat(65) } })],
    ['loan.peer.masterId', start({ peer: { ...peer, masterId: 'm'.repeat(65) } })],
    ['loan.peer.peerboard', start({ peer: { ...peer, peerboard: 'yes' } })],
    ['loan.peer.extra', start({ peer: { ...peer, extra: 1 } })],
    ['loan.since', start({ since: 0 })],
    ['id', { type: 'loan-renew', id: 'x'.repeat(10_000), leaseMs: 1000 }],
    ['leaseMs', { type: 'loan-renew', id: 'a', leaseMs: -1 }],
    ['reason', { type: 'loan-end', id: 'a', reason: 'stolen' }],
    ['reason', { type: 'loan-end', id: 'a' }],
    ['extra', { type: 'loan-end', id: 'a', reason: 'lost', extra: true }],
  ] as Array<[string, Record<string, unknown>]>)('refuses a bad %s', (field, cmd) => {
    const gate = checkProposal(cmd, META);
    expect(gate.ok).toBe(false);
    if (!gate.ok) expect(gate.message).toContain(field);
    const err = expectError(d.run(cmd), 'BAD_REQUEST');
    expect(err.message).toContain(field);
    expect(d.board.loans().active.size).toBe(0);
  });

  it('takes the bounds themselves (ids of 200 chars, a 1 s and a 24 h lease, port 1 and 65535, IPv6 addresses)', () => {
    expectOk(d.run(start({ workerId: 'w'.repeat(200), leaseMs: 1000, peer: { ...peer, loanPort: 1, address: 'fd00::1' } }, 'i'.repeat(200))));
    expectOk(d.run(start({ workerId: 'w2', leaseMs: 24 * 3600 * 1000, peer: { ...peer, loanPort: 65535, clusterId: null, masterId: null, peerboard: false } }, 'id2')));
    expect(d.board.loans().active.size).toBe(2);
  });
});

describe('access and change events', () => {
  it('needs admin (system writes sign with the admin token), never a user token', () => {
    for (const type of ['loan-start', 'loan-renew', 'loan-end']) expect(commandNeed({ type })).toBe('admin');
  });

  it('makes clients refresh the whole board (loans mark rows "On loan")', () => {
    expect(hostsOf(start())).toBeNull();
    expect(hostsOf({ type: 'loan-end', id: 'a', reason: 'lost' })).toBeNull();
  });
});

describe('snapshots', () => {
  const dirs = new TmpDirs();
  afterEach(() => dirs.cleanup());

  it('survive a snapshot stored in SQLite and restored by a new board; old snapshots restore to no loans', () => {
    expectOk(d.run(start()));
    expectOk(d.run(start({ workerId: 'w2', direction: 'in' }, 'b:w2:1')));
    expectOk(d.run({ type: 'loan-end', id: 'b:w2:1', reason: 'lost' }));
    const dir = dirs.make();
    const store = SqliteStore.open(dir);
    store.saveSnapshot({ index: d.index, term: 1, config: { incarnation: 'inc', voters: [] }, board: d.board.snapshot({ share: true }) });
    store.close();
    const reopened = SqliteStore.open(dir);
    const snap = reopened.snapshot();
    reopened.close();
    const restored = Board.fromSnapshot(snap!.board);
    expect([...restored.loans().active.values()]).toEqual([...d.board.loans().active.values()]);
    expect(restored.loans().ended).toEqual(d.board.loans().ended);
    // the restored board goes on applying: the ended id stays taken, the active one can end
    const next = new Driver(restored);
    next.index = d.index;
    expectError(next.run(start({ workerId: 'w3' }, 'b:w2:1')), 'CONFLICT');
    expectOk(next.run({ type: 'loan-end', id: 'm1:w1:1', reason: 'returned' }));

    const old = JSON.parse(JSON.stringify(d.board.snapshot()));
    delete old.loans;
    expect(Board.fromSnapshot(old).loans().active.size).toBe(0);
  });

  it('refuses an inconsistent loans part', () => {
    expectOk(d.run(start()));
    const snap = JSON.parse(JSON.stringify(d.board.snapshot()));
    const twice = structuredClone(snap);
    twice.loans.active.push(twice.loans.active[0]);
    expect(() => Board.fromSnapshot(twice)).toThrow(/loans: loan m1:w1:1 appears twice/);
    const endedActive = structuredClone(snap);
    endedActive.loans.active[0].state = 'ended';
    expect(() => Board.fromSnapshot(endedActive)).toThrow(/marked ended/);
    const badReason = structuredClone(snap);
    badReason.loans.ended = [{ ...badReason.loans.active[0], state: 'ended', endedAt: 1, endReason: 'stolen' }];
    expect(() => Board.fromSnapshot(badReason)).toThrow(/invalid board snapshot/);
    const tooMany = structuredClone(snap);
    tooMany.loans.active = Array.from({ length: MAX_ACTIVE_LOANS + 1 }, (_, i) => ({ ...snap.loans.active[0], id: `x${i}` }));
    expect(() => Board.fromSnapshot(tooMany)).toThrow(/invalid board snapshot/);
  });
});
