// Unit tests of the fault-run history checker (test/faults/checker.ts): hand-made histories, one per
// anomaly, each detected; and legitimate histories (hand-offs, expiries, unknown outcomes) not flagged.
import { describe, expect, it } from 'vitest';
import {
  AnomalyKind,
  certainHolds,
  checkConvergence,
  checkCrashes,
  checkFinalBoard,
  checkHistoryCounts,
  checkLogOrder,
  checkLostHolds,
  checkOverlaps,
  checkReads,
  checkReadsAgainstLog,
  checkRun,
  readRegressAcrossRestart,
} from '../faults/checker.js';
import type { FinalNodeState, HistoryRow, OpRecord, RunRecord } from '../faults/history.js';

const T0 = 1_700_000_000_000; // ms; holds end at whole seconds
const S = (ms: number) => (T0 + ms) / 1000;
let nextId = 1;

function op(p: Partial<OpRecord> & Pick<OpRecord, 'op' | 'user' | 'host' | 'outcome'>, at: number, took = 10): OpRecord {
  return { id: nextId++, client: `c-${p.user}`, node: 'n1', invokeTime: T0 + at, completeTime: T0 + at + took, attempts: 1, ...p };
}
const reserve = (user: string, host: string, at: number, untilMs: number, outcome: OpRecord['outcome'] = 'ok') =>
  op({ op: 'reserve', user, host, outcome, ...(outcome === 'ok' ? { until: S(untilMs), status: 200 } : {}) }, at);
const release = (user: string, host: string, at: number, outcome: OpRecord['outcome'] = 'ok', status?: number) =>
  op({ op: 'release', user, host, outcome, ...(status ? { status } : outcome === 'ok' ? { status: 200 } : {}) }, at);
const extend = (user: string, host: string, at: number, untilMs: number) => op({ op: 'extend', user, host, outcome: 'ok', until: S(untilMs), status: 200 }, at);
const read = (client: string, node: string, at: number, applied: number, gen = 1) =>
  op({ op: 'read', user: client, host: 'h1', outcome: 'ok', client, node, read: { nodeGen: gen, term: 1, commitIndex: applied, appliedIndex: applied, holders: {} } }, at);
const row = (id: number, operation: string, user: string, host = 'h1', result: 'ok' | 'error' = 'ok', details?: Record<string, unknown>): HistoryRow => ({
  id,
  operation,
  user,
  serverHost: host,
  result,
  timestamp: 0,
  ...(details ? { details } : {}),
});
const kinds = (xs: Array<{ kind: string }>) => xs.map((x) => x.kind);

