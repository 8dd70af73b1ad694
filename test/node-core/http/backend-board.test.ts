// The backend's board routes over real loopback HTTP: reads, reserve / release / extend / queue,
// and how each error the node throws reaches the client (status and seed 002's shape).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, NoQuorumError, PeerboardError } from '../../../node-core/src/errors.js';
import { type Harness, call, expectError, startHarness, waitFor } from './helpers.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ uiPort: -1 });
});
afterEach(async () => {
  await h.close();
});

const now = () => Math.floor(Date.now() / 1000);

describe('reads', () => {
  it('GET /api/state answers the node view', async () => {
    const r = await call(`${h.api}/api/state`);
    expect(r.status).toBe(200);
    expect(r.body.self.nodeId).toBe('node-a');
    expect(r.body.serversData.serversList.map((s: { host: string }) => s.host)).toEqual(['server-01', 'server-02']);
  });

  it('GET /api/servers answers ServersData and /api/servers/:host one server or 404', async () => {
    const all = await call(`${h.api}/api/servers`);
    expect(all.body.lastUpdate).toBe(h.node.board.serversData().lastUpdate);
    expect(all.body.lastUpdate).toBeGreaterThan(1_700_000_000);
    expect(all.body.serversList).toHaveLength(2);
    const one = await call(`${h.api}/api/servers/server-02`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ host: 'server-02', app: 'Mid', holder: null });
    const missing = expectError(await call(`${h.api}/api/servers/nope`), 404, 'NOT_FOUND');
    expect(missing.message).toContain('nope');
  });

  it('GET /api/reservations lists only held servers', async () => {
    expect((await call(`${h.api}/api/reservations`)).body).toEqual({ success: true, reservations: [] });
    await call(`${h.api}/api/servers/server-01/reserve`, { json: { user: 'ann', durationSec: 60 } });
    const r = await call(`${h.api}/api/reservations`);
    expect(r.body.reservations.map((s: { host: string }) => s.host)).toEqual(['server-01']);
  });

  it('GET /api/history passes the validated filter to the node', async () => {
    const r = await call(`${h.api}/api/history?user=ann&host=server-01&operation=reserve&result=ok&since=10&limit=500&offset=3`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ items: [], total: 0, limit: 500, offset: 3 });
    expect(h.node.historyCalls.at(-1)).toEqual({
      user: 'ann',
      host: 'server-01',
      operation: 'reserve',
      result: 'ok',
      since: 10,
      limit: 500,
      offset: 3,
    });
  });

  it('GET /api/health answers success with the health report', async () => {
    const r = await call(`${h.api}/api/health`);
    expect(r.body).toMatchObject({ success: true, status: 'ok', nodeId: 'node-a', voters: ['node-a', 'node-b', 'node-c'] });
  });

  it('GET /metrics answers Prometheus text', async () => {
    const res = await fetch(`${h.api}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    // the node's real metrics (the test node runs node-metrics.ts, not a made-up line)
    expect(text).toContain('# TYPE peerboard_role gauge');
    expect(text).toContain('peerboard_role{role="master"} 1');
    expect(text).toContain('peerboard_commit_index');
  });

  it('records the latency of each request by route pattern', async () => {
    await call(`${h.api}/api/servers/server-01`);
    await call(`${h.api}/api/servers/nope`);
    await waitFor(() => h.node.observed.length >= 2, 'two observations');
    const routes = h.node.observed.map((o) => [o.route, o.method, o.status]);
    expect(routes).toContainEqual(['/api/servers/:host', 'GET', 200]);
    expect(routes).toContainEqual(['/api/servers/:host', 'GET', 404]);
    expect(h.node.observed.every((o) => o.seconds >= 0 && o.seconds < 5)).toBe(true);
  });

  it('unknown routes answer 404 in seed 002 shape', async () => {
    expectError(await call(`${h.api}/api/nothing-here`), 404, 'NOT_FOUND');
  });
});

describe('reserve', () => {
  it('reserves for durationSec with a computed until and answers the server', async () => {
    const before = now();
    const r = await call(`${h.api}/api/servers/server-01/reserve`, { json: { user: 'ann', durationSec: 3600, comment: 'load tests' } });
    expect(r.status).toBe(200);
    expect(r.body.success).toBe(true);
    expect(r.body.server).toMatchObject({ host: 'server-01', holder: 'ann', comment: 'load tests' });
    const { cmd, opts } = h.node.submits.at(-1)!;
    // the duration travels in the command: the board turns it into an end with the entry's time
    expect(cmd).toEqual({ type: 'reserve', host: 'server-01', user: 'ann', durationSec: 3600, comment: 'load tests' });
    const until = r.body.server.until as number;
    expect(until).toBeGreaterThanOrEqual(before + 3600);
    expect(until).toBeLessThanOrEqual(now() + 3600);
    expect(opts.user).toBe('ann');
  });

  it('reserves until an absolute time, and refuses one in the past', async () => {
    const until = now() + 120;
    const r = await call(`${h.api}/api/servers/server-01/reserve`, { json: { user: 'ann', until } });
    expect(r.body.server.until).toBe(until);
    const past = expectError(await call(`${h.api}/api/servers/server-02/reserve`, { json: { user: 'ann', until: now() - 5 } }), 400, 'BAD_REQUEST');
    expect(past.message).toContain('until');
  });

  it('needs exactly one of durationSec and until', async () => {
    const both = await call(`${h.api}/api/servers/server-01/reserve`, { json: { user: 'ann', durationSec: 5, until: now() + 60 } });
    expect(expectError(both, 400, 'BAD_REQUEST').message).toContain('exactly one of durationSec');
    const neither = await call(`${h.api}/api/servers/server-01/reserve`, { json: { user: 'ann' } });
    expect(expectError(neither, 400, 'BAD_REQUEST').message).toContain('exactly one of durationSec');
    expect(h.node.submits).toHaveLength(0);
  });

  it('a held server answers 409 naming the holder', async () => {
    await call(`${h.api}/api/servers/server-01/reserve`, { json: { user: 'ann', durationSec: 60 } });
    const r = await call(`${h.api}/api/servers/server-01/reserve`, { json: { user: 'bob', durationSec: 60 } });
    const body = expectError(r, 409, 'CONFLICT');
    expect(body.message).toContain('ann');
    expect(body.details.holder).toBe('ann');
  });

  it('a missing server answers 404', async () => {
    expectError(await call(`${h.api}/api/servers/ghost/reserve`, { json: { user: 'ann', durationSec: 60 } }), 404, 'NOT_FOUND');
  });

  it('passes the idempotency key from the body or the Idempotency-Key header', async () => {
    await call(`${h.api}/api/servers/server-01/reserve`, { json: { user: 'ann', durationSec: 60, idempotencyKey: 'k-1' } });
    expect(h.node.submits.at(-1)!.opts.reqId).toBe('k-1');
    await call(`${h.api}/api/servers/server-02/reserve`, { json: { user: 'ann', durationSec: 60 }, headers: { 'idempotency-key': 'k-2' } });
    expect(h.node.submits.at(-1)!.opts.reqId).toBe('k-2');
    const clash = await call(`${h.api}/api/servers/server-02/reserve`, {
      json: { user: 'ann', durationSec: 60, idempotencyKey: 'a' },
      headers: { 'idempotency-key': 'b' },
    });
    expect(expectError(clash, 400, 'BAD_REQUEST').message).toContain('differ');
  });

  it.each([
    [new NoQuorumError('no quorum: 1 of 3 voters reachable'), 503, 'NO_QUORUM'],
    [new PeerboardError(ErrorCode.Timeout, 'commit timed out'), 504, 'TIMEOUT'],
    [new PeerboardError(ErrorCode.Forbidden, 'not allowed'), 403, 'FORBIDDEN'],
    [new PeerboardError(ErrorCode.BadRequest, 'board says no'), 400, 'BAD_REQUEST'],
    [new PeerboardError(ErrorCode.Unavailable, 'shutting down'), 503, 'SERVICE_UNAVAILABLE'],
  ])('maps %s to its status', async (err, status, code) => {
    h.node.failNext = err;
    const body = expectError(await call(`${h.api}/api/servers/server-01/reserve`, { json: { user: 'ann', durationSec: 60 } }), status, code);
    expect(body.message).toBe(err.message);
  });

  it('an unexpected exception is a 500 that does not leak its message', async () => {
    h.node.failNext = new Error('secret internals') as PeerboardError;
    const body = expectError(await call(`${h.api}/api/servers/server-01/reserve`, { json: { user: 'ann', durationSec: 60 } }), 500, 'INTERNAL_ERROR');
    expect(body.message).not.toContain('secret');
  });
});

describe('release, extend, queue', () => {
  beforeEach(async () => {
    await call(`${h.api}/api/servers/server-01/reserve`, { json: { user: 'ann', durationSec: 600 } });
  });

  it('releases by the holder and refuses someone else (403, the board\'s answer)', async () => {
    expectError(await call(`${h.api}/api/servers/server-01/release`, { json: { user: 'bob' } }), 403, 'FORBIDDEN');
    const r = await call(`${h.api}/api/servers/server-01/release`, { json: { user: 'ann' } });
    expect(r.status).toBe(200);
    expect(r.body.server).toMatchObject({ holder: null, available: true });
  });

  it('a forced release passes force to the node (no tokens: allowed)', async () => {
    const r = await call(`${h.api}/api/servers/server-01/release`, { json: { user: 'bob', force: true } });
    expect(r.status).toBe(200);
    expect(h.node.submits.at(-1)!.cmd).toEqual({ type: 'release', host: 'server-01', user: 'bob', force: true });
  });

  it('extends by durationSec from the current end of the hold (the command carries the duration)', async () => {
    const current = h.node.server('server-01')!.until!;
    const r = await call(`${h.api}/api/servers/server-01/extend`, { json: { user: 'ann', durationSec: 100 } });
    expect(r.status).toBe(200);
    expect(r.body.server.until).toBe(current + 100);
    expect(h.node.submits.at(-1)!.cmd).toEqual({ type: 'extend', host: 'server-01', user: 'ann', durationSec: 100 });
    const until = now() + 5000;
    const abs = await call(`${h.api}/api/servers/server-01/extend`, { json: { user: 'ann', until } });
    expect(abs.body.server.until).toBe(until);
    expectError(await call(`${h.api}/api/servers/server-01/extend`, { json: { user: 'bob', durationSec: 1 } }), 403, 'FORBIDDEN');
  });

  it('queues and leaves the queue', async () => {
    const q = await call(`${h.api}/api/servers/server-01/queue`, { json: { user: 'bob', durationSec: 300, comment: 'after ann' } });
    expect(q.status).toBe(200);
    expect(q.body.server.queue).toEqual([{ user: 'bob', durationSec: 300, comment: 'after ann', since: expect.any(Number) }]);
    const d = await call(`${h.api}/api/servers/server-01/queue/bob`, { method: 'DELETE' });
    expect(d.status).toBe(200);
    expect(d.body.server.queue).toEqual([]);
    expect(h.node.submits.at(-1)!.cmd).toEqual({ type: 'unqueue', host: 'server-01', user: 'bob' });
    expectError(await call(`${h.api}/api/servers/server-01/queue/bob`, { method: 'DELETE' }), 404, 'NOT_FOUND');
  });
});
