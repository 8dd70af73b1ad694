// @vitest-environment node
// The web client against a real HTTP server on loopback: JSON calls, the error shape, network
// failure, the bearer token, and the event stream read through fetch() with reconnection.
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BoardView, PeerEvent } from '../../../renderer/src/api/api-types.js';
import { demoBoard } from '../../../renderer/src/api/demo-data.js';
import { FakeApi } from '../../../renderer/src/api/fake-api.js';
import { HttpApi } from '../../../renderer/src/api/http-api.js';
import { until } from '../helpers.js';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;
interface Seen {
  method: string;
  url: string;
  auth: string | undefined;
  user: string | undefined;
  body: string;
}

let server: HttpServer;
let base: string;
let handler: Handler;
let seen: Seen[];
let streams: ServerResponse[];
let view: BoardView;

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

beforeEach(async () => {
  seen = [];
  streams = [];
  const r = await new FakeApi({ board: demoBoard(Date.now()) }).getState();
  if (!r.ok) throw new Error('fake state');
  view = r.value;
  handler = (_req, res) => json(res, 404, { success: false, error: 'Not Found', message: 'no route', code: 'NOT_FOUND', details: {} });
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization, user: req.headers['x-peerboard-user'] as string | undefined, body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  for (const s of streams) s.destroy();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

describe('HttpApi requests', () => {
  it('reads /api/state and sends the bearer token', async () => {
    handler = (_req, res) => json(res, 200, view);
    const api = new HttpApi({ baseUrl: base, getToken: () => 's3cret' });
    const r = await api.getState();
    expect(r.ok && r.value.serversData.serversList.length).toBe(view.serversData.serversList.length);
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/api/state', auth: 'Bearer s3cret' });
  });

  it("sends the page's user as X-Peerboard-User, percent-encoded beyond ASCII, and none without one", async () => {
    handler = (_req, res) => json(res, 201, { success: true, server: view.serversData.serversList[0] });
    await new HttpApi({ baseUrl: base, getUser: () => 'carol' }).addServer({ host: 'n-1' });
    await new HttpApi({ baseUrl: base, getUser: () => 'Zoë' }).addServer({ host: 'n-2' });
    await new HttpApi({ baseUrl: base, getUser: () => null }).addServer({ host: 'n-3' });
    expect(seen.map((r) => r.user)).toEqual(['carol', "utf-8''Zo%C3%AB", undefined]);
  });

  it('sends no Authorization header without a token', async () => {
    handler = (_req, res) => json(res, 200, view);
    await new HttpApi({ baseUrl: base, getToken: () => null }).getState();
    expect(seen[0]?.auth).toBeUndefined();
  });

  it('posts a reservation to the encoded host path and returns the server', async () => {
    const s = view.serversData.serversList[0];
    handler = (_req, res) => json(res, 200, { success: true, server: s });
    const api = new HttpApi({ baseUrl: base });
    const r = await api.reserve({ host: 'web 01/x', user: 'dana', durationSec: 3600, comment: 'tests', idempotencyKey: 'k1' });
    expect(r).toEqual({ ok: true, value: s });
    expect(seen[0]?.method).toBe('POST');
    expect(seen[0]?.url).toBe('/api/servers/web%2001%2Fx/reserve');
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual({ user: 'dana', durationSec: 3600, comment: 'tests', idempotencyKey: 'k1' });
  });

  it('maps every route to its method and path', async () => {
    handler = (req, res) => {
      if (req.url === '/api/servers/import') return json(res, 200, { success: true, count: 2 });
      if (req.url === '/promote') return json(res, 200, { success: true, leaderId: 'n2' });
      if (req.method === 'DELETE' && req.url === '/api/servers/h1') return json(res, 200, { success: true, host: 'h1' });
      if (req.url?.startsWith('/api/history')) return json(res, 200, { items: [], total: 0, limit: 25, offset: 0 });
      json(res, 200, { success: true, server: view.serversData.serversList[0] });
    };
    const api = new HttpApi({ baseUrl: base });
    const results = [
      await api.release({ host: 'h1', user: 'u' }),
      await api.extend({ host: 'h1', user: 'u', until: 2_000_000_000 }),
      await api.queue({ host: 'h1', user: 'u', durationSec: 60 }),
      await api.leaveQueue({ host: 'h1', user: 'a b' }),
      await api.addServer({ host: 'h2' }),
      await api.updateServer('h1', { app: 'x' }),
      await api.removeServer('h1'),
      await api.importServers({ serversList: [{ host: 'a' }, { host: 'b' }], replace: true }),
      await api.setMaintenance('h1', true),
      await api.history({ user: 'u', result: 'error', limit: 25, offset: 50 }),
      await api.promote('n2'),
      await api.setMaintenance('h1', true, 'kernel upgrade'),
      await api.history({ system: false, limit: 25 }),
    ];
    expect(results.every((r) => r.ok)).toBe(true);
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'POST /api/servers/h1/release',
      'POST /api/servers/h1/extend',
      'POST /api/servers/h1/queue',
      'DELETE /api/servers/h1/queue/a%20b',
      'POST /api/servers',
      'PATCH /api/servers/h1',
      'DELETE /api/servers/h1',
      'POST /api/servers/import',
      'POST /api/servers/h1/maintenance',
      'GET /api/history?user=u&result=error&limit=25&offset=50',
      'POST /promote',
      'POST /api/servers/h1/maintenance',
      'GET /api/history?system=false&limit=25',
    ]);
    expect(JSON.parse(seen[11]?.body ?? '')).toEqual({ on: true, reason: 'kernel upgrade' });
    expect(JSON.parse(seen[10]?.body ?? '')).toEqual({ role: 'master', nodeId: 'n2' });
    expect(JSON.parse(seen[8]?.body ?? '')).toEqual({ on: true });
    expect(results[7]).toEqual({ ok: true, value: { count: 2 } });
  });

  it('reads the team invite from GET /api/cluster/invite with the token; a refusal or an odd answer is an error value', async () => {
    const info = { clusterId: 'team', open: false, invite: `pb1:team:${'k'.repeat(43)}`, peers: ['10.0.0.1:8779'] };
    handler = (_req, res) => json(res, 200, info);
    const api = new HttpApi({ baseUrl: base, getToken: () => 'admin-t' });
    expect(await api.invite()).toEqual({ ok: true, value: info });
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/api/cluster/invite', auth: 'Bearer admin-t' });
    handler = (_req, res) => json(res, 403, { success: false, error: 'Forbidden', message: 'this operation needs admin rights; use the admin token', code: 'FORBIDDEN', details: {} });
    expect(await api.invite()).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    handler = (_req, res) => json(res, 200, { clusterId: 'team', open: 'yes' });
    expect(await api.invite()).toMatchObject({ ok: false, error: { code: 'INTERNAL_ERROR' } });
  });

  it("returns the node's error (seed 002 shape) as a value", async () => {
    handler = (_req, res) =>
      json(res, 409, { success: false, error: 'Conflict', message: 'web-01 is reserved by alice until 14:00', code: 'CONFLICT', details: { holder: 'alice' } });
    const r = await new HttpApi({ baseUrl: base }).reserve({ host: 'web-01', user: 'dana', durationSec: 60 });
    expect(r).toEqual({ ok: false, error: { code: 'CONFLICT', message: 'web-01 is reserved by alice until 14:00', details: { holder: 'alice' } } });
  });

  it('turns an unreadable or unexpected answer into an error', async () => {
    handler = (_req, res) => res.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad gateway</h1>');
    const api = new HttpApi({ baseUrl: base });
    const bad = await api.getState();
    expect(!bad.ok && bad.error.code).toBe('INTERNAL_ERROR');
    handler = (_req, res) => res.writeHead(200).end('{not json');
    const garbled = await api.getState();
    expect(!garbled.ok && garbled.error.message).toMatch(/unexpected answer/);
    handler = (_req, res) => json(res, 200, { success: true });
    const shape = await api.reserve({ host: 'h', user: 'u', durationSec: 1 });
    expect(!shape.ok && shape.error.code).toBe('INTERNAL_ERROR');
    handler = (_req, res) => res.writeHead(401).end();
    const unauth = await api.getState();
    expect(!unauth.ok && unauth.error.code).toBe('UNAUTHORIZED');
  });

  it('reports SERVICE_UNAVAILABLE when nothing listens', async () => {
    const dead = new HttpApi({ baseUrl: base });
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    server.listen(0, '127.0.0.1'); // afterEach closes it again
    const r = await dead.getState();
    expect(!r.ok && r.error.code).toBe('SERVICE_UNAVAILABLE');
  });

  it('reports TIMEOUT when the node does not answer in time', async () => {
    handler = () => undefined; // never answers
    const r = await new HttpApi({ baseUrl: base, timeoutMs: 100 }).getState();
    expect(!r.ok && r.error.code).toBe('TIMEOUT');
  });
});