describe('certain holds and overlaps (a)', () => {
  it('flags two users holding one host at once', () => {
    const ops = [reserve('u1', 'h1', 0, 60_000), reserve('u2', 'h1', 1000, 60_000)];
    const found = checkOverlaps(certainHolds(ops, null, 0), 50);
    expect(kinds(found)).toEqual([AnomalyKind.overlappingHolds]);
    expect(found[0]!.details!.overlapMs).toBeGreaterThan(50_000);
  });

  it('does not flag a hand-off after a release or an expiry, nor the same user twice', () => {
    const ops = [
      reserve('u1', 'h1', 0, 60_000),
      release('u1', 'h1', 2000),
      reserve('u2', 'h1', 2100, 4000), // expires at 4 s
      reserve('u3', 'h1', 4500, 60_000),
      reserve('u1', 'h2', 0, 5000),
      reserve('u1', 'h2', 6000, 60_000),
    ];
    expect(checkOverlaps(certainHolds(ops, null, 0), 50)).toEqual([]);
  });

  it('an unknown release makes the hold end at its invoke, and a failed reserve holds nothing', () => {
    const ops = [reserve('u1', 'h1', 0, 60_000), release('u1', 'h1', 1000, 'unknown'), reserve('u2', 'h1', 1500, 60_000), reserve('u3', 'h1', 1600, 60_000, 'fail')];
    expect(checkOverlaps(certainHolds(ops, null, 0), 50)).toEqual([]);
  });

  it('a hold after a still-unresolved unknown release is uncertain; the history can resolve it', () => {
    const ops = [release('u1', 'h1', 0, 'unknown'), reserve('u1', 'h1', 1000, 60_000), reserve('u2', 'h1', 2000, 60_000)];
    expect(certainHolds(ops, null, 0)[0]!.uncertain).toBe(true);
    expect(checkOverlaps(certainHolds(ops, null, 0), 50)).toEqual([]);
    // the committed history shows no ok release by u1: the unknown release never applied
    const history = [row(1, 'reserve', 'u1'), row(2, 'reserve', 'u2')];
    expect(kinds(checkOverlaps(certainHolds(ops, history, 0), 50))).toEqual([AnomalyKind.overlappingHolds]);
  });

  it('an acknowledged extend lengthens the hold; a clock-skew allowance shortens it', () => {
    const ops = [reserve('u1', 'h1', 0, 3000), extend('u1', 'h1', 1000, 60_000), reserve('u2', 'h1', 10_000, 60_000)];
    expect(kinds(checkOverlaps(certainHolds(ops, null, 0), 50))).toEqual([AnomalyKind.overlappingHolds]);
    const short = [reserve('u1', 'h1', 0, 20_000), reserve('u2', 'h1', 15_000, 60_000)];
    expect(checkOverlaps(certainHolds(short, null, 0), 50)).toHaveLength(1);
    expect(checkOverlaps(certainHolds(short, null, 10_000), 50)).toEqual([]);
  });

  it('flags a release refused while the user certainly held the host', () => {
    const ops = [reserve('u1', 'h1', 0, 60_000), { ...release('u1', 'h1', 2000, 'fail', 409), code: 'CONFLICT' }];
    expect(kinds(checkLostHolds(ops, certainHolds(ops, null, 0), 0, 50))).toEqual([AnomalyKind.holdLost]);
    const expired = [reserve('u1', 'h1', 0, 2000), { ...release('u1', 'h1', 3000, 'fail', 409), code: 'CONFLICT' }];
    expect(checkLostHolds(expired, certainHolds(expired, null, 0), 0, 50)).toEqual([]);
  });
});

describe('committed order (a)', () => {
  it('flags a reserve while another user holds, and a release by a non-holder', () => {
    const h = [row(1, 'server-add', 'admin'), row(2, 'reserve', 'u1'), row(3, 'reserve', 'u2'), row(4, 'release', 'u3')];
    expect(kinds(checkLogOrder(h))).toEqual([AnomalyKind.logDoubleHold, AnomalyKind.logForeignWrite]);
  });

  it('accepts release, expiry and refused reserves in between, in any row order', () => {
    const h = [row(5, 'reserve', 'u3'), row(2, 'reserve', 'u2', 'h1', 'error'), row(1, 'reserve', 'u1'), row(3, 'expire', 'system', 'h1', 'ok', { holder: 'u1' }), row(4, 'extend', 'u3', 'h1', 'error')];
    expect(checkLogOrder(h)).toEqual([]);
  });
});

describe('durability (b)', () => {
  it('flags an acknowledged write missing from the history and an applied write never sent', () => {
    const ops = [reserve('u1', 'h1', 0, 60_000), release('u1', 'h1', 1000), reserve('u2', 'h2', 0, 60_000, 'unknown')];
    expect(checkHistoryCounts(ops, [row(1, 'reserve', 'u1'), row(2, 'reserve', 'u2', 'h2')])).toMatchObject([{ kind: AnomalyKind.missingWrite, details: { op: 'release' } }]);
    const dup = [row(1, 'reserve', 'u1'), row(2, 'release', 'u1'), row(3, 'reserve', 'u1'), row(4, 'release', 'u9', 'h3')];
    expect(kinds(checkHistoryCounts(ops, dup))).toEqual([AnomalyKind.extraWrite, AnomalyKind.extraWrite]);
  });

  it('flags an acknowledged hold absent from the final board, not one released or expired', () => {
    const ops = [reserve('u1', 'h1', 0, 600_000), reserve('u2', 'h2', 0, 600_000), release('u2', 'h2', 100), reserve('u3', 'h3', 0, 5000)];
    const holds = certainHolds(ops, null, 0);
    const board: Array<{ host: string; holder: string | null; until: number | null }> = [
      { host: 'h1', holder: null, until: null },
      { host: 'h2', holder: null, until: null },
      { host: 'h3', holder: null, until: null },
    ];
    expect(checkFinalBoard(holds, board, T0 + 60_000, 50)).toMatchObject([{ kind: AnomalyKind.lostReservation, details: { hold: { user: 'u1' } } }]);
    board[0] = { host: 'h1', holder: 'u1', until: S(600_000) };
    expect(checkFinalBoard(holds, board, T0 + 60_000, 50)).toEqual([]);
  });
});

