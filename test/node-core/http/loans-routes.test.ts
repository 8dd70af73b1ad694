// The loan routes (issue 13) on the real HTTP layer over an in-test node whose LoansControl runs on the
// real board: GET /api/loans, admin recall/return with id and direction checks, NOT_LEADER on a
// follower, hostile ids and tokens, and the loan series on /metrics.
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, PeerboardError } from '../../../node-core/src/errors.js';
import type { LoansControl } from '../../../node-core/src/loans/types.js';
import { FakeLoans } from '../../../renderer/src/api/fake-loans.js';
import { call, expectError, startHarness, type Harness } from './helpers.js';

const ADMIN = 'admin-token-123456';
const USER = 'user-token-abcdef';
const peer = { clusterId: 'farm-b', masterId: 'b-master', address: '127.0.0.1', loanPort: 9, peerboard: true };

describe('loan routes', () => {
  let h: Harness;
  let n = 0;
  let control: FakeLoans;
  /** a fresh loan of this test alone, committed through the node's board */
  const start = async (direction: 'in' | 'out'): Promise<string> => {
    const id = `node-a:w-${++n}:${1_700_000_000_000 + n}`;
    await h.node.submit({ type: 'loan-start', loan: { id, direction, workerId: `w-${n}`, workerName: `host-${n}`, peer, leaseMs: 600_000 } }, { user: 'system' });
    return id;
  };
  const post = (id: string, action: string, token: string | null = ADMIN) =>
    call(`${h.api}/api/loans/${id}/${action}`, { method: 'POST', json: {}, ...(token ? { token } : {}), headers: { 'x-peerboard-user': 'ops-anna' } });
  /** a POST whose path is sent byte for byte (fetch would resolve %2E%2E as a dot segment) */
  const rawPost = (path: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: new URL(h.api).port, path, method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end('{}');
    });

  beforeAll(async () => {
    h = await startHarness({ adminToken: ADMIN, userToken: USER });
  });
  afterAll(() => h.close());
  beforeEach(() => {
    h.node.selfRole = 'master';
    control = new FakeLoans({ board: () => h.node.board, commit: (cmd, opts) => h.node.submit(cmd, opts), now: () => Date.now(), clusterId: () => 'farm-a', master: () => h.node.selfRole === 'master' });
    h.node.loans = control;
  });

  it('GET /api/loans answers the view to the read token; no token is 401', async () => {
    const id = await start('out');
    const r = await call(`${h.api}/api/loans`, { token: USER });
    expect(r.status).toBe(200);
    expect(r.body.success).toBe(true);
    expect(r.body.loans).toMatchObject({ clusterId: 'farm-a', master: true, loanPort: 8781, neighbours: [], recent: [] });
    expect(r.body.loans.active.find((l: { id: string }) => l.id === id)).toMatchObject({ direction: 'out', workerName: `host-${n}`, state: 'active', peer });
    expectError(await call(`${h.api}/api/loans`), 401, 'UNAUTHORIZED');
  });

  it('recall of an out loan and return of an in loan commit loan-end as the named admin; the history says so', async () => {
    const out = await start('out');
    const inn = await start('in');
    const r1 = await post(out, 'recall');
    expect(r1.status, JSON.stringify(r1.body)).toBe(200);
    expect(r1.body).toEqual({ success: true, id: out });
    const r2 = await post(inn, 'return');
    expect(r2.body).toEqual({ success: true, id: inn });
    const ends = h.node.submits.filter((s) => s.cmd.type === 'loan-end').slice(-2);
    expect(ends.map((s) => [s.cmd, s.opts.user])).toEqual([
      [{ type: 'loan-end', id: out, reason: 'recalled' }, 'ops-anna'],
      [{ type: 'loan-end', id: inn, reason: 'returned' }, 'ops-anna'],
    ]);
    const view = (await call(`${h.api}/api/loans`, { token: USER })).body.loans;
    expect(view.recent.slice(0, 2).map((l: { id: string; endReason: string }) => [l.id, l.endReason])).toEqual([
      [inn, 'returned'],
      [out, 'recalled'],
    ]);
    expect(JSON.stringify(h.node.board.history({ limit: 5 }).items)).toContain(`loan of host-`);
  });

  it('the wrong direction is BAD_REQUEST, an unknown or ended loan NOT_FOUND, and nothing is committed', async () => {
    const out = await start('out');
    const inn = await start('in');
    const before = h.node.submits.length;
    expect(expectError(await post(out, 'return'), 400, 'BAD_REQUEST').message).toMatch(/recall it/);
    expect(expectError(await post(inn, 'recall'), 400, 'BAD_REQUEST').message).toMatch(/return/);
    expectError(await post('node-a:nobody:1', 'recall'), 404, 'NOT_FOUND');
    expect(h.node.submits.length).toBe(before);
    await post(out, 'recall');
    expect(expectError(await post(out, 'recall'), 404, 'NOT_FOUND').message).toMatch(/already ended \(recalled\)/);
  });

  it('hostile ids: over 200 characters, bad characters, dots alone, a huge path; each refused before the control', async () => {
    const before = h.node.submits.length;
    expectError(await post('a'.repeat(201), 'recall'), 400, 'BAD_REQUEST');
    expect((await post('a'.repeat(200), 'recall')).status).toBe(404); // 200 is the limit: accepted, unknown
    expectError(await post(encodeURIComponent('x;rm -rf'), 'recall'), 400, 'BAD_REQUEST');
    expectError(await post(encodeURIComponent('<script>'), 'return'), 400, 'BAD_REQUEST');
    expect(await rawPost('/api/loans/%2E%2E/recall')).toBe(400);
    expect(await rawPost('/api/loans/%2e/return')).toBe(400);
    expectError(await post(encodeURIComponent('ü'), 'recall'), 400, 'BAD_REQUEST');
    const huge = await post('b'.repeat(100_000), 'recall');
    expect([400, 414, 431]).toContain(huge.status);
    expect(h.node.submits.length).toBe(before);
  });

  it('no token is 401, the user token 403, and an oversized body 413; nothing changes', async () => {
    const out = await start('out');
    const before = h.node.submits.length;
    expectError(await post(out, 'recall', null), 401, 'UNAUTHORIZED');
    expectError(await post(out, 'recall', USER), 403, 'FORBIDDEN');
    expectError(await post(out, 'return', USER), 403, 'FORBIDDEN');
    const big = await call(`${h.api}/api/loans/${out}/recall`, { method: 'POST', raw: JSON.stringify({ pad: 'x'.repeat(1_100_000) }), token: ADMIN });
    expect(big.status).toBe(413);
    expect(h.node.submits.length).toBe(before);
    expect(control.view().active.some((l) => l.id === out)).toBe(true);
  });

  it('on a follower the control refuses NOT_LEADER: answered 403 naming the master as the other write routes do', async () => {
    const out = await start('out');
    h.node.selfRole = 'slave';
    const notLeader: LoansControl = {
      view: () => control.view(),
      recall: async () => {
        throw new PeerboardError(ErrorCode.NotLeader, 'this node is not the master');
      },
      giveBack: async () => {
        throw new PeerboardError(ErrorCode.NotLeader, 'this node is not the master');
      },
    };
    h.node.loans = notLeader;
    const body = expectError(await post(out, 'recall'), 403, 'NOT_LEADER');
    expect(body.message).toMatch(/Current leader: 127\.0\.0\.2:8777/);
    expect(body.details).toMatchObject({ leader: '127.0.0.2:8777', leaderId: 'node-b' });
  });

  it('a node without loans answers 503 SERVICE_UNAVAILABLE saying so', async () => {
    h.node.loans = undefined;
    expect(expectError(await call(`${h.api}/api/loans`, { token: USER }), 503, 'SERVICE_UNAVAILABLE').message).toMatch(/without worker loans/);
    expectError(await post('a:b:1', 'recall'), 503, 'SERVICE_UNAVAILABLE');
  });

  it('/metrics exposes active loans by direction, loan events, dropped lines and the farm load', async () => {
    const loans = new FakeLoans({ board: () => h.node.board, commit: (cmd, opts) => h.node.submit(cmd, opts), now: () => Date.now(), clusterId: () => 'farm-a', master: () => true });
    loans.load = { pool: 5, home: 4, borrowed: 1, lent: 0, lagP99Ms: 1234.5, cpu: 0.9, utilisation: 3.2, needed: 5, saturatedSince: new Date().toISOString() };
    Object.assign(loans.counters, { requests_sent: 3, 'event.end_lost': 1, dropped_bad_json: 7, 'dropped.too_long': 2, weird: Number.NaN, lines: 99, saturated: 1 });
    h.node.loans = loans;
    const active = control.view().active;
    const text = (await call(`${h.api}/metrics`, { token: USER })).body as string;
    expect(text).toContain(`peerboard_loans_active{direction="out"} ${active.filter((l) => l.direction === 'out').length}`);
    expect(text).toContain(`peerboard_loans_active{direction="in"} ${active.filter((l) => l.direction === 'in').length}`);
    expect(text).toContain('peerboard_loan_events_total{event="requests_sent"} 3');
    expect(text).toContain('peerboard_loan_events_total{event="end_lost"} 1');
    expect(text).not.toMatch(/event="(lines|saturated)"/);
    expect(text).toContain('peerboard_loan_lines_dropped_total{reason="bad_json"} 7');
    expect(text).toContain('peerboard_loan_lines_dropped_total{reason="too_long"} 2');
    expect(text).not.toContain('weird');
    expect(text).toContain('peerboard_farm_saturated 1');
    expect(text).toContain('peerboard_farm_pool 5');
    expect(text).toContain('peerboard_farm_lag_p99_ms 1234.5');
    // a node without loans: zeros, and no stale event series
    h.node.loans = undefined;
    const none = (await call(`${h.api}/metrics`, { token: USER })).body as string;
    expect(none).toContain('peerboard_loans_active{direction="out"} 0');
    expect(none).toContain('peerboard_farm_saturated 0');
    expect(none).not.toContain('reason="bad_json"');
  });
});
