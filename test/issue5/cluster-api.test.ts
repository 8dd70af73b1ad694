// Seed 002's examples against a real 3-node loopback cluster: register, heartbeat, nodes, status,
// health with measured response times, and maintenance (disable-serving) as one replicated switch.
import { createServer, type Server as HttpServer } from 'node:http';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Board } from '../../node-core/src/board/state-machine.js';
import type { ListedNode } from '../../node-core/src/http/routes-cluster.js';
import { silentLogger } from '../../node-core/src/log.js';
import { presenceFor } from '../../node-core/src/presence.js';
import { startSelfRegistration } from '../../node-core/src/self-register.js';
import { FAST_PRESENCE, type TestCluster, type TestNode, api, startCluster, waitFor } from './helpers.js';

const WORKER = 'a51c132e-4b71-409c-bf6d-98b5bbc2d2a9';

describe('seed 002 cluster management API on 3 real nodes', () => {
  let c: TestCluster;
  let leader: TestNode;
  let follower: TestNode;
  let worker: HttpServer;
  let workerUrl: string;
  const stops: Array<() => void> = [];

  beforeAll(async () => {
    ({ c, leader } = await startCluster(['n1', 'n2', 'n3']));
    follower = c.nodes.find((t) => t !== leader)!;
    // an external worker that answers /api/health, so the health probe has something real to time
    worker = createServer((_req, res) => res.end('{"status":"ok"}'));
    await new Promise<void>((r) => worker.listen(0, '127.0.0.1', () => r()));
    const addr = worker.address();
    workerUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  });
  afterAll(async () => {
    for (const s of stops) s();
    await new Promise((r) => worker?.close(r));
    await c?.close();
  });

  it('registers a worker (on a follower: forwarded through the log) and lists it on every node', async () => {
    const body = {
      id: WORKER,
      url: workerUrl,
      clusterId: 'default-cluster',
      role: 'worker',
      capabilities: {},
      tags: [],
      metadata: { autoRegistered: true, nodeVersion: 'v18.17.0', platform: 'linux', startTime: '2024-01-15T10:30:00.000Z' },
    };
    const r = await api<{ success: boolean; node: Record<string, unknown> }>(follower.api, 'POST', '/api/cluster/register', body);
    expect(r.status).toBe(200);
    expect(r.body.success).toBe(true);
    expect(Object.keys(r.body.node).sort()).toEqual(['clusterId', 'createdAt', 'id', 'lastSeen', 'role', 'status', 'url']);
    expect(r.body.node).toMatchObject({ id: WORKER, url: workerUrl, clusterId: 'default-cluster', status: 'active', role: 'worker' });
    expect(Date.parse(String(r.body.node.createdAt))).not.toBeNaN();
    for (const t of c.nodes) await waitFor(`${t.name} holds the worker`, () => t.node.clusterNodes().some((n) => n.id === WORKER));
    const again = await api<{ node: { createdAt: string } }>(leader.api, 'POST', '/api/cluster/register', body);
    expect(again.body.node.createdAt).toBe(r.body.node.createdAt); // an upsert keeps createdAt
  });

  it('accepts heartbeats from a registered node and refuses unknown ones with 404', async () => {
    const r = await api<{ success: boolean; acknowledged: boolean; timestamp: string }>(leader.api, 'POST', `/api/cluster/heartbeat/${WORKER}`, {
      status: 'active',
      metadata: { load: 0.45, memory: 0.68, connections: 142 },
    });
    expect(r.status).toBe(200);
    expect(r.body.success).toBe(true);
    expect(r.body.acknowledged).toBe(true);
    expect(Math.abs(Date.parse(r.body.timestamp) - Date.now())).toBeLessThan(5000);
    for (const t of c.nodes) {
      await waitFor(`${t.name} has the worker's stats`, () => t.node.clusterNodes().find((n) => n.id === WORKER)?.stats?.connections === 142);
    }
    const unknown = await api<{ code: string; success: boolean }>(leader.api, 'POST', '/api/cluster/heartbeat/nobody', { status: 'active' });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ success: false, code: 'NOT_FOUND', error: 'Not Found' });
  });

  it('GET /nodes lists Peerboard nodes (coordinator = master, worker = slave) with OS metadata, and the worker', async () => {
    const r = await api<{ success: boolean; nodes: ListedNode[]; total: number }>(follower.api, 'GET', '/api/cluster/nodes');
    expect(r.status).toBe(200);
    expect(r.body.total).toBe(4);
    const byId = new Map(r.body.nodes.map((n) => [n.id, n]));
    expect(byId.get(leader.name)).toMatchObject({ role: 'coordinator', status: 'active', url: `http://127.0.0.1:${leader.http.apiPort}`, peerboard: true });
    for (const t of c.nodes.filter((x) => x !== leader)) expect(byId.get(t.name)?.role).toBe('worker');
    const me = byId.get(follower.name)!;
    expect(me.metadata.memory).toBeGreaterThan(0);
    expect(me.metadata.memory).toBeLessThanOrEqual(1);
    expect(me.metadata.load).toBeGreaterThanOrEqual(0);
    expect(me.metadata.connections).toBeGreaterThan(0); // the node's own peer sockets at least
    expect(byId.get(WORKER)).toMatchObject({ role: 'worker', status: 'active', peerboard: false, clusterId: 'default-cluster' });
    expect(byId.get(WORKER)?.metadata).toMatchObject({ load: 0.45, memory: 0.68, connections: 142, platform: 'linux' });
  });

  it('GET /status describes this node, the config and the service status', async () => {
    const r = await api<{ success: boolean; status: Record<string, unknown>; config: Record<string, unknown>; serviceStatus: Record<string, unknown> }>(
      follower.api,
      'GET',
      '/api/cluster/status',
    );
    expect(r.status).toBe(200);
    expect(r.body.status).toMatchObject({ id: follower.name, role: 'worker', status: 'active', clusterId: 'test', url: `http://127.0.0.1:${follower.http.apiPort}` });
    expect(r.body.config).toEqual({
      enabled: true,
      clusterId: 'test',
      coordinatorUrl: `http://127.0.0.1:${leader.http.apiPort}`,
      heartbeatInterval: 30,
      nodeTimeout: 3, // FAST_PRESENCE.nodeTimeoutMs 2500 ms, in whole seconds
    });
    expect(r.body.serviceStatus).toMatchObject({ mode: 'serving', enabled: true });
  });

  it('GET /health times every member, never the registered worker, and counts it inactive once its heartbeats stop', async () => {
    type Health = { totalNodes: number; activeNodes: number; inactiveNodes: number; coordinatorHealthy: boolean; nodes: Array<{ id: string; status: string; role: string; responseTime: number | null }> };
    const r = await api<{ success: boolean; health: Health }>(leader.api, 'GET', '/api/cluster/health');
    expect(r.status).toBe(200);
    expect(r.body.health).toMatchObject({ totalNodes: 4, coordinatorHealthy: true });
    for (const n of r.body.health.nodes.filter((x) => x.id !== WORKER)) {
      expect(n.status, n.id).toBe('active');
      expect(n.responseTime, n.id).toBeGreaterThan(0);
      expect(n.responseTime, n.id).toBeLessThan(FAST_PRESENCE.probeTimeoutMs!);
    }
    // a registered URL is never fetched (SSRF): the worker's liveness is its own heartbeats
    expect(r.body.health.nodes.find((n) => n.id === WORKER)).toMatchObject({ responseTime: null });
    await waitFor(
      'the worker times out',
      async () => (await api<{ health: Health }>(leader.api, 'GET', '/api/cluster/health')).body.health.nodes.find((n) => n.id === WORKER)?.status === 'inactive',
      FAST_PRESENCE.nodeTimeoutMs! + 3000,
      100,
    );
    const after = await api<{ health: Health }>(leader.api, 'GET', '/api/cluster/health');
    expect(after.body.health).toMatchObject({ activeNodes: 3, inactiveNodes: 1 });
  });

  it('disable-serving puts this node in maintenance everywhere: its board server cannot be reserved', async () => {
    const add = await api(leader.api, 'POST', '/api/servers', { host: follower.name, app: 'Mid', ip: '10.1.1.1', env: 'preprod' });
    expect(add.status).toBe(201);
    const other = await api(leader.api, 'POST', '/api/servers', { host: 'other-01', ip: '10.1.1.2' });
    expect(other.status).toBe(201);
    const off = await api<{ success: boolean; message: string; status: { mode: string; enabled: boolean; changedAt: string }; servers: string[] }>(follower.api, 'POST', '/api/cluster/disable-serving');
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ success: true, message: 'Cluster serving disabled (maintenance mode)', status: { mode: 'maintenance', enabled: false }, servers: [follower.name] });
    for (const t of c.nodes) await waitFor(`${t.name} sees the maintenance`, () => t.node.server(follower.name)?.maintenance === true);
    const res = await api<{ code: string }>(leader.api, 'POST', `/api/servers/${follower.name}/reserve`, { user: 'alice', durationSec: 600 });
    expect(res.status).toBe(409);
    expect(leader.node.server('other-01')?.maintenance).toBe(false);
    const ss = await api<{ status: { mode: string; enabled: boolean }; nodeStatus: { id: string; status: string } }>(follower.api, 'GET', '/api/cluster/service-status');
    expect(ss.body.status).toMatchObject({ mode: 'maintenance', enabled: false });
    expect(ss.body.nodeStatus).toMatchObject({ id: follower.name, status: 'maintenance' });
    const nodes = await api<{ nodes: ListedNode[] }>(leader.api, 'GET', '/api/cluster/nodes');
    expect(nodes.body.nodes.find((n) => n.id === follower.name)).toMatchObject({ status: 'maintenance', serving: false });

    const on = await api<{ message: string; status: { mode: string; enabled: boolean } }>(follower.api, 'POST', '/api/cluster/enable-serving');
    expect(on.status).toBe(200);
    expect(on.body).toMatchObject({ message: 'Cluster serving enabled', status: { mode: 'serving', enabled: true } });
    await waitFor('maintenance ended on the leader', () => leader.node.server(follower.name)?.maintenance === false);
    const ok = await api(leader.api, 'POST', `/api/servers/${follower.name}/reserve`, { user: 'alice', durationSec: 600 });
    expect(ok.status).toBe(200);
  });

  it('self-registration, health and the registry routes never copy the board (regression: a 1 s stall per tick at 60,000 servers)', async () => {
    for (const t of c.nodes) stops.push(startSelfRegistration(t.node, { logger: silentLogger(), intervalMs: 50, username: t.name }));
    await waitFor('n1..n3 registered', () => ['n1', 'n2', 'n3'].every((n) => leader.node.users().some((u) => u.username === n)));
    const copies = vi.spyOn(Board.prototype, 'serversData');
    try {
      const t0 = Date.now();
      // a heartbeat stamped after t0 from every node: each ran at least one tick under the spy
      await waitFor('a tick on every node', () => ['n1', 'n2', 'n3'].every((n) => (leader.node.users().find((u) => u.username === n)?.lastSeen ?? 0) > t0));
      for (const t of [leader, follower]) {
        expect((await api(t.api, 'GET', '/')).status).toBe(200);
        expect((await api(t.api, 'GET', '/api/health')).status).toBe(200);
        expect((await api(t.api, 'GET', '/api/cluster/status')).status).toBe(200);
        await api(t.api, 'POST', '/heartbeat', { username: 'n1' });
      }
      expect(copies).not.toHaveBeenCalled();
      // the spy does see a real copy: the full state is one
      expect((await api(leader.api, 'GET', '/api/state')).status).toBe(200);
      expect(copies).toHaveBeenCalled();
    } finally {
      copies.mockRestore();
      for (const s of stops.splice(0)) s();
    }
  });

  it('self-registration registers each node user and record, heartbeats them, and survives a quorum loss quietly', async () => {
    // the survivor's log is kept: nothing in it may be an error
    const lines: Array<{ level: number; msg: string }> = [];
    const kept = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as { level: number; msg: string }) });
    for (const t of c.nodes) stops.push(startSelfRegistration(t.node, { logger: t === follower ? kept : silentLogger(), intervalMs: 100, username: t.name }));
    for (const t of c.nodes) {
      await waitFor(`${t.name} registered`, () => leader.node.users().some((u) => u.username === t.name && (u.lastSeen ?? 0) > 0));
      await waitFor(`${t.name} record`, () => (leader.node.clusterNodes().find((n) => n.id === t.name)?.stats?.memory ?? 0) > 0);
    }
    const d = await api<{ online_clients: Array<{ username: string; addr: string }> }>(leader.api, 'GET', '/discover');
    expect(d.body.online_clients.map((u) => u.username).sort()).toEqual(['n1', 'n2', 'n3']);
    expect(d.body.online_clients.find((u) => u.username === follower.name)?.addr).toBe(`127.0.0.1:${follower.http.apiPort}`);
    // two of three down: no quorum; the survivor keeps ticking without throwing or logging errors
    const survivor = follower;
    for (const t of c.nodes.filter((x) => x !== survivor)) await c.crash(t.name);
    await waitFor('quorum lost', () => !survivor.node.view().quorum, 5000);
    const before = survivor.node.users().find((u) => u.username === survivor.name)?.lastSeen ?? 0;
    // three more ticks (each beats the user in the survivor's presence) without a quorum
    const beats = vi.spyOn(presenceFor(survivor.node, silentLogger()), 'beatUser');
    await waitFor('three ticks on the survivor', () => beats.mock.calls.length >= 3, 10_000);
    beats.mockRestore();
    expect(survivor.node.users().find((u) => u.username === survivor.name)?.lastSeen ?? 0).toBe(before);
    expect(lines.filter((l) => l.level >= 50)).toEqual([]); // no error or fatal line
    const h = await api<{ status: string }>(survivor.api, 'GET', '/');
    expect(h.body.status).toBe('ok');
  });
});