describe('reads (c), convergence (d), crashes (e)', () => {
  it('flags a read going back on one node process, not across a restart or another node', () => {
    expect(kinds(checkReads([read('c1', 'n1', 0, 10), read('c1', 'n1', 100, 9)]))).toEqual([AnomalyKind.readRegress]);
    expect(checkReads([read('c1', 'n1', 0, 10), read('c1', 'n2', 100, 5), read('c1', 'n1', 200, 3, 2), read('c2', 'n1', 300, 1)])).toEqual([]);
  });

  it('flags a read whose holders are not the committed log prefix at its applied index', () => {
    const history = [row(1, 'server-add', 'admin'), row(2, 'reserve', 'u1'), row(3, 'release', 'u1'), row(4, 'reserve', 'u2')];
    const at = (applied: number, holder: string | null) => {
      const r = read('c1', 'n1', applied * 100, applied);
      r.read!.holders = { h1: { holder, until: null } };
      return r;
    };
    expect(checkReadsAgainstLog([at(1, null), at(2, 'u1'), at(3, null), at(4, 'u2')], history)).toEqual([]);
    expect(kinds(checkReadsAgainstLog([at(2, 'u1'), at(3, 'u1'), at(4, 'u1')], history))).toEqual([AnomalyKind.readNotInLog, AnomalyKind.readNotInLog]);
  });

  it('counts reads that went back across a restart of the node (informational)', () => {
    expect(readRegressAcrossRestart([read('c1', 'n1', 0, 10), read('c1', 'n1', 100, 4, 2), read('c1', 'n1', 200, 3, 2)])).toBe(1);
    expect(readRegressAcrossRestart([read('c1', 'n1', 0, 10), read('c1', 'n1', 100, 10, 2)])).toBe(0);
  });

  it('flags replicas that differ or do not answer', () => {
    const st = (node: string, holder: string | null, commitIndex = 7): FinalNodeState => ({
      node,
      serversData: { lastUpdate: 1, serversList: [{ host: 'h1', holder, until: null }] },
      commitIndex,
      appliedIndex: commitIndex,
    });
    expect(checkConvergence([st('n1', 'u1'), st('n2', 'u1')])).toEqual([]);
    expect(kinds(checkConvergence([st('n1', 'u1'), st('n2', 'u2')]))).toEqual([AnomalyKind.divergence]);
    expect(kinds(checkConvergence([st('n1', 'u1'), st('n2', 'u1', 8)]))).toEqual([AnomalyKind.divergence]);
    expect(kinds(checkConvergence([st('n1', 'u1'), { node: 'n2', serversData: null, commitIndex: null, appliedIndex: null }]))).toEqual([AnomalyKind.divergence]);
  });

  it('flags a process that exited without the harness killing it', () => {
    const exits = [
      { node: 'n1', pid: 10, code: null, signal: 'SIGKILL', byHarness: true, at: 0 },
      { node: 'n2', pid: 11, code: 1, signal: null, byHarness: false, at: 0 },
    ];
    expect(checkCrashes(exits)).toMatchObject([{ kind: AnomalyKind.crash, details: { node: 'n2', code: 1 } }]);
  });

  it('checkRun passes a clean run and reports a missing history', () => {
    const ops = [reserve('u1', 'h1', 0, 600_000), read('c1', 'n1', 100, 3)];
    const board = { lastUpdate: 1, serversList: [{ host: 'h1', holder: 'u1', until: S(600_000) }] };
    const run: RunRecord = {
      ops,
      history: [row(1, 'server-add', 'admin'), row(2, 'reserve', 'u1')],
      finalStates: [
        { node: 'n1', serversData: board, commitIndex: 2, appliedIndex: 2 },
        { node: 'n2', serversData: structuredClone(board), commitIndex: 2, appliedIndex: 2 },
      ],
      finalTime: T0 + 1000,
      exits: [],
      clockSkewMs: 0,
    };
    const ok = checkRun(run, { marginMs: 50 });
    expect(ok.anomalies).toEqual([]);
    expect(ok.stats).toMatchObject({ certainHolds: 1, reads: 1 });
    expect(kinds(checkRun({ ...run, history: null }, { marginMs: 50 }).anomalies)).toEqual([AnomalyKind.noHistory]);
  });
});