describe('HttpApi event stream', () => {
  function sse(res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    streams.push(res);
  }
  const send = (res: ServerResponse, event: string, data: unknown): boolean => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);

  it('opens with hello, delivers events, drops malformed ones, sends the token', async () => {
    handler = (_req, res) => {
      sse(res);
      send(res, 'hello', view);
    };
    const api = new HttpApi({ baseUrl: base, getToken: () => 'tok' });
    const links: Array<[string, boolean]> = [];
    api.onLink((state, hello) => links.push([state, hello !== undefined]));
    const events: PeerEvent[] = [];
    const stop = api.subscribe((e) => events.push(e));
    await until(() => expect(links).toContainEqual(['open', true]));
    expect(seen[0]).toMatchObject({ url: '/api/events', auth: 'Bearer tok' });

    const res = streams[0] as ServerResponse;
    res.write('event: change\ndata: {not json\n\n');
    res.write('event: bogus\ndata: {}\n\n');
    res.write('event: role\ndata: {"type":"change"}\n\n');
    res.write(': keep-alive\n\n');
    send(res, 'change', { type: 'change', index: 5, request: null });
    send(res, 'cluster', { type: 'cluster', clusterView: [], leader: null, quorum: false, stale: true });
    await until(() => expect(events).toHaveLength(2));
    expect(events[0]).toEqual({ type: 'change', index: 5, request: null });
    expect(events[1]?.type).toBe('cluster');
    expect(api.droppedEvents).toBe(3);
    stop();
    await until(() => expect(api.linkState).toBe('closed'));
  });

  it('reconnects with backoff after the stream ends and after an HTTP error', async () => {
    let opened = 0;
    handler = (_req, res) => {
      opened += 1;
      if (opened === 2) return json(res, 503, { success: false, error: 'x', message: 'busy', code: 'SERVICE_UNAVAILABLE', details: {} });
      sse(res);
      send(res, 'hello', view);
      if (opened === 1) res.end(); // the node went away
    };
    const api = new HttpApi({ baseUrl: base, backoffInitialMs: 20, backoffMaxMs: 50 });
    const states: string[] = [];
    api.onLink((s) => states.push(s));
    const events: PeerEvent[] = [];
    const stop = api.subscribe((e) => events.push(e));
    await until(() => expect(opened).toBe(3), 3000);
    await until(() => expect(api.linkState).toBe('open'));
    expect(states).toContain('closed');
    send(streams[1] as ServerResponse, 'role', { type: 'role', role: 'slave', ip: '1.2.3.4', nodeId: 'n', term: 3 });
    await until(() => expect(events.map((e) => e.type)).toEqual(['role']));
    stop();
    const count = opened;
    await new Promise((r) => setTimeout(r, 120));
    expect(opened).toBe(count); // no reconnection after unsubscribe
  });

  it('reopens a stream that went silent', async () => {
    let opened = 0;
    handler = (_req, res) => {
      opened += 1;
      sse(res);
    };
    const api = new HttpApi({ baseUrl: base, backoffInitialMs: 10, backoffMaxMs: 20, streamIdleMs: 80 });
    const stop = api.subscribe(() => undefined);
    await until(() => expect(opened).toBeGreaterThanOrEqual(2), 3000);
    stop();
  });
});
