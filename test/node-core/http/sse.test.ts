// GET /api/events over real loopback HTTP: the hello frame, every PeerEvent as `event: <type>`,
// keep-alive comments, listener cleanup when a client goes, and streams ended when the server closes.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PeerEvent } from '../../../node-core/src/api/peer-api.js';
import { frameEvent } from '../../../node-core/src/http/sse.js';
import { type Harness, SseClient, call, startHarness, waitFor } from './helpers.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ uiPort: -1 }, { sse: { keepAliveMs: 50 } });
});
afterEach(async () => {
  await h.close();
});

const listeners = () => h.node.events.listenerCount('event');

describe('GET /api/events', () => {
  it('opens with hello carrying the board view, then relays every PeerEvent by type', async () => {
    const c = await SseClient.open(`${h.api}/api/events`);
    expect(c.status).toBe(200);
    expect(c.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await waitFor(() => c.named('hello').length === 1, 'hello');
    expect(c.named('hello')[0].self.nodeId).toBe('node-a');
    await waitFor(() => listeners() === 1, 'the listener');

    const role: PeerEvent = { type: 'role', role: 'slave', ip: '127.0.0.1', nodeId: 'node-a', term: 4 };
    const cluster: PeerEvent = { type: 'cluster', clusterView: [], leader: null, quorum: false, stale: true };
    h.node.events.emit('event', role);
    h.node.events.emit('event', cluster);
    await call(`${h.api}/api/servers/server-01/reserve`, { json: { user: 'ann', durationSec: 60 } });

    await waitFor(() => c.named('change').length === 1, 'the change event');
    expect(c.named('role')).toEqual([role]);
    expect(c.named('cluster')).toEqual([cluster]);
    // the event names the entry the board applied (index 1 seeded the two servers)
    expect(c.named('change')[0]).toMatchObject({ type: 'change', index: 2, request: { operation: 'reserve', serverHost: 'server-01', user: 'ann', result: 'ok' } });
    c.close();
  });

  it('sends keep-alive comments', async () => {
    const c = await SseClient.open(`${h.api}/api/events`);
    await waitFor(() => c.events.filter((e) => e.comment === 'keep-alive').length >= 2, 'two keep-alives');
    c.close();
  });

  it('removes its listener when the client disconnects (no leak)', async () => {
    const clients = await Promise.all([1, 2, 3].map(() => SseClient.open(`${h.api}/api/events`)));
    await waitFor(() => listeners() === 3, 'three listeners');
    clients[0]!.close();
    await waitFor(() => listeners() === 2, 'one listener removed');
    h.node.events.emit('event', { type: 'change', index: 9, request: null });
    await waitFor(() => clients[1]!.named('change').length === 1 && clients[2]!.named('change').length === 1, 'the others still receive');
    for (const c of clients) c.close();
    await waitFor(() => listeners() === 0, 'every listener removed');
  });

  it('ends open streams when the server closes, and close() resolves', async () => {
    const c = await SseClient.open(`${h.api}/api/events`);
    await waitFor(() => listeners() === 1, 'the listener');
    await h.close();
    await waitFor(() => c.ended, 'the stream to end');
    expect(listeners()).toBe(0);
  });

  it('refuses a stream beyond the client limit with 503 and keeps the others', async () => {
    await h.close();
    h = await startHarness({ uiPort: -1 }, { sse: { maxClients: 1 } });
    const first = await SseClient.open(`${h.api}/api/events`);
    const second = await call(`${h.api}/api/events`);
    expect(second.status).toBe(503);
    expect(second.body.code).toBe('SERVICE_UNAVAILABLE');
    h.node.events.emit('event', { type: 'change', index: 2, request: null });
    await waitFor(() => first.named('change').length === 1, 'the first stream still works');
    first.close();
  });
});

describe('frameEvent', () => {
  it('frames one event; newlines in data are escaped by JSON and stripped from the name', () => {
    expect(frameEvent('change', { a: 'x\ny' })).toBe('event: change\ndata: {"a":"x\\ny"}\n\n');
    expect(frameEvent('ro\nle', 1)).toBe('event: role\ndata: 1\n\n');
  });
});
